"""F.pad: constant, reflect, replicate and circular padding of the last dims, with PyTorch's
argument rules and error words, checked before anything is allocated or run.

Constant padding allocates the result filled with the value and copies the input's kept part
into its inner region (the copy launcher; negative pads crop). The other modes are an index map:
output position -> input position, per padded dim; flattened over the padded dims it is one
lookup of every plane's elements, so they run on the embedding kernels (a row gather, and its
scatter-add as the gradient) with the planes as the leading axis (kernels/cpu/embedding.py)."""
import numpy as np

from .._storage import from_host
from .._tensor import Tensor
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import new

_NON_CONSTANT = ("reflect", "replicate", "circular")


class ConstantPadNd(Function):
    """out = value everywhere, x's kept part at its place; the gradient is grad's inner part.
    ``inner``: the slices of x that are kept, ``outer``: where they go in out."""
    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, shape, inner, outer, value):
        ctx.params = x.shape, inner, outer
        out = new(shape, x.dtype, x._device)
        lookup("fill", x._device.type)(out._data, value)
        lookup("copy", x._device.type)(x._data[inner], out._data[outer])
        return out

    @staticmethod
    def backward(ctx, grad):
        shape, inner, outer = ctx.params
        gx = new(shape, grad.dtype, grad._device)
        lookup("fill", grad._device.type)(gx._data, 0)
        lookup("copy", grad._device.type)(grad._data[outer], gx._data[inner])
        return gx, None, None, None, None


class IndexMap(Function):
    """out's last ``k`` dims (flattened) = x's at the flat index map ``index`` (an int64 array on
    x's device); the gradient sums grad back through the map. Padding and nearest upsampling
    (ops/upsample.py) make subclasses that carry PyTorch's node names."""
    node_name = None

    @staticmethod
    def forward(ctx, x, index, k, shape):
        A, V = int(np.prod(x.shape[:x.dim() - k])), int(np.prod(x.shape[x.dim() - k:]))
        ctx.params = index, A, V, x.shape
        out = new(shape, x.dtype, x._device)
        lookup("embedding_forward", x._device.type)(
            x.contiguous()._data.reshape(A, V, 1), index, out._data.reshape(A, index.size, 1))
        return out

    @staticmethod
    def backward(ctx, grad):
        index, A, V, shape = ctx.params
        gx = new(shape, grad.dtype, grad._device)
        lookup("embedding_backward", grad._device.type)(
            grad.contiguous()._data.reshape(A, index.size, 1), index, -1, False,
            gx._data.reshape(A, V, 1))
        return gx, None, None, None


def index_map(x, maps, node):
    """x's last len(maps) dims gathered at the positions ``maps`` (one host int array per dim,
    output position -> input position) by the IndexMap subclass ``node``."""
    k = len(maps)
    lead = x.shape[:x.dim() - k]
    flat = np.ravel_multi_index(np.ix_(*maps), x.shape[x.dim() - k:]).reshape(-1)
    index = from_host(np.ascontiguousarray(flat, np.int64), x._device)
    return node.apply(x, index, k, tuple(lead) + tuple(len(m) for m in maps))


_NODES = {(mode, k): type(f"{name}Pad{k}D", (IndexMap,), {
              "node_name": "CopySlices" if mode == "circular" else f"{name}Pad{k}DBackward0"})
          for mode, name in (("reflect", "Reflection"), ("replicate", "Replication"),
                             ("circular", "Circular"))
          for k in (1, 2, 3)}


def _positions(mode, n, lo, hi):
    """For each output position along a dim of size n padded by (lo, hi): its input position.
    Circular padding, as PyTorch's, first crops (negative pads), then wraps around what is left."""
    if mode == "circular":
        start, m = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
        return start + np.arange(-max(lo, 0), m + max(hi, 0)) % max(m, 1)
    p = np.arange(-lo, n + hi)
    if mode == "reflect":
        return n - 1 - np.abs(n - 1 - np.abs(p))
    return np.clip(p, 0, n - 1)


# --- argument checks (PyTorch's order and words) ---
def _unsupported(pad, x):
    return NotImplementedError(
        f"Padding size {len(pad)} is not supported for {x.dim()}D input tensor.\n"
        "Supported combinations for non-constant padding:\n"
        "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
        "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
        "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _check_index_pad(x, pad, mode, k):
    """The checks of the non-constant modes, after the common ones; ``k`` padded dims."""
    if not (1 <= k <= 3 and x.dim() in (k + 1, k + 2)):
        raise _unsupported(pad, x)
    dims = range(x.dim() - 1, x.dim() - 1 - k, -1)          # padded dims, as pad lists them
    sizes = [x.shape[d] for d in dims]
    if mode != "circular" and 0 in x.shape[x.dim() - k - 1:]:
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    for j, (d, n) in enumerate(zip(dims, sizes)):
        lo, hi = pad[2 * j], pad[2 * j + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{2 * k + 2}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {d} of input {list(x.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    out = [n + pad[2 * j] + pad[2 * j + 1] for j, n in enumerate(sizes)]
    if mode != "circular" and any(n < 1 for n in out):
        names = "WHD"[:k][::-1]
        raise RuntimeError(
            f"input ({', '.join(f'{c}: {n}' for c, n in zip(names, sizes[::-1]))}) is too small. "
            f"Calculated output {' '.join(f'{c}: {n}' for c, n in zip(names, out[::-1]))}")


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dims of ``input``: pad = (last_lo, last_hi, prev_lo, ...).
    mode "constant" pads any of the dims with ``value`` (negative pads crop); "reflect",
    "replicate" and "circular" pad the last 1-3 dims of a batched or unbatched input."""
    pad = tuple(pad)
    for i, p in enumerate(pad):
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(p).__name__} at pos {i}")
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.dim()}")
    if mode == "constant":
        return _constant(input, pad, k, 0 if value is None else value)
    if mode not in _NON_CONSTANT:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    _check_index_pad(input, pad, mode, k)
    lead = input.dim() - k
    maps = [_positions(mode, input.shape[lead + i], pad[2 * (k - 1 - i)],
                       pad[2 * (k - 1 - i) + 1]) for i in range(k)]
    return index_map(input, maps, _NODES[mode, k])


def _constant(x, pad, k, value):
    shape, inner, outer = list(x.shape), [slice(None)] * x.dim(), [slice(None)] * x.dim()
    for j in range(k):
        d, lo, hi = x.dim() - 1 - j, pad[2 * j], pad[2 * j + 1]
        n = x.shape[d]
        if n + min(lo, 0) + min(hi, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        shape[d] = n + lo + hi
        inner[d] = slice(max(-lo, 0), n - max(-hi, 0))
        outer[d] = slice(max(lo, 0), shape[d] - max(hi, 0))
    # a trailing ... keeps every region an array view (a 0-d input's included)
    return ConstantPadNd.apply(x, tuple(shape), tuple(inner) + (Ellipsis,),
                               tuple(outer) + (Ellipsis,), value)
