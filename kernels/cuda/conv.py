"""2-D convolution on CUDA, forward and the three backward passes, as im2col + the tiled GEMM of
matmul.py (Conv1d arrives as a 2-d convolution of height 1).

Layouts and arguments as the CPU launchers': x (N, C, H, W), w (O, C/groups, KH, KW), out
(N, O, OH, OW); ``padding`` is the top/left zero padding and taps past the bottom/right edge read
zeros. With K = Cg*KH*KW and L = OH*OW, the samples' input patches unfold into scratch columns
cols[n, g] (K, L), and per sample and group:
- forward:         out[n, g] (Og, L) = w[g] (Og, K) @ cols[n, g] (+ bias in the GEMM's epilogue);
- backward_input:  cols[n, g] = w[g].T @ grad_out[n, g], folded back onto the input by a gather
                   (each input element sums its taps in the CPU's order, no atomics);
- backward_weight: grad_w[g] = sum over samples of grad_out[n, g] @ cols[n, g].T, a reduction over
                   (samples x L): the columns are laid out (G, K, N, L) so that it is one long
                   product, split into a few runs of whole samples that the GEMM adds atomically
                   into grad_w (enough blocks to fill the GPU, few atomics);
- backward_bias:   one block per output channel, a block-wide sum (_block.py).
Batches whose scratch would exceed MAX_SCRATCH elements run in chunks of samples."""
import math

import numpy as np
from numba import cuda

from ..registry import register
from ._array import SIMULATOR, contiguous, dev, empty, grid
from ._block import block_buffer, block_sum, row_grid
from .copy import copy, fill
from .matmul import accumulate, gemm, scale

MAX_SCRATCH = 1 << 26            # elements of im2col scratch per launch (256 MB in float32)
MIN_RUN = 16 if SIMULATOR else 1024   # the weight gradient's shortest reduction run per GEMM block


@cuda.jit
def _im2col(x, cols, KH, KW, OW, p, n):
    """cols[s, g, (c, kh, kw), (oh, ow)] = x[s, g, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw], or 0
    outside the input; x is (N, G, Cg, H, W)."""
    G, K, L = cols.shape[1], cols.shape[2], cols.shape[3]
    H, W = x.shape[3], x.shape[4]
    sh, sw, ph, pw, dh, dw = p
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        l, t = i % L, i // L
        k, t = t % K, t // K
        g, s = t % G, t // G
        h = l // OW * sh - ph + k // KW % KH * dh
        w = l % OW * sw - pw + k % KW * dw
        if 0 <= h < H and 0 <= w < W:
            cols[s, g, k, l] = x[s, g, k // (KH * KW), h, w]
        else:
            cols[s, g, k, l] = 0


@cuda.jit
def _col2im(cols, x, KH, KW, OH, OW, p, zero, n):
    """x[s, g, c, h, w] = the sum of the columns of every tap that reads it, taps in (kh, kw)
    order as the CPU adds them."""
    G, C, H, W = x.shape[1], x.shape[2], x.shape[3], x.shape[4]
    sh, sw, ph, pw, dh, dw = p
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        w, t = i % W, i // W
        h, t = t % H, t // H
        c, t = t % C, t // C
        g, s = t % G, t // G
        acc = zero
        for kh in range(KH):
            hh = h + ph - kh * dh
            oh = hh // sh
            if hh >= 0 and oh * sh == hh and oh < OH:
                for kw in range(KW):
                    ww = w + pw - kw * dw
                    ow = ww // sw
                    if ww >= 0 and ow * sw == ww and ow < OW:
                        acc += cols[s, g, (c * KH + kh) * KW + kw, oh * OW + ow]
        x[s, g, c, h, w] = acc


@cuda.jit
def _bias_grad(y, b):
    """b[o] = sum of y[:, o, :] (y is (N, O, L)): one block per channel, float64 partial sums."""
    N, O, L = y.shape
    buf = block_buffer()
    for o in range(cuda.blockIdx.x, O, cuda.gridDim.x):
        acc = 0.0
        for i in range(cuda.threadIdx.x, N * L, cuda.blockDim.x):
            acc += y[i // L, o, i % L]
        total = block_sum(acc, buf)
        if cuda.threadIdx.x == 0:
            b[o] = total


class _Conv:
    """One convolution's geometry, its grouped views (x (N, G, Cg, H, W), w (1, G, Og, K), y
    (N, G, Og, L)), and chunks of samples small enough for scratch of G*K + ``extra`` L-long rows
    per sample (one flat buffer, from which ``scratch`` cuts contiguous arrays)."""

    def __init__(self, x, w, y, stride, padding, dilation, groups, extra=0):
        N, C, H, W = x.shape
        O, Cg, self.KH, self.KW = w.shape
        self.OH, self.OW = y.shape[2], y.shape[3]
        self.G, self.Og = groups, O // groups
        self.K, self.L = Cg * self.KH * self.KW, self.OH * self.OW
        self.p = tuple(int(v) for v in (*stride, *padding, *dilation))
        self.x = x.reshape(N, groups, Cg, H, W)
        self.w = w.reshape(1, groups, self.Og, self.K)
        self.y = y.reshape(N, groups, self.Og, self.L)
        rows = groups * self.K + extra
        self.chunk = max(1, min(N, MAX_SCRATCH // max(rows * self.L, 1)))
        self.buf = empty((self.chunk * rows * self.L,), x.dtype)

    def chunks(self):
        """(first sample, end) of each chunk of samples."""
        N = self.x.shape[0]
        return [(n, min(n + self.chunk, N)) for n in range(0, N, self.chunk)]

    def scratch(self, start, *shape):
        """A contiguous array of ``shape`` from element ``start`` of the scratch buffer."""
        return self.buf[start:start + math.prod(shape)].reshape(shape)

    def im2col(self, x, cols):
        """cols (n, G, K, L) (any strides) = the unfolded patches of samples x (n, G, Cg, H, W)."""
        _im2col[grid(cols.size)](dev(x), dev(cols), self.KH, self.KW, self.OW, self.p, cols.size)

    def weight(self, n):
        """w broadcast to n samples."""
        return self.w.broadcast_to((n,) + self.w.shape[1:])


@register("conv2d_forward", "cuda")
def conv2d_forward(x, w, b, out, stride, padding, dilation, groups):
    """out = conv2d(x, w) + b; ``b`` is (O,) or None."""
    if out.size == 0:
        return
    cv = _Conv(contiguous(x), contiguous(w), out, stride, padding, dilation, groups)
    bias = None if b is None else contiguous(b).reshape(1, cv.G, cv.Og, 1)
    for lo, hi in cv.chunks():
        y = cv.y[lo:hi]
        cols = cv.scratch(0, hi - lo, cv.G, cv.K, cv.L)
        cv.im2col(cv.x[lo:hi], cols)
        if bias is None:
            gemm(cv.weight(hi - lo), cols, y)
        else:
            gemm(cv.weight(hi - lo), cols, y, epilogue=scale, bias=bias.broadcast_to(y.shape))


@register("conv2d_backward_input", "cuda")
def conv2d_backward_input(grad_out, w, grad_x, stride, padding, dilation, groups):
    """grad_x (N, C, H, W) = the input gradient of conv2d for ``grad_out``."""
    if grad_x.size == 0:
        return
    cv = _Conv(grad_x, contiguous(w), contiguous(grad_out), stride, padding, dilation, groups)
    zero = np.zeros((), grad_x.dtype)[()]
    for lo, hi in cv.chunks():
        x = cv.x[lo:hi]
        cols = cv.scratch(0, hi - lo, cv.G, cv.K, cv.L)
        gemm(cv.weight(hi - lo), cv.y[lo:hi], cols, ta=True)
        _col2im[grid(x.size)](dev(cols), dev(x), cv.KH, cv.KW, cv.OH, cv.OW, cv.p, zero, x.size)


@register("conv2d_backward_weight", "cuda")
def conv2d_backward_weight(grad_out, x, grad_w, stride, padding, dilation, groups):
    """grad_w (O, C/groups, KH, KW) = the weight gradient of conv2d for ``grad_out`` and input x."""
    if grad_w.size == 0:
        return
    cv = _Conv(contiguous(x), grad_w, contiguous(grad_out), stride, padding, dilation, groups,
               extra=grad_w.shape[0])
    G, Og, K, L = cv.G, cv.Og, cv.K, cv.L
    fill(grad_w, 0)
    for lo, hi in cv.chunks():
        n = hi - lo
        cols = cv.scratch(0, G, K, n, L)               # samples x L: one reduction dim
        dy = cv.scratch(cols.size, G, Og, n, L)
        cv.im2col(cv.x[lo:hi], cols.transpose(2, 0, 1, 3))
        copy(cv.y[lo:hi].transpose(1, 2, 0, 3), dy)
        runs = _runs(n, L)
        gemm(_split(dy, runs), _split(cols, runs), cv.weight(runs), tb=True, epilogue=accumulate)


def _runs(n, L):
    """How many runs of whole samples the weight gradient's reduction over n samples x L splits
    into: runs as short as possible but at least MIN_RUN long (or all n samples)."""
    q = next((q for q in range(1, n + 1) if n % q == 0 and q * L >= MIN_RUN), n)
    return n // q


def _split(a, runs):
    """a (G, rows, n, L) as (runs, G, rows, n * L / runs)."""
    G, rows, n, L = a.shape
    return a.reshape(G, rows, runs, n * L // runs).transpose(2, 0, 1, 3)


@register("conv2d_backward_bias", "cuda")
def conv2d_backward_bias(grad_out, grad_b):
    """grad_b (O,) = grad_out (N, O, OH, OW) summed over N, OH and OW."""
    if grad_b.size == 0:
        return
    y = contiguous(grad_out)
    y = y.reshape(y.shape[0], y.shape[1], y.shape[2] * y.shape[3])
    _bias_grad[row_grid(y.shape[1], y.shape[0] * y.shape[2])](dev(y), dev(grad_b))
