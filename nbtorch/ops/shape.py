"""Shape ops. Views share the input's data and version counter (numpy views on the CPU)."""
import math

import numpy as np

from .. import _dtype
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import device_of, new, broadcast_shapes


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
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(x, shape[0])
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


def transpose(x, dim0, dim1):
    dims = list(range(x.dim()))
    if x.dim() == 0:
        return x.view(())
    a, b = x._dim(dim0), x._dim(dim1)
    dims[a], dims[b] = dims[b], dims[a]
    return Transpose.apply(x, tuple(dims))


def t(x):
    if x.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.dim()}D")
    return T.apply(x, tuple(reversed(range(x.dim()))))


def t_(x):
    if x.dim() > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {x.dim()}D")
    data = x._data.T.copy() if x._device.type == "cpu" else None
    x._data = data
    x._version[0] += 1
    return x


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


class Unsqueeze(Squeeze):
    node_name = "UnsqueezeBackward0"


def squeeze(x, dim=None):
    if dim is None:
        return Squeeze.apply(x, tuple(s for s in x.shape if s != 1))
    dims = {x._dim(d) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
    return SqueezeDim.apply(x, tuple(s for i, s in enumerate(x.shape)
                                     if not (i in dims and s == 1)))


def unsqueeze(x, dim):
    d = x._dim(dim, x.dim() + 1)
    shape = list(x.shape)
    shape.insert(d, 1)
    return Unsqueeze.apply(x, tuple(shape))


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


class Unbind(Narrow):
    node_name = "UnbindBackward0"


def unbind(x, dim=0):
    d = x._dim(dim)
    return tuple(Unbind.apply(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


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
    dims = _sizes(dims or (kwargs["dims"],))
    return Flip.apply(x, {x._dim(d) for d in dims})


METHODS = {
    "view": view, "reshape": reshape, "view_as": view_as, "reshape_as": reshape_as,
    "flatten": flatten, "unflatten": unflatten, "permute": permute, "transpose": transpose,
    "swapaxes": transpose, "swapdims": transpose, "t": t, "t_": t_,
    "T": property(T_property), "mT": property(mT), "expand": expand, "expand_as": expand_as,
    "broadcast_to": broadcast_to, "sum_to_size": sum_to_size, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "narrow": narrow, "split": split, "chunk": chunk, "unbind": unbind,
    "select": select, "repeat": repeat, "flip": flip,
}
FUNCTIONS = {name: fn for name, fn in METHODS.items()
             if name not in ("T", "mT", "view", "view_as", "reshape_as", "expand", "expand_as",
                             "sum_to_size", "t_")}
FUNCTIONS.update(cat=cat, concat=cat, concatenate=cat, stack=stack,
                 broadcast_tensors=broadcast_tensors, broadcast_shapes=broadcast_shapes)
