"""The dispatch table: the only bridge between ``nbtorch/`` and the Numba kernels.

Launchers are registered by (op, device type) and looked up by the ops layer::

    @register("relu_forward", "cpu")
    def relu_forward(x, out): ...

    lookup("relu_forward", "cpu")(x_arr, out_arr)

A launcher never validates user input and never allocates its result: the caller passes
every output array in, already of the right shape, dtype and device.
"""
import importlib

_TABLE = {}
_LOADED = set()

# Kernel families per device; a device's families are imported on its first lookup, so
# ``import nbtorch`` never imports numba.cuda.
FAMILIES = ("copy", "elementwise", "activation", "reduce", "matmul", "conv", "pool", "softmax",
            "loss", "norm", "optim", "embedding")


def register(op, device):
    """Decorator: record ``fn`` as the launcher of ``op`` on ``device`` ("cpu" or "cuda")."""
    def deco(fn):
        key = (op, device)
        if key in _TABLE:
            raise ValueError(f"kernel {op!r} is already registered for device {device!r}")
        _TABLE[key] = fn
        return fn
    return deco


def _load(device):
    if device in _LOADED:
        return
    _LOADED.add(device)
    for family in FAMILIES:
        try:
            importlib.import_module(f"{__package__}.{device}.{family}")
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.{device}.{family}":
                raise


def lookup(op, device):
    """The launcher of ``op`` on ``device``; NotImplementedError naming both when there is none."""
    try:
        return _TABLE[(op, device)]
    except KeyError:
        _load(device)
        try:
            return _TABLE[(op, device)]
        except KeyError:
            raise NotImplementedError(
                f"no kernel for op {op!r} on device {device!r} "
                f"(registered for: {', '.join(devices_for(op)) or 'no device'})") from None


def ops_for(device):
    """Sorted names of every op registered for ``device``."""
    _load(device)
    return sorted(op for op, dev in _TABLE if dev == device)


def devices_for(op):
    return sorted(dev for o, dev in _TABLE if o == op)
