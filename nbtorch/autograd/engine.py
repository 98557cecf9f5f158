"""The backward pass: walk the recorded graph in dependency order, sum gradients per node, reduce
broadcast dimensions, and accumulate into leaves (or capture them for ``autograd.grad``)."""
import sys

from .function import AccumulateGrad, grad_accumulator
from .grad_mode import _state


def _root_edges_and_grads(tensors, grad_tensors):
    from .._creation import ones_like
    edges, grads = [], []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(t)
        elif g.shape != t.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                               f"output[{i}] has a shape of {t.shape}.")
        edges.append((t._grad_fn, t._output_nr) if t._grad_fn is not None
                     else (grad_accumulator(t), 0))
        grads.append(g.detach())
    return edges, grads


def run_backward(tensors, grad_tensors, retain_graph, create_graph, capture=None):
    """Propagate; leaves accumulate ``.grad`` unless ``capture`` (edge -> None) collects them."""
    edges, grads = _root_edges_and_grads(tensors, grad_tensors)
    deps = {}
    stack = [node for node, _ in edges]
    seen = set(stack)
    while stack:
        for e in stack.pop().next_edges:
            if e:
                child = e[0]
                deps[child] = deps.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    buffers = {}
    for (node, nr), g in zip(edges, grads):
        _add(buffers, node, nr, g)
    ready = [node for node, _ in dict.fromkeys(edges) if deps.get(node, 0) == 0]
    prev = _state.enabled
    _state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            node_grads = buffers.pop(node, None) or [None] * node.n_outputs
            if capture is not None:
                for nr in range(node.n_outputs):
                    if (node, nr) in capture:
                        capture[(node, nr)] = node_grads[nr]
            if isinstance(node, AccumulateGrad):
                if capture is None and node_grads[0] is not None:
                    _accumulate(node.variable, node_grads)
                continue
            _run_pre_hooks(node, node_grads)
            if node.ctx.materialize_grads:
                node_grads = [g if g is not None else _zeros_for(node, i)
                              for i, g in enumerate(node_grads)]
            in_grads = node.apply(node_grads)
            for hook in node.hooks:
                hook(in_grads, node_grads)
            if not retain_graph:
                node.ctx._saved = None
            for i, e in enumerate(node.next_edges):
                if not e:
                    continue
                child, nr = e
                g = in_grads[i]
                if g is not None:
                    if g.shape != node.input_meta[i]:
                        g = g.sum_to_size(node.input_meta[i])
                    _add(buffers, child, nr, g)
                deps[child] -= 1
                if deps[child] == 0:
                    ready.append(child)
            in_grads = g = node_grads = None     # only the buffers hold them now (_unshared)
    finally:
        _state.enabled = prev


def _add(buffers, node, nr, g):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node.n_outputs
    buf[nr] = g if buf[nr] is None else buf[nr] + g


def _zeros_for(node, nr):
    from .._creation import zeros
    shape, dtype, device = node.output_meta[nr]
    return zeros(shape, dtype=dtype, device=device)


def _run_pre_hooks(node, grads):
    if node.pre_hooks:
        for nr, hooks in node.pre_hooks.items():
            for hook in hooks:
                r = hook(grads[nr])
                if r is not None:
                    grads[nr] = r


def _accumulate(var, slot):
    """Add slot[0], the gradient, into the leaf ``var``'s .grad. A first gradient nobody else
    holds becomes .grad without a copy, as in PyTorch (no copy of a large input's gradient)."""
    g = slot[0]
    for hook in var._hooks or ():
        r = hook(g)
        if r is not None:
            g = slot[0] = r
    if var._grad is None:
        if _state.enabled:
            var._grad = g
        else:
            kept = _unshared(slot)
            var._grad = kept if kept is not None else g.detach().clone()
    elif _state.enabled:
        var._grad = var._grad + g
    else:
        var._grad.add_(g)


def _counts(slot):
    """References to the tensor in ``slot``, to its array and, for a view, to the tensor and
    array it views; None unless the memory is NumPy's and the view spans all of it."""
    g = slot[0]
    base = getattr(g._data, "base", _NOT_NUMPY)
    if base is None:
        return sys.getrefcount(g), sys.getrefcount(g._data)
    root = g._base
    if (base is _NOT_NUMPY or root is None or root._data is not base
            or not g._data.flags.c_contiguous or g._data.size != base.size):
        return None
    # less the locals root and base
    return (sys.getrefcount(g), sys.getrefcount(g._data), sys.getrefcount(root) - 1,
            sys.getrefcount(base) - 2)


_BASELINE = []
_NOT_NUMPY = object()


def _unshared(slot):
    """slot[0] as a plain tensor if nothing but slot and _accumulate holds it, its array and,
    for a view (a transposed gradient transposed back), the tensor and memory it views: PyTorch's
    use-count test; else None. The counts are compared with those of a fresh tensor passed the
    same way (measured once), so that they hold for any interpreter version."""
    if not _BASELINE:
        import numpy as np
        from .._tensor import Tensor
        fresh = [Tensor._wrap(np.empty(1, np.float32))]
        g = fresh[0]    # noqa: F841  (held the way _accumulate holds it)
        _BASELINE.extend(_counts(fresh))
    counts = _counts(slot)
    if counts is None:
        return None
    g, array = _BASELINE
    # a view: the tensor viewed is held by the view only, the memory by that tensor and the view
    if counts != ((g, array) if len(counts) == 2 else (g, array, array, array)):
        return None
    t = slot[0]
    if t._device.type == "cpu" and not t._data.flags.writeable:     # a broadcast view
        return None
    return t if t._base is None else type(t)._wrap(t._data, t._device)
