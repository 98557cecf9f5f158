"""F.prelu: max(0, x) + weight * min(0, x) with one weight per channel (dim 1) or one shared, as
a composite of elementwise ops (``where``), whose gradients are PReLU's: d/dx is 1 where x > 0
and the weight elsewhere, d/dweight sums x where x <= 0 over all but the channel dim."""
from .elementwise import _type_name, where


def prelu(input, weight):
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_type_name(input.dtype)} "
                           f"and {_type_name(weight.dtype)}")
    if weight.dim() > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    n = weight.numel()
    if n == 1:
        w = weight.reshape(())
    else:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() >= 2 else 1
        if channels != n:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        w = weight.reshape((1, n) + (1,) * (input.dim() - 2))
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"prelu_{input.device.type}" not implemented for '
                                  f"'{_type_name(input.dtype)}'")
    return where(input > 0, input, w * input)
