"""Conv1d and Conv2d: PyTorch's constructor checks, parameters, default initialisation and repr,
over F.conv1d / F.conv2d."""

from ... import _creation
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module

_PADDING_MODES = "{'reflect', 'replicate', 'circular', 'zeros'}"


def _ntuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    """What Conv1d and Conv2d share; ``_dims`` and ``_conv`` say which one."""
    _dims = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        d = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        stride = _ntuple(stride, d)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'same', 'valid'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, d)
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode='{padding_mode}' is not supported by nbtorch: "
                                      "only padding_mode='zeros'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ntuple(kernel_size, d)
        self.stride, self.padding, self.dilation = stride, padding, _ntuple(dilation, d)
        self.transposed, self.output_padding = False, (0,) * d
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = Parameter(_creation.empty(
            (out_channels, in_channels // groups) + self.kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._reset_weight_and_bias(self.weight, self.bias)

    def _conv_forward(self, input, weight, bias):
        return type(self)._conv(input, weight, bias, self.stride, self.padding, self.dilation,
                                self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over (N, C, L) or (C, L) inputs."""
    _dims = 1
    _conv = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution over (N, C, H, W) or (C, H, W) inputs."""
    _dims = 2
    _conv = staticmethod(F.conv2d)
