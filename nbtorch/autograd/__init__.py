"""nbtorch.autograd: a tape of Function nodes, the backward engine, grad mode and gradcheck."""
from .engine import _accumulate, run_backward
from .function import Function, FREED  # noqa: F401
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .gradcheck import GradcheckError, gradcheck  # noqa: F401


def _as_list(x):
    from .._tensor import Tensor
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients into the leaves' .grad; with ``inputs``, into those tensors only
    (leaves or not)."""
    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors) or [None] * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        run_backward(tensors, grads, retain_graph, create_graph)
        return
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        t.retain_grad()                   # a non-leaf's .grad, filled by its hook, as in PyTorch
    found = grad(tensors, inputs, grads, retain_graph, create_graph, allow_unused=True)
    with set_grad_enabled(create_graph):
        for t, g in zip(inputs, found):
            if g is not None and t.is_leaf:
                _accumulate(t, [g])


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated."""
    from .function import grad_accumulator
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    edges = [(t._grad_fn, t._output_nr) if t._grad_fn is not None else (grad_accumulator(t), 0)
             for t in inputs]
    capture = dict.fromkeys(edges)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(outputs, grads, retain_graph, create_graph, capture=capture)
    result = tuple(capture[e] for e in edges)
    unused = [i for i, r in enumerate(result) if r is None]
    if unused and not allow_unused:
        raise RuntimeError(f"The differentiated Tensor at index {unused[0]} appears to not "
                           "have been used in the graph. Set allow_unused=True if this is the "
                           "desired behavior.")
    return result
