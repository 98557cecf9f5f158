"""Batch, group and layer norm on CUDA, with the launchers of kernels/cpu/norm.py.

x is read flat as (N, C, L); layer norm is group norm with one group on (rows, features, 1). A
block reduces one *segment*: the elements of samples [n0, n0 + nn) and channels [c0, c0 + nc), so a
channel for batch norm (all samples, nc = 1) and a (sample, group) for group norm (nn = 1,
nc = C / groups); blocks loop over segments when there are more segments than blocks. Statistics
are block reductions (_block.py) in float64, as on the CPU.

  _batch_norm_fwd    a block per channel: batch statistics (and running stats) or the running ones
  _group_norm_fwd    a block per (sample, group)
  _channel_bwd       a block per channel: grad_bias, grad_weight (each element with its own
                     sample's and group's statistics) and batch norm's grad_input
  _group_bwd_input   a block per (sample, group): group/layer norm's grad_input
An absent weight, bias, running stat or gradient is passed as an empty array: ``a.size`` is 0.
"""
import math

from numba import cuda

from ..cpu.norm import _running
from ..registry import register
from ._array import contiguous, flat
from ._block import block_buffer, block_sum, block_sum2, row_grid


@cuda.jit(device=True)
def _at(e, n0, c0, nc, C, L):
    """(flat offset, sample, channel) of element ``e`` of the segment at (n0, c0), nc channels."""
    span = nc * L
    q = e // span
    k = e - q * span
    return ((n0 + q) * C + c0) * L + k, n0 + q, c0 + k // L


@cuda.jit(device=True)
def _moments(x, n0, nn, c0, nc, C, L, buf):
    """Mean and biased variance of the segment (two passes)."""
    count = nn * nc * L
    if count == 0:
        return 0.0, 0.0
    s = 0.0
    for e in range(cuda.threadIdx.x, count, cuda.blockDim.x):
        s += x[_at(e, n0, c0, nc, C, L)[0]]
    mean = block_sum(s, buf) / count
    ss = 0.0
    for e in range(cuda.threadIdx.x, count, cuda.blockDim.x):
        d = x[_at(e, n0, c0, nc, C, L)[0]] - mean
        ss += d * d
    return mean, block_sum(ss, buf) / count


@cuda.jit(device=True)
def _normalize(x, out, w, b, n0, nn, c0, nc, C, L, mean, rstd):
    for e in range(cuda.threadIdx.x, nn * nc * L, cuda.blockDim.x):
        o, n, c = _at(e, n0, c0, nc, C, L)
        scale = rstd * (w[c] if w.size else 1.0)
        shift = (b[c] if b.size else 0.0) - mean * scale
        out[o] = x[o] * scale + shift


@cuda.jit
def _batch_norm_fwd(x, w, b, rmean, rvar, out, smean, sinvstd, N, C, L, training, momentum, eps):
    buf = block_buffer()
    count = N * L
    for c in range(cuda.blockIdx.x, C, cuda.gridDim.x):
        if training:
            mean, var = _moments(x, 0, N, c, 1, C, L, buf)
            if rmean.size and count > 0 and cuda.threadIdx.x == 0:
                rmean[c], rvar[c] = _running(rmean[c], rvar[c], mean, var, count, momentum)
        else:
            mean, var = rmean[c], rvar[c]
        invstd = 1.0 / math.sqrt(var + eps)
        if cuda.threadIdx.x == 0:
            smean[c] = mean
            sinvstd[c] = invstd
        _normalize(x, out, w, b, 0, N, c, 1, C, L, mean, invstd)


@cuda.jit
def _group_norm_fwd(x, w, b, out, smean, srstd, N, C, L, groups, eps):
    buf = block_buffer()
    cg = C // groups
    for s in range(cuda.blockIdx.x, N * groups, cuda.gridDim.x):
        n, c0 = s // groups, (s % groups) * cg
        mean, var = _moments(x, n, 1, c0, cg, C, L, buf)
        rstd = 1.0 / math.sqrt(var + eps)
        if cuda.threadIdx.x == 0:
            smean[s] = mean
            srstd[s] = rstd
        _normalize(x, out, w, b, n, 1, c0, cg, C, L, mean, rstd)


@cuda.jit
def _channel_bwd(g, x, w, mean, rstd, stat_stride, groups, gx, gw, gb, training, N, C, L):
    """Statistic (n, group) is at ``n * stat_stride + group``: stat_stride 0 for batch norm (one
    per channel, groups == C), ``groups`` for group norm. grad_input only for batch norm."""
    buf = block_buffer()
    cg = C // groups
    count = N * L
    for c in range(cuda.blockIdx.x, C, cuda.gridDim.x):
        grp = c // cg
        sum_g = 0.0
        sum_gd = 0.0                     # sum of g * (x - mean) * rstd
        for e in range(cuda.threadIdx.x, count, cuda.blockDim.x):
            o, n, _ = _at(e, 0, c, 1, C, L)
            st = n * stat_stride + grp
            sum_g += g[o]
            sum_gd += g[o] * (x[o] - mean[st]) * rstd[st]
        sum_g, sum_gd = block_sum2(sum_g, sum_gd, buf)
        if cuda.threadIdx.x == 0:
            if gb.size:
                gb[c] = sum_g
            if gw.size:
                gw[c] = sum_gd
        if gx.size == 0:
            continue
        m = mean[grp]
        invstd = rstd[grp]
        scale = (w[c] if w.size else 1.0) * invstd
        mg = sum_g / count if training else 0.0
        k = sum_gd * invstd / count if training else 0.0
        for e in range(cuda.threadIdx.x, count, cuda.blockDim.x):
            o = _at(e, 0, c, 1, C, L)[0]
            gx[o] = scale * (g[o] - mg - (x[o] - m) * k)


@cuda.jit
def _group_bwd_input(g, x, w, mean, rstd, gx, N, C, L, groups):
    buf = block_buffer()
    cg = C // groups
    count = cg * L
    for s in range(cuda.blockIdx.x, N * groups, cuda.gridDim.x):
        n, c0 = s // groups, (s % groups) * cg
        sum_gw = 0.0                     # sum of g * w
        sum_gwd = 0.0                    # sum of g * w * (x - mean)
        for e in range(cuda.threadIdx.x, count, cuda.blockDim.x):
            o, _, c = _at(e, n, c0, cg, C, L)
            gw = g[o] * (w[c] if w.size else 1.0)
            sum_gw += gw
            sum_gwd += gw * (x[o] - mean[s])
        sum_gw, sum_gwd = block_sum2(sum_gw, sum_gwd, buf)
        rstd_s = rstd[s]
        mg = sum_gw / count
        k = sum_gwd * rstd_s * rstd_s / count
        for e in range(cuda.threadIdx.x, count, cuda.blockDim.x):
            o, _, c = _at(e, n, c0, cg, C, L)
            gx[o] = rstd_s * (g[o] * (w[c] if w.size else 1.0) - mg - (x[o] - mean[s]) * k)


# --- launchers ---
def _ncl(x):
    """x's batch, channels and the product of the remaining dims."""
    return x.shape[0], x.shape[1], math.prod(x.shape[2:])


def _arg(a, like):
    """``a``'s elements as a 1-D device array, or an empty one for None. A strided input is read
    through a C-contiguous copy; outputs and running stats are contiguous, so they are themselves."""
    return flat(like)[:0] if a is None else flat(contiguous(a))


@register("batch_norm_forward", "cuda")
def batch_norm_forward(x, weight, bias, running_mean, running_var, out, save_mean, save_invstd,
                       training, momentum, eps):
    N, C, L = _ncl(x)
    _batch_norm_fwd[row_grid(C, N * L)](
        _arg(x, x), _arg(weight, x), _arg(bias, x), _arg(running_mean, x),
        _arg(running_var, x), flat(out), flat(save_mean), flat(save_invstd), N, C, L,
        bool(training), float(momentum or 0.0), float(eps))


@register("batch_norm_backward", "cuda")
def batch_norm_backward(grad, x, weight, save_mean, save_invstd, grad_input, grad_weight,
                        grad_bias, training):
    N, C, L = _ncl(x)
    _channel_bwd[row_grid(C, N * L)](
        _arg(grad, x), _arg(x, x), _arg(weight, x), _arg(save_mean, x), _arg(save_invstd, x), 0, C,
        _arg(grad_input, x), _arg(grad_weight, x), _arg(grad_bias, x), bool(training), N, C, L)


def _group_forward(x, weight, bias, out, mean, rstd, N, C, L, groups, eps):
    _group_norm_fwd[row_grid(N * groups, C // groups * L)](
        _arg(x, x), _arg(weight, x), _arg(bias, x), flat(out), flat(mean), flat(rstd), N, C, L,
        groups, float(eps))


def _group_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias, N, C, L,
                    groups):
    g, xf, w, m, r = _arg(grad, x), _arg(x, x), _arg(weight, x), _arg(mean, x), _arg(rstd, x)
    if grad_input is not None:
        _group_bwd_input[row_grid(N * groups, C // groups * L)](
            g, xf, w, m, r, flat(grad_input), N, C, L, groups)
    if grad_weight is not None or grad_bias is not None:
        _channel_bwd[row_grid(C, N * L)](
            g, xf, w, m, r, groups, groups, _arg(None, x), _arg(grad_weight, x),
            _arg(grad_bias, x), True, N, C, L)


@register("group_norm_forward", "cuda")
def group_norm_forward(x, weight, bias, out, mean, rstd, groups, eps):
    _group_forward(x, weight, bias, out, mean, rstd, *_ncl(x), groups, eps)


@register("group_norm_backward", "cuda")
def group_norm_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias, groups):
    _group_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias, *_ncl(x),
                    groups)


def _rows(x, mean):
    """(rows, features, 1): one group norm sample per row, one channel per feature."""
    rows = mean.size
    return rows, x.size // rows if rows else 0, 1


@register("layer_norm_forward", "cuda")
def layer_norm_forward(x, weight, bias, out, mean, rstd, eps):
    _group_forward(x, weight, bias, out, mean, rstd, *_rows(x, mean), 1, eps)


@register("layer_norm_backward", "cuda")
def layer_norm_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias):
    _group_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias,
                    *_rows(x, mean), 1)
