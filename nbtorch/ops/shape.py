"""Shape ops. Views share the input's data and version counter (numpy views on the CPU)."""
import functools
import math
import warnings

import numpy as np

from .. import _dtype
from .._storage import from_host
from .._tensor import Tensor, _owner
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import device_of, new, broadcast_shapes
from .elementwise import _check_inplace, _inplace_method, _type_name, _write_out, where

_NUMPY_NAMES = (("axis", "dim"), ("keepdims", "keepdim"))


def rename_numpy_kwargs(kwargs, fn_name):
    """NumPy's keyword names in ``kwargs`` replaced by PyTorch's, as PyTorch's argument parser
    does: ``axis`` for ``dim`` and ``keepdims`` for ``keepdim``."""
    for alias, name in _NUMPY_NAMES:
        if alias in kwargs:
            if name in kwargs:
                raise TypeError(f"{fn_name}() got an unexpected keyword argument '{alias}'")
            kwargs[name] = kwargs.pop(alias)


def numpy_kwargs(fn):
    """``fn`` also taking NumPy's keyword names (rename_numpy_kwargs)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not kwargs:
            return fn(*args)
        rename_numpy_kwargs(kwargs, fn.__name__)
        return fn(*args, **kwargs)
    return wrapper


def _infer_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _sizes(args):
    if len(args) == 1 and not isinstance(args[0], int):
        return tuple(args[0])
    return tuple(args)


class View(Function):
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        try:
            data = np.reshape(x._data, shape, copy=False) if x._device.type == "cpu" else \
                x._data.reshape(*shape)
        except (ValueError, NotImplementedError):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") \
                from None
        return x._view_of(data)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


def view(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], (_dtype.dtype, type)):
        return _view_dtype(x, _dtype.as_dtype(shape[0], "view"))
    return View.apply(x, _infer_shape(_sizes(shape), x.numel()))


def _view_dtype(x, dtype):
    """The same bytes read as ``dtype`` (the last dim rescales when the sizes differ); like
    PyTorch, the result is outside autograd."""
    from .elementwise import _type_name
    if dtype.itemsize != x.dtype.itemsize:
        names = f"{_type_name(x.dtype)} as {_type_name(dtype)} (different element sizes)"
        if x.dim() == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to view {names}")
        if x.stride(-1) != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 to view {names}, but got {x.stride(-1)}")
        ratio = dtype.itemsize // x.dtype.itemsize
        if ratio > 1 and x.shape[-1] % ratio:
            raise RuntimeError(f"self.size(-1) must be divisible by {ratio} to view {names}, but "
                               f"got {x.shape[-1]}")
    v = x.detach()
    v._data = x._data.view(dtype.np)
    return v


def reshape(x, *shape):
    shape = _infer_shape(_sizes(shape), x.numel())
    if not x._data.flags.c_contiguous:
        x = x.clone()
    return View.apply(x, shape)


def view_as(x, other):
    return view(x, other.shape)


def reshape_as(x, other):
    return reshape(x, other.shape)


def flatten(x, start_dim=0, end_dim=-1):
    if x.dim() == 0:
        return reshape(x, 1)
    s, e = x._dim(start_dim), x._dim(end_dim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.shape
    return reshape(x, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(x, dim, sizes):
    d = x._dim(dim)
    sizes = _infer_shape(sizes, x.shape[d])
    return view(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


class Permute(Function):
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x._view_of(x._data.transpose(dims))

    @staticmethod
    def backward(ctx, g):
        return permute(g, tuple(np.argsort(ctx.dims))), None


class Transpose(Permute):
    node_name = "TransposeBackward0"


class T(Permute):
    node_name = "TBackward0"


def permute(x, *dims):
    dims = _sizes(dims)
    if len(dims) != x.dim():
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. input."
                           f"dim() = {x.dim()} is not equal to len(dims) = {len(dims)}")
    dims = tuple(x._dim(d) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(x, dims)


# The view ops with in-place forms (squeeze_, t_, ...) are planned by ``_<op>(x, ...)``, which
# returns the Function and its argument; ``_INPLACE`` names the in-place forms' nodes.

def _transpose(x, dim0, dim1):
    dims = list(range(x.dim()))
    if x.dim() == 0:
        return View, ()
    a, b = x._dim(dim0), x._dim(dim1)
    dims[a], dims[b] = dims[b], dims[a]
    return Transpose, tuple(dims)


def transpose(x, dim0, dim1):
    cls, dims = _transpose(x, dim0, dim1)
    return cls.apply(x, dims)


def _t(x, name="t"):
    if x.dim() > 2:
        raise RuntimeError(f"{name}() expects a tensor with <= 2 dimensions, but self is "
                           f"{x.dim()}D")
    return T, tuple(reversed(range(x.dim())))


def t(x):
    return T.apply(x, _t(x)[1])


def mT(x):
    if x.dim() < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{x.dim()}-D tensor.")
    return transpose(x, -2, -1)


def T_property(x):
    if x.dim() != 2:
        import warnings
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases." if x.dim() == 0 else
                      "The use of `x.T` on tensors of dimension other than 2 to reverse their shape "
                      "is deprecated and it will throw an error in a future release. Consider "
                      "`x.mT` to transpose batches of matrices or `x.permute(*torch.arange(x.ndim "
                      "- 1, -1, -1))` to reverse the dimensions of a tensor.", UserWarning,
                      stacklevel=2)
    return permute(x, tuple(reversed(range(x.dim()))))


class Expand(Function):
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        data = x._data
        return x._view_of(np.broadcast_to(data, shape) if x._device.type == "cpu" else
                          data.broadcast_to(shape))

    @staticmethod
    def backward(ctx, g):
        return g.sum_to_size(ctx.in_shape), None


def expand(x, *sizes):
    sizes = list(_sizes(sizes))
    if len(sizes) < x.dim():
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(x.shape)}}}, size={sizes}): the number "
                           f"of sizes provided ({len(sizes)}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({x.dim()})")
    lead = len(sizes) - x.dim()
    for i, s in enumerate(sizes):
        cur = x.shape[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading,"
                                   f" non-existing dimension {i}")
            sizes[i] = cur
        elif cur is not None and cur != 1 and cur != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size "
                               f"({cur}) at non-singleton dimension {i}.  Target sizes: {sizes}.  "
                               f"Tensor sizes: {list(x.shape)}")
    return Expand.apply(x, tuple(sizes))


def expand_as(x, other):
    return expand(x, other.shape)


def broadcast_to(x, shape):
    return expand(x, shape)


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


class SumToSize(Function):
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        out = new(shape, x.dtype, x._device)
        lookup("sum_to", x._device.type)(x._data, out._data)
        return out

    @staticmethod
    def backward(ctx, g):
        return expand(g, ctx.in_shape), None


def sum_to_size(x, *size):
    size = tuple(_sizes(size))
    if tuple(x.shape) == size:
        return x
    if broadcast_shapes(size, x.shape) != tuple(x.shape):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(x.shape)}}}.")
    return SumToSize.apply(x, size)


class Squeeze(Function):
    node_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x._view_of(x._data.reshape(shape))

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class SqueezeDim(Squeeze):
    node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    node_name = "SqueezeBackward2"


class Unsqueeze(Squeeze):
    node_name = "UnsqueezeBackward0"


def _squeeze(x, dim=None):
    if dim is None:
        return Squeeze, tuple(s for s in x.shape if s != 1)
    many = isinstance(dim, (tuple, list))
    dims = {x._dim(d) for d in (dim if many else (dim,))}
    return (SqueezeDims if many else SqueezeDim), tuple(s for i, s in enumerate(x.shape)
                                                        if not (i in dims and s == 1))


def squeeze(x, dim=None):
    cls, shape = _squeeze(x, dim)
    return cls.apply(x, shape)


def _unsqueeze(x, dim):
    d = x._dim(dim, x.dim() + 1)
    shape = list(x.shape)
    shape.insert(d, 1)
    return Unsqueeze, tuple(shape)


def unsqueeze(x, dim):
    return Unsqueeze.apply(x, _unsqueeze(x, dim)[1])


class Narrow(Function):
    node_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index + (Ellipsis,)   # an array even when 0-dim
        return x._view_of(x._data[ctx.index])

    @staticmethod
    def backward(ctx, g):
        out = g.new_zeros(ctx.in_shape)
        lookup("copy", g._device.type)(g._data, out._data[ctx.index])
        return out, None


def narrow(x, dim, start, length):
    d = x._dim(dim)
    size = x.shape[d]
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return Narrow.apply(x, index)


class Split(Narrow):
    node_name = "SplitBackward0"


def split(x, split_size_or_sections, dim=0):
    d = x._dim(dim)
    size = x.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sections = [min(step, size - i) for i in range(0, size, step)] if size else [0]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sections}")
    out, start = [], 0
    for n in sections:
        out.append(Split.apply(x, (slice(None),) * d + (slice(start, start + n),)))
        start += n
    return tuple(out)


def chunk(x, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = x.shape[x._dim(dim)]
    return split(x, max(1, -(-size // chunks)), dim)


class Select(Narrow):
    node_name = "SelectBackward0"


class Unbind(Function):
    """All the slices along ``dim`` as one node whose backward stacks their gradients (PyTorch's
    UnbindBackward0): one gradient of the input's size, not one zero-filled one per slice. The
    engine passes zeros for slices that got no gradient."""
    node_name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        lead = (slice(None),) * dim
        return tuple(x._view_of(x._data[lead + (i, Ellipsis)]) for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim), None


def unbind(x, dim=0):
    d = x._dim(dim)
    return Unbind.apply(x, d) if x.shape[d] else ()


def select(x, dim, index):
    d = x._dim(dim)
    size = x.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(x.shape)} at dimension {d}")
    return Select.apply(x, (slice(None),) * d + (index % size,))


class Cat(Function):
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim, ctx.sizes = dim, [t.shape[dim] for t in tensors]
        dev = device_of(*tensors)
        dtype = _dtype.result_type(tensors)
        shape = list(tensors[0].shape)
        shape[dim] = sum(ctx.sizes)
        out = new(tuple(shape), dtype, dev)
        start = 0
        for t, n in zip(tensors, ctx.sizes):
            index = (slice(None),) * dim + (slice(start, start + n),)
            lookup("copy", dev.type)(t._data, out._data[index])
            start += n
        return out

    @staticmethod
    def backward(ctx, g):
        return (None,) + split(g, ctx.sizes, ctx.dim)


def cat(tensors, dim=0, *, out=None):
    tensors = [t for t in tensors if not (t.dim() == 1 and t.shape[0] == 0)] or list(tensors)[:1]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    ref = tensors[0]
    d = ref._dim(dim)
    for i, t in enumerate(tensors):
        if t.dim() != ref.dim():
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.dim()} and "
                               f"{t.dim()}")
        for k in range(ref.dim()):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected "
                                   f"size {ref.shape[k]} but got size {t.shape[k]} for tensor "
                                   f"number {i} in the list.")
    result = Cat.apply(d, *tensors)
    if out is not None:
        from .elementwise import _write_out
        return _write_out(result, out, "cat")
    return result


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry "
                               f"{i}")
    d = tensors[0]._dim(dim, tensors[0].dim() + 1)
    result = Stack.apply(d, *tensors)
    if out is not None:
        from .elementwise import _write_out
        return _write_out(result, out, "stack")
    return result


class Stack(Cat):
    """Cat of the inputs unsqueezed at ``dim``, recorded as one node on the inputs (PyTorch's
    StackBackward0 -> the inputs' own grad_fn)."""
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        return Cat.forward(ctx, dim, *(unsqueeze(t, dim) for t in tensors))

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(squeeze(p, ctx.dim) for p in split(g, ctx.sizes, ctx.dim))


class Repeat(Function):
    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.in_shape = x.shape
        lead = len(repeats) - x.dim()
        src = x._data.reshape((1,) * lead + x._data.shape)
        shape = tuple(r * s for r, s in zip(repeats, src.shape))
        out = new(shape, x.dtype, x._device)
        # view out as (r0, s0, r1, s1, ...) and broadcast src (1, s0, 1, s1, ...) into it
        inter = tuple(v for r, s in zip(repeats, src.shape) for v in (r, s))
        src_b = src.reshape(tuple(v for s in src.shape for v in (1, s)))
        lookup("copy", x._device.type)(src_b, out._data.reshape(inter))
        ctx.inter = inter
        return out

    @staticmethod
    def backward(ctx, g):
        inter = ctx.inter
        g = g.reshape(inter).sum(dim=tuple(range(0, len(inter), 2)))
        return g.reshape(ctx.in_shape), None


def repeat(x, *repeats):
    repeats = _sizes(repeats)
    if len(repeats) < x.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    return Repeat.apply(x, tuple(repeats))


class Flip(Function):
    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        out = new(x.shape, x.dtype, x._device)
        index = tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(x.dim()))
        lookup("copy", x._device.type)(x._data[index], out._data)
        return out

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None


def flip(x, *dims, **kwargs):
    """``flip(x, (0, 2))``, ``x.flip(0, 2)`` or ``flip(x, dims=(0, 2))``."""
    if not dims and "dims" not in kwargs:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = _sizes(dims or (kwargs["dims"],))
    return Flip.apply(x, {x._dim(d) for d in dims})


# --- in-place view ops and resize_ ------------------------------------------------------------

_INPLACE = {cls: type(cls.__name__ + "_", (cls,), {"node_name": name}) for cls, name in (
    (Squeeze, "SqueezeBackward3"), (SqueezeDim, "SqueezeBackward4"),
    (SqueezeDims, "SqueezeBackward5"), (Unsqueeze, "UnsqueezeBackward1"),
    (Transpose, "TransposeBackward1"), (T, "TBackward1"))}


def _inplace_view(plan, name):
    """The in-place form of a view op (squeeze_, t_, ...) from its plan: the tensor takes the
    view's shape and strides (sharing its data, as PyTorch) and, when autograd records, the
    view's history, under the in-place node's name."""
    def method(self, *args, **kwargs):
        _check_inplace(self)
        cls, arg = plan(self, *args, **kwargs)
        v = _INPLACE.get(cls, cls).apply(self, arg)
        self._data = v._data
        self._version[0] += 1
        if v._grad_fn is not None:
            self._grad_fn, self._output_nr = v._grad_fn, v._output_nr
        return self
    method.__name__ = name
    return method


t_ = _inplace_view(lambda x: _t(x, "t_"), "t_")


def resize_(x, *sizes, memory_format=None):
    """PyTorch's common cases: the first elements (in memory order) in the new shape, sharing the
    data when it fits in the memory the tensor views (on the CPU: up to the end of the array that
    owns it, so shrinking and growing back keeps the values, as PyTorch's storage); new elements
    are uninitialized. A non-contiguous tensor is read in its logical order (PyTorch would
    reinterpret its storage)."""
    if x._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = _sizes(sizes)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(shape)}")
    n, flat = math.prod(shape), x.contiguous()._data.reshape((x.numel(),))
    if n > flat.size and x._device.type == "cpu":
        owner = _owner(flat)
        if owner.flags.c_contiguous and owner.dtype == flat.dtype:
            start = (flat.ctypes.data - owner.ctypes.data) // flat.itemsize
            flat = owner.reshape(-1)[start:] if owner.size - start >= n else flat
    if n > flat.size:
        grown = new((n,), x.dtype, x._device)._data
        lookup("copy", x._device.type)(flat, grown[:flat.size])
        flat = grown
    x._data = flat[:n].reshape(shape)
    x._version[0] += 1
    return x


# --- triangles and diagonals --------------------------------------------------------------------

class Tril(Function):
    """The lower (``Triu``: upper) triangle of the last two dims; the gradient keeps the same
    triangle."""
    node_name = "TrilBackward0"

    @classmethod
    def forward(cls, ctx, x, diagonal):
        rows, cols = x.shape[-2:]
        lower = np.tri(rows, cols, diagonal, dtype=bool)
        mask = lower if cls is Tril else ~np.tri(rows, cols, diagonal - 1, dtype=bool)
        ctx.mask = Tensor._wrap(from_host(mask, x._device), x._device)
        return where(ctx.mask, x, x.new_zeros(()))

    @staticmethod
    def backward(ctx, g):
        return where(ctx.mask, g, g.new_zeros(())), None


class Triu(Tril):
    node_name = "TriuBackward0"


def _triangle(cls, name):
    def fn(input, diagonal=0, *, out=None):
        if input.dim() < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        result = cls.apply(input, diagonal)
        return result if out is None else _write_out(result, out, name)
    fn.__name__ = name
    return fn


tril = _triangle(Tril, "tril")
triu = _triangle(Triu, "triu")


def _diagonal_view(a, offset, d1, d2):
    """NumPy's writable strided view of the (d1, d2, offset) diagonal of ``a``, the diagonal as
    the last dim (the layout PyTorch's diagonal has)."""
    start = {d1: max(0, -offset), d2: max(0, offset)}
    length = max(0, min(a.shape[d1] - start[d1], a.shape[d2] - start[d2]))
    corner = a[tuple(slice(start.get(d, 0), None) for d in range(a.ndim))] if length else a
    keep = [d for d in range(a.ndim) if d not in (d1, d2)]
    return np.lib.stride_tricks.as_strided(
        corner, tuple(a.shape[d] for d in keep) + (length,),
        tuple(a.strides[d] for d in keep) + (a.strides[d1] + a.strides[d2],))


def _embed(src, shape, offset, d1, d2):
    """Zeros of ``shape`` with ``src`` written on their (d1, d2, offset) diagonal (on the host,
    as the indexing ops): diag_embed, and the gradient of diagonal."""
    host = np.zeros(shape, src.dtype.np)
    _diagonal_view(host, offset, d1, d2)[...] = src._host()
    return Tensor._wrap(from_host(host, src._device), src._device)


class Diagonal(Function):
    """A view on the CPU; off the CPU a copy made on the host."""
    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.in_shape, ctx.args = x.shape, (offset, d1, d2)
        if x._device.type == "cpu":
            return x._view_of(_diagonal_view(x._data, offset, d1, d2))
        host = np.ascontiguousarray(_diagonal_view(x._host(), offset, d1, d2))
        return Tensor._wrap(from_host(host, x._device), x._device)

    @staticmethod
    def backward(ctx, g):
        return _embed(g, ctx.in_shape, *ctx.args), None, None, None


class DiagonalCopy(Diagonal):
    """torch.diag of a matrix: a copy of its diagonal."""
    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        return Diagonal.forward(ctx, x, offset, d1, d2).clone()


class DiagEmbed(Function):
    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        shape = list(x.shape[:-1])
        for d in sorted((d1, d2)):
            shape.insert(d, x.shape[-1] + abs(offset))
        return _embed(x, tuple(shape), offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return Diagonal.apply(g, *ctx.args), None, None, None


def _diag_dims(x, dim1, dim2, ndim):
    d1, d2 = x._dim(dim1, ndim), x._dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    return Diagonal.apply(input, offset, *_diag_dims(input, dim1, dim2, input.dim()))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    return DiagEmbed.apply(input, offset, *_diag_dims(input, dim1, dim2, input.dim() + 1))


def diag(input, diagonal=0, *, out=None):
    if input.dim() not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")
    result = (DiagEmbed if input.dim() == 1 else DiagonalCopy).apply(input, diagonal, 0, 1)
    return result if out is None else _write_out(result, out, "diag")


# --- stacking helpers ---------------------------------------------------------------------------

def _atleast(shape_of, tensors):
    """Each tensor reshaped to ``shape_of(its shape)`` (itself when that is its shape); as in
    PyTorch, one tensor gives a tensor, several (or a list) a tuple."""
    def one(t):
        shape = shape_of(tuple(t.shape))
        return t if shape == t.shape else reshape(t, shape)
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return one(tensors[0])
    if len(tensors) == 1:
        tensors = tensors[0]
    return tuple(one(t) for t in tensors)


def atleast_1d(*tensors):
    return _atleast(lambda s: s or (1,), tensors)


def atleast_2d(*tensors):
    return _atleast(lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s, tensors)


def atleast_3d(*tensors):
    return _atleast(lambda s: s if len(s) >= 3 else (1, 1, 1) if not s else
                    (1,) + s + (1,) if len(s) == 1 else s + (1,), tensors)


def _nonempty(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out=None):
    ts = [atleast_1d(t) for t in _nonempty(tensors, "hstack")]
    return cat(ts, 0 if ts[0].dim() == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    return cat([atleast_2d(t) for t in _nonempty(tensors, "vstack")], 0, out=out)


def dstack(tensors, *, out=None):
    return cat([atleast_3d(t) for t in _nonempty(tensors, "dstack")], 2, out=out)


def column_stack(tensors, *, out=None):
    ts = [reshape(t, (t.numel(), 1)) if t.dim() <= 1 else t
          for t in _nonempty(tensors, "column_stack")]
    return cat(ts, 1, out=out)


def meshgrid(*tensors, indexing=None):
    """Expanded views: output i varies along dim i ("ij"); "xy" swaps the roles of the first
    two dims, as NumPy."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    pos = list(range(len(tensors)))
    if indexing == "xy" and len(pos) >= 2:
        pos[0], pos[1] = 1, 0
    sizes = [0] * len(tensors)
    for t, p in zip(tensors, pos):
        sizes[p] = t.numel()
    out = []
    for t, p in zip(tensors, pos):
        shape = [1] * len(tensors)
        shape[p] = -1
        out.append(expand(reshape(t, shape), sizes))
    return tuple(out)


# --- roll, repeat_interleave -------------------------------------------------------------------

class Roll(Function):
    node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        y, moved = reshape(x, -1) if dims is None else x, False
        for s, d in zip(shifts, dims or (0,)):
            n = y.shape[d]
            s = s % n if n else 0
            if s:
                y, moved = cat([narrow(y, d, n - s, s), narrow(y, d, 0, n - s)], d), True
        return reshape(y, x.shape) if moved else x.clone()

    @staticmethod
    def backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(input, shifts, dims=None):
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    if dims is not None:
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims or ()) and not (dims is None and len(shifts) == 1):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims or ())}")
    return Roll.apply(input, shifts, None if dims is None else tuple(map(input._dim, dims)))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each slice along ``dim`` (of the flattened input when None) repeated ``repeats`` times
    (a number, or one count per slice); ``repeat_interleave(counts)`` repeats the indices."""
    from .index import index_select
    if repeats is None:
        input, repeats = _indices_of(input), input
    if isinstance(repeats, Tensor):
        if repeats.dim() > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats.dtype.is_floating_point:
            raise NotImplementedError('"repeat_interleave_cpu" not implemented for '
                                      f"'{_type_name(repeats.dtype)}'")
        counts = repeats._host().reshape(-1)
    else:
        counts = np.array([repeats])
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative" if isinstance(repeats, Tensor) else
                           "Repeats must be non-negative")
    x = reshape(input, -1) if dim is None else input
    d = 0 if dim is None else x._dim(dim)
    n = x.shape[d]
    if counts.size == 1:
        counts = np.full(n, counts[0])
    elif counts.size != n:
        raise RuntimeError("repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size({d}) = {n}")
    index = np.repeat(np.arange(n), counts)
    return index_select(x, d, Tensor._wrap(from_host(index, x._device), x._device))


def _indices_of(counts):
    """0, 1, ... one per element of the 1-D ``counts`` (the indices repeat_interleave(counts)
    repeats)."""
    if counts.dim() != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    host = np.arange(counts.shape[0])
    return Tensor._wrap(from_host(host, counts._device), counts._device)


METHODS = {
    "view": view, "reshape": reshape, "view_as": view_as, "reshape_as": reshape_as,
    "flatten": flatten, "unflatten": unflatten, "permute": permute, "transpose": transpose,
    "swapaxes": transpose, "swapdims": transpose, "t": t, "t_": t_,
    "T": property(T_property), "mT": property(mT), "expand": expand, "expand_as": expand_as,
    "broadcast_to": broadcast_to, "sum_to_size": sum_to_size, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "narrow": narrow, "split": split, "chunk": chunk, "unbind": unbind,
    "select": select, "repeat": repeat, "flip": flip, "resize_": resize_, "tril": tril,
    "triu": triu, "diagonal": diagonal, "diag_embed": diag_embed, "diag": diag, "roll": roll,
    "repeat_interleave": repeat_interleave, "tril_": _inplace_method(tril),
    "triu_": _inplace_method(triu),
    **{name + "_": _inplace_view(plan, name + "_") for name, plan in (
        ("squeeze", _squeeze), ("unsqueeze", _unsqueeze), ("transpose", _transpose),
        ("swapaxes", _transpose), ("swapdims", _transpose))},
}
for _name in ("squeeze", "unsqueeze", "narrow", "select", "chunk", "unbind", "squeeze_",
              "unsqueeze_", "repeat_interleave"):
    METHODS[_name] = numpy_kwargs(METHODS[_name])
FUNCTIONS = {name: fn for name, fn in METHODS.items()
             if name not in ("T", "mT", "view", "view_as", "reshape_as", "expand", "expand_as",
                             "sum_to_size") and not name.endswith("_")}
FUNCTIONS.update(cat=numpy_kwargs(cat), concat=numpy_kwargs(cat),
                 concatenate=numpy_kwargs(cat), stack=numpy_kwargs(stack),
                 broadcast_tensors=broadcast_tensors, broadcast_shapes=broadcast_shapes,
                 hstack=hstack, vstack=vstack, row_stack=vstack, dstack=dstack,
                 column_stack=column_stack, meshgrid=meshgrid, atleast_1d=atleast_1d,
                 unflatten=numpy_kwargs(unflatten),
                 atleast_2d=atleast_2d, atleast_3d=atleast_3d)
