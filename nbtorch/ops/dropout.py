"""Dropout: the input times a mask of 0 and 1/(1-p) drawn from nbtorch's generator (so
``manual_seed`` reproduces it); dropout2d draws one mask value per (sample, channel)."""
import warnings

from .. import _random
from .._storage import from_host
from .._tensor import Tensor
from .elementwise import _type_name, inplace as _inplace


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _masked(input, mask_shape, p, inplace):
    if not input.dtype.is_floating_point:
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{_type_name(input.dtype)}")
    keep = _random.rng().random(mask_shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    mask = Tensor._wrap(from_host((keep * scale).astype(input.dtype.np), input._device),
                        input._device)
    return _inplace(input, lambda s: s * mask) if inplace else input * mask


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    return _masked(input, tuple(input.shape), p, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """One mask value per channel of (N, C, L) or unbatched (C, L)."""
    _check_p(p)
    dim = input.dim()
    if dim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {dim}D input. Note "
                           "that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                           "spatial dimension, a channel dimension, and an optional batch "
                           "dimension (i.e. 2D or 3D inputs).")
    if not training or p == 0:
        return input
    return _masked(input, tuple(input.shape[:-1]) + (1,), p, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    dim = input.dim()
    if dim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {dim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and an "
            "optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if dim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
            "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
            "dim. This behavior will change in a future release to interpret the input as one "
            "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
            "dropout behavior, please switch to using dropout1d instead.", stacklevel=2)
    if dim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0:
        return input
    return _masked(input, tuple(input.shape[:2]) + (1,) * (dim - 2), p, inplace)
