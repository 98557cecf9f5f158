"""Indexing: ``x[key]``, ``x[key] = value``, index_select, gather, scatter, masked_fill, nonzero.

Keys are resolved on the host with NumPy's indexing rules (which PyTorch shares); on the CPU
basic indexing returns views. Off the CPU the data makes a round trip through the host."""
import numpy as np

from .. import _dtype
from .._storage import from_host
from .._tensor import Tensor
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import new


def _key_part(k):
    if isinstance(k, Tensor):
        if k.dtype.is_floating_point:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return k._host()
    if isinstance(k, list):
        return np.asarray([_key_part(v) for v in k]) if k else np.zeros(0, np.int64)
    if isinstance(k, (bool, np.bool_)):
        return np.bool_(k)
    return k


def _resolve(x, key):
    """``key`` as a NumPy index, and whether it is basic (gives a view)."""
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(_key_part(k) for k in key)
    basic = all(k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer))
                for k in key)
    for k in key:
        if isinstance(k, slice) and k.step is not None and k.step <= 0:
            raise ValueError("step must be greater than zero")
    return key, basic


def _numpy_error(e, x):
    msg = str(e).replace("axis", "dimension")
    if msg.startswith("too many indices"):
        msg = f"too many indices for tensor of dimension {x.dim()}"
    return IndexError(msg)


class Index(Function):
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key, basic):
        ctx.in_shape, ctx.key, ctx.basic = x.shape, key, basic
        host = x._data if x._device.type == "cpu" else x._host()
        try:
            data = host[key]
        except IndexError as e:
            raise _numpy_error(e, x) from None
        if basic and x._device.type == "cpu":
            return x._view_of(data)
        return Tensor._wrap(from_host(np.ascontiguousarray(data), x._device), x._device)

    @staticmethod
    def backward(ctx, g):
        out = g.new_zeros(ctx.in_shape)
        if ctx.basic:
            host = out._data if out._device.type == "cpu" else out._host()
            host[ctx.key] = g._host()
        else:
            host = out._host()
            np.add.at(host, ctx.key, g._host())
        if out._device.type != "cpu":
            out = Tensor._wrap(from_host(host, g._device), g._device)
        return out, None, None


class Slice(Index):
    node_name = "SliceBackward0"


class SelectIndex(Index):
    node_name = "SelectBackward0"


def getitem(x, key):
    key, basic = _resolve(x, key)
    if not basic:
        return Index.apply(x, key, False)
    fn = Slice if any(isinstance(k, slice) for k in key) and not \
        isinstance(key[-1], (int, np.integer)) else SelectIndex
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
            raise _numpy_error(e, x) from None
        except ValueError:
            target = np.empty(host.shape, bool)[key].shape
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot "
                               f"be broadcast to indexing result of shape {list(target)}") from None
        ctx.accumulate = accumulate
        return Tensor._wrap(from_host(host, x._device), x._device)

    @staticmethod
    def backward(ctx, g):
        gx = g
        if not ctx.accumulate:
            host = g._host().copy()
            host[ctx.key] = 0
            gx = Tensor._wrap(from_host(host, g._device), g._device)
        gv = None
        if ctx.value_shape is not None and ctx.needs_input_grad[2]:
            gv = Index.apply(g, ctx.key, False).sum_to_size(ctx.value_shape) \
                if ctx.value_shape != Index.apply(g, ctx.key, False).shape \
                else Index.apply(g, ctx.key, False)
        return gx, None, gv, None


def setitem(x, key, value):
    from .elementwise import inplace
    key, _ = _resolve(x, key)
    if isinstance(value, Tensor) and value.dtype is not x.dtype:
        value = value.to(x.dtype)
    inplace(x, lambda s: IndexPut.apply(s, key, value, False))


def index_put_(x, indices, values, accumulate=False):
    from .elementwise import inplace
    key, _ = _resolve(x, tuple(indices))
    return inplace(x, lambda s: IndexPut.apply(s, key, values, accumulate))


def index_select(x, dim, index):
    d = x._dim(dim)
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return Index.apply(x, (slice(None),) * d + (index._host().reshape(-1),), False)


class Gather(Function):
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index._host()
        vals = np.take_along_axis(x._host(), ctx.index, axis=dim)
        return Tensor._wrap(from_host(np.ascontiguousarray(vals), x._device), x._device)

    @staticmethod
    def backward(ctx, g):
        host = np.zeros(ctx.in_shape, g.dtype.np)
        idx = list(np.indices(ctx.index.shape, sparse=True))
        idx[ctx.dim] = ctx.index
        np.add.at(host, tuple(idx), g._host())
        return Tensor._wrap(from_host(host, g._device), g._device), None, None


def gather(x, dim, index):
    if index.dtype is not _dtype.int64:
        raise RuntimeError("gather(): Expected dtype int64 for index")
    d = x._dim(dim)
    if index.dim() != x.dim():
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if index.numel() and (index._host().min() < 0 or index._host().max() >= x.shape[d]):
        raise RuntimeError(f"index {int(index._host().max())} is out of bounds for dimension {d} "
                           f"with size {x.shape[d]}")
    return Gather.apply(x, d, index)


def scatter_(x, dim, index, src=None, value=None, reduce=None):
    """In place, without gradient through ``index``; ``src`` may be a tensor or a number."""
    from .elementwise import _no_record
    d = x._dim(dim)
    with _no_record(x):
        host = x._host() if x._device.type == "cpu" else x._host().copy()
        idx = list(np.indices(index.shape, sparse=True))
        idx[d] = index._host()
        src = value if src is None else src
        vals = src._host()[tuple(slice(0, n) for n in index.shape)] \
            if isinstance(src, Tensor) else src
        if reduce == "add":
            np.add.at(host, tuple(idx), vals)
        else:
            host[tuple(idx)] = vals
        if x._device.type != "cpu":
            lookup("copy", x._device.type)(from_host(host, x._device), x._data)
    return x


def scatter(x, dim, index, src=None, value=None, reduce=None):
    return scatter_(x.clone(), dim, index, src, value, reduce)


def masked_fill(x, mask, value):
    from .elementwise import where
    if mask.dtype is not _dtype.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype}")
    if isinstance(value, Tensor):
        value = value.item()
    return where(mask, Tensor._wrap(from_host(np.array(value, x.dtype.np), x._device), x._device),
                 x)


def masked_fill_(x, mask, value):
    from .elementwise import inplace
    return inplace(x, lambda s: masked_fill(s, mask, value))


def masked_select(x, mask):
    from .shape import broadcast_tensors
    x, mask = broadcast_tensors(x, mask)
    return Index.apply(x, (mask._host(),), False)


def nonzero(x, *, as_tuple=False):
    idx = np.nonzero(x._host())
    if as_tuple:
        return tuple(Tensor._wrap(from_host(i.astype(np.int64), x._device), x._device)
                     for i in idx)
    return Tensor._wrap(from_host(np.stack(idx, 1).astype(np.int64), x._device), x._device)


def argwhere(x):
    return nonzero(x)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    labels = tensor._host()
    n = int(labels.max()) + 1 if num_classes == -1 else num_classes
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (labels[..., None] == np.arange(n)).astype(np.int64)
    return Tensor._wrap(from_host(out, tensor._device), tensor._device)


METHODS = {
    "__getitem__": getitem, "__setitem__": setitem, "index_select": index_select,
    "gather": gather, "scatter_": scatter_, "scatter": scatter, "masked_fill": masked_fill,
    "masked_fill_": masked_fill_, "masked_select": masked_select, "nonzero": nonzero,
    "argwhere": argwhere, "index_put_": index_put_,
}
FUNCTIONS = {name: fn for name, fn in METHODS.items() if not name.startswith("__")}
