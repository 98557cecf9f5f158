"""Indexing: ``x[key]``, ``x[key] = value``, index_select, gather, scatter, masked_fill, nonzero.

Keys are resolved on the host with NumPy's indexing rules (which PyTorch shares); on the CPU
basic indexing returns views. Off the CPU the data makes a round trip through the host."""
import numpy as np

from .. import _dtype
from .._storage import from_host
from .._tensor import Tensor
from ..autograd.function import Function
from .elementwise import Where, _type_name
from .shape import numpy_kwargs


def _key_part(k):
    if isinstance(k, Tensor):
        if k.dtype.is_floating_point:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return k._host()
    if isinstance(k, (list, range)):           # a range indexes like the list of its values
        return np.asarray([_key_part(v) for v in k]) if k else np.zeros(0, np.int64)
    if isinstance(k, (bool, np.bool_)):
        return np.bool_(k)
    if isinstance(k, slice):
        if k.step is not None and k.step <= 0:
            raise ValueError("slice step cannot be zero" if k.step == 0 else
                             "step must be greater than zero")
        return k
    if k is None or k is Ellipsis or isinstance(k, (int, np.integer, np.ndarray)):
        return k
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(k).__name__})")


def _resolve(x, key):
    """``key`` as a NumPy index, and whether it is basic (gives a view)."""
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(_key_part(k) for k in key)
    basic = all(k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer))
                for k in key)
    if not basic:
        _check_masks(x, key)
    return key, basic


def _dims_indexed(k):
    if k is None or k is Ellipsis:
        return 0
    return k.ndim if isinstance(k, np.ndarray) and k.dtype == np.bool_ else 1


def _check_masks(x, key):
    """A boolean mask must match the shape of the dimensions it indexes (PyTorch's words)."""
    d = 0
    for i, k in enumerate(key):
        if k is Ellipsis:
            d = x.dim() - sum(map(_dims_indexed, key[i + 1:]))
        if isinstance(k, np.ndarray) and k.dtype == np.bool_ and k.ndim:
            for j, n in enumerate(k.shape):
                if d + j >= x.dim() or x.shape[d + j] != n:
                    raise IndexError(f"The shape of the mask {list(k.shape)} at index {j} does "
                                     f"not match the shape of the indexed tensor "
                                     f"{list(x.shape)} at index {d + j}")
        d += _dims_indexed(k)


def _on(host, device):
    """The NumPy array ``host`` as a tensor on ``device`` (shared on the CPU)."""
    return Tensor._wrap(from_host(host, device), device)


def _added_at(shape, key, g):
    """Zeros of ``shape`` with g added at the NumPy index ``key`` (repeated places add up)."""
    host = np.zeros(shape, g.dtype.np)
    np.add.at(host, key, g._host())
    return _on(host, g._device)


def _zeroed_at(g, key):
    """g with zeros at the NumPy index ``key``."""
    host = g._host().copy()
    host[key] = 0
    return _on(host, g._device)


def _numpy_error(e, x, key):
    msg = str(e).replace("axis", "dimension")
    if msg.startswith("too many indices"):
        msg = f"too many indices for tensor of dimension {x.dim()}"
    elif msg.startswith("shape mismatch"):
        shapes = ", ".join(str(list(k.shape)) for k in key if isinstance(k, np.ndarray))
        msg = f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}"
    return IndexError(msg)


class Index(Function):
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key, basic):
        ctx.in_shape, ctx.key, ctx.basic = x.shape, key, basic
        # a basic key is a view on every device (CUDA arrays take basic keys as views too);
        # an advanced one gathers on the host
        source = x._data if basic or x._device.type == "cpu" else x._host()
        try:   # a trailing ``...`` keeps a full integer index an array (a view), not a scalar
            data = source[key if any(k is Ellipsis for k in key) else key + (Ellipsis,)]
        except IndexError as e:
            raise _numpy_error(e, x, key) from None
        if basic:
            return x._view_of(data)
        return _on(np.array(data, order="C"), x._device)

    @staticmethod
    def backward(ctx, g):
        if not ctx.basic:
            return _added_at(ctx.in_shape, ctx.key, g), None, None
        out = g.new_zeros(ctx.in_shape)
        host = out._data if out._device.type == "cpu" else out._host()
        host[ctx.key] = g._host()
        if out._device.type != "cpu":
            out = _on(host, g._device)
        return out, None, None


class Slice(Index):
    node_name = "SliceBackward0"


class SelectIndex(Index):
    node_name = "SelectBackward0"


class UnsqueezeIndex(Index):
    node_name = "UnsqueezeBackward0"


class Alias(Index):
    node_name = "AliasBackward0"


def getitem(x, key):
    """A basic key's node is named, as in PyTorch, after the last step that changes the view
    (``:`` and ``...`` in a tuple are no steps)."""
    single_slice = isinstance(key, slice)
    key, basic = _resolve(x, key)
    if not basic:
        return Index.apply(x, key, False)
    last = next((k for k in reversed(key) if k is not Ellipsis and k != slice(None)), Ellipsis)
    fn = Slice if single_slice or isinstance(last, slice) else UnsqueezeIndex if last is None \
        else Alias if last is Ellipsis else SelectIndex
    return fn.apply(x, key, True)


class IndexPut(Function):
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, x, key, value, accumulate):
        ctx.key, ctx.value_shape = key, value.shape if isinstance(value, Tensor) else None
        host = x._host().copy()
        v = value._host() if isinstance(value, Tensor) else value
        try:
            if accumulate:
                np.add.at(host, key, v)
            else:
                host[key] = v
        except IndexError as e:
            raise _numpy_error(e, x, key) from None
        except ValueError:
            target = np.empty(host.shape, bool)[key].shape
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot "
                               f"be broadcast to indexing result of shape {list(target)}") from None
        ctx.accumulate = accumulate
        return _on(host, x._device)

    @staticmethod
    def backward(ctx, g):
        gx = g if ctx.accumulate else _zeroed_at(g, ctx.key)
        gv = None
        if ctx.value_shape is not None and ctx.needs_input_grad[2]:
            gv = Index.apply(g, ctx.key, False)
            lead = len(ctx.value_shape) - gv.dim()
            if lead > 0:
                gv = gv.reshape((1,) * lead + tuple(gv.shape))
            if gv.shape != ctx.value_shape:
                gv = gv.sum_to_size(ctx.value_shape)
        return gx, None, gv, None


def setitem(x, key, value):
    from .elementwise import inplace
    key, basic = _resolve(x, key)
    if isinstance(value, Tensor):
        if basic:
            _check_copy_shape(x, key, value)
        if value.dtype is not x.dtype:
            value = value.to(x.dtype)
    inplace(x, lambda s: IndexPut.apply(s, key, value, False))


def _check_copy_shape(x, key, value):
    """``x[basic key] = value`` copies ``value`` (less its leading 1s) expanded to the view's
    shape: the same errors as ``expand``."""
    from .shape import expand
    try:
        target = np.broadcast_to(np.empty((), bool), x.shape)[key].shape
    except IndexError as e:
        raise _numpy_error(e, x, key) from None
    shape = list(value.shape)
    while shape and shape[0] == 1:
        shape.pop(0)
    expand(value.detach().reshape(shape), target)


def index_put_(x, indices, values, accumulate=False):
    from .elementwise import inplace
    key, _ = _resolve(x, tuple(indices))
    return inplace(x, lambda s: IndexPut.apply(s, key, values, accumulate))


class IndexSelect(Index):
    node_name = "IndexSelectBackward0"


def index_select(x, dim, index):
    d = x._dim(dim)
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index._host().reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[d]):
        raise IndexError("index out of range in self")
    return IndexSelect.apply(x, (slice(None),) * d + (idx,), False)


def _check_index(name, x, d, index, src=None):
    """PyTorch's checks of a gather/scatter index: dtype, rank, sizes and bounds."""
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if x.dim() == 0:
        raise NotImplementedError(f"{name}() on a 0-dim tensor is not supported by nbtorch")
    if max(index.dim(), 1) != x.dim():          # a 0-dim index is one position, as in PyTorch
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if name == 'gather' else 'self'} tensor")
    small = all(n <= x.shape[i] for i, n in enumerate(index.shape) if i != d)
    if src is not None and not (small and all(n <= m for n, m in zip(index.shape, src.shape))):
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(x.shape)} apart from dimension {d} and to be no larger size "
                           f"than src {list(src.shape)}")
    if not small:
        i = next(i for i, n in enumerate(index.shape) if i != d and n > x.shape[i])
        prefix = f"Size does not match at dimension {i} expected" if name == "gather" else \
            "Expected"
        raise RuntimeError(f"{prefix} index {list(index.shape)} to be no larger than self "
                           f"{list(x.shape)} apart from dimension {d}")
    idx = index._host().reshape(index.shape or (1,))
    bad = (idx < 0) | (idx >= x.shape[d])
    if bad.any():
        raise RuntimeError(f"index {int(idx[bad][0])} is out of bounds for dimension {d} with "
                           f"size {x.shape[d]}")
    return idx


def _positions(index, d):
    """The NumPy index of the elements a gather/scatter ``index`` (host array) addresses."""
    pos = list(np.indices(index.shape, sparse=True))
    pos[d] = index
    return tuple(pos)


class Gather(Function):
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, shape):
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index
        vals = x._host()[_positions(index, dim)]
        return _on(np.ascontiguousarray(vals).reshape(shape), x._device)

    @staticmethod
    def backward(ctx, g):
        return _added_at(ctx.in_shape, _positions(ctx.index, ctx.dim), g), None, None, None


def gather(x, dim, index):
    """The result has ``index``'s shape (a 0-dim index gives a 0-dim result)."""
    d = x._dim(dim)
    return Gather.apply(x, d, _check_index("gather", x, d, index), tuple(index.shape))


class Scatter(Function):
    """``x`` with ``src`` (a tensor or a number) written, added or multiplied at ``index``."""
    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        ctx.dim, ctx.index, ctx.reduce = dim, index, reduce
        ctx.src_shape = src.shape if isinstance(src, Tensor) else None
        host = x._host().copy()
        pos = _positions(index, dim)
        vals = src._host().reshape(src.shape or (1,))[tuple(slice(0, n) for n in index.shape)] \
            if isinstance(src, Tensor) else src
        if reduce == "add":
            np.add.at(host, pos, vals)
        elif reduce == "multiply":
            np.multiply.at(host, pos, vals)
        else:
            host[pos] = vals
        return _on(host, x._device)

    @staticmethod
    def backward(ctx, g):
        if ctx.reduce == "multiply":
            raise RuntimeError("the derivative for 'scatter' with reduce='multiply' is not "
                               "implemented.")
        gx = _zeroed_at(g, _positions(ctx.index, ctx.dim)) if ctx.reduce is None else g
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = Gather.apply(g, ctx.dim, ctx.index, ctx.index.shape)
            if not ctx.src_shape:                # a 0-dim src (and index)
                gsrc = gsrc.reshape(())
            elif gsrc.shape != ctx.src_shape:    # the index may cover only a corner of src
                pad = g.new_zeros(ctx.src_shape)
                pad[tuple(slice(0, n) for n in gsrc.shape)] = gsrc
                gsrc = pad
        return gx, None, None, gsrc, None


class ScatterValue(Scatter):
    node_name = "ScatterBackward1"


class ScatterAdd(Scatter):
    node_name = "ScatterAddBackward0"


def _scatter(x, dim, index, src, value, reduce, add=False):
    d = x._dim(dim)
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    src = value if src is None else src
    is_tensor = isinstance(src, Tensor)
    idx = _check_index("scatter", x, d, index, src if is_tensor else None)
    if is_tensor and src.dtype is not x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    fn = ScatterAdd if add else Scatter if is_tensor else ScatterValue
    return lambda s: fn.apply(s, d, idx, src, "add" if add else reduce)


def scatter(x, dim, index, src=None, value=None, reduce=None):
    return _scatter(x, dim, index, src, value, reduce)(x)


def scatter_(x, dim, index, src=None, value=None, reduce=None):
    from .elementwise import inplace
    return inplace(x, _scatter(x, dim, index, src, value, reduce))


def scatter_add(x, dim, index, src):
    return _scatter(x, dim, index, src, None, None, add=True)(x)


def scatter_add_(x, dim, index, src):
    from .elementwise import inplace
    return inplace(x, _scatter(x, dim, index, src, None, None, add=True))


class IndexAdd(Function):
    """``x`` with ``alpha * source`` added at ``index`` along ``dim`` (repeats add up)."""
    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        host = x._host().copy()
        np.add.at(host, (slice(None),) * dim + (index._host().reshape(-1),),
                  (source._host() * alpha).astype(host.dtype))
        return _on(host, x._device)

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = index_select(g, ctx.dim, ctx.index)
            gsrc = gsrc * ctx.alpha if ctx.alpha != 1 else gsrc
        return g, None, None, gsrc, None


def _index_add(x, dim, index, source, alpha):
    """PyTorch's checks of index_add, in its order; returns the op on a tensor (for inplace)."""
    d = x._dim(dim)
    if index.dim() > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{index.dim()} with type: {_type_name(index.dtype)} and size: "
                         f"{list(index.shape)}")
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_type_name(index.dtype)}")
    if source.dtype is not x.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_name(x.dtype)}) and source "
                           f"({_type_name(source.dtype)}) must have the same scalar type")
    if source.dim() != x.dim() or any(a != b for i, (a, b) in enumerate(zip(x.shape, source.shape))
                                      if i != d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} source.shape = "
                           f"{list(source.shape)}")
    if index.numel() != source.shape[d]:
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({source.shape[d]}), for dim: {d}")
    idx = index._host().reshape(-1)
    bad = (idx < 0) | (idx >= x.shape[d])
    if bad.any():
        if x.dim() == 1:
            raise IndexError("index out of range in self")
        raise RuntimeError(f"index {int(idx[bad][0])} is out of bounds for dimension {d} with "
                           f"size {x.shape[d]}")
    return lambda s: IndexAdd.apply(s, d, index, source, alpha)


def index_add(x, dim, index, source, *, alpha=1):
    return _index_add(x, dim, index, source, alpha)(x)


def index_add_(x, dim, index, source, *, alpha=1):
    from .elementwise import inplace
    return inplace(x, _index_add(x, dim, index, source, alpha))


class MaskedFill(Where):
    node_name = "MaskedFillBackward0"


_C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                 "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
                 "uint8": "unsigned char", "bool": "bool"}


def masked_fill(x, mask, value):
    if mask.dtype is not _dtype.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_TYPE_NAMES[mask.dtype.name]}")
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.dim()} dimension(s).")
        value = value.item()
    return MaskedFill.apply(mask, _on(np.array(value).astype(x.dtype.np), x._device), x)


def masked_fill_(x, mask, value):
    from .elementwise import inplace
    return inplace(x, lambda s: masked_fill(s, mask, value))


def masked_select(x, mask):
    from .shape import broadcast_tensors
    x, mask = broadcast_tensors(x, mask)
    return Index.apply(x, (mask._host(),), False)


def nonzero(x, *, as_tuple=False):
    host = x._host()
    if host.ndim == 0 and not as_tuple:     # one row (or none) of zero coordinates
        return _on(np.zeros((int(bool(host)), 0), np.int64), x._device)
    idx = np.nonzero(np.atleast_1d(host))
    if as_tuple:
        return tuple(_on(i.astype(np.int64), x._device) for i in idx)
    return _on(np.stack(idx, 1).astype(np.int64), x._device)


def argwhere(x):
    return nonzero(x)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    labels = tensor._host()
    n = int(labels.max()) + 1 if num_classes == -1 else num_classes
    if labels.size and labels.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if labels.size and labels.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (labels[..., None] == np.arange(n)).astype(np.int64)
    return _on(out, tensor._device)


METHODS = {
    "__getitem__": getitem, "__setitem__": setitem, "index_select": index_select,
    "gather": gather, "scatter_": scatter_, "scatter": scatter, "masked_fill": masked_fill,
    "masked_fill_": masked_fill_, "masked_select": masked_select, "nonzero": nonzero,
    "argwhere": argwhere, "index_put_": index_put_, "scatter_add": scatter_add,
    "scatter_add_": scatter_add_, "index_add": index_add, "index_add_": index_add_,
}
for _name in ("index_select", "gather", "scatter", "scatter_", "scatter_add", "scatter_add_",
              "index_add", "index_add_"):
    METHODS[_name] = numpy_kwargs(METHODS[_name])
FUNCTIONS = {name: fn for name, fn in METHODS.items()
             if not name.startswith("__") and name != "index_add_"}
