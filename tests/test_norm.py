"""Normalization: batch/layer/group norm kernels against NumPy formulas and float64 finite
differences, then the autograd ops (gradcheck), nn.functional, the modules (running statistics,
errors, reprs) and, when PyTorch is installed, torch itself."""
import numpy as np
import pytest

import nbtorch.kernels.cpu.norm  # noqa: F401  (registers the launchers under test)
from nbtorch.kernels.registry import lookup

try:
    import torch as TORCH
except ImportError:
    TORCH = None

FLOATS = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-11, atol=1e-12)}


def rand(shape, dtype=np.float64, seed=0, scale=1.0, shift=0.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)


def finite_diff(loss, arr, h=1e-6):
    """d loss() / d arr by central differences, perturbing ``arr`` in place."""
    grad = np.zeros(arr.shape)
    for i in np.ndindex(*arr.shape):
        orig = arr[i]
        arr[i] = orig + h
        plus = loss()
        arr[i] = orig - h
        minus = loss()
        arr[i] = orig
        grad[i] = (plus - minus) / (2 * h)
    return grad


# --- NumPy references ---
def ref_batch_norm(x, w, b, mean, var, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return out


def ref_group_norm(x, groups, w, b, eps):
    xg = x.reshape(x.shape[0], groups, -1)
    mean, var = xg.mean(2, keepdims=True), xg.var(2, keepdims=True)
    out = ((xg - mean) / np.sqrt(var + eps)).reshape(x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = out * (1 if w is None else w.reshape(shape)) + (0 if b is None else b.reshape(shape))
    return out, mean.reshape(-1), 1 / np.sqrt(var.reshape(-1) + eps)


def ref_layer_norm(x, k, w, b, eps):
    rows = x.reshape(-1, k)
    mean, var = rows.mean(1, keepdims=True), rows.var(1, keepdims=True)
    out = (rows - mean) / np.sqrt(var + eps)
    out = out * (1 if w is None else w.reshape(-1)) + (0 if b is None else b.reshape(-1))
    return out.reshape(x.shape), mean.reshape(-1), 1 / np.sqrt(var.reshape(-1) + eps)


# --- kernels: batch norm ---
BN_SHAPES = [(4, 3), (2, 3, 5), (3, 2, 4, 5), (2, 1, 1, 3)]


def bn_forward(x, w, b, rmean, rvar, training, momentum=0.1, eps=1e-5):
    c = x.shape[1]
    out, smean, sinvstd = np.empty_like(x), np.empty(c, x.dtype), np.empty(c, x.dtype)
    lookup("batch_norm_forward", "cpu")(x, w, b, rmean, rvar, out, smean, sinvstd, training,
                                        momentum, eps)
    return out, smean, sinvstd


def bn_backward(g, x, w, smean, sinvstd, training, need=(True, True, True)):
    gx, gw, gb = (np.empty_like(a) if n else None for a, n in zip((x, smean, smean), need))
    lookup("batch_norm_backward", "cpu")(g, x, w, smean, sinvstd, gx, gw if w is not None else None,
                                         gb if w is not None else None, training)
    return gx, gw, gb


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum", [0.1, 1.0, 0.0])
def test_batch_norm_forward_training(momentum, affine, dtype, shape):
    x = rand(shape, dtype, scale=2.0, shift=3.0)
    c = shape[1]
    w, b = (rand(c, dtype, 1), rand(c, dtype, 2)) if affine else (None, None)
    rmean, rvar = rand(c, dtype, 3), rand(c, dtype, 4) ** 2
    rmean0, rvar0 = rmean.astype(np.float64), rvar.astype(np.float64)
    out, smean, sinvstd = bn_forward(x, w, b, rmean, rvar, True, momentum, 1e-3)
    x64 = x.astype(np.float64)
    axes = (0,) + tuple(range(2, x.ndim))
    mean, var = x64.mean(axes), x64.var(axes)
    n = x.size // c
    ref = ref_batch_norm(x64, None if w is None else w.astype(np.float64),
                         None if b is None else b.astype(np.float64), mean, var, 1e-3)
    np.testing.assert_allclose(out, ref, **TOL[dtype])
    np.testing.assert_allclose(smean, mean, **TOL[dtype])
    np.testing.assert_allclose(sinvstd, 1 / np.sqrt(var + 1e-3), **TOL[dtype])
    np.testing.assert_allclose(rmean, (1 - momentum) * rmean0 + momentum * mean, **TOL[dtype])
    np.testing.assert_allclose(rvar, (1 - momentum) * rvar0 + momentum * var * n / (n - 1),
                               **TOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
def test_batch_norm_forward_training_without_running_stats(dtype):
    x = rand((5, 3, 2), dtype)
    out, smean, _ = bn_forward(x, None, None, None, None, True)
    np.testing.assert_allclose(out, ref_batch_norm(x.astype(np.float64), None, None, x.mean((0, 2)),
                                                   x.var((0, 2)), 1e-5), **TOL[dtype])


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_batch_norm_forward_eval_uses_running_stats(dtype, shape):
    c = shape[1]
    x, w, b = rand(shape, dtype), rand(c, dtype, 1), rand(c, dtype, 2)
    rmean, rvar = rand(c, dtype, 3), rand(c, dtype, 4) ** 2 + 0.1
    before = rmean.copy(), rvar.copy()
    out, smean, sinvstd = bn_forward(x, w, b, rmean, rvar, False)
    ref = ref_batch_norm(*(a.astype(np.float64) for a in (x, w, b, rmean, rvar)), 1e-5)
    np.testing.assert_allclose(out, ref, **TOL[dtype])
    np.testing.assert_array_equal(rmean, before[0])
    np.testing.assert_array_equal(rvar, before[1])


@pytest.mark.parametrize("shape", [(5, 2), (2, 3, 3), (2, 2, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_backward_matches_finite_differences(affine, training, shape):
    c = shape[1]
    x, g = rand(shape, seed=5, scale=2.0), rand(shape, seed=6)
    w, b = (rand(c, seed=7), rand(c, seed=8)) if affine else (None, None)
    rmean, rvar = rand(c, seed=9), rand(c, seed=10) ** 2 + 0.5

    def loss():
        return (bn_forward(x, w, b, rmean.copy(), rvar.copy(), training)[0] * g).sum()

    _, smean, sinvstd = bn_forward(x, w, b, rmean.copy(), rvar.copy(), training)
    gx, gw, gb = bn_backward(g, x, w, smean, sinvstd, training)
    np.testing.assert_allclose(gx, finite_diff(loss, x), rtol=1e-6, atol=1e-7)
    if affine:
        np.testing.assert_allclose(gw, finite_diff(loss, w), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(gb, finite_diff(loss, b), rtol=1e-6, atol=1e-7)


def test_batch_norm_backward_skips_grad_input():
    x, g, w = rand((4, 3)), rand((4, 3), seed=1), rand(3, seed=2)
    _, smean, sinvstd = bn_forward(x, w, None, None, None, True)
    gx, gw, gb = bn_backward(g, x, w, smean, sinvstd, True, need=(False, True, True))
    ref = bn_backward(g, x, w, smean, sinvstd, True)
    assert gx is None
    np.testing.assert_allclose(gw, ref[1], rtol=1e-14)
    np.testing.assert_allclose(gb, ref[2], rtol=1e-14)


@pytest.mark.parametrize("dtype", FLOATS)
def test_batch_norm_backward_float32(dtype):
    x, g, w = rand((6, 3, 4), dtype), rand((6, 3, 4), dtype, 1), rand(3, dtype, 2)
    _, smean, sinvstd = bn_forward(x, w, None, None, None, True)
    got = bn_backward(g, x, w, smean, sinvstd, True)
    x64, g64, w64 = (a.astype(np.float64) for a in (x, g, w))
    _, m64, s64 = bn_forward(x64, w64, None, None, None, True)
    for a, r in zip(got, bn_backward(g64, x64, w64, m64, s64, True)):
        np.testing.assert_allclose(a, r, rtol=1e-4 if dtype == np.float32 else 1e-13, atol=1e-5)


# --- kernels: group norm and layer norm ---
GN_CASES = [((2, 6, 4), 1), ((2, 6, 4), 2), ((2, 6, 4), 3), ((2, 6, 4), 6), ((3, 4), 2),
            ((2, 4, 3, 2), 2), ((1, 3, 5), 3)]


def gn_forward(x, groups, w, b, eps=1e-5):
    out, mean, rstd = np.empty_like(x), np.empty((x.shape[0], groups), x.dtype), \
        np.empty((x.shape[0], groups), x.dtype)
    lookup("group_norm_forward", "cpu")(x, w, b, out, mean, rstd, groups, eps)
    return out, mean, rstd


def gn_backward(g, x, groups, w, mean, rstd, need_input=True):
    gx = np.empty_like(x) if need_input else None
    gw, gb = (np.empty(x.shape[1], x.dtype), np.empty(x.shape[1], x.dtype)) if w is not None \
        else (None, None)
    lookup("group_norm_backward", "cpu")(g, x, w, mean, rstd, gx, gw, gb, groups)
    return gx, gw, gb


@pytest.mark.parametrize("shape,groups", GN_CASES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_forward(affine, dtype, shape, groups):
    x = rand(shape, dtype, scale=3.0, shift=-2.0)
    w, b = (rand(shape[1], dtype, 1), rand(shape[1], dtype, 2)) if affine else (None, None)
    out, mean, rstd = gn_forward(x, groups, w, b)
    ref, rmean, rrstd = ref_group_norm(x.astype(np.float64), groups,
                                       *(None if a is None else a.astype(np.float64) for a in (w, b)),
                                       1e-5)
    np.testing.assert_allclose(out, ref, **TOL[dtype])
    np.testing.assert_allclose(mean.reshape(-1), rmean, **TOL[dtype])
    np.testing.assert_allclose(rstd.reshape(-1), rrstd, **TOL[dtype])


@pytest.mark.parametrize("shape,groups", [((2, 4, 3), 2), ((3, 4), 4), ((1, 6, 2, 2), 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_backward_matches_finite_differences(affine, shape, groups):
    x, g = rand(shape, seed=3, scale=2.0), rand(shape, seed=4)
    w, b = (rand(shape[1], seed=5), rand(shape[1], seed=6)) if affine else (None, None)

    def loss():
        return (gn_forward(x, groups, w, b)[0] * g).sum()

    _, mean, rstd = gn_forward(x, groups, w, b)
    gx, gw, gb = gn_backward(g, x, groups, w, mean, rstd)
    np.testing.assert_allclose(gx, finite_diff(loss, x), rtol=1e-6, atol=1e-7)
    if affine:
        np.testing.assert_allclose(gw, finite_diff(loss, w), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(gb, finite_diff(loss, b), rtol=1e-6, atol=1e-7)
        gx2, gw2, _ = gn_backward(g, x, groups, w, mean, rstd, need_input=False)
        assert gx2 is None
        np.testing.assert_allclose(gw2, gw, rtol=1e-14)


LN_CASES = [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 3, 4), (4,)), ((1, 7), (7,)), ((4,), (4,))]


def ln_forward(x, k, w, b, eps=1e-5):
    rows = x.size // k
    out, mean, rstd = np.empty_like(x), np.empty(rows, x.dtype), np.empty(rows, x.dtype)
    lookup("layer_norm_forward", "cpu")(x, w, b, out, mean, rstd, eps)
    return out, mean, rstd


@pytest.mark.parametrize("shape,normalized", LN_CASES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_forward(affine, dtype, shape, normalized):
    x = rand(shape, dtype, scale=2.0, shift=1.0)
    k = int(np.prod(normalized))
    w, b = (rand(normalized, dtype, 1), rand(normalized, dtype, 2)) if affine else (None, None)
    out, mean, rstd = ln_forward(x, k, w, b)
    ref, rmean, rrstd = ref_layer_norm(x.astype(np.float64), k,
                                       *(None if a is None else a.astype(np.float64) for a in (w, b)),
                                       1e-5)
    np.testing.assert_allclose(out, ref, **TOL[dtype])
    np.testing.assert_allclose(mean, rmean, **TOL[dtype])
    np.testing.assert_allclose(rstd, rrstd, **TOL[dtype])


@pytest.mark.parametrize("shape,normalized", LN_CASES[:3])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_backward_matches_finite_differences(affine, shape, normalized):
    k = int(np.prod(normalized))
    x, g = rand(shape, seed=3, scale=2.0), rand(shape, seed=4)
    w, b = (rand(normalized, seed=5), rand(normalized, seed=6)) if affine else (None, None)

    def loss():
        return (ln_forward(x, k, w, b)[0] * g).sum()

    _, mean, rstd = ln_forward(x, k, w, b)
    gx = np.empty_like(x)
    gw, gb = (np.empty_like(w), np.empty_like(b)) if affine else (None, None)
    lookup("layer_norm_backward", "cpu")(g, x, w, mean, rstd, gx, gw, gb)
    np.testing.assert_allclose(gx, finite_diff(loss, x), rtol=1e-6, atol=1e-7)
    if affine:
        np.testing.assert_allclose(gw, finite_diff(loss, w), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(gb, finite_diff(loss, b), rtol=1e-6, atol=1e-7)
