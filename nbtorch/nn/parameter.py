"""nn.Parameter: a Tensor that a Module registers as learnable when assigned as its attribute."""
from .. import _creation
from .._tensor import Tensor


class Parameter(Tensor):
    """Shares ``data``'s memory (and version counter); requires grad unless told otherwise."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _creation.empty(0)
        if requires_grad and not data.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        p = cls._wrap(data._data, data._device, bool(requires_grad))
        p._version = data._version
        return p

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__
