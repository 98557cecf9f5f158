"""Gather by an index map along one axis, and its adjoint, a scatter-add: the embedding lookup,
and also reflect/replicate/circular padding (nbtorch/ops/pad.py), which is a lookup of the
flattened padded dims of every plane by the map "output position -> input position".

Layout: weight (A, V, B) C-contiguous, indices (n,) int64 or int32 (the ops layer has checked
0 <= index < V), out / grad (A, n, B): out[a, i] = weight[a, indices[i]]. An embedding is A = 1
(B = the embedding dim); a padding is B = 1 (A = the planes). Threads split A when there are
several planes, else the forward's rows n; indices may repeat, so the backward's rows can
collide and an embedding's backward (A = 1) runs serially (splitting its columns instead was
measured 3x slower: each thread walks every row). Below ``PARALLEL_ELEMENTS`` per thread one
serial call.
"""
import numpy as np
from numba import njit

from ..registry import register
from . import _threads

PARALLEL_ELEMENTS = 1 << 18      # per thread: a row copy is memory bound, threads pay only when big


@njit(cache=True, nogil=True)
def _gather(weight, indices, out, a0, a1, i0, i1):
    """out[a, i] = weight[a, indices[i]] for a0 <= a < a1, i0 <= i < i1."""
    for a in range(a0, a1):
        for i in range(i0, i1):
            src, dst = weight[a, indices[i]], out[a, i]
            for b in range(dst.size):
                dst[b] = src[b]


@njit(cache=True, nogil=True)
def _scatter_add(grad, indices, padding_idx, scale, grad_weight, a0, a1, b0, b1):
    """grad_weight[a, indices[i], b] += grad[a, i, b] * scale[indices[i]] (scale empty: 1) for
    a0 <= a < a1, b0 <= b < b1 and every i whose index is not padding_idx; that part of
    grad_weight is zeroed first."""
    for a in range(a0, a1):
        for v in range(grad_weight.shape[1]):
            row = grad_weight[a, v]
            for b in range(b0, b1):
                row[b] = 0
        for i in range(indices.size):
            j = indices[i]
            if j == padding_idx:
                continue
            src, dst = grad[a, i], grad_weight[a, j]
            s = scale[j] if scale.size else grad.dtype.type(1)
            for b in range(b0, b1):
                dst[b] += src[b] * s


def _split(task, elements, A, other, split_other):
    """task(a0, a1, lo, hi) over A x other, split between threads along A when A > 1, else
    along ``other`` if ``split_other``."""
    pieces = A if A > 1 else other if split_other else 1
    threads = _threads.threads_for(elements, PARALLEL_ELEMENTS, pieces)
    if A > 1:
        _threads.split(lambda t, lo, hi: task(lo, hi, 0, other), A, threads)
    else:
        _threads.split(lambda t, lo, hi: task(0, A, lo, hi), other, threads)


@register("embedding_forward", "cpu")
def embedding_forward(weight, indices, out):
    """out (A, n, B) = weight (A, V, B) at the rows ``indices`` (n,) of axis 1."""
    _split(lambda a0, a1, lo, hi: _gather(weight, indices, out, a0, a1, lo, hi), out.size,
           out.shape[0], out.shape[1], True)


@register("embedding_backward", "cpu")
def embedding_backward(grad, indices, padding_idx, scale_grad_by_freq, grad_weight):
    """grad_weight (A, V, B) = grad (A, n, B) summed into the rows ``indices`` (n,) of axis 1,
    rows equal to ``padding_idx`` (-1: none) left out; with ``scale_grad_by_freq`` each row's
    sum divided by how often its index occurs."""
    A, V, B = grad_weight.shape
    scale = np.empty(0, grad.dtype)
    if scale_grad_by_freq:
        counts = np.bincount(indices, minlength=V)
        scale = (1 / np.maximum(counts, 1)).astype(grad.dtype)
    _split(lambda a0, a1, lo, hi: _scatter_add(grad, indices, padding_idx, scale, grad_weight,
                                               a0, a1, lo, hi),
           grad.size + grad_weight.size, A, B, False)
