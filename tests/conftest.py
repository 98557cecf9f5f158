"""Test setup: CUDA tests run under Numba's simulator when this machine has no NVIDIA GPU (the
variable must be set before numba is first imported), and Numba's cache is written under a lock,
so that pytest-xdist's workers (``-n auto``) can share it."""
import os

if not (os.path.exists("/dev/nvidia0") or os.environ.get("NBTORCH_REAL_GPU") == "1"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")


def pytest_configure(config):
    from nbtorch._cache_lock import lock_cache_saves
    lock_cache_saves()
