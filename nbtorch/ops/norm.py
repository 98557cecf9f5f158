"""Normalization ops: batch, layer and group norm as autograd Functions over the registered kernels,
and their nn.functional forms with PyTorch's argument checks; instance norm runs the group-norm
(or, on running statistics, the batch-norm) op; RMS norm and local response norm are composed."""
import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..kernels.registry import lookup
from ._util import new


def _arr(t):
    return None if t is None else t._data


def _contiguous(t):
    return None if t is None else t.contiguous()


def _grads(x, param_shape, needs):
    """New gradient tensors for (x, weight, bias), None where nobody needs one."""
    return tuple(new(shape, x.dtype, x._device) if n else None
                 for shape, n in zip((x._data.shape, param_shape, param_shape), needs))


class BatchNorm(Function):
    node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        x, weight, bias = x.contiguous(), _contiguous(weight), _contiguous(bias)
        c = x._data.shape[1]
        out = new(x._data.shape, x.dtype, x._device)
        mean, invstd = new((c,), x.dtype, x._device), new((c,), x.dtype, x._device)
        lookup("batch_norm_forward", x._device.type)(
            x._data, _arr(weight), _arr(bias), _arr(running_mean), _arr(running_var), out._data,
            mean._data, invstd._data, training, momentum, eps)
        if training and running_mean is not None:
            running_mean._version[0] += 1
            running_var._version[0] += 1
        ctx.save_for_backward(x, weight, mean, invstd)
        ctx.training = training
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, invstd = ctx.saved_tensors
        gx, gw, gb = _grads(x, x._data.shape[1:2], ctx.needs_input_grad[:3])
        lookup("batch_norm_backward", x._device.type)(
            grad.contiguous()._data, x._data, _arr(weight), mean._data, invstd._data, _arr(gx),
            _arr(gw), _arr(gb), ctx.training)
        return gx, gw, gb, None, None, None, None, None


class GroupNorm(Function):
    node_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, groups, weight, bias, eps):
        x, weight, bias = x.contiguous(), _contiguous(weight), _contiguous(bias)
        n = x._data.shape[0]
        out = new(x._data.shape, x.dtype, x._device)
        mean, rstd = new((n, groups), x.dtype, x._device), new((n, groups), x.dtype, x._device)
        lookup("group_norm_forward", x._device.type)(
            x._data, _arr(weight), _arr(bias), out._data, mean._data, rstd._data, groups, eps)
        ctx.save_for_backward(x, weight, mean, rstd)
        ctx.groups = groups
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, rstd = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx, gw, gb = _grads(x, x._data.shape[1:2], (need[0], need[2], need[3]))
        lookup("group_norm_backward", x._device.type)(
            grad.contiguous()._data, x._data, _arr(weight), mean._data, rstd._data, _arr(gx),
            _arr(gw), _arr(gb), ctx.groups)
        return gx, None, gw, gb, None


class LayerNorm(Function):
    node_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, normalized_shape, weight, bias, eps):
        x, weight, bias = x.contiguous(), _contiguous(weight), _contiguous(bias)
        rows = x._data.shape[:x._data.ndim - len(normalized_shape)]
        out = new(x._data.shape, x.dtype, x._device)
        mean, rstd = new(rows, x.dtype, x._device), new(rows, x.dtype, x._device)
        lookup("layer_norm_forward", x._device.type)(
            x._data, _arr(weight), _arr(bias), out._data, mean._data, rstd._data, eps)
        ctx.save_for_backward(x, weight, mean, rstd)
        ctx.normalized_shape = tuple(normalized_shape)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, rstd = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx, gw, gb = _grads(x, ctx.normalized_shape, (need[0], need[2], need[3]))
        lookup("layer_norm_backward", x._device.type)(
            grad.contiguous()._data, x._data, _arr(weight), mean._data, rstd._data, _arr(gx),
            _arr(gw), _arr(gb))
        return gx, None, gw, gb, None


# --- nn.functional ---
def _check_dtypes(input, *tensors):
    """PyTorch's mixed-dtype error for parameters or statistics of another dtype than the input."""
    if any(t is not None and t.dtype is not input.dtype for t in tensors):
        if input.dtype.name == "float32":
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    size = input.size()
    if training:
        values = size[0]
        for n in size[2:]:
            values *= n
        if values == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {size}")
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if (running_mean is None) != (running_var is None):
        if not training:
            name = "running_mean" if running_mean is None else "running_var"
            raise RuntimeError(f"{name} must be defined in evaluation mode")
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    channels = size[1] if len(size) > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    input.size(1)                     # PyTorch's IndexError for fewer than 2 dimensions
    _check_dtypes(input, weight, bias, running_mean, running_var)
    if input.numel() == 0:
        return input.clone()
    return BatchNorm.apply(input, weight, bias, running_mean, running_var, bool(training),
                           momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        "ints, not int")
    shape = list(normalized_shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and list(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(t.shape)} and normalized_shape = {shape}")
    if len(shape) > input.dim() or list(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    _check_dtypes(input, weight, bias)
    return LayerNorm.apply(input, tuple(shape), weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    channels = input.shape[1]
    if num_groups == 0:
        raise ZeroDivisionError("integer division or modulo by zero")
    if channels % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != channels):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} and "
                               f"input of shape {list(input.shape)}")
    _check_dtypes(input, weight, bias)
    return GroupNorm.apply(input, num_groups, weight, bias, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Group norm with one channel per group (per sample and channel). Running statistics, when
    given, move as PyTorch moves them: by the batch means of the per-instance mean and unbiased var.
    Without input statistics it is batch norm in eval mode on the running ones."""
    size = input.size()
    if use_input_stats:
        spatial = 1
        for n in size[2:]:
            spatial *= n
        if spatial == 1:
            raise ValueError("Expected more than 1 spatial element when training, got input size "
                             f"{size}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    batch = size[0]         # PyTorch's words for its (1, N*C, *) batch norm with repeated params
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != size[1]:
            raise RuntimeError(f"{name} should contain {batch * size[1]} elements not "
                               f"{batch * t.numel()}")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    _check_dtypes(input, weight, bias, running_mean, running_var)
    out = group_norm(input, size[1], weight, bias, eps)
    if running_mean is not None:
        dims = tuple(range(2, input.dim()))
        with no_grad():
            x = input.detach()
            running_mean.mul_(1 - momentum).add_(x.mean(dims).mean(0) * momentum)
            running_var.mul_(1 - momentum).add_(x.var(dims, correction=1).mean(0) * momentum)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x², normalized dims) + eps) * weight, composed (grad_fn MulBackward0, as in
    PyTorch); eps None is the dtype's machine epsilon."""
    if isinstance(normalized_shape, int):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        "ints, not int")
    shape = list(normalized_shape)
    if weight is not None and list(weight.shape) != shape:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = {shape}")
    if len(shape) > input.dim() or list(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input.dtype.np).eps)
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    out = input * (input * input).mean(dims, keepdim=True).add(eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """AlexNet's normalization across channels: x / (k + alpha * mean of x² over ``size``
    neighbouring channels) ** beta, composed as PyTorch composes it (a zero-padded average pool
    along the channels of the (N, 1, C, rest) view)."""
    from .pad import pad
    from .pool import avg_pool2d
    dim = input.dim()
    if dim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sizes = input.size()
    div = (input * input).reshape(sizes[0], 1, sizes[1], -1)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(div, (size, 1), stride=1).reshape(sizes)
    return input / (div * alpha + k).pow(beta)


FUNCTIONS = {"rms_norm": rms_norm}          # torch.rms_norm
