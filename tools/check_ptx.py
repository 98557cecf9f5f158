"""Compile every CUDA kernel that the parity cases launch to PTX for a real GPU, without a GPU.

Numba's simulator runs kernels as Python, so it accepts code that the CUDA target rejects (NumPy
ufuncs, allocation, unsupported typing). This runs the parity cases of the given test files with
the real CUDA target, but with GPU memory replaced by host memory and each launch replaced by a
compile to PTX (``numba.cuda.compile_ptx``) for the argument types of that launch. Nothing runs on
a device, so results are not compared: it reports each kernel signature that fails to compile.

    NUMBA_ENABLE_CUDASIM=0 python tools/check_ptx.py tests/test_cuda_*.py

Needs NVIDIA's NVVM (``pip install "numba-cuda[cu13]"``), not a GPU.
"""
import importlib.util
import os
import sys
import traceback
import warnings

os.environ["NUMBA_ENABLE_CUDASIM"] = "0"
import numpy as np  # noqa: E402
from numba import cuda, typeof  # noqa: E402
from numba.cuda import compiler, dispatcher  # noqa: E402
from numba.cuda.cudadrv import devicearray  # noqa: E402


class HostDeviceArray(np.ndarray):
    """Host memory standing in for a device array."""
    @property
    def gpu_data(self):
        return _Pointer(self, 0)

    def copy_to_host(self, ary=None, stream=0):
        if ary is None:
            return np.array(self)
        np.copyto(ary, self)
        return ary

    def copy_to_device(self, ary, stream=0):
        np.copyto(self, np.asarray(ary).reshape(self.shape))


class _Pointer:
    def __init__(self, arr, start):
        self.arr, self.start = arr, start

    def view(self, start, stop=None):
        return _Pointer(self.arr, self.start + start)


def _device_ndarray(shape, strides, dtype, stream=0, gpu_data=None):
    mem = np.asarray(gpu_data.arr).reshape(-1).view(np.uint8)[gpu_data.start:]
    return np.ndarray(shape, dtype, buffer=mem, strides=strides).view(HostDeviceArray)


def _device_array(shape, dtype=np.float64, *args, **kwargs):
    return np.zeros(shape, dtype).view(HostDeviceArray)


COMPILED, FAILED = set(), {}


def _compile_only(self, args, *launch_config):
    types = tuple(typeof(a) for a in args)
    key = (self.py_func, types)
    if key in COMPILED or key in FAILED:
        return
    try:
        cuda.compile_ptx(self.py_func, types, cc=(8, 0))
        COMPILED.add(key)
    except Exception as e:      # report every failing kernel, keep going
        FAILED[key] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


class _FakeDevice:
    compute_capability = (8, 0)


def main(paths):
    warnings.simplefilter("ignore")
    dispatcher.get_current_device = compiler.get_current_device = _FakeDevice
    dispatcher.CUDADispatcher.call = _compile_only
    devicearray.DeviceNDArray = _device_ndarray
    cuda.device_array = _device_array
    cuda.to_device = lambda ary, *a, **k: np.array(ary).view(HostDeviceArray)
    sys.path.insert(0, "tests")
    from cuda_parity import run_both
    for path in paths:
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for op, make in module.CASES:
            made = make(np.random.default_rng(0))
            args = made[0] if isinstance(made, tuple) and isinstance(made[-1], dict) else made
            try:
                run_both(op, list(args))
            except Exception:
                FAILED[(op, "launcher")] = traceback.format_exc(limit=-3)
    for (fn, types), err in FAILED.items():
        name = getattr(fn, "__qualname__", fn)
        print(f"FAIL {getattr(fn, '__module__', '')}.{name} {types}\n    {err}")
    print(f"{len(COMPILED)} kernel signatures compiled to PTX, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
