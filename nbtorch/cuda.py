"""nbtorch.cuda: device queries. numba.cuda is imported only here, on first use."""
import os
import sys

_SIM_HINT = ("set NUMBA_ENABLE_CUDASIM=1 to run CUDA code under Numba's simulator (slow, for "
             "testing)")


def _numba_cuda():
    try:
        from numba import cuda
    except ImportError:
        return None
    return cuda


def is_available():
    cuda = _numba_cuda()
    if cuda is None:
        return False
    try:
        return bool(cuda.is_available())
    except Exception:
        return False


def _require():
    """Raise a clear error unless a GPU (or the simulator) can run CUDA kernels."""
    if not is_available():
        raise RuntimeError("Found no NVIDIA driver on your system: CUDA is not available. Install "
                           "nbtorch[cuda] on a machine with an NVIDIA GPU, or " + _SIM_HINT + ".")


def device_count():
    if not is_available():
        return 0
    return len(_numba_cuda().gpus)


def current_device():
    _require()
    return getattr(_numba_cuda().get_current_device(), "id", 0)     # the simulator's has no id


def get_device_name(device=None):
    _require()
    name = _numba_cuda().get_current_device().name
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None):
    if is_available():
        _numba_cuda().synchronize()


def empty_cache():
    """Nothing to release: nbtorch keeps no caching allocator (a no-op, as PyTorch's without
    CUDA)."""


def manual_seed(seed):
    from ._random import manual_seed as _seed
    _seed(seed)


def manual_seed_all(seed):
    manual_seed(seed)


def is_simulator():
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


from .amp._deprecated import cuda_amp as amp  # noqa: E402  (torch.cuda.amp, deprecated)

sys.modules[amp.__name__] = amp            # ``from nbtorch.cuda.amp import GradScaler`` works too
