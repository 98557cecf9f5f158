"""Statistics and sampling: multinomial bincount unique unique_consecutive median nanmedian mode
kthvalue quantile nanquantile.

Order statistics sort each line with the sort kernels (NaN last, as in PyTorch) and pick from
it; the gradient goes to the picked element (global median and nanmedian: shared evenly among
the elements equal to the result, PyTorch's rule). Results whose shape depends on the data
(unique, unique_consecutive, bincount), the draws of multinomial and the run counting of mode
are computed on the host with NumPy, as the index ops do."""
import numpy as np

from .. import _dtype
from .._random import rng
from .._tensor import Tensor
from ..autograd.function import Function
from .elementwise import isnan
from .index import _on, gather
from .reduce import (_Lines, _dims, _line_grad, _public, _return_type, _scatter_back,
                     return_types, sort)
from .reduce import sum as _sum
from .shape import permute, reshape

for _name in ("median", "nanmedian", "mode", "kthvalue"):
    setattr(return_types, _name, _return_type(_name))


# --- sampling and counting on the host -----------------------------------------------------------

def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the rows of ``input`` (unnormalised probabilities). Without replacement
    the k largest p / Exp(1) keys win, PyTorch's algorithm; with it, inverse-CDF draws."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtype.scalar_name(input.dtype)}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n = input.shape[-1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    p = input._host().astype(np.float64).reshape(-1, n)
    if not np.isfinite(p).all() or (p < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = p.sum(1, keepdims=True)
    if (total <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = rng(generator)
    if replacement:
        cdf = np.cumsum(p / total, 1)
        u = g.random((p.shape[0], num_samples))
        last = n - 1 - np.argmax(p[:, ::-1] > 0, 1)           # the last category with p > 0
        out = np.stack([np.searchsorted(c, v, side="right") for c, v in zip(cdf, u)])
        out = np.minimum(out, last[:, None])
    else:
        keys = p / g.exponential(size=p.shape)
        out = np.argsort(-keys, 1, kind="stable")[:, :num_samples]
    return _on(out.astype(np.int64).reshape(input.shape[:-1] + (num_samples,)), input._device)


def bincount(input, weights=None, minlength=0):
    if input.dim() != 1 or input.dtype.is_floating_point or input.dtype is _dtype.bool_ or \
            (input.numel() and input.min().item() < 0):
        if input.dtype.is_floating_point:
            raise NotImplementedError(f'"bincount_cpu" not implemented for '
                                      f"'{_dtype.scalar_name(input.dtype)}'")
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and (weights.dim() != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    w = None if weights is None else weights._host()
    out = np.bincount(input._host(), w, minlength)
    dtype = _dtype.int64 if w is None else weights.dtype if weights.dtype.is_floating_point \
        else _dtype.float64
    return _on(out.astype(dtype.np), input._device)


def _unique_result(values, inverse, counts, device, return_inverse, return_counts):
    out = [_on(np.ascontiguousarray(values), device)]
    if return_inverse:
        out.append(_on(inverse.astype(np.int64), device))
    if return_counts:
        out.append(_on(counts.astype(np.int64), device))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted, whatever ``sorted`` says: PyTorch's CPU result), or the
    distinct slices along ``dim``."""
    a = input._host()
    if dim is None:
        values, inverse, counts = np.unique(a.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)  # as PyTorch
        inverse = inverse.reshape(a.shape)
    else:
        d = input._dim(dim)
        values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
    return _unique_result(values, inverse, counts, input._device, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    a = input._host()
    if dim is None:
        flat = a.reshape(-1)
        a, d = flat, 0
        new = flat[1:] != flat[:-1]
    else:
        d = input._dim(dim)
        moved = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        new = (moved[1:] != moved[:-1]).any(1)
    starts = np.flatnonzero(np.concatenate([[a.shape[d] > 0], new]))
    inverse = np.cumsum(np.concatenate([[0], new])) if a.shape[d] else np.zeros(0, np.int64)
    counts = np.diff(np.append(starts, a.shape[d]))
    if dim is None:
        inverse = inverse.reshape(input.shape)
    return _unique_result(np.take(a, starts, d), inverse, counts, input._device,
                          return_inverse, return_counts)


# --- order statistics: median, nanmedian, kthvalue, mode ------------------------------------------

class Picked(Function):
    """x's elements at ``indices`` (int64, the reduced shape) along the line dim; the gradient
    goes back to those indices."""
    node_name = "KthvalueBackward0"

    @staticmethod
    def forward(ctx, x, lines, indices):
        ctx.lines = lines
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        d = lines.dims[0] if x.dim() else 0
        idx = reshape(indices, lines.keep_shape)
        values = gather(x.detach(), d, idx) if x.dim() else x.detach().clone()
        return reshape(values, lines.out_shape), indices

    @staticmethod
    def backward(ctx, g, g_indices):
        (indices,) = ctx.saved_tensors
        return _scatter_back(ctx, g, indices, 1), None, None


class MedianDim(Picked):
    node_name = "MedianBackward1"


class NanmedianDim(Picked):
    node_name = "NanmedianBackward1"


class ModeDim(Picked):
    node_name = "ModeBackward0"


class MedianAll(Function):
    """The median of every element; ties share the gradient evenly."""
    node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x, value):
        ctx.lines = _Lines(x.shape, tuple(range(x.dim())))
        ctx.save_for_backward(x, value)
        return value

    @staticmethod
    def backward(ctx, g):
        x, value = ctx.saved_tensors
        return _line_grad("extremum", ctx, x, (value, g)), None


class NanmedianAll(MedianAll):
    node_name = "NanmedianBackward0"


def _sorted_pick(x, d, rank):
    """Indices (the reduced shape, keepdim) of the elements of rank ``rank(n, nan_count)`` (host
    int64 per line, NaN sorted last) along ``d``."""
    s = sort(x.detach(), d).indices
    if x.dim() == 0:
        return s
    keep = s.shape[:d] + (1,) + s.shape[d + 1:]
    nans = _sum(isnan(x.detach()), d, keepdim=True)._host() if x.dtype.is_floating_point \
        else np.zeros(keep, np.int64)
    k = np.ascontiguousarray(np.broadcast_to(rank(x.shape[d], nans), keep), np.int64)
    return gather(s, d, _on(k, x._device))


def _median_rank(n, nans):
    return np.where(nans > 0, n - nans, (n - 1) // 2)


def _nanmedian_rank(n, nans):
    return np.maximum((n - nans - 1) // 2, 0)


def _order_statistic(input, dim, keepdim, name, cls, rank):
    d = _dims(input, dim, name)
    if input.dim() and input.shape[d[0]] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d[0]} to have non-zero size.")
    lines = _Lines(input.shape, d, keepdim)
    idx = _sorted_pick(input, d[0] if d else 0, rank)
    return getattr(return_types, name)(*cls.apply(input, lines, reshape(idx, lines.out_shape)))


def _median(name, all_cls, dim_cls, rank):
    def fn(input, dim=None, keepdim=False):
        if dim is not None:
            return _order_statistic(input, dim, keepdim, name, dim_cls, rank)
        if input.numel() == 0:
            return _on(np.array(np.nan, input.dtype.np), input._device)
        flat = reshape(input.detach(), (-1,))
        value = gather(flat, 0, _sorted_pick(flat, 0, rank)).reshape(())
        return all_cls.apply(input, value)
    fn.__name__ = name
    return fn


median = _median("median", MedianAll, MedianDim, _median_rank)
nanmedian = _median("nanmedian", NanmedianAll, NanmedianDim, _nanmedian_rank)


def kthvalue(input, k, dim=-1, keepdim=False):
    d = _dims(input, dim, "kthvalue")
    n = input.shape[d[0]] if input.dim() else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension "
                           f"{d[0] if d else 0}")
    return _order_statistic(input, dim, keepdim, "kthvalue", Picked,
                            lambda n, nans: np.full(nans.shape, k - 1))


def mode(input, dim=-1, keepdim=False):
    """The most frequent value of each line (the smallest among equally frequent ones) and the
    index of its last occurrence, as PyTorch's CPU kernel; counted on the host."""
    d = _dims(input, dim, "mode")
    d = d[0] if d else 0
    if input.dim() and input.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    a = np.moveaxis(np.atleast_1d(input._host()), d, -1)
    lines = a.reshape(-1, a.shape[-1])
    idx = np.empty(lines.shape[0], np.int64)
    for r, line in enumerate(lines):
        values, counts = np.unique(line, return_counts=True)
        best = values[np.argmax(counts)]
        idx[r] = line.size - 1 - np.flatnonzero(line[::-1] == best)[0]
    ls = _Lines(input.shape, (d,) if input.dim() else (), keepdim)
    indices = _on(idx.reshape(ls.out_shape), input._device)
    return return_types.mode(*ModeDim.apply(input, ls, indices))


# --- quantile, nanquantile -----------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    """PyTorch names quantile() in nanquantile's errors too."""
    scalar_q = not isinstance(q, Tensor)
    if not input.dtype.is_floating_point:
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if not scalar_q:
        if q.dim() > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        scalar_q = q.dim() == 0
    qs = np.atleast_1d(q._host() if isinstance(q, Tensor) else np.float64(q)).astype(np.float64)
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    bad = qs[(qs < 0) | (qs > 1) | np.isnan(qs)]
    if bad.size:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {bad[0]:g}" if
                           scalar_q else "quantile() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    x = reshape(input, (-1,)) if dim is None else input
    d = _dims(x, 0 if dim is None else dim, "quantile")[0] if x.dim() else 0
    x = reshape(x, (1,)) if x.dim() == 0 else x
    order = tuple(i for i in range(x.dim()) if i != d) + (d,)
    x = permute(x, order)                                   # the reduced dim last
    values = sort(x, -1).values
    n = x.shape[-1]
    nans = _sum(isnan(x.detach()), -1, keepdim=True)._host()
    valid = n - nans if ignore_nan else np.where(nans > 0, 1, n)   # quantile: NaN lines pick n-1
    ranks = qs * np.maximum(valid - 1, 0) + (0 if ignore_nan else np.where(nans > 0, n - 1, 0))
    ranks = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}.get(
        interpolation, lambda r: r)(ranks)
    lo, hi = np.floor(ranks).astype(np.int64), np.ceil(ranks).astype(np.int64)
    below = gather(values, -1, _on(lo, x._device))
    result = below
    if interpolation in ("linear", "midpoint"):
        above = gather(values, -1, _on(hi, x._device))
        w = np.full(ranks.shape, 0.5) if interpolation == "midpoint" else ranks - lo
        result = below + _on(w.astype(x.dtype.np), x._device) * (above - below)
    result = permute(result, (result.dim() - 1,) + tuple(range(result.dim() - 1)))  # q first
    if keepdim:
        shape = (1,) * input.dim() if dim is None else tuple(
            1 if i == d else s for i, s in enumerate(input.shape))
        result = reshape(result, (len(qs),) + shape)
    elif dim is None:
        result = reshape(result, (len(qs),))
    return reshape(result, result.shape[1:]) if scalar_q else result


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile(input, q, dim, keepdim, interpolation, True)


METHODS = {f.__name__: _public(f) for f in (median, nanmedian, mode, kthvalue, quantile,
                                            nanquantile)}
METHODS.update(multinomial=multinomial, bincount=bincount, unique=unique,
               unique_consecutive=unique_consecutive)
FUNCTIONS = dict(METHODS)
