"""Test setup: CUDA tests run under Numba's simulator when this machine has no NVIDIA GPU.
The variable must be set before numba is first imported."""
import os

if not (os.path.exists("/dev/nvidia0") or os.environ.get("NBTORCH_REAL_GPU") == "1"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
