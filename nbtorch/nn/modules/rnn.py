"""Recurrent layers (RNN, LSTM, GRU) and their cells, written as PyTorch's documented formulas over
existing ops (linear, sigmoid, tanh, chunk, stack), so autograd and every device come for free.

A sequence layer projects the whole input once (one GEMM for all time steps) and then runs one
step per time step on ``h @ W_hh^T``. A PackedSequence input runs padded, with the sequences that
have ended masked out of the state updates."""
import math
import numbers
import warnings

from ... import _creation
from ...ops.elementwise import where
from ...ops.shape import cat, stack
from .. import functional as F, init
from ..parameter import Parameter
from ..utils import rnn as rnn_utils
from .module import Module


# One time step of each mode: ``gi`` is the input projection x @ W_ih^T + b_ih of this step.

def _tanh_step(gi, h, w_hh, b_hh):
    return F.tanh(gi + F.linear(h, w_hh, b_hh))


def _relu_step(gi, h, w_hh, b_hh):
    return F.relu(gi + F.linear(h, w_hh, b_hh))


def _lstm_step(gi, state, w_hh, b_hh, w_hr=None):
    """Gates in PyTorch's order i, f, g, o; c' = f*c + i*g, h' = o*tanh(c') (then h' @ W_hr^T
    with projections)."""
    h, c = state
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, 1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    h = F.sigmoid(o) * F.tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(gi, h, w_hh, b_hh):
    """Gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h."""
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
    r = F.sigmoid(i_r + h_r)
    z = F.sigmoid(i_z + h_z)
    n = F.tanh(i_n + r * h_n)
    return n + z * (h - n)


_STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step, "GRU": _gru_step}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_type(name, value, kind):
    if not isinstance(value, kind):
        raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")


class RNNBase(Module):
    """Parameters ``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (and ``weight_hr_l{k}`` for a projected LSTM), PyTorch's names, shapes and
    order, so PyTorch state_dicts load."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        _check_type("bias", bias, bool)
        _check_type("batch_first", batch_first, bool)
        _check_type("input_size", input_size, int)
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        _check_type("hidden_size", hidden_size, int)
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _STEPS:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        factory = dict(device=device, dtype=dtype)
        gate_size = _GATES[mode] * hidden_size
        out_size = proj_size or hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = [name + suffix for name in shapes]
                for name, shape in zip(names, shapes.values()):
                    setattr(self, name, Parameter(_creation.empty(shape, **factory)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A cuDNN weight-layout call in PyTorch; nothing to do here."""

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- forward -------------------------------------------------------------------------------

    def _states(self, hx):
        return None if hx is None else (tuple(hx) if self.mode == "LSTM" else (hx,))

    def _prepare(self, input, hx, name):
        """PyTorch's checks and defaults: (time-major batched input, hidden states, batched?)."""
        if input.dim() not in (2, 3):
            tail = " tensor instead" if self.mode.startswith("RNN") else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        states = self._states(hx)
        if states is not None:
            want = 3 if batched else 2
            dims = [s.dim() for s in states]
            if any(d != want for d in dims):
                kind = "batched 3-D" if batched else "unbatched 2-D"
                if self.mode == "LSTM":
                    raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but "
                                       f"got ({dims[0]}-D, {dims[1]}-D) tensors")
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                                   f"{dims[0]}-D tensor")
            if not batched:
                states = tuple(s.unsqueeze(1) for s in states)
        if self.batch_first:
            input = input.transpose(0, 1)
        return input, self._checked(input, states), batched

    def _checked(self, input, states):
        """Checks time-major input (T, B, H_in) and the states against the weights; zero states
        where none are given."""
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({input.dtype})")
        if input.size(-1) != self.input_size:
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")
        layers = self.num_layers * (2 if self.bidirectional else 1)
        batch = input.size(1)
        sizes = [(layers, batch, self.proj_size or self.hidden_size)]
        if self.mode == "LSTM":
            sizes.append((layers, batch, self.hidden_size))
        if states is None:
            states = tuple(_creation.zeros(size, dtype=input.dtype, device=input.device)
                           for size in sizes)
        for k, (state, size) in enumerate(zip(states, sizes)):
            if tuple(state.shape) != size:
                which = f"hidden[{k}]" if self.mode == "LSTM" else "hidden"
                raise RuntimeError(f"Expected {which} size {size}, got {list(state.shape)}")
        return states

    def _weights(self, k):
        """(weight_ih, weight_hh, bias_ih, bias_hh, weight_hr) of layer-direction ``k``; None
        where the module has none."""
        found = {name.split("_l")[0]: getattr(self, name) for name in self._all_weights[k]}
        return tuple(found.get(key) for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                                "weight_hr"))

    def _direction(self, gi, state, w_hh, b_hh, w_hr, reverse, alive):
        """Runs one layer in one direction over the projected input ``gi`` (T, B, gates).
        ``alive[t]``: None when every sequence has step t, else a (B, 1) mask; the state of a
        sequence that has ended (or, in reverse, not begun) is carried unchanged, which is what
        PyTorch computes for packed sequences."""
        step = _STEPS[self.mode]
        extra = () if w_hr is None else (w_hr,)
        outputs = [None] * gi.size(0)
        order = range(gi.size(0) - 1, -1, -1) if reverse else range(gi.size(0))
        steps = gi.unbind(0)          # one node: backward stacks the step gradients
        for t in order:
            new = step(steps[t], state, w_hh, b_hh, *extra)
            if alive[t] is not None:
                new = (tuple(where(alive[t], n, s) for n, s in zip(new, state))
                       if self.mode == "LSTM" else where(alive[t], new, state))
            state = new
            outputs[t] = state[0] if self.mode == "LSTM" else state
        return stack(outputs), state

    def _run(self, input, states, alive=None):
        """The stacked (and bidirectional) layers over time-major input; states are per-layer
        stacks (h,) or (h, c). Returns the top layer's output and the final states."""
        directions = 2 if self.bidirectional else 1
        alive = alive or [None] * input.size(0)
        initial = [s.unbind(0) for s in states]
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(k)
                state = tuple(s[k] for s in initial)
                out, state = self._direction(F.linear(input, w_ih, b_ih),
                                             state if self.mode == "LSTM" else state[0],
                                             w_hh, b_hh, w_hr, direction == 1, alive)
                outputs.append(out)
                finals.append(state if self.mode == "LSTM" else (state,))
            input = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                input = F.dropout(input, self.dropout, True)
        return input, tuple(stack(list(s)) for s in zip(*finals))

    def _forward_packed(self, packed, hx):
        """A PackedSequence in, a PackedSequence out: the sequences run padded (in sorted order)
        with finished ones masked; h_n holds each sequence's state at its own last step."""
        if packed.data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {packed.data.dim()}")
        states = self._states(hx)
        if states is not None and packed.sorted_indices is not None:
            states = tuple(s.index_select(1, packed.sorted_indices) for s in states)
        padded, valid = rnn_utils._padded_sorted(packed)
        states = self._checked(padded, states)
        alive = [None if row.all() else _creation.tensor(row[:, None], device=padded.device)
                 for row in valid]
        output, states = self._run(padded, states, alive)
        if packed.unsorted_indices is not None:
            states = tuple(s.index_select(1, packed.unsorted_indices) for s in states)
        data = rnn_utils._pack_sorted(output, packed.batch_sizes)
        return rnn_utils.PackedSequence(data, packed.batch_sizes, packed.sorted_indices,
                                        packed.unsorted_indices), states

    def _forward(self, input, hx, name):
        if isinstance(input, rnn_utils.PackedSequence):
            return self._forward_packed(input, hx)
        input, states, batched = self._prepare(input, hx, name)
        output, states = self._run(input, states)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            states = tuple(s.squeeze(1) for s in states)
        return output, states


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args,
                         **kwargs)

    def forward(self, input, hx=None):
        output, (h_n,) = self._forward(input, hx, "RNN")
        return output, h_n


class LSTM(RNNBase):
    """Returns (output, (h_n, c_n)); ``proj_size`` > 0 projects h with weight_hr."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, hx, "LSTM")


class GRU(RNNBase):
    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        output, (h_n,) = self._forward(input, hx, "GRU")
        return output, h_n


# -- cells -------------------------------------------------------------------------------------

class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        factory = dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(_creation.empty((num_chunks * hidden_size, input_size),
                                                   **factory))
        self.weight_hh = Parameter(_creation.empty((num_chunks * hidden_size, hidden_size),
                                                   **factory))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, **factory))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _cell(self, step, input, states, name, state_names):
        """PyTorch's cell checks, zero default states and unbatched handling around one step."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if states is not None:
            for label, state in zip(state_names, states):
                if state.dim() not in (1, 2):
                    raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got "
                                     f"{state.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = _creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype,
                                    device=input.device)
            states = (zeros,) * len(state_names)
        elif not batched:
            states = tuple(s.unsqueeze(0) for s in states)
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected "
                               f"{self.input_size}")
        for k, state in enumerate(states):
            if state.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} "
                                   f"batch size {state.size(0)}")
            if state.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {state.size(1)}, "
                                   f"expected {self.hidden_size}")
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        result = step(gi, states if len(states) > 1 else states[0], self.weight_hh, self.bias_hh)
        if not batched:
            result = (tuple(r.squeeze(0) for r in result) if isinstance(result, tuple)
                      else result.squeeze(0))
        return result


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        steps = {"tanh": _tanh_step, "relu": _relu_step}
        if self.nonlinearity not in steps:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._cell(steps[self.nonlinearity], input, None if hx is None else (hx,),
                          "RNNCell", ("hidden",))


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._cell(_lstm_step, input, hx, "LSTMCell", ("hx[0]", "hx[1]"))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._cell(_gru_step, input, None if hx is None else (hx,), "GRUCell",
                          ("hidden",))
