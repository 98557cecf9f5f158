"""torch.cpu: the CPU as a device module, and its deprecated ``amp`` namespace."""
import sys

from .amp._deprecated import cpu_amp as amp

sys.modules[amp.__name__] = amp            # ``from nbtorch.cpu.amp import autocast`` works too


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """Nothing to wait for: CPU kernels return when done."""
