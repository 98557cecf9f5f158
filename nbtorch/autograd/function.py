"""Function (user-facing ops with forward/backward), its ctx, and the graph nodes it records."""
import re
import weakref

from .._tensor import Tensor
from .grad_mode import _state

FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after "
         "they have already been freed). Saved intermediate values of the graph are freed when you call "
         ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
         "graph a second time or if you need to access saved tensors after calling backward.")


class Context:
    """The ``ctx`` of forward/backward: saved tensors (version-checked), needs_input_grad, any state."""

    def __init__(self):
        self._saved = ()
        self._non_differentiable = ()
        self._dirty = ()
        self.materialize_grads = True
        self._output_ids = ()          # id of each output, once the node exists
        self._fn = None                # the Function class, once the node exists

    def save_for_backward(self, *tensors):
        self._saved = tuple([(t, t._version[0]) if t is not None else (None, 0) for t in tensors])

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError(FREED)
        for t, version in self._saved:
            if t is not None and t._version[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.type()} [{', '.join(map(str, t.shape))}]]"
                    f"{self._producer(t)} is at version {t._version[0]}; expected version "
                    f"{version} instead. Hint: enable anomaly detection to find the operation that "
                    "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
                    "check_nan=False).")
        return tuple([t for t, _ in self._saved])

    def _producer(self, t):
        """PyTorch's ", which is output 0 of Exp," for a modified saved tensor: a saved output
        names this op, a saved input the op that last wrote it (none for a leaf)."""
        nr = self._output_ids.index(id(t)) if id(t) in self._output_ids else None
        name = _name(self._fn) if nr is not None else t.grad_fn.name() if t.grad_fn else None
        if name is None:
            return ""
        nr = t._output_nr if nr is None else nr
        return f", which is output {nr} of {re.sub(r'Backward[0-9]*$', '', name)},"

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tuple(map(id, tensors))

    def mark_dirty(self, *tensors):
        self._dirty = tuple(map(id, tensors))

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class Node:
    """One recorded op: calls its Function's backward and knows where the input gradients go."""

    def __init__(self, fn, ctx, next_edges, input_meta, n_outputs):
        self._fn = fn
        self.ctx = ctx
        self.next_edges = next_edges      # per forward arg: (node, output_nr), None, or False
        self.input_meta = input_meta      # per forward arg: shape of the tensor, or None
        self.n_outputs = n_outputs
        self.output_meta = ()             # per output: (shape, dtype, device), to materialize zeros
        self.pre_hooks = None             # output_nr -> [hook(grad)], from Tensor.register_hook
        self.hooks = []

    def name(self):
        return _name(self._fn)

    @property
    def next_functions(self):
        """One entry per differentiable tensor argument, as in PyTorch; a number only where PyTorch
        wraps it as a tensor (``x * 2``)."""
        fn = self._fn
        return tuple(e or (None, 0) for i, e in enumerate(self.next_edges)
                     if (e is not False or fn.number_edges) and i not in fn.hidden_edges)

    @property
    def metadata(self):
        return {}

    def apply(self, grads):
        result = self._fn.backward(self.ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < len(self.next_edges):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {len(self.next_edges)}, got {len(result)})")
        return result

    def register_hook(self, fn):
        self.hooks.append(fn)
        return _Handle(self.hooks, fn)

    def register_prehook(self, fn):
        return self._add_pre_hook(0, fn)

    def _add_pre_hook(self, output_nr, fn):
        if self.pre_hooks is None:
            self.pre_hooks = {}
        hooks = self.pre_hooks.setdefault(output_nr, [])
        hooks.append(fn)
        return _Handle(hooks, fn)

    def __call__(self, *grads):
        return self.apply(grads)

    def __repr__(self):
        """PyTorch's: a built-in node by its name, a user Function's node as the Python class
        PyTorch makes for it (``torch.autograd.function.MyFnBackward``)."""
        where = "torch.autograd.function." if self._fn.node_name is None else ""
        return f"<{where}{self.name()} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds incoming gradients into ``variable.grad``."""

    def __init__(self, variable):
        super().__init__(AccumulateGrad, None, (), (), 1)
        self.variable = variable

    def name(self):
        return "AccumulateGrad"


AccumulateGrad.node_name = "AccumulateGrad"


class _Handle:
    def __init__(self, hooks, fn):
        self._hooks, self._fn = hooks, fn

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def grad_accumulator(t):
    """The one AccumulateGrad node of leaf ``t`` (kept while the graph holds it)."""
    acc = t._accumulator() if t._accumulator is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accumulator = weakref.ref(acc)
    return acc


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call ``apply``.

    forward runs with grad mode off on Tensors; backward returns one gradient (or None) per
    forward argument. ``node_name`` is the grad_fn name shown to users (PyTorch's, e.g. AddBackward0);
    ``number_edges``: a number argument is listed in next_functions (PyTorch's wrapped scalars);
    ``hidden_edges``: positions of tensor arguments PyTorch does not differentiate nor list there.
    """
    node_name = None
    number_edges = False
    hidden_edges = ()

    def __init_subclass__(cls, **kwargs):
        """Each Function records nodes of its own Node subclass, named as PyTorch's node classes
        (``type(y.grad_fn).__name__ == "MulBackward0"``)."""
        super().__init_subclass__(**kwargs)
        cls._node_type = type(_name(cls), (Node,), {
            "__module__": "torch.autograd.function" if cls.node_name is None else "builtins"})

    @classmethod
    def apply(cls, *args):
        ctx = Context()
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        ctx.needs_input_grad = needs
        common_device(args, Tensor)
        prev = _state.enabled
        _state.enabled = False
        try:
            outputs = cls.forward(ctx, *args)
        finally:
            _state.enabled = prev
        if not (prev and True in needs):
            return outputs
        outs = (outputs,) if isinstance(outputs, Tensor) else outputs
        edges = tuple([_edge(a) if n else None if isinstance(a, Tensor) else False
                       for a, n in zip(args, needs)])
        meta = tuple([a._data.shape if n else None for a, n in zip(args, needs)])
        node = cls._node_type(cls, ctx, edges, meta, len(outs))
        node.output_meta = tuple([(o._data.shape, o.dtype, o._device) if isinstance(o, Tensor)
                                  else None for o in outs])
        ctx._output_ids = tuple(map(id, outs))
        ctx._fn = cls
        for i, o in enumerate(outs):
            if (isinstance(o, Tensor) and o.dtype.is_floating_point
                    and id(o) not in ctx._non_differentiable):
                o._grad_fn = node
                o._output_nr = i
                o._requires_grad = True
        return outputs


def common_device(args, Tensor):
    """The one device of the tensor arguments of an op, with PyTorch's error when they differ. As
    in PyTorch, a 0-dim CPU tensor may join tensors of another device (the op copies it there)."""
    dev = scalar_dev = None
    for a in args:
        if isinstance(a, Tensor):
            if a._device.type == "cpu" and not a._data.ndim:
                scalar_dev = scalar_dev or a._device
            elif dev is None:
                dev = a._device
            elif a._device != dev:
                raise RuntimeError("Expected all tensors to be on the same device, but found at "
                                   f"least two devices, {dev} and {a._device}!")
    return dev or scalar_dev


def _name(fn):
    return fn.node_name or f"{fn.__name__}Backward"


def _edge(t):
    if t._grad_fn is not None:
        return (t._grad_fn, t._output_nr)
    return (grad_accumulator(t), 0)
