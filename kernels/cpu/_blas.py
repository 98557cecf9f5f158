"""The one BLAS path of the CPU kernels, and its thread policy.

Every float GEMM of nbtorch (matmul family, convolution) calls ``gemm`` below: the BLAS behind
SciPy's ``cython_blas`` (the one Numba's own ``np.dot`` uses), through Numba's C helper
``numba_xxgemm``, which takes leading dimensions, so that a block of rows or columns of a matrix
is passed as a view rather than copied, and ``beta`` accumulates into the output.

Thread policy: that BLAS runs on one thread (set once, below), and nbtorch parallelises large
products itself, splitting the output into blocks of rows or columns over its one thread pool
(``matmul``, _threads.py). Measured on 2 cores: a multi-threaded OpenBLAS next to nbtorch's threads
made LeNet's small GEMMs ~10x slower (each pool's threads spin while the other's run). NumPy's
own OpenBLAS is never called by nbtorch and is left alone.

Numba's cache does not see edits of this file from the kernels that call ``gemm`` (conv.py,
matmul.py): after changing it, delete their files in kernels/cpu/__pycache__.
"""
import ctypes
import glob
import importlib.machinery
import importlib.util
import os
import sys

import numpy as np
from numba import njit, types

from . import _threads

# int numba_xxgemm(kind, transa, transb, m, n, k, *alpha, *a, lda, *b, ldb, *beta, *c, ldc):
# column-major BLAS gemm; pointers passed as integers (the same in the C calling convention)
_xxgemm = types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char, types.intp, types.intp, types.intp, types.intp,
    types.intp, types.intp, types.intp, types.intp, types.intp, types.intp, types.intp))

PARALLEL_MACS = 1 << 21      # multiply-adds per thread from which a product is split
_N, _T = np.int8(ord("n")), np.int8(ord("t"))


@njit(cache=True, inline="always")
def _ld(x):
    """The leading dimension (row stride in elements) of a 2-D array with unit inner stride."""
    return x.strides[0] // x.itemsize if x.shape[0] > 1 else max(x.shape[1], 1)


@njit(cache=True, nogil=True)
def gemm(a, b, out, ta, tb, alpha, beta):
    """out = alpha * op(a) @ op(b) + beta * out, op(x) = x.T when its flag is set; float32 or
    float64 2-D arrays whose rows are contiguous (any row stride). With beta == 0, out is only
    written (NaNs in it are ignored)."""
    m, n = out.shape
    k = a.shape[0] if ta else a.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        for i in range(m):
            for j in range(n):
                out[i, j] = beta * out[i, j] if beta != 0 else 0
        return
    coef = np.empty(2, out.dtype)
    coef[0], coef[1] = alpha, beta
    # row-major out = op(a) @ op(b) is column-major out^T = op(b)^T @ op(a)^T
    _xxgemm(np.int8(ord("s")) if out.itemsize == 4 else np.int8(ord("d")),
            _T if tb else _N, _T if ta else _N, n, m, k,
            coef.ctypes.data, b.ctypes.data, _ld(b), a.ctypes.data, _ld(a),
            coef.ctypes.data + out.itemsize, out.ctypes.data, _ld(out))


def matmul(a, b, out, ta=False, tb=False, alpha=1.0, beta=0.0):
    """``gemm`` from Python, with out's longer side cut into blocks over the threads when the
    product is large enough."""
    m, n = out.shape
    rows = m >= n
    threads = _threads.threads_for(m * n * (a.shape[0] if ta else a.shape[1]), PARALLEL_MACS,
                                   max(m, n))
    if threads == 1:
        gemm(a, b, out, ta, tb, alpha, beta)
    elif rows:
        _threads.split(lambda t, lo, hi: gemm(a[:, lo:hi] if ta else a[lo:hi], b, out[lo:hi], ta,
                                              tb, alpha, beta), m, threads)
    else:
        _threads.split(lambda t, lo, hi: gemm(a, b[lo:hi] if tb else b[:, lo:hi], out[:, lo:hi],
                                              ta, tb, alpha, beta), n, threads)


def _load_cython_blas():
    """Load scipy.linalg.cython_blas, whose function pointers numba_xxgemm takes, without the
    rest of scipy.linalg: importing the package costs 0.26 s here, a quarter of a warm start;
    the extension module alone, 5 ms. Any other layout gets the plain import."""
    import scipy
    name = "scipy.linalg.cython_blas"
    folder = os.path.join(os.path.dirname(scipy.__file__), "linalg")
    paths = [p for p in (os.path.join(folder, "cython_blas" + suffix)
                         for suffix in importlib.machinery.EXTENSION_SUFFIXES) if os.path.exists(p)]
    if name in sys.modules or not paths:
        importlib.import_module(name)
        return
    spec = importlib.util.spec_from_file_location(name, paths[0])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def _single_threaded():
    """Set SciPy's bundled OpenBLAS (the library numba_xxgemm calls) to one thread. A SciPy built
    on another BLAS is left as it is (its thread count then follows its own variables)."""
    import scipy
    _load_cython_blas()
    root = os.path.dirname(scipy.__file__)
    for path in glob.glob(os.path.join(root, "..", "scipy.libs", "*openblas*")) + \
            glob.glob(os.path.join(root, ".dylibs", "*openblas*")):
        try:
            lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads", "openblas_set_num_threads"):
            if hasattr(lib, name):
                getattr(lib, name)(1)
                break


_single_threaded()
