"""nbtorch.accelerator: PyTorch's device-agnostic queries, over CUDA (the one accelerator nbtorch
runs on). Tutorials pick their device with ``torch.accelerator.current_accelerator().type if
torch.accelerator.is_available() else "cpu"``."""
from . import cuda
from ._device import device


def is_available():
    return cuda.is_available()


def current_accelerator(check_available=False):
    """device(type='cuda') when CUDA kernels can run here (a GPU, or Numba's simulator), else
    None, as PyTorch answers on a machine without an accelerator."""
    return device("cuda") if cuda.is_available() else None


def device_count():
    return cuda.device_count()


def current_device_index():
    return cuda.current_device()


def synchronize(device=None):
    cuda.synchronize(device)
