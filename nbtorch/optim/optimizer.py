"""Optimizer: parameter groups, state, zero_grad, state_dict/load_state_dict, as torch.optim.Optimizer.

Subclasses update each parameter with one registered fused kernel (kernels/cpu/optim.py), working in
place on the parameter's array and its state arrays."""
import copy
import warnings
from collections import defaultdict

from .._creation import tensor
from .._dtype import get_default_dtype
from .._tensor import Tensor, _zero_grads
from ..autograd.grad_mode import enable_grad, no_grad
from ..kernels.registry import lookup


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _check_nonnegative(*options):
    """PyTorch's ``Invalid <what>: <value>`` for the first of the ``(what, value)`` options that is
    negative (or NaN), in the order given."""
    for what, value in options:
        if not 0.0 <= value:
            raise ValueError(f"Invalid {what}: {value}")


def _check_betas(lr, eps, betas, weight_decay):
    """The option checks Adam and its variants share, with PyTorch's words, in PyTorch's order."""
    _check_nonnegative(("learning rate", lr), ("epsilon value", eps))
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
    _check_nonnegative(("weight_decay value", weight_decay))


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module == "builtins" else f"{module}.{name}"


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            f"or dicts, but got {_typename(params)}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list "
                            "instead.")
        param_group["params"] = params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{_typename(p)}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, "
                          "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                          "more information", stacklevel=3)
        if any(not set(params).isdisjoint(g["params"]) for g in self.param_groups):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def __getstate__(self):
        """Only the options and state: not the ``step`` wrapper an lr scheduler installs."""
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def zero_grad(self, set_to_none=True):
        _zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        raise NotImplementedError

    # --- helpers for the subclasses' step ---
    @staticmethod
    def _closure_loss(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _params_with_grad(group):
        return [p for p in group["params"] if p.grad is not None]

    @staticmethod
    def _new_step():
        """The ``step`` counter PyTorch keeps in the state: a 0-dim float tensor on the CPU."""
        return tensor(0.0, dtype=get_default_dtype())

    def _init_state(self, group, p):
        """The state ``p`` starts with besides ``step``: ``{name: tensor}``, PyTorch's names in
        PyTorch's order. Defined by the subclasses that step through ``_updates``."""
        raise NotImplementedError

    def _start_state(self, group, p):
        state = self.state[p]
        state["step"] = self._new_step()
        state.update(self._init_state(group, p))
        return state

    def _updates(self):
        """``(group, p, state)`` for each parameter with a gradient, group by group: its state
        started on first use and its ``step`` advanced by one (PyTorch's ``step_t += 1``)."""
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                state = self.state[p] or self._start_state(group, p)
                state["step"]._data += 1
                yield group, p, state

    @staticmethod
    def _launch(name, p, *args):
        """Run the fused kernel ``name`` on ``p``'s array and its gradient's (then ``args``), in place.
        A non-contiguous parameter is updated through a contiguous copy."""
        target = p if p.is_contiguous() else p.contiguous()
        lookup(name, p.device.type)(target._data, p.grad.contiguous()._data, *args)
        if target is not p:
            with no_grad():
                p.copy_(target)
        p._version[0] += 1

    # --- state_dict ---
    def state_dict(self):
        """``{"state": {index: {name: value}}, "param_groups": [{option: value, "params": [index]}]}``,
        parameters numbered in group order, as PyTorch's."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)] if isinstance(p, Tensor) else p: s for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size "
                             "of optimizer's group")
        by_index = {i: p for g, s in zip(self.param_groups, saved_groups)
                    for i, p in zip(s["params"], g["params"])}
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in by_index:
                p = by_index[key]
                state[p] = {name: _cast(p, v, name) for name, v in value.items()}
            else:
                state[key] = copy.deepcopy(value)
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self):
        """PyTorch's layout: each group opens with a newline, so groups are separated by a blank line."""
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {key}: {group[key]}\n" for key in sorted(group) if key != "params")
        return text + ")"


def _cast(p, value, name):
    """A loaded state value, copied; tensors moved to ``p``'s device and, except the CPU ``step``
    counter, cast to ``p``'s floating dtype."""
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    if name == "step":
        return value.detach().clone()
    dtype = p.dtype if p.is_floating_point() else value.dtype
    return value.detach().to(device=p.device, dtype=dtype).clone()
