"""CPU kernels (Numba @njit); importing the package applies the CPU memory policy (_memory.py)."""
from . import _memory  # noqa: F401
