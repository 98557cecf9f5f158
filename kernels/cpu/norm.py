"""Normalization kernels: batch norm (per channel over batch and space), group norm (per sample and
group of channels) and layer norm, which is group norm with one group on (rows, features, 1) and a
per-feature affine. Inputs are viewed as (N, C, L); statistics are accumulated in float64.

Launchers (arrays C-contiguous and of one float dtype; a ``weight``/``bias`` or running stat may be
None, as may the gradients nobody needs):
  batch_norm_forward(x, weight, bias, running_mean, running_var, out, save_mean, save_invstd,
                     training, momentum, eps)
      training: batch statistics (biased var) normalize; running stats, when given, move by
      ``momentum`` towards the mean and the unbiased var. Eval: running stats normalize.
      Either way save_mean/save_invstd (C,) receive the statistics used.
  batch_norm_backward(grad, x, weight, save_mean, save_invstd, grad_input, grad_weight, grad_bias,
                      training)
  group_norm_forward(x, weight, bias, out, mean, rstd, groups, eps)          mean, rstd: (N, groups)
  group_norm_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias, groups)
  layer_norm_forward(x, weight, bias, out, mean, rstd, eps)           mean, rstd: one per row
  layer_norm_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias)
"""
import math

import numpy as np
from numba import njit

from ..registry import register


@njit(cache=True, inline="always")
def _moments(x, n0, n1, c0, c1):
    """Mean and biased variance of x[n0:n1, c0:c1, :] (two passes, float64)."""
    count = (n1 - n0) * (c1 - c0) * x.shape[2]
    if count == 0:
        return 0.0, 0.0
    s = 0.0
    for n in range(n0, n1):
        for c in range(c0, c1):
            for j in range(x.shape[2]):
                s += x[n, c, j]
    mean = s / count
    ss = 0.0
    for n in range(n0, n1):
        for c in range(c0, c1):
            for j in range(x.shape[2]):
                d = x[n, c, j] - mean
                ss += d * d
    return mean, ss / count


@njit(cache=True, inline="always")
def _running(rmean, rvar, mean, var, count, momentum):
    """Running mean and var moved by ``momentum`` towards the batch mean and the unbiased var of
    ``count`` > 0 elements; the CUDA kernel calls it too."""
    unbiased = var * count / (count - 1) if count > 1 else math.nan
    return (1.0 - momentum) * rmean + momentum * mean, (1.0 - momentum) * rvar + momentum * unbiased


@njit(cache=True)
def batch_norm_fwd_k(x, w, b, rmean, rvar, out, smean, sinvstd, training, update, momentum, eps):
    N, C, L = x.shape
    count = N * L
    for c in range(C):
        if training:
            mean, var = _moments(x, 0, N, c, c + 1)
            if update and count > 0:
                rmean[c], rvar[c] = _running(rmean[c], rvar[c], mean, var, count, momentum)
        else:
            mean, var = rmean[c], rvar[c]
        invstd = 1.0 / math.sqrt(var + eps)
        smean[c] = mean
        sinvstd[c] = invstd
        scale = invstd * w[c]
        shift = b[c] - mean * scale
        for n in range(N):
            for j in range(L):
                out[n, c, j] = x[n, c, j] * scale + shift


@njit(cache=True)
def batch_norm_bwd_k(g, x, w, smean, sinvstd, gx, gw, gb, training, need_input):
    N, C, L = x.shape
    count = N * L
    for c in range(C):
        mean = smean[c]
        invstd = sinvstd[c]
        sum_g = 0.0
        sum_gd = 0.0                     # sum of g * (x - mean)
        for n in range(N):
            for j in range(L):
                sum_g += g[n, c, j]
                sum_gd += g[n, c, j] * (x[n, c, j] - mean)
        gb[c] = sum_g
        gw[c] = sum_gd * invstd
        if not need_input:
            continue
        scale = w[c] * invstd
        mg = sum_g / count if training else 0.0
        k = sum_gd * invstd * invstd / count if training else 0.0
        for n in range(N):
            for j in range(L):
                gx[n, c, j] = scale * (g[n, c, j] - mg - (x[n, c, j] - mean) * k)


@njit(cache=True)
def group_norm_fwd_k(x, w, b, out, smean, srstd, groups, eps):
    N, C, L = x.shape
    cg = C // groups
    for n in range(N):
        for gi in range(groups):
            c0 = gi * cg
            mean, var = _moments(x, n, n + 1, c0, c0 + cg)
            rstd = 1.0 / math.sqrt(var + eps)
            smean[n, gi] = mean
            srstd[n, gi] = rstd
            for c in range(c0, c0 + cg):
                scale = rstd * w[c]
                shift = b[c] - mean * scale
                for j in range(L):
                    out[n, c, j] = x[n, c, j] * scale + shift


@njit(cache=True)
def group_norm_bwd_k(g, x, w, smean, srstd, gx, gw, gb, groups, need_input):
    N, C, L = x.shape
    cg = C // groups
    count = cg * L
    gw[:] = 0
    gb[:] = 0
    for n in range(N):
        for gi in range(groups):
            c0 = gi * cg
            mean = smean[n, gi]
            rstd = srstd[n, gi]
            sum_gw = 0.0                 # sum of g * w
            sum_gwd = 0.0                # sum of g * w * (x - mean)
            for c in range(c0, c0 + cg):
                sg = 0.0
                sgd = 0.0
                for j in range(L):
                    sg += g[n, c, j]
                    sgd += g[n, c, j] * (x[n, c, j] - mean)
                gb[c] += sg
                gw[c] += sgd * rstd
                sum_gw += sg * w[c]
                sum_gwd += sgd * w[c]
            if not need_input:
                continue
            mg = sum_gw / count
            k = sum_gwd * rstd * rstd / count
            for c in range(c0, c0 + cg):
                for j in range(L):
                    gx[n, c, j] = rstd * (g[n, c, j] * w[c] - mg - (x[n, c, j] - mean) * k)


# --- launchers ---
def _ncl(a, n, c):
    return a.reshape(n, c, -1)


def _or(a, fill, n, like):
    """``a``, or a length-``n`` array of ``fill`` standing in for an absent weight/bias/gradient."""
    return a.reshape(-1) if a is not None else np.full(n, fill, like.dtype)


def _grad_input(gx, shape, like):
    return (gx.reshape(shape), True) if gx is not None else (np.empty((0, 0, 0), like.dtype), False)


@register("batch_norm_forward", "cpu")
def batch_norm_forward(x, weight, bias, running_mean, running_var, out, save_mean, save_invstd,
                       training, momentum, eps):
    n, c = x.shape[0], x.shape[1]
    update = running_mean is not None
    rmean = running_mean if update else np.empty(0, x.dtype)
    rvar = running_var if update else np.empty(0, x.dtype)
    batch_norm_fwd_k(_ncl(x, n, c), _or(weight, 1, c, x), _or(bias, 0, c, x), rmean, rvar,
                     _ncl(out, n, c), save_mean, save_invstd, bool(training), update,
                     float(momentum or 0.0), float(eps))


@register("batch_norm_backward", "cpu")
def batch_norm_backward(grad, x, weight, save_mean, save_invstd, grad_input, grad_weight, grad_bias,
                        training):
    n, c = x.shape[0], x.shape[1]
    x3 = _ncl(x, n, c)
    gx, need = _grad_input(grad_input, x3.shape, x)
    batch_norm_bwd_k(_ncl(grad, n, c), x3, _or(weight, 1, c, x), save_mean, save_invstd, gx,
                     _or(grad_weight, 0, c, x), _or(grad_bias, 0, c, x), bool(training), need)


@register("group_norm_forward", "cpu")
def group_norm_forward(x, weight, bias, out, mean, rstd, groups, eps):
    n, c = x.shape[0], x.shape[1]
    group_norm_fwd_k(_ncl(x, n, c), _or(weight, 1, c, x), _or(bias, 0, c, x), _ncl(out, n, c),
                     mean.reshape(n, groups), rstd.reshape(n, groups), groups, float(eps))


@register("group_norm_backward", "cpu")
def group_norm_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias, groups):
    n, c = x.shape[0], x.shape[1]
    x3 = _ncl(x, n, c)
    gx, need = _grad_input(grad_input, x3.shape, x)
    group_norm_bwd_k(_ncl(grad, n, c), x3, _or(weight, 1, c, x), mean.reshape(n, groups),
                     rstd.reshape(n, groups), gx, _or(grad_weight, 0, c, x),
                     _or(grad_bias, 0, c, x), groups, need)


def _rows(x, mean):
    """x as (rows, features, 1): one group norm sample per row, one channel per feature."""
    rows = mean.size
    return x.reshape(rows, x.size // rows if rows else 0, 1)


@register("layer_norm_forward", "cpu")
def layer_norm_forward(x, weight, bias, out, mean, rstd, eps):
    x3 = _rows(x, mean)
    k = x3.shape[1]
    group_norm_fwd_k(x3, _or(weight, 1, k, x), _or(bias, 0, k, x), out.reshape(x3.shape),
                     mean.reshape(-1, 1), rstd.reshape(-1, 1), 1, float(eps))


@register("layer_norm_backward", "cpu")
def layer_norm_backward(grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias):
    x3 = _rows(x, mean)
    k = x3.shape[1]
    gx, need = _grad_input(grad_input, x3.shape, x)
    group_norm_bwd_k(grad.reshape(x3.shape), x3, _or(weight, 1, k, x), mean.reshape(-1, 1),
                     rstd.reshape(-1, 1), gx, _or(grad_weight, 0, k, x), _or(grad_bias, 0, k, x), 1,
                     need)
