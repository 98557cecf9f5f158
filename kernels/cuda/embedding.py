"""Gather by an index map along axis 1 and its scatter-add on CUDA (the embedding lookup, and
reflect/replicate/circular padding), with the CPU launchers' signatures and layouts (read
kernels/cpu/embedding.py): one thread per output element gathers it; the backward zeroes
grad_weight and adds each gradient element into its row with an atomic add (indices may repeat,
so the summation order, and the last bits of a float sum, can differ from the CPU's)."""
from numba import cuda

from ..registry import register
from ._array import dev, empty, grid
from .copy import fill


@cuda.jit
def _gather(weight, indices, out, n):
    N, B = out.shape[1], out.shape[2]
    for t in range(cuda.grid(1), n, cuda.gridsize(1)):
        b, r = t % B, t // B
        i, a = r % N, r // N
        out[a, i, b] = weight[a, indices[i], b]


@cuda.jit
def _count(indices, counts, n):
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        cuda.atomic.add(counts, indices[i], 1)


@cuda.jit
def _scatter_add(grad, indices, padding_idx, counts, grad_weight, n):
    """grad_weight[a, indices[i], b] += grad[a, i, b] (divided by the index's count when counts
    is not empty), rows with index padding_idx left out."""
    N, B = grad.shape[1], grad.shape[2]
    for t in range(cuda.grid(1), n, cuda.gridsize(1)):
        b, r = t % B, t // B
        i, a = r % N, r // N
        j = indices[i]
        if j != padding_idx:
            g = grad[a, i, b]
            if counts.size:
                g /= counts[j]
            cuda.atomic.add(grad_weight, (a, j, b), g)


@register("embedding_forward", "cuda")
def embedding_forward(weight, indices, out):
    if out.size:
        _gather[grid(out.size)](dev(weight), dev(indices), dev(out), out.size)


@register("embedding_backward", "cuda")
def embedding_backward(grad, indices, padding_idx, scale_grad_by_freq, grad_weight):
    fill(grad_weight, 0)
    if grad.size == 0:
        return
    counts = empty((grad_weight.shape[1] if scale_grad_by_freq else 0,), grad.dtype)
    if scale_grad_by_freq:
        fill(counts, 0)
        _count[grid(indices.size)](dev(indices), dev(counts), indices.size)
    _scatter_add[grid(grad.size)](dev(grad), dev(indices), padding_idx, dev(counts),
                                  dev(grad_weight), grad.size)
