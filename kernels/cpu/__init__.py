"""CPU kernels (Numba @njit); importing the package applies the CPU memory policy (_memory.py)
and makes Numba's cache saves take turns between processes (_cache_lock.py)."""
from . import _memory  # noqa: F401
from .._cache_lock import lock_cache_saves

lock_cache_saves()
