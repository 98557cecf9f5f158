"""Pooling ops: max, average, adaptive max and adaptive average 2d pooling as autograd Functions
over the registered kernels, and their nn.functional forms (1-d pooling runs the 2-d op on an
(N, C, 1, W) view) with PyTorch's argument checks, output-size rule and error words; max_unpool2d
scatters into a zero output at MaxPool2d's indices."""
import numbers

from .. import _dtype
from .._creation import zeros
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import new
from .elementwise import _type_name


# --- Functions ---------------------------------------------------------------------------------

class _MaxPool(Function):
    """(out, indices) = max over windows by ``<op>_forward(x, out, indices, *params)``; the
    gradient goes back to each window's argmax (``<op>_backward(grad, indices, grad_input)``)."""
    op = None

    @classmethod
    def forward(cls, ctx, x, out_hw, params):
        x = x.contiguous()
        shape = x._data.shape[:-2] + out_hw
        out, indices = new(shape, x.dtype, x._device), new(shape, _dtype.int64, x._device)
        lookup(f"{cls.op}_forward", x._device.type)(x._data, out._data, indices._data, *params)
        ctx.save_for_backward(indices)
        ctx.set_materialize_grads(False)
        ctx.in_shape = x._data.shape
        return out, indices

    @classmethod
    def backward(cls, ctx, grad, _):
        (indices,) = ctx.saved_tensors
        gx = new(ctx.in_shape, grad.dtype, grad._device)
        lookup(f"{cls.op}_backward", grad._device.type)(grad.contiguous()._data, indices._data,
                                                        gx._data)
        return gx, None, None


class MaxPool2D(_MaxPool):
    node_name, op = "MaxPool2DWithIndicesBackward0", "maxpool2d"


class AdaptiveMaxPool2D(_MaxPool):
    node_name, op = "AdaptiveMaxPool2DBackward0", "adaptive_maxpool2d"


class _AvgPool(Function):
    """Window means by ``<op>_forward(x, out, *params)``; the gradient spread back evenly over
    each window by ``<op>_backward(grad, grad_input, *params)``."""
    op = None

    @classmethod
    def forward(cls, ctx, x, out_hw, params):
        x = x.contiguous()
        out = new(x._data.shape[:-2] + out_hw, x.dtype, x._device)
        lookup(f"{cls.op}_forward", x._device.type)(x._data, out._data, *params)
        ctx.in_shape, ctx.params = x._data.shape, params
        return out

    @classmethod
    def backward(cls, ctx, grad):
        gx = new(ctx.in_shape, grad.dtype, grad._device)
        lookup(f"{cls.op}_backward", grad._device.type)(grad.contiguous()._data, gx._data,
                                                        *ctx.params)
        return gx, None, None


class AvgPool2D(_AvgPool):
    node_name, op = "AvgPool2DBackward0", "avgpool2d"


class AdaptiveAvgPool2D(_AvgPool):
    node_name, op = "AdaptiveAvgPool2DBackward0", "adaptive_avgpool2d"


# --- argument parsing, output sizes and PyTorch's checks -----------------------------------------

_ONE_OR_TWO = "must either be a single int, or a tuple of two ints"
_STRIDE_RULE = "must either be omitted, a single int, or a tuple of two ints"


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _ints(fn, arg, pos, value):
    """``value`` (an int or a sequence of ints; None for an omitted one) as a tuple, with the
    argument parser's TypeError."""
    if value is None:
        return ()
    values = value if isinstance(value, (tuple, list)) else (value,)
    for i, v in enumerate(values):
        if not _is_int(v):
            found = (f"but found element of type {type(v).__name__} at pos {i}" if values is value
                     else f"not {type(v).__name__}")
            raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be tuple of ints, "
                            f"{found}")
    return tuple(map(int, values))


def _pair(fn, arg, pos, value, rule=_ONE_OR_TWO, may_omit=False):
    """An (H, W) pair from an int or one or two ints; () for an omitted stride (None or empty)."""
    v = _ints(fn, arg, pos, value)
    if not (len(v) in (1, 2) or (not v and may_omit)):
        raise RuntimeError(f"{fn}: {arg} {rule}")
    return v * 2 if len(v) == 1 else v


def _single(fn, arg, pos, value, may_omit=False):
    """The one int of a 1-d pooling argument as a 1-tuple (() for an omitted stride)."""
    v = _ints(fn, arg, pos, value)
    if not (len(v) == 1 or (not v and may_omit)):
        raise RuntimeError(f"{fn}() argument '{arg}' should contain one int (got {len(v)})")
    return v


def _out_len(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length: floor (or ceil) of the window count; in ceil mode the
    last window must start inside the input or the left padding."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > int(((k - 1) * d + 1) / 2):           # C++ division, truncating toward zero
        raise RuntimeError("pad should be at most half of effective kernel size, but got "
                           f"pad={p}, kernel_size={k} and dilation={d}")
    n = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (n - 1) * s >= size + p:
        n -= 1
    return n


def _out_hw(x, kernel, stride, padding, dilation, ceil_mode):
    return tuple(_out_len(x.shape[i - 2], kernel[i], stride[i], padding[i], dilation[i], ceil_mode)
                 for i in range(2))


def _shape_check(x, kernel, stride, padding, dilation, out_hw):
    """PyTorch's pool2d_shape_check."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if not (kw > 0 and kh > 0):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if not (sw > 0 and sh > 0):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if not (dh > 0 and dw > 0):
        raise RuntimeError("dilation should be greater than zero, but got dilationH: "
                           f"{dh} dilationW: {dw}")
    s = x.shape
    planes = x.ndim >= 3 and s[1] != 0 and s[2] != 0
    if not ((x.ndim == 3 and s[0] != 0 and planes) or (x.ndim == 4 and planes and s[3] != 0)):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(s)}")
    if not (kw // 2 >= pw and kh // 2 >= ph):
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    if out_hw[0] < 1 or out_hw[1] < 1:
        c, h, w = s[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out_hw[0]}x{out_hw[1]}). Output size is too small")


def _float_only(x, name):
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}\" not implemented for '{_type_name(x.dtype)}'")


def _nonempty(fn, x, dims):
    for i in dims:
        if x.shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(x.shape)} with "
                               f"dimension {i} being empty")


def _dims_1d(fn, x):
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for {fn})")


def _max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
    """max_pool2d_with_indices with PyTorch's checks: (out, indices)."""
    fn = "max_pool2d"
    kernel = _pair(fn, "kernel_size", 2, kernel_size)
    stride = _pair(fn, "stride", 3, stride, _STRIDE_RULE, may_omit=True) or kernel
    padding = _pair(fn, "padding", 4, padding)
    dilation = _pair(fn, "dilation", 5, dilation,
                     "must be either a single int, or a tuple of two ints")
    if x.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out_hw = _out_hw(x, kernel, stride, padding, dilation, ceil_mode)
    _shape_check(x, kernel, stride, padding, dilation, out_hw)
    _float_only(x, fn)
    return MaxPool2D.apply(x, out_hw, (kernel, stride, padding, dilation))


def _max_pool1d_check(x, kernel_size, stride, padding, dilation, ceil_mode):
    """PyTorch's check_max_pool1d; the (1, W) kernel, stride, padding, dilation and output size."""
    fn = "max_pool1d"
    args = [_ints(fn, name, pos, v) for name, pos, v in
            (("kernel_size", 2, kernel_size), ("stride", 3, stride), ("padding", 4, padding),
             ("dilation", 5, dilation))]
    s = x.shape
    if not ((x.ndim == 2 and s[0] != 0 and s[1] != 0) or (x.ndim == 3 and s[1] != 0 and s[2] != 0)):
        raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(s)}")
    for name, v, what in zip(("kernel_size", "stride", "padding", "dilation"), args,
                             ("an int, list of ints", "None, an int, list of ints,",
                              "an int, list of ints,", "an int, list of ints")):
        if len(v) != 1 and not (name == "stride" and not v):
            raise RuntimeError(f"{fn}() {name} must be {what} or tuple of ints of size 1 but got "
                               f"size {len(v)}")
    (k,), stride, (p,), (d,) = args
    (st,) = stride or (k,)
    for name, v, ok, what in (("kernel_size", k, k > 0, "be greater than zero"),
                              ("stride", st, st > 0, "be greater than zero"),
                              ("padding", p, p >= 0, "be non-negative")):
        if not ok:
            raise RuntimeError(f"{fn}() {name} must {what}, but got {v}")
    if p > k // 2:
        raise RuntimeError(f"{fn}() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"{fn}() dilation must be greater than zero, but got {d}")
    n = _out_len(s[-1], k, st, p, d, ceil_mode)
    if n <= 0:
        raise RuntimeError(f"{fn}() Invalid computed output size: {n}")
    _float_only(x, f"{fn}_impl")
    return (1, k), (1, st), (0, p), (1, d), (1, n)


def _avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    fn = "avg_pool2d"
    kernel = _pair(fn, "kernel_size", 2, kernel_size)
    stride = _pair(fn, "stride", 3, stride, _STRIDE_RULE, may_omit=True) or kernel
    padding = _pair(fn, "padding", 4, padding)
    if divisor_override is not None and not _is_int(divisor_override):
        raise TypeError(f"{fn}(): argument 'divisor_override' must be int, not "
                        f"{type(divisor_override).__name__}")
    if divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x.size(-3)                  # PyTorch's IndexError for fewer than 3 dims
    out_hw = _out_hw(x, kernel, stride, padding, (1, 1), ceil_mode)
    _shape_check(x, kernel, stride, padding, (1, 1), out_hw)
    _float_only(x, fn)
    divisor = None if divisor_override is None else int(divisor_override)
    return AvgPool2D.apply(x, out_hw, (kernel, stride, padding, bool(count_include_pad), divisor))


def _adaptive_size(fn, x, output_size):
    """PyTorch's ``_list_with_default`` (None keeps the input's size), then a tuple of ints."""
    if _is_int(output_size):
        return (int(output_size),) * 2
    if x.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    defaults = x.shape[x.ndim - len(output_size):]
    sizes = [d if v is None else v for v, d in zip(output_size, defaults)]
    return _ints(fn, "output_size", 2, sizes)


# --- nn.functional -------------------------------------------------------------------------------

def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, indices = _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    if not return_indices:      # PyTorch's max_pool1d: its own checks, then the 2-d op on (1, W)
        kernel, stride, padding, dilation, out_hw = _max_pool1d_check(
            input, kernel_size, stride, padding, dilation, ceil_mode)
        out, _ = MaxPool2D.apply(input.unsqueeze(-2), out_hw, (kernel, stride, padding, dilation))
        return out.squeeze(-2)
    fn = "max_pool1d"           # max_pool1d_with_indices: max_pool2d's checks on (1, W)
    _dims_1d(fn, input)
    k = _single(fn, "kernel_size", 2, kernel_size)
    s = _single(fn, "stride", 3, stride, may_omit=True) or k
    p = _single(fn, "padding", 4, padding)
    d = _single(fn, "dilation", 5, dilation)
    out, indices = _max_pool2d(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p, (1,) + d,
                               ceil_mode)
    return out.squeeze(-2), indices.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    fn = "avg_pool1d"
    k = _single(fn, "kernel_size", 2, kernel_size)
    s = _single(fn, "stride", 3, stride, may_omit=True) or k
    p = _single(fn, "padding", 4, padding)
    _dims_1d(fn, input)
    return _avg_pool2d(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p, ceil_mode,
                       count_include_pad, None).squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    fn = "adaptive_avg_pool2d"
    out_hw = _adaptive_size(fn, input, output_size)
    if len(out_hw) != 2:
        raise RuntimeError(f"{fn}: output_size must be 2")
    if out_hw[0] < 0 or out_hw[1] < 0:
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{out_hw[0]}, {out_hw[1]}}}")
    if out_hw == (1, 1):        # as in PyTorch: a mean over H and W
        return input.mean((-1, -2), keepdim=True)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    _nonempty(fn, input, (input.ndim - 2, input.ndim - 1))
    _float_only(input, fn)
    return AdaptiveAvgPool2D.apply(input, out_hw, ())


def adaptive_max_pool2d(input, output_size, return_indices=False):
    fn = "adaptive_max_pool2d"
    out_hw = _adaptive_size(fn, input, output_size)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    _nonempty(fn, input, range(1, input.ndim))
    if len(out_hw) != 2:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be 2")
    if min(out_hw) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out_hw)}: "
                           f"{list(input.shape[:-2]) + list(out_hw)}")
    _float_only(input, fn)
    out, indices = AdaptiveMaxPool2D.apply(input, out_hw, ())
    return (out, indices) if return_indices else out


def adaptive_avg_pool1d(input, output_size):
    """The 2-d op on the (N, C, 1, W) view, as PyTorch runs it."""
    fn = "adaptive_avg_pool1d"
    _dims_1d(fn, input)
    size = _single(fn, "output_size", 2, output_size)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + size).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    fn = "adaptive_max_pool1d"
    _dims_1d(fn, input)
    size = _single(fn, "output_size", 2, output_size)
    _nonempty(fn, input, range(1, input.ndim))
    out, indices = adaptive_max_pool2d(input.unsqueeze(-2), (1,) + size, True)
    out, indices = out.squeeze(-2), indices.squeeze(-2)
    return (out, indices) if return_indices else out


def _unpool_size(input, kernel, stride, padding, output_size):
    """PyTorch's ``_unpool_output_size``: the size MaxPool2d came from, or ``output_size`` (with or
    without its batch and channel entries) when it lies within a stride of it."""
    default = [(input.shape[d - 2] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in (0, 1)]
    if output_size is None:
        return default
    if len(output_size) == 4:
        output_size = output_size[2:]
    if len(output_size) != 2:
        raise ValueError("output_size should be a sequence containing 2 or 4 elements, but it has "
                         f"a length of '{len(output_size)}'")
    for d in (0, 1):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} '
                             f"and {hi})")
    return list(output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Each input value scattered to its ``indices`` entry (MaxPool2d's flat index in its (H, W)
    plane) of a zero output; the gradient gathers back from the same places."""
    fn = "max_unpool2d"
    kernel = _pair(fn, "kernel_size", 2, kernel_size)
    stride = _pair(fn, "stride", 3, stride, may_omit=True) or kernel
    padding = _pair(fn, "padding", 4, padding)
    oh, ow = _unpool_size(input, kernel, stride, padding, output_size)
    for d, n in enumerate((oh, ow)):
        if n < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={n}")
    if input.ndim not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor "
                           f"with {input.ndim} dimensions.")
    if indices.dtype is not _dtype.int64:
        raise RuntimeError("elements in indices should be type int64 but got: "
                           f"{_type_name(indices.dtype)}")
    if indices.shape != input.shape:
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    lead = tuple(input.shape[:-2])
    flat = indices.reshape(*lead, -1)
    bad = (flat < 0) | (flat >= oh * ow)
    if bool(bad.any()):
        first = flat.reshape(-1)[bad.reshape(-1).nonzero()[0, 0]]
        raise RuntimeError(f"Found an invalid max index: {int(first)} (output volumes are of size "
                           f"{oh}x{ow})")
    out = zeros(*lead, oh * ow, dtype=input.dtype, device=input.device)
    return out.scatter(-1, flat, input.reshape(*lead, -1)).reshape(*lead, oh, ow)


FUNCTIONS = {"max_pool2d": max_pool2d, "max_pool1d": max_pool1d, "avg_pool1d": avg_pool1d,
             "adaptive_avg_pool1d": adaptive_avg_pool1d}
