"""Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d: PyTorch's constructor checks, parameters,
default initialisation and repr, over F.conv1d / F.conv2d / F.conv_transpose1d / 2d."""

from ... import _creation
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module

_PADDING_MODES = "{'reflect', 'replicate', 'circular', 'zeros'}"


def _ntuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    """What the convolutions share; ``_dims``, ``_conv`` and ``_transposed`` say which one."""
    _dims = None
    _transposed = False

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
        self.transposed, self.output_padding = self._transposed, (0,) * d
        self.groups, self.padding_mode = groups, padding_mode
        channels = ((in_channels, out_channels // groups) if self._transposed
                    else (out_channels, in_channels // groups))
        self.weight = Parameter(_creation.empty(channels + self.kernel_size, device=device,
                                                dtype=dtype))
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
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
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


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: output_padding, and forward's
    ``output_size``, which picks the output_padding that gives that size."""
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device, dtype)
        self.output_padding = _ntuple(output_padding, self._dims)

    def _output_padding(self, input, output_size):
        """PyTorch's: output_size (spatial, or with the batch/channel dims) minus the smallest
        output size, each within [0, stride)."""
        if output_size is None:
            return self.output_padding
        d = self._dims
        lead = 2 if input.dim() == d + 2 else 1
        output_size = list(output_size)
        if len(output_size) == lead + d:
            output_size = output_size[lead:]
        if len(output_size) != d:
            raise ValueError(f"ConvTranspose{d}D: for {input.dim()}D input, output_size must have "
                             f"{d} or {lead + d} elements (got {len(output_size)})")
        low = [(input.size(i + lead) - 1) * s - 2 * p + dl * (k - 1) + 1 for i, (s, p, dl, k) in
               enumerate(zip(self.stride, self.padding, self.dilation, self.kernel_size))]
        high = [n + s - 1 for n, s in zip(low, self.stride)]
        if any(not lo <= n <= hi for n, lo, hi in zip(output_size, low, high)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes range "
                             f"from {low} to {high} (for an input of {input.size()[2:]})")
        return tuple(n - lo for n, lo in zip(output_size, low))

    def forward(self, input, output_size=None):
        return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C, L) or (C, L) inputs."""
    _dims = 1
    _conv = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over (N, C, H, W) or (C, H, W) inputs (DCGAN's generator)."""
    _dims = 2
    _conv = staticmethod(F.conv_transpose2d)
