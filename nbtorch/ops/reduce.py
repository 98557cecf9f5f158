"""Reductions, scans and sorts with PyTorch's gradients: sum mean prod max min amax amin argmax
argmin var std norm logsumexp cumsum cumprod all any histc topk sort argsort.

Every kernel sees its input as contiguous (outer, n, inner) lines and works along the middle axis
(``_Lines``): the reduced dims are merged into n, after moving them next to each other when they
are not already adjacent.
"""
import math
import numbers
import types
import warnings

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import cast, new
from .elementwise import (_type_name, _write_out, clamp, exp, isfinite, log, maximum, minimum,
                          ne, where)
from .shape import (broadcast_tensors, expand, numpy_kwargs, permute, rename_numpy_kwargs,
                    reshape)

_KERNEL_DTYPES = (_dtype.float32, _dtype.float64, _dtype.int64)


# --- the (outer, n, inner) view of a reduction --------------------------------------------------

class _Lines:
    """How ``shape`` is seen as (outer, n, inner) lines to reduce over the sorted ``dims``."""

    def __init__(self, shape, dims, keepdim=False):
        self.in_shape = tuple(shape)
        self.dims = dims
        kept = [d for d in range(len(shape)) if d not in dims]
        size = lambda ds: math.prod(shape[d] for d in ds)
        if not dims or dims == tuple(range(dims[0], dims[-1] + 1)):
            lo, hi = (dims[0], dims[-1] + 1) if dims else (0, 0)
            self.order = None
            self.shape = (size(range(lo)), size(dims), size(range(hi, len(shape))))
        else:
            self.order = tuple(kept) + dims
            self.shape = (size(kept), size(dims), 1)
        self.keep_shape = tuple(1 if d in dims else s for d, s in enumerate(shape))
        self.out_shape = self.keep_shape if keepdim else tuple(shape[d] for d in kept)
        self.rows = (self.shape[0], self.shape[2])

    def of(self, t):
        """t's data as contiguous (outer, n, inner)."""
        if self.order is not None:
            t = permute(t, self.order)
        return t.contiguous()._data.reshape(self.shape)

    def rows_of(self, t):
        """A reduced tensor (out_shape) as contiguous (outer, inner)."""
        return t.contiguous()._data.reshape(self.rows)

    def back(self, lines, device):
        """(outer, n, inner) data back into a tensor of the input's shape and dim order."""
        if self.order is None:
            return Tensor._wrap(lines.reshape(self.in_shape), device)
        t = Tensor._wrap(lines.reshape([self.in_shape[d] for d in self.order]), device)
        return permute(t, tuple(sorted(range(len(self.order)), key=self.order.__getitem__)))

    def spread(self, g):
        """A gradient of the reduced shape, broadcast back over the input's shape."""
        return expand(reshape(g, self.keep_shape), self.in_shape)


def _dims(x, dim, name):
    """``dim`` (None, int or sequence; None and () mean every dim) as sorted wrapped dims."""
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        return tuple(range(x.dim()))
    dims = list(dim) if isinstance(dim, (tuple, list)) else [dim]
    for d in dims:
        if not isinstance(d, numbers.Integral) or isinstance(d, bool):
            raise TypeError(f"{name}(): argument 'dim' must be tuple of ints, not "
                            f"{type(d).__name__}")
    wrapped = [x._dim(d) for d in dims]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(wrapped)) if x.dim() else ()


def _reduce(op, x, lines, dtype, *params):
    """Launch ``<op>_forward`` from x's lines into a new tensor of lines.out_shape."""
    out = new(lines.out_shape, dtype, x._device)
    if out.numel():
        lookup(f"{op}_forward", x._device.type)(lines.of(x), out._data.reshape(lines.rows),
                                                 *params)
    return out


def _line_grad(op, ctx, x, rows=(), params=()):
    """Launch ``<op>_backward``(x lines, *rows as (outer, inner), grad_input lines, *params);
    returns grad_input in x's shape."""
    lines = ctx.lines
    gx = new(lines.shape, x.dtype, x._device)._data
    lookup(f"{op}_backward", x._device.type)(lines.of(x), *map(lines.rows_of, rows), gx, *params)
    return lines.back(gx, x._device)


def _via_int64(x):
    """x in a dtype the kernels take: bool and small ints compute as int64."""
    return x if x.dtype in _KERNEL_DTYPES else cast(x, _dtype.int64)


def _float_only(x, message):
    if not x.dtype.is_floating_point:
        raise RuntimeError(message)


# --- sum, mean, prod ----------------------------------------------------------------------------

class Sum(Function):
    node_name = "SumBackward0"
    op = "sum"

    @classmethod
    def forward(cls, ctx, x, lines):
        ctx.lines = lines
        return _reduce(cls.op, x, lines, x.dtype)

    @staticmethod
    def backward(ctx, g):
        return ctx.lines.spread(g), None


class SumDim(Sum):
    node_name = "SumBackward1"


class Mean(Sum):
    node_name = "MeanBackward0"
    op = "mean"

    @staticmethod
    def backward(ctx, g):
        return ctx.lines.spread(g / (ctx.lines.shape[1] or 1)), None


class MeanDim(Mean):
    node_name = "MeanBackward1"


class Prod(Function):
    node_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, x, lines):
        ctx.lines = lines
        ctx.save_for_backward(x)
        return _reduce("prod", x, lines, x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _line_grad("prod", ctx, x, (g,)), None


class ProdDim(Prod):
    node_name = "ProdBackward1"


def _sum_dtype(x, dtype):
    if dtype is not None:
        return x.to(dtype)
    return x if x.dtype.is_floating_point else cast(x, _dtype.int64)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    x = _sum_dtype(input, dtype)
    lines = _Lines(x.shape, _dims(x, dim, "sum"), keepdim)
    return (Sum if dim is None else SumDim).apply(x, lines)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    which = "Input" if dtype is None else "Optional"
    x = input if dtype is None else input.to(dtype)
    _float_only(x, f"mean(): could not infer output dtype. {which} dtype must be either a "
                   f"floating point or complex dtype. Got: {_type_name(x.dtype)}")
    lines = _Lines(x.shape, _dims(x, dim, "mean"), keepdim)
    return (Mean if dim is None else MeanDim).apply(x, lines)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is not None and not isinstance(dim, numbers.Integral):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    x = _sum_dtype(input, dtype)
    lines = _Lines(x.shape, _dims(x, dim, "prod"), keepdim)
    return (Prod if dim is None else ProdDim).apply(x, lines)


# --- max, min, amax, amin, argmax, argmin -------------------------------------------------------

def _return_type(name):
    """PyTorch's named (values, indices) tuples, e.g. ``torch.return_types.max``."""
    def __new__(cls, values, indices=None):
        return tuple.__new__(cls, (values, indices) if indices is not None else values)

    def __repr__(self):
        return f"torch.return_types.{name}(\nvalues={self[0]!r},\nindices={self[1]!r})"
    return type(name, (tuple,), {"__new__": __new__, "__repr__": __repr__, "__slots__": (),
                                 "n_fields": 2, "n_sequence_fields": 2,
                                 "values": property(lambda self: self[0]),
                                 "indices": property(lambda self: self[1])})


return_types = types.SimpleNamespace(**{n: _return_type(n) for n in ("max", "min", "sort", "topk")})


class Amax(Function):
    """The extremum over whole lines; ties share the gradient evenly (PyTorch's rule)."""
    node_name = "AmaxBackward0"
    op = "amax"

    @classmethod
    def forward(cls, ctx, x, lines):
        ctx.lines = lines
        out = _reduce(cls.op, _via_int64(x), lines, _via_int64(x).dtype)
        ctx.save_for_backward(x, out)
        return cast(out, x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _line_grad("extremum", ctx, x, (out, g)), None


class Amin(Amax):
    node_name = "AminBackward0"
    op = "amin"


class MaxAll(Amax):
    node_name = "MaxBackward1"


class MinAll(Amin):
    node_name = "MinBackward1"


def _values_indices(op, ctx, x, shape, rows, *params):
    """Launch ``<op>_forward`` from x's lines (ctx.lines) into new values and int64 indices of
    ``shape``, seen by the kernel as ``rows``; saves the indices for the backward."""
    k = _via_int64(x)
    values = new(shape, k.dtype, x._device)
    indices = new(shape, _dtype.int64, x._device)
    if values.numel():
        lookup(f"{op}_forward", x._device.type)(ctx.lines.of(k), values._data.reshape(rows),
                                                 indices._data.reshape(rows), *params)
    ctx.save_for_backward(indices)
    ctx.mark_non_differentiable(indices)
    return cast(values, x.dtype), indices


class MaxDim(Function):
    """max/min along one dim: (values, indices); the gradient goes to the index."""
    node_name = "MaxBackward0"
    op = "max"

    @classmethod
    def forward(cls, ctx, x, lines):
        ctx.lines = lines
        return _values_indices(cls.op, ctx, x, lines.out_shape, lines.rows)

    @staticmethod
    def backward(ctx, g, g_indices):
        (indices,) = ctx.saved_tensors
        return _scatter_back(ctx, g, indices, 1), None


class MinDim(MaxDim):
    node_name = "MinBackward0"
    op = "min"


def _scatter_back(ctx, g, indices, m):
    """take_along_dim_backward: grad and indices as (outer, m, inner) into the input's lines."""
    lines = ctx.lines
    shape = (lines.shape[0], m, lines.shape[2])
    gx = new(lines.shape, g.dtype, g._device)._data
    lookup("take_along_dim_backward", g._device.type)(
        g.contiguous()._data.reshape(shape), indices.contiguous()._data.reshape(shape), gx)
    return lines.back(gx, g._device)


def _check_nonempty(x, name, dims, whole):
    """PyTorch's errors for an extremum over an empty input."""
    if whole and x.numel() == 0:
        tail = " Specify the reduction dim with the 'dim' argument." if name != "argmax" and \
            name != "argmin" else ""
        exc = IndexError if name in ("argmax", "argmin") else RuntimeError
        raise exc(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.{tail}")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _extremum(name, all_cls, dim_cls, elementwise):
    def fn(input, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return elementwise(input, dim)
        if dim is None:
            _check_nonempty(input, name, (), True)
            return all_cls.apply(input, _Lines(input.shape, tuple(range(input.dim()))))
        dims = _dims(input, dim, name)
        _check_nonempty(input, name, dims, False)
        return getattr(return_types, name)(*dim_cls.apply(input, _Lines(input.shape, dims,
                                                                         keepdim)))
    fn.__name__ = name
    return fn


max = _extremum("max", MaxAll, MaxDim, maximum)
min = _extremum("min", MinAll, MinDim, minimum)


def _amax(name, cls):
    def fn(input, dim=(), keepdim=False):
        dims = _dims(input, dim, name)
        _check_nonempty(input, name, dims, dims == tuple(range(input.dim())))
        return cls.apply(input, _Lines(input.shape, dims, keepdim))
    fn.__name__ = name
    return fn


amax = _amax("amax", Amax)
amin = _amax("amin", Amin)


def _arg(name):
    def fn(input, dim=None, keepdim=False):
        x = _via_int64(input)
        dims = tuple(range(x.dim())) if dim is None else _dims(x, dim, name)
        _check_nonempty(x, name, () if dim is None else dims, dim is None)
        return _reduce(name, x.detach(), _Lines(x.shape, dims, keepdim), _dtype.int64)
    fn.__name__ = name
    return fn


argmax = _arg("argmax")
argmin = _arg("argmin")


# --- var, std, norm, logsumexp --------------------------------------------------------------------

class Var(Function):
    """A reduction with one scalar parameter (var, std: the correction; norm: p)."""
    node_name = "VarBackward0"
    op = "var"

    @classmethod
    def forward(cls, ctx, x, lines, param):
        ctx.lines, ctx.param = lines, param
        out = _reduce(cls.op, x, lines, x.dtype, param)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, _ = ctx.saved_tensors
        return _line_grad("var", ctx, x, (g,), (ctx.param,)), None, None


class Std(Var):
    """std and norm, whose backward kernels also read the result."""
    node_name = "StdBackward0"
    op = "std"

    @classmethod
    def backward(cls, ctx, g):
        x, out = ctx.saved_tensors
        return _line_grad(cls.op, ctx, x, (out, g), (ctx.param,)), None, None


class Norm(Std):
    node_name = "LinalgVectorNormBackward0"
    op = "norm"


def _moment(cls):
    name = cls.op

    def fn(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):               # the var(unbiased) overload
            dim, unbiased = None, dim
        _float_only(input, "std and var only support floating point and complex dtypes")
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        lines = _Lines(input.shape, _dims(input, dim, name), keepdim)
        if lines.shape[1] - correction <= 0:
            warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the reduction factor (input numel divided by output numel).",
                          stacklevel=2)
        return cls.apply(input, lines, correction)
    fn.__name__ = name
    return fn


var = _moment(Var)
std = _moment(Std)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over ``dim`` (all dims by default); "fro" is p=2."""
    x = input if dtype is None else input.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_type_name(x.dtype)}")
    if isinstance(p, str) and not (p == "fro" and (not isinstance(dim, (tuple, list))
                                                   or len(dim) <= 2)):
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        dims = range(x.dim()) if dim is None else dim
        if len(dims) != 2:
            raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                               + " ".join(map(str, dims)))
        raise NotImplementedError("nbtorch: the nuclear norm is not implemented")
    p = 2.0 if p is None or p == "fro" else float(p)
    return Norm.apply(x, _Lines(x.shape, _dims(x, dim, "norm"), keepdim), p)


class LogSumExp(Function):
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, lines):
        ctx.lines = lines
        m = amax(x, lines.dims, keepdim=True)
        m = where(isfinite(m), m, 0.0)
        out = log(sum(exp(x - m), lines.dims, keepdim=True)) + m
        ctx.save_for_backward(x, out)
        return reshape(out, lines.out_shape)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return reshape(g, ctx.lines.keep_shape) * exp(x - out), None


def logsumexp(input, dim, keepdim=False):
    x = input if input.dtype.is_floating_point else cast(input, _dtype.get_default_dtype())
    return LogSumExp.apply(x, _Lines(x.shape, _dims(x, dim, "logsumexp"), keepdim))


# --- cumsum, cumprod --------------------------------------------------------------------------

def _scan_forward(op, x, lines):
    """Launch ``<op>_forward`` from x's lines into a new tensor of x's shape."""
    out = new(x.shape, x.dtype, x._device)
    if out.numel():
        lookup(f"{op}_forward", x._device.type)(lines.of(x), out._data.reshape(lines.shape))
    return out


class Cumsum(Function):
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, lines):
        ctx.lines = lines
        return _scan_forward("cumsum", x, lines)

    @staticmethod
    def backward(ctx, g):
        gx = new(ctx.lines.shape, g.dtype, g._device)._data
        lookup("cumsum_backward", g._device.type)(ctx.lines.of(g), gx)
        return ctx.lines.back(gx, g._device), None


class Cumprod(Function):
    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, lines):
        ctx.lines = lines
        out = _scan_forward("cumprod", x, lines)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        lines = ctx.lines
        gx = new(lines.shape, x.dtype, x._device)._data
        lookup("cumprod_backward", x._device.type)(lines.of(x), lines.of(out), lines.of(g), gx)
        return lines.back(gx, x._device), None


def _scan(cls):
    def fn(input, dim, *, dtype=None):
        x = _sum_dtype(input, dtype)
        return cls.apply(x, _Lines(x.shape, _dims(x, dim, cls.__name__.lower())))
    fn.__name__ = cls.__name__.lower()
    return fn


cumsum = _scan(Cumsum)
cumprod = _scan(Cumprod)


# --- all, any, histc ----------------------------------------------------------------------------

def _logical(name):
    def fn(input, dim=None, keepdim=False):
        x = cast(input, _dtype.bool_)
        out = _reduce(name, x, _Lines(x.shape, _dims(x, dim, name), keepdim), _dtype.bool_)
        return cast(out, _dtype.uint8) if input.dtype is _dtype.uint8 else out
    fn.__name__ = name
    return fn


all = _logical("all")
any = _logical("any")


def histc(input, bins=100, min=0, max=0):
    """Counts in ``bins`` equal bins over [min, max] (the data's range when min == max)."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"histogram_cpu" not implemented for '
                                  f"'{_type_name(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and input.numel():
        lo, hi = amin(input.detach()).item(), amax(input.detach()).item()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    out = new((bins,), input.dtype, input._device)
    lookup("histc_forward", input._device.type)(input.detach().contiguous()._data.reshape(-1),
                                                 out._data, lo, hi)
    return out


# --- sort, argsort, topk --------------------------------------------------------------------------

class Sort(Function):
    """Sorted values and their indices along one dim (stable); the gradient scatters back."""
    node_name = "SortBackward0"
    op = "sort"

    @classmethod
    def forward(cls, ctx, x, lines, k, descending):
        ctx.lines, ctx.k = lines, k
        shape = list(x.shape)
        if shape:
            shape[lines.dims[0]] = k
        return _values_indices(cls.op, ctx, x, shape, (lines.shape[0], k, lines.shape[2]),
                               descending)

    @staticmethod
    def backward(ctx, g, g_indices):
        (indices,) = ctx.saved_tensors
        return _scatter_back(ctx, g, indices, ctx.k), None, None, None


class Topk(Sort):
    node_name = "TopkBackward0"
    op = "topk"


def sort(input, dim=-1, descending=False, stable=False):
    lines = _Lines(input.shape, _dims(input, dim, "sort"))
    return return_types.sort(*Sort.apply(input, lines, lines.shape[1], descending))


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):
    lines = _Lines(input.shape, _dims(input, dim, "topk"))
    if not 0 <= k <= lines.shape[1]:
        raise RuntimeError("selected index k out of range")
    return return_types.topk(*Topk.apply(input, lines, k, largest))


# --- composed: count_nonzero, normalize, cosine_similarity ---------------------------------------

def count_nonzero(input, dim=None):
    return sum(ne(input, 0), dim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(norm(input, p, dim), eps), as PyTorch's (whose gradient is DivBackward0)."""
    result = input / expand(clamp(norm(input, p, dim, keepdim=True), min=eps), input.shape)
    return result if out is None else _write_out(result, out, "normalize")


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) along ``dim``, PyTorch's formula."""
    x1, x2 = broadcast_tensors(x1, x2)
    n1 = clamp(norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = clamp(norm(x2, 2, dim, keepdim=True), min=eps)
    return sum((x1 / n1) * (x2 / n2), dim)


def _public(fn, numpy_names=True):
    """``fn`` as torch.<name> and Tensor.<name>: with ``out=`` (a tensor, or a (values, indices)
    pair where it returns one) and NumPy's keyword names (rename_numpy_kwargs)."""
    def wrapper(*args, **kwargs):
        if not kwargs:
            return fn(*args)
        if numpy_names:
            rename_numpy_kwargs(kwargs, fn.__name__)
        out = kwargs.pop("out", None)
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if isinstance(result, tuple):
            return type(result)(*(_write_out(r, o, fn.__name__) for r, o in zip(result, out)))
        return _write_out(result, out, fn.__name__)
    wrapper.__name__ = wrapper.__qualname__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


METHODS = {f.__name__: _public(f) for f in (
    sum, mean, prod, max, min, amax, amin, argmax, argmin, var, std, logsumexp, cumsum, cumprod,
    all, any, sort, argsort, topk, count_nonzero)}
METHODS.update(norm=_public(norm, numpy_names=False), histc=histc)  # Tensor.norm: no NumPy names
FUNCTIONS = {**METHODS, "var_mean": numpy_kwargs(var_mean), "std_mean": numpy_kwargs(std_mean),
             "return_types": return_types,
             "cosine_similarity": numpy_kwargs(cosine_similarity)}
