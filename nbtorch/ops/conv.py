"""Convolution: the autograd Function over the conv2d kernels (a 1-d convolution runs as a 2-d one
of height 1), and F.conv1d / F.conv2d with PyTorch's argument rules and error words, checked in
PyTorch's order before anything is allocated or run."""
from .._tensor import Tensor
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import device_of, new
from .elementwise import _type_name
from .matmul import _CPP_NAMES


def _as_2d(a):
    """The array of a 1-d convolution, (N, C, L), as its (N, C, 1, L) view."""
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if a.ndim == 3 else a


def _array(t):
    return _as_2d(t.contiguous()._data)


class Convolution(Function):
    """out = conv(x, w) + b for 1-d and 2-d convolutions. ``stride``, ``padding`` (top/left) and
    ``dilation`` are 2-d pairs; ``size``, the output's spatial shape, implies the bottom/right
    padding. Backward computes only the gradients that are needed."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups, size):
        _save(ctx, x, w, stride, padding, dilation, groups)
        out = new((x.shape[0], w.shape[0]) + size, x.dtype, x._device)
        lookup("conv2d_forward", x._device.type)(
            _array(x), _array(w), None if b is None else b.contiguous()._data, _as_2d(out._data),
            *ctx.params)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _backward(ctx, grad, transposed=False)


class ConvTranspose(Function):
    """out = conv_transpose(x, w) + b, the adjoint of a convolution, run on the convolution's
    kernels: its forward is conv2d's input-gradient pass (x as grad_out), its input gradient is
    conv2d's forward of grad, and its weight gradient conv2d's weight-gradient pass with the roles
    of input and grad_out swapped. w is (C_in, C_out/groups, KH, KW); ``size`` is the output's
    spatial shape, which carries output_padding (rows no tap reaches get only the bias)."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups, size):
        _save(ctx, x, w, stride, padding, dilation, groups)
        out = new((x.shape[0], w.shape[1] * groups) + size, x.dtype, x._device)
        lookup("conv2d_backward_input", x._device.type)(_array(x), _array(w), _as_2d(out._data),
                                                        *ctx.params)
        if b is not None:
            out.add_(b.to(x.dtype).reshape((1, -1) + (1,) * len(size)))
        return out

    @staticmethod
    def backward(ctx, grad):
        return _backward(ctx, grad, transposed=True)


def _save(ctx, x, w, stride, padding, dilation, groups):
    """What backward needs: x only for the weight's gradient, w only for the input's."""
    need = ctx.needs_input_grad
    ctx.save_for_backward(x if need[1] else None, w if need[0] else None)
    ctx.params = stride, padding, dilation, groups
    ctx.shapes = x.shape, w.shape


def _backward(ctx, grad, transposed):
    """The gradients that are needed, of a convolution or (``transposed``) of its adjoint."""
    x, w = ctx.saved_tensors
    need, dev = ctx.needs_input_grad, grad._device
    g = _array(grad)
    gx = gw = gb = None
    if need[0]:
        gx = new(ctx.shapes[0], grad.dtype, dev)
        if transposed:
            lookup("conv2d_forward", dev.type)(g, _array(w), None, _as_2d(gx._data), *ctx.params)
        else:
            lookup("conv2d_backward_input", dev.type)(g, _array(w), _as_2d(gx._data), *ctx.params)
    if need[1]:
        gw = new(ctx.shapes[1], grad.dtype, dev)
        roles = (_array(x), g) if transposed else (g, _array(x))  # (grad_out, input) of the pass
        lookup("conv2d_backward_weight", dev.type)(*roles, _as_2d(gw._data), *ctx.params)
    if need[2]:
        gb = new((g.shape[1],), grad.dtype, dev)
        lookup("conv2d_backward_bias", dev.type)(g, gb._data)
    return gx, gw, gb, None, None, None, None, None


# --- argument checks (PyTorch's order and words) ---
_SIGNATURES = ("(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
               "tuple of ints padding = 0, tuple of ints dilation = 1, int groups = 1)",
               "(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
               "str padding = \"valid\", tuple of ints dilation = 1, int groups = 1)")


def _is_ints(v):
    return (isinstance(v, int) and not isinstance(v, bool)) or (
        isinstance(v, (tuple, list)) and all(isinstance(i, int) for i in v))


def _check_types(name, input, weight, bias, stride, padding, dilation, groups):
    """PyTorch's argument-parser TypeError for an argument of the wrong type."""
    ok = (isinstance(input, Tensor) and isinstance(weight, Tensor)
          and (bias is None or isinstance(bias, Tensor)) and _is_ints(stride)
          and (_is_ints(padding) or isinstance(padding, str)) and _is_ints(dilation)
          and isinstance(groups, int))
    if ok:
        return
    got = [type(input).__name__, type(weight).__name__]
    for key, v, default in (("bias", bias, None), ("stride", stride, 1), ("padding", padding, 0),
                            ("dilation", dilation, 1), ("groups", groups, 1)):
        if not (v is default or (type(v) is type(default) and v == default)):
            got.append(f"{key}={type(v).__name__}")
    raise TypeError(f"{name}() received an invalid combination of arguments - got "
                    f"({', '.join(got)}), but expected one of:\n * {_SIGNATURES[0]}\n"
                    f" * {_SIGNATURES[1]}\n")


def _expand(name, value, dims, k):
    """``value`` as a list of k ints: PyTorch's parser makes an int ``dims`` long, then a
    one-element list stretches to k; any other length is an error."""
    values = [value] * dims if isinstance(value, int) else list(value)
    if len(values) == 1:
        return values * k
    if len(values) != k:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {k} values "
                           f"to match the convolution dimensions, but got {name}={values}")
    return values


def _conv(dims, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{dims}d"
    _check_types(name, input, weight, bias, stride, padding, dilation, groups)
    x, unbatched = _batched(name, dims, input)
    stride, padding, dilation = _check_params(dims, x, weight, bias, stride, padding, dilation,
                                              groups)
    lo, hi, extent = _check_shapes(x, weight, bias, padding, dilation, groups)
    _check_dtypes(x, weight)
    device_of(x, weight, bias)
    size = tuple((n + a + b - e) // s + 1
                 for n, a, b, e, s in zip(x.shape[2:], lo, hi, extent, stride))
    out = Convolution.apply(x, weight, bias, _pair(stride, 1), _pair(lo, 0), _pair(dilation, 1),
                            groups, size)
    return out.squeeze(0) if unbatched else out


def _check_params(dims, x, weight, bias, stride, padding, dilation, groups):
    """stride, padding (a list, or 'same'/'valid') and dilation as lists of one value per
    spatial dimension of the weight."""
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in _expand("stride", stride, dims, dims)):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
    if bias is not None and bias.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({_cpp_name(x)}) and bias type ({_cpp_name(bias)}) should "
                           "be the same")
    _check_weight_and_groups(weight, groups)
    if padding == "same" and weight.dim() != x.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight{list(weight.shape)}, but got {x.dim()}-dimensional "
                           f"input of size {list(x.shape)} instead")
    k = weight.dim() - 2
    stride = _expand("stride", stride, dims, k)
    if not isinstance(padding, str):
        padding = _expand("padding", padding, dims, k)
    dilation = _expand("dilation", dilation, dims, k)
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    return stride, padding, dilation


def _batched(name, dims, input):
    """``input`` with its batch dimension (added to an unbatched one), and whether it was added."""
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    unbatched = input.dim() == dims + 1
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _check_weight_and_groups(weight, groups):
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_weight_shape(x, weight, groups):
    """The weight checks convolution and transposed convolution share, before their channels'."""
    ws = list(weight.shape)
    if weight.dim() != x.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight {ws}, but got {x.dim()}-dimensional input of size "
                           f"{list(x.shape)} instead")
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {ws} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size [{ws}] instead")


def _check_shapes(x, weight, bias, padding, dilation, groups):
    """The top/left and bottom/right padding and the dilated kernel extent, per spatial dim."""
    _check_weight_shape(x, weight, groups)
    ws, xs = list(weight.shape), list(x.shape)
    if xs[1] != ws[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {ws}, expected input{xs} to "
                           f"have {ws[1] * groups} channels, but got {xs[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != ws[0]):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with "
                           f"{ws[0]} elements, but got bias of size {list(bias.shape)} instead")
    extent = [d * (n - 1) + 1 for d, n in zip(dilation, ws[2:])]
    if padding == "same":           # PyTorch puts the odd one of the total padding at the end
        lo = [(e - 1) // 2 for e in extent]
        hi = [e - 1 - p for e, p in zip(extent, lo)]
    else:
        lo = hi = [0] * len(extent) if padding == "valid" else padding
    padded = [n + a + b for n, a, b in zip(xs[2:], lo, hi)]
    if any(p < e for p, e in zip(padded, extent)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, extent))}). Kernel size can't be greater than "
                           "actual input size")
    return lo, hi, extent


def _check_dtypes(x, weight):
    if weight.dtype is not x.dtype:
        if x.dtype.name == "float32":
            raise RuntimeError(f"Input type ({x.type()}) and weight type ({weight.type()}) should "
                               "be the same or input should be a MKLDNN tensor and weight is a "
                               "dense tensor")
        raise RuntimeError(f"expected scalar type {_type_name(x.dtype)} but found "
                           f"{_type_name(weight.dtype)}")
    if x.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"\"slow_conv2d_cpu\" not implemented for "
                                  f"'{_type_name(x.dtype)}'")


def _cpp_name(t):
    return _CPP_NAMES.get(t.dtype.name, t.dtype.name)


def _pair(values, fill):
    """A 2-d parameter pair; a 1-d convolution is one of height 1."""
    return tuple(values) if len(values) == 2 else (fill, values[0])


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of input (N, C, L) or (C, L) with weight (O, C/groups, K)."""
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of input (N, C, H, W) or (C, H, W) with weight (O, C/groups, KH, KW)."""
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(dims, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    name = f"conv_transpose{dims}d"
    for key, v in (("stride", stride), ("padding", padding), ("output_padding", output_padding),
                   ("dilation", dilation)):
        if not _is_ints(v):
            raise TypeError(f"{name}(): argument '{key}' must be tuple of ints, not "
                            f"{type(v).__name__}")
    x, unbatched = _batched(name, dims, input)
    _check_weight_and_groups(weight, groups)
    k = weight.dim() - 2
    stride, padding, output_padding, dilation = (
        _expand(key, v, dims, k) for key, v in (("stride", stride), ("padding", padding),
                                                ("output_padding", output_padding),
                                                ("dilation", dilation)))
    for key, values in (("padding", padding), ("output_padding", output_padding)):
        if any(v < 0 for v in values):
            raise RuntimeError(f"negative {key} is not supported")
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    _check_transposed_shapes(x, weight, bias, groups)
    stride, padding, dilation = _pair(stride, 1), _pair(padding, 0), _pair(dilation, 1)
    size = _transposed_size(x, weight, stride, padding, _pair(output_padding, 0), dilation)
    _check_dtypes(x, weight)
    device_of(x, weight, bias)
    out = ConvTranspose.apply(x, weight, bias, stride, padding, dilation, groups, size)
    return out.squeeze(0) if unbatched else out


def _check_transposed_shapes(x, weight, bias, groups):
    _check_weight_shape(x, weight, groups)
    ws, xs = list(weight.shape), list(x.shape)
    if xs[1] != ws[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected input{xs} to have "
                           f"{ws[0]} channels, but got {xs[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != ws[1] * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected bias to be "
                           f"1-dimensional with {ws[1] * groups} elements, but got bias of size "
                           f"{list(bias.shape)} instead")


def _transposed_size(x, weight, stride, padding, output_padding, dilation):
    """PyTorch's output size (n - 1) s - 2 p + d (k - 1) + output_padding + 1, after its checks
    of dilation and output_padding; all 2-d pairs (a 1-d one has height 1), as PyTorch's words."""
    def listing(key, values, sep):
        return f"{key}_height: {values[0]}{sep}{key}_width: {values[1]}"
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got "
                           f"{listing('dilation', dilation, ', ')}")
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           f"got {listing('output_padding', output_padding, ' ')} "
                           f"{listing('stride', stride, ' ')} {listing('dilation', dilation, ' ')}")
    spatial, kernel = _as_2d_shape(x.shape), _as_2d_shape(weight.shape)
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, k, s, p, o, d in zip(
        spatial, kernel, stride, padding, output_padding, dilation))
    if any(n < 1 for n in size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, spatial))}). "
                           f"Calculated output size per channel: ({' x '.join(map(str, size))}). "
                           "Output size is too small")
    return size[2 - len(x.shape[2:]):]


def _as_2d_shape(shape):
    """The spatial sizes of a 1-d or 2-d array's shape as a pair (height 1 for 1-d)."""
    return tuple(shape[2:]) if len(shape) == 4 else (1,) + tuple(shape[2:])


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-d transposed convolution of input (N, C_in, L) or (C_in, L) with weight
    (C_in, C_out/groups, K)."""
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-d transposed convolution of input (N, C_in, H, W) or (C_in, H, W) with weight
    (C_in, C_out/groups, KH, KW)."""
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


FUNCTIONS = {"conv1d": conv1d, "conv2d": conv2d, "conv_transpose1d": conv_transpose1d,
             "conv_transpose2d": conv_transpose2d}
