"""The 2x2 stride-2 pooling kernels (straight-line fast paths) agree with the general window
kernels on data full of ties and NaNs (several NaNs in a window: the last one wins), odd sizes
that leave a row and a column uncovered, and both float dtypes."""
import numpy as np
import pytest

import nbtorch.kernels.cpu.pool as K


def _data(dtype, shape=(3, 4, 9, 7)):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, shape).astype(dtype)          # many ties
    x[rng.random(shape) < 0.1] = np.nan
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_2x2_matches_general_kernel(dtype, monkeypatch):
    x = _data(dtype)
    out_shape = x.shape[:2] + (4, 3)
    results = []
    for fast in (True, False):
        monkeypatch.setattr(K, "_two_by_two", lambda *a, fast=fast: fast)
        out, idx = np.empty(out_shape, dtype), np.empty(out_shape, np.int64)
        K.maxpool2d_forward(x, out, idx, (2, 2), (2, 2), (0, 0), (1, 1))
        results.append((out, idx))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert np.isnan(results[0][0]).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("divisor", [None, 3])
def test_avg_2x2_matches_general_kernel(dtype, divisor, monkeypatch):
    x = np.nan_to_num(_data(dtype))
    g = np.random.default_rng(1).standard_normal(x.shape[:2] + (4, 3)).astype(dtype)
    results = []
    for fast in (True, False):
        monkeypatch.setattr(K, "_two_by_two", lambda *a, fast=fast: fast)
        out, gx = np.empty(g.shape, dtype), np.full(x.shape, np.nan, dtype)
        K.avgpool2d_forward(x, out, (2, 2), (2, 2), (0, 0), True, divisor)
        K.avgpool2d_backward(g, gx, (2, 2), (2, 2), (0, 0), True, divisor)
        results.append((out, gx))
    for fast, general in zip(*results):
        np.testing.assert_allclose(fast, general, rtol=1e-6)
    assert (results[0][1][:, :, 8, :] == 0).all() and (results[0][1][:, :, :, 6] == 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_backward_of_other_windows_and_nonfinite_gradients(dtype):
    """A 3x3 stride-3 pool has shapes the 2x2 backward accepts: its indices send it to the
    general scatter. An inf or NaN gradient reaches its argmax only."""
    x = np.random.default_rng(2).standard_normal((2, 3, 9, 9)).astype(dtype)
    out, idx = np.empty((2, 3, 3, 3), dtype), np.empty((2, 3, 3, 3), np.int64)
    K.maxpool2d_forward(x, out, idx, (3, 3), (3, 3), (0, 0), (1, 1))
    g = np.ones(out.shape, dtype)
    gx = np.full(x.shape, np.nan, dtype)
    K.maxpool2d_backward(g, idx, gx)
    assert gx.sum() == g.size and (gx.reshape(2, 3, -1).argmax(-1) >= 0).all()
    np.testing.assert_array_equal(np.take_along_axis(gx.reshape(2, 3, -1), idx.reshape(2, 3, -1),
                                                     -1), 1)
    x = x[:, :, :8, :8].copy()
    out, idx = np.empty((2, 3, 4, 4), dtype), np.empty((2, 3, 4, 4), np.int64)
    K.maxpool2d_forward(x, out, idx, (2, 2), (2, 2), (0, 0), (1, 1))
    g = np.full(out.shape, np.inf, dtype)
    g[0, 0, 0, 0] = np.nan
    gx = np.full(x.shape, -1, dtype)
    K.maxpool2d_backward(g, idx, gx)
    assert np.isinf(gx).sum() == g.size - 1 and np.isnan(gx).sum() == 1
    assert (gx[np.isfinite(gx)] == 0).all()
