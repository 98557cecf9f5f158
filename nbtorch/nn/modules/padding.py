"""Padding modules (constant, zero, reflection, replication, circular; 1-3 padded dims) over F.pad,
with PyTorch's attributes and reprs. ``padding`` is an int (the same on every side) or a tuple
(left, right, top, bottom, front, back), as F.pad's."""
from .. import functional as F
from .module import Module


class _PadNd(Module):
    """What the padding modules share; ``_dims`` padded dims, F.pad's ``_mode``."""
    _dims = None
    _mode = None

    def __init__(self, padding):
        super().__init__()
        self.padding = (tuple(padding) if isinstance(padding, (tuple, list))
                        else (padding,) * (2 * self._dims))

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.dim() not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"expected {self._dims + 1}D or {self._dims + 2}D input (got "
                             f"{input.dim()}D input)")
        return super().forward(input)


def _module(base, name, dims, mode=None):
    doc = f"{name}: F.pad(input, padding, {mode or base._mode!r}) over the last {dims} dim(s)."
    attrs = {"_dims": dims, "__doc__": doc, "__module__": __name__, "__qualname__": name}
    if mode:
        attrs["_mode"] = mode
    return type(name, (base,), attrs)


ConstantPad1d, ConstantPad2d, ConstantPad3d = (_module(_ConstantPadNd, f"ConstantPad{d}d", d)
                                               for d in (1, 2, 3))
ZeroPad1d, ZeroPad2d, ZeroPad3d = (_module(_ZeroPadNd, f"ZeroPad{d}d", d) for d in (1, 2, 3))
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (
    _module(_PadNd, f"ReflectionPad{d}d", d, "reflect") for d in (1, 2, 3))
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (
    _module(_PadNd, f"ReplicationPad{d}d", d, "replicate") for d in (1, 2, 3))
CircularPad1d, CircularPad2d, CircularPad3d = (_module(_CircularPadNd, f"CircularPad{d}d", d)
                                               for d in (1, 2, 3))
