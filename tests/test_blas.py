"""The one BLAS path (kernels/cpu/_blas.py): gemm with either operand transposed, alpha and beta,
row blocks of a matrix (leading dimensions), empty sizes, and the product cut into blocks over
the threads, against NumPy."""
import itertools
import subprocess
import sys

import numpy as np
import pytest

from nbtorch.kernels.cpu import _blas, _threads

SHAPES = [(5, 7, 3), (1, 9, 4), (6, 1, 5), (4, 4, 0), (0, 3, 2), (33, 20, 17)]


def _case(dtype, m, n, k, ta, tb, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return a, b, (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("split", [False, True])
def test_gemm_matches_numpy(dtype, split, monkeypatch):
    if split:       # every product cut into blocks, on 3 threads
        monkeypatch.setattr(_blas, "PARALLEL_MACS", 1)
        monkeypatch.setattr(_threads.numba, "get_num_threads", lambda: 3)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for (m, n, k), ta, tb in itertools.product(SHAPES, (False, True), (False, True)):
        a, b, ref = _case(dtype, m, n, k, ta, tb)
        c = np.random.default_rng(1).standard_normal((m, n)).astype(dtype)
        out = c.copy()
        _blas.matmul(a, b, out, ta, tb, 0.5, 2.0)
        np.testing.assert_allclose(out, 0.5 * ref + 2.0 * c, rtol=tol, atol=tol)
        out[...] = np.nan               # beta == 0 never reads out
        _blas.matmul(a, b, out, ta, tb)
        np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


def test_row_blocks_and_one_row_views():
    """Operands that are row blocks of bigger arrays (a row stride, not their width), and a
    one-row view whose row stride NumPy leaves arbitrary."""
    big = np.random.default_rng(2).standard_normal((8, 12)).astype(np.float32)
    a, b = big[:, 2:7], big[1:6, 3:11]
    out = np.empty((8, 8), np.float32)
    _blas.gemm(a, b, out, False, False, 1.0, 0.0)
    np.testing.assert_allclose(out, a @ b, rtol=1e-5)
    row = np.arange(8, dtype=np.float32)[None, :]          # strides (0, 4) or (32, 4)
    out = np.empty((1, 12), np.float32)
    _blas.gemm(row, big[:8].copy(), out, False, False, 1.0, 0.0)
    np.testing.assert_allclose(out, row @ big[:8], rtol=1e-5)


def test_blas_loads_without_the_rest_of_scipy_linalg():
    """Loading the kernels takes SciPy's cython_blas alone (a quarter of a warm start is the
    rest of scipy.linalg), and GEMM through it is right."""
    code = ("import sys, numpy as np; from nbtorch.kernels.cpu import _blas; "
            "a = np.arange(6.0).reshape(2, 3); out = np.empty((2, 2)); "
            "_blas.gemm(a, a, out, False, True, 1.0, 0.0); "
            "print('scipy.linalg' in sys.modules, np.allclose(out, a @ a.T))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    assert out == ["False", "True"]
