"""CPU-vs-CUDA launcher parity: run both launchers of an op on copies of the same arrays and compare
every array argument afterwards (outputs, and buffers updated in place). Used by tests/test_cuda_*.py:
each defines ``CASES``, a list of ``(op, make)`` where ``make(rng)`` returns the launcher's positional
arguments (NumPy arrays, scalars, tuples, None) and optionally a dict of tolerances; output arrays are
passed pre-filled with random values, the same on both devices, so an element one launcher leaves
unwritten shows up. Under the simulator shapes must stay tiny."""
import numpy as np

from nbtorch.kernels.cuda import _array
from nbtorch.kernels.registry import lookup


def out(rng, shape, dtype=np.float32):
    """An output buffer: random values (so unwritten elements differ from any result)."""
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-1000, 1000, shape).astype(dtype)
    return np.asarray(rng.standard_normal(shape) * 100).astype(dtype)


class View:
    """An argument that is a view of a fresh array: ``fn`` (e.g. a transpose, a strided slice, a
    broadcast) applied to each device's copy of ``base``; NumPy arrays and CudaArrays share these
    methods."""
    def __init__(self, base, fn):
        self.base, self.fn = base, fn


def broadcast(a, shape):
    return np.broadcast_to(a, shape) if isinstance(a, np.ndarray) else a.broadcast_to(shape)


def _place(a, device):
    if isinstance(a, View):
        return a.fn(_place(a.base, device))
    if isinstance(a, np.ndarray):
        return a.copy() if device == "cpu" else _array.from_host(a)
    return a


def run_both(op, args):
    """(cpu arrays, cuda arrays copied back) after running each device's launcher."""
    cpu_args = [_place(a, "cpu") for a in args]
    cuda_args = [_place(a, "cuda") for a in args]
    lookup(op, "cpu")(*cpu_args)
    lookup(op, "cuda")(*cuda_args)
    return ([a for a in cpu_args if isinstance(a, np.ndarray)],
            [_array.to_host(a) for a in cuda_args if isinstance(a, _array.CudaArray)])


def check(op, args, rtol=None, atol=None):
    cpu, gpu = run_both(op, args)
    for k, (c, g) in enumerate(zip(cpu, gpu)):
        assert c.shape == g.shape and c.dtype == g.dtype, (op, k)
        if np.issubdtype(c.dtype, np.floating):
            tol = 1e-5 if c.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(g, c, rtol=rtol or tol, atol=atol or tol, equal_nan=True,
                                       err_msg=f"{op}: array argument {k}")
        else:
            np.testing.assert_array_equal(g, c, err_msg=f"{op}: array argument {k}")


def run_case(op, make, seed=0):
    made = make(np.random.default_rng(seed))
    args, tol = (made if isinstance(made, tuple) and isinstance(made[-1], dict)
                 else (made, {}))
    check(op, list(args), **tol)
