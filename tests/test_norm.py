"""Normalization: batch/layer/group norm kernels against NumPy formulas and float64 finite
differences, then the autograd ops (gradcheck), nn.functional, the modules (running statistics,
errors, reprs) and, when PyTorch is installed, torch itself."""
import numpy as np
import pytest

import nbtorch.kernels.cpu.norm  # noqa: F401  (registers the launchers under test)
from nbtorch.kernels.registry import lookup

from central_differences import central_differences

try:
    import torch as TORCH
except ImportError:
    TORCH = None

FLOATS = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-11, atol=1e-12)}


def rand(shape, dtype=np.float64, seed=0, scale=1.0, shift=0.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)


def as64(*arrays):
    return [None if a is None else a.astype(np.float64) for a in arrays]


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
    np.testing.assert_allclose(gx, central_differences(loss, x), rtol=1e-6, atol=1e-7)
    if affine:
        np.testing.assert_allclose(gw, central_differences(loss, w), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(gb, central_differences(loss, b), rtol=1e-6, atol=1e-7)


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
    ref, rmean, rrstd = ref_group_norm(x.astype(np.float64), groups, *as64(w, b), 1e-5)
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
    np.testing.assert_allclose(gx, central_differences(loss, x), rtol=1e-6, atol=1e-7)
    if affine:
        np.testing.assert_allclose(gw, central_differences(loss, w), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(gb, central_differences(loss, b), rtol=1e-6, atol=1e-7)
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
    ref, rmean, rrstd = ref_layer_norm(x.astype(np.float64), k, *as64(w, b), 1e-5)
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
    np.testing.assert_allclose(gx, central_differences(loss, x), rtol=1e-6, atol=1e-7)
    if affine:
        np.testing.assert_allclose(gw, central_differences(loss, w), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(gb, central_differences(loss, b), rtol=1e-6, atol=1e-7)


# --- autograd ops and nn.functional ---
import nbtorch  # noqa: E402
import nbtorch.nn as nn  # noqa: E402
import nbtorch.nn.functional as F  # noqa: E402
from nbtorch.autograd import gradcheck  # noqa: E402


def leaf(a, requires_grad=True):
    return nbtorch.tensor(a, requires_grad=requires_grad)


def xwb(shape, param_shape, grads):
    """Float64 leaves x, weight, bias; those named in ``grads`` ("xwb") require grad."""
    return (leaf(rand(shape, seed=1, scale=2.0), "x" in grads),
            leaf(rand(param_shape, seed=2), "w" in grads),
            leaf(rand(param_shape, seed=3), "b" in grads))


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("grads", ["xwb", "x", "wb", "xb"])
def test_batch_norm_gradcheck(grads, training, shape):
    c = shape[1]
    x, w, b = xwb(shape, c, grads)
    rmean, rvar = nbtorch.tensor(rand(c, seed=4)), nbtorch.tensor(rand(c, seed=5) ** 2 + 0.5)
    y = F.batch_norm(x, rmean, rvar, w, b, training)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    # running stats are left alone inside gradcheck by passing none in training
    stats = (None, None) if training else (rmean, rvar)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, *stats, w, b, training), (x, w, b))


def test_batch_norm_gradcheck_without_affine_and_non_contiguous():
    x = leaf(rand((3, 4, 5), seed=1))
    assert gradcheck(lambda x: F.batch_norm(x.transpose(0, 2), None, None, training=True), (x,))


@pytest.mark.parametrize("shape,groups", [((2, 4, 3), 2), ((3, 6), 3), ((2, 4, 2, 2), 1)])
@pytest.mark.parametrize("grads", ["xwb", "x", "wb"])
def test_group_norm_gradcheck(grads, shape, groups):
    c = shape[1]
    x, w, b = xwb(shape, c, grads)
    assert F.group_norm(x, groups, w, b).grad_fn.name() == "NativeGroupNormBackward0"
    assert gradcheck(lambda x, w, b: F.group_norm(x, groups, w, b, 1e-3), (x, w, b))
    assert gradcheck(lambda x: F.group_norm(x, groups), (leaf(rand(shape, seed=4)),))


@pytest.mark.parametrize("shape,normalized", [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((4,), (4,))])
@pytest.mark.parametrize("grads", ["xwb", "x", "wb"])
def test_layer_norm_gradcheck(grads, shape, normalized):
    x, w, b = xwb(shape, normalized, grads)
    assert F.layer_norm(x, normalized, w, b).grad_fn.name() == "NativeLayerNormBackward0"
    assert gradcheck(lambda x, w, b: F.layer_norm(x, normalized, w, b), (x, w, b))
    assert gradcheck(lambda x: F.layer_norm(x, normalized, None, None, 0.1), (leaf(rand(shape)),))


def test_functional_forward_matches_numpy_float32():
    x = rand((4, 6, 3), np.float32, scale=2.0)
    w, b = rand(6, np.float32, 1), rand(6, np.float32, 2)
    xt, wt, bt = map(nbtorch.tensor, (x, w, b))
    x64, w64, b64 = (a.astype(np.float64) for a in (x, w, b))
    got = F.batch_norm(xt, None, None, wt, bt, training=True, eps=1e-3)
    assert got.dtype is nbtorch.float32
    ref = ref_batch_norm(x64, w64, b64, x64.mean((0, 2)), x64.var((0, 2)), 1e-3)
    np.testing.assert_allclose(got.numpy(), ref, **TOL[np.float32])
    np.testing.assert_allclose(F.group_norm(xt, 3, wt, bt).numpy(),
                               ref_group_norm(x64, 3, w64, b64, 1e-5)[0], **TOL[np.float32])
    np.testing.assert_allclose(F.layer_norm(xt, (6, 3)).numpy(),
                               ref_layer_norm(x64, 18, None, None, 1e-5)[0], **TOL[np.float32])


def test_batch_norm_empty_batch_is_a_copy():
    rmean, rvar = nbtorch.zeros(3), nbtorch.ones(3)
    y = F.batch_norm(nbtorch.randn(0, 3), rmean, rvar, training=True)
    assert y.shape == (0, 3) and rmean.tolist() == [0.0] * 3 and rvar.tolist() == [1.0] * 3


ERRORS = [
    (lambda t: t.nn.functional.batch_norm(t.randn(1, 3), None, None, training=True), ValueError,
     "Expected more than 1 value per channel when training, got input size torch.Size([1, 3])"),
    (lambda t: t.nn.functional.batch_norm(t.randn(2, 3), None, None), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    (lambda t: t.nn.functional.batch_norm(t.randn(2, 3), t.zeros(3), None), RuntimeError,
     "running_var must be defined in evaluation mode"),
    (lambda t: t.nn.functional.batch_norm(t.randn(2, 3), None, t.ones(3), training=True),
     ValueError,
     "running_mean and running_var must either both be None or neither be None"),
    (lambda t: t.nn.functional.batch_norm(t.randn(3), None, None, training=True), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda t: t.nn.functional.batch_norm(t.randn(2, 3), t.zeros(4), t.ones(4)), RuntimeError,
     "running_mean should contain 3 elements not 4"),
    (lambda t: t.nn.functional.batch_norm(t.randn(2, 3), t.zeros(3), t.ones(3),
                                          weight=t.ones(4)), RuntimeError,
     "weight should contain 3 elements not 4"),
    (lambda t: t.nn.functional.batch_norm(t.randn(2, 3), None, None, training=True, eps=0),
     ValueError,
     "batch_norm eps must be positive during training, but got 0"),
    (lambda t: t.nn.functional.batch_norm(t.randn(2, 3), None, None, t.ones(3).double(),
                                          training=True), RuntimeError,
     "mixed dtype (CPU): expect parameter to have scalar type of Float"),
    (lambda t: t.nn.BatchNorm1d(3)(t.randn(2, 3).double()), RuntimeError,
     "mixed dtype (CPU): all inputs must share same datatype."),
    (lambda t: t.nn.functional.layer_norm(t.randn(3, 5), (10,)), RuntimeError,
     "Given normalized_shape=[10], expected input with shape [*, 10], but got input of size[3, 5]"),
    (lambda t: t.nn.functional.layer_norm(t.randn(3, 5), (2, 3, 5)), RuntimeError,
     "Given normalized_shape=[2, 3, 5], expected input with shape [*, 2, 3, 5], but got input of "
     "size[3, 5]"),
    (lambda t: t.nn.functional.layer_norm(t.randn(3, 5), (5,), weight=t.ones(4)), RuntimeError,
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
     "normalized_shape = [5]"),
    (lambda t: t.nn.functional.layer_norm(t.randn(3, 5), 5), TypeError,
     "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"),
    (lambda t: t.nn.functional.group_norm(t.randn(2, 6, 4), 4), RuntimeError,
     "Expected number of channels in input to be divisible by num_groups, but got input of shape "
     "[2, 6, 4] and num_groups=4"),
    (lambda t: t.nn.functional.group_norm(t.randn(2, 6, 4), 3, weight=t.ones(5)), RuntimeError,
     "Expected weight to be a vector of size equal to the number of channels in input, but got "
     "weight of shape [5] and input of shape [2, 6, 4]"),
    (lambda t: t.nn.functional.group_norm(t.randn(6), 3), RuntimeError,
     "Expected at least 2 dimensions for input tensor but received 1"),
    (lambda t: t.nn.BatchNorm1d(3)(t.randn(3)), ValueError,
     "expected 2D or 3D input (got 1D input)"),
    (lambda t: t.nn.BatchNorm2d(3)(t.randn(2, 3, 4)), ValueError,
     "expected 4D input (got 3D input)"),
    (lambda t: t.nn.BatchNorm2d(3)(t.randn(2, 4, 4, 4)), RuntimeError,
     "running_mean should contain 4 elements not 3"),
    (lambda t: t.nn.GroupNorm(4, 6), ValueError,
     "num_channels (6) must be divisible by num_groups (4)"),
]


@pytest.mark.parametrize("fn,exc,message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors(fn, exc, message):
    """PyTorch's exception type and words (and torch's own, when installed)."""
    for lib in (nbtorch, TORCH) if TORCH is not None else (nbtorch,):
        with pytest.raises(exc) as info:
            fn(lib)
        assert str(info.value) == message


# --- modules ---
REPRS = [
    (lambda t: t.nn.BatchNorm2d(16),
     "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"),
    (lambda t: t.nn.BatchNorm1d(4, 1e-3, None, affine=False, track_running_stats=False),
     "BatchNorm1d(4, eps=0.001, momentum=None, affine=False, bias=False, "
     "track_running_stats=False)"),
    (lambda t: t.nn.BatchNorm1d(3, bias=False),
     "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=False, track_running_stats=True)"),
    (lambda t: t.nn.LayerNorm(10),
     "LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)"),
    (lambda t: t.nn.LayerNorm([3, 4], elementwise_affine=False, bias=False),
     "LayerNorm((3, 4), eps=1e-05, elementwise_affine=False, bias=False)"),
    (lambda t: t.nn.GroupNorm(2, 6), "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)"),
    (lambda t: t.nn.GroupNorm(1, 4, affine=False),
     "GroupNorm(1, 4, eps=1e-05, affine=False, bias=False)"),
]


@pytest.mark.parametrize("make,text", REPRS, ids=[r[1] for r in REPRS])
def test_repr_and_state(make, text):
    for lib in (nbtorch, TORCH) if TORCH is not None else (nbtorch,):
        assert repr(make(lib)) == text
    m = make(nbtorch)
    if TORCH is not None:
        ref = make(TORCH)
        assert list(m.state_dict()) == list(ref.state_dict())
        for (k, a), b in zip(m.state_dict().items(), ref.state_dict().values()):
            assert str(a.dtype) == str(b.dtype) and a.tolist() == b.tolist(), k


def test_batch_norm_defaults():
    m = nn.BatchNorm2d(3)
    assert m.weight.tolist() == [1.0] * 3 and m.bias.tolist() == [0.0] * 3
    assert m.running_mean.tolist() == [0.0] * 3 and m.running_var.tolist() == [1.0] * 3
    assert m.num_batches_tracked.dtype is nbtorch.int64 and m.num_batches_tracked.item() == 0
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_running_stats_follow_the_formula(momentum):
    m = nn.BatchNorm2d(3, momentum=momentum).double()
    rmean, rvar = np.zeros(3), np.ones(3)
    for step in range(1, 4):
        x = rand((4, 3, 2, 3), seed=step, scale=step, shift=step)
        y = m(nbtorch.tensor(x))
        mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
        factor = 1.0 / step if momentum is None else momentum
        rmean = (1 - factor) * rmean + factor * mean
        rvar = (1 - factor) * rvar + factor * x.var((0, 2, 3), ddof=1)
        ref = ref_batch_norm(x, None, None, mean, var, 1e-5)
        np.testing.assert_allclose(y.detach().numpy(), ref, **TOL[np.float64])
        np.testing.assert_allclose(m.running_mean.numpy(), rmean, rtol=1e-12)
        np.testing.assert_allclose(m.running_var.numpy(), rvar, rtol=1e-12)
        assert m.num_batches_tracked.item() == step
    m.eval()
    x = rand((2, 3, 2, 2), seed=9)
    np.testing.assert_allclose(m(nbtorch.tensor(x)).detach().numpy(),
                               ref_batch_norm(x, None, None, rmean, rvar, 1e-5), **TOL[np.float64])
    assert m.num_batches_tracked.item() == 3


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    m = nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert m.running_mean is None and list(m.state_dict()) == ["weight", "bias"]
    x = rand((5, 3), np.float32)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(m(nbtorch.tensor(x)).detach().numpy(),
                               ref_batch_norm(x64, None, None, x64.mean(0), x64.var(0), 1e-5),
                               **TOL[np.float32])


def test_batch_norm_bad_input_leaves_the_module_unchanged():
    m = nn.BatchNorm1d(3)
    with pytest.raises(ValueError):
        m(nbtorch.randn(1, 3))
    assert m.num_batches_tracked.item() == 0 and m.running_mean.tolist() == [0.0] * 3


def test_batch_norm_trains_weight_and_bias():
    m = nn.BatchNorm1d(2).double()
    x = rand((6, 2, 3), seed=2)
    g = rand((6, 2, 3), seed=3)
    m(nbtorch.tensor(x)).backward(nbtorch.tensor(g))
    xhat = (x - x.mean((0, 2), keepdims=True)) / np.sqrt(x.var((0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(m.weight.grad.numpy(), (g * xhat).sum((0, 2)), rtol=1e-10)
    np.testing.assert_allclose(m.bias.grad.numpy(), g.sum((0, 2)), rtol=1e-10)


def test_batch_norm_loads_state_dict_without_num_batches_tracked():
    """A checkpoint from before version 2 has no num_batches_tracked: it loads as 0."""
    src = nn.BatchNorm1d(2)
    src(nbtorch.randn(4, 2))
    state = src.state_dict()
    del state["num_batches_tracked"]
    state._metadata[""]["version"] = 1
    dst = nn.BatchNorm1d(2)
    dst.load_state_dict(state)
    assert dst.running_mean.tolist() == src.running_mean.tolist()
    assert dst.num_batches_tracked.item() == 0


def test_layer_norm_and_group_norm_modules():
    x = rand((2, 4, 3), np.float32, scale=3.0)
    ln, gn = nn.LayerNorm((4, 3)), nn.GroupNorm(2, 4)
    assert [p.shape for p in ln.parameters()] == [(4, 3), (4, 3)]
    assert [p.shape for p in gn.parameters()] == [(4,), (4,)]
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(ln(nbtorch.tensor(x)).detach().numpy(),
                               ref_layer_norm(x64, 12, None, None, 1e-5)[0], **TOL[np.float32])
    np.testing.assert_allclose(gn(nbtorch.tensor(x)).detach().numpy(),
                               ref_group_norm(x64, 2, None, None, 1e-5)[0], **TOL[np.float32])
    assert nn.LayerNorm(3, elementwise_affine=False).weight is None


# --- PyTorch as an oracle ---
@pytest.mark.skipif(TORCH is None, reason="PyTorch is not installed (optional oracle)")
@pytest.mark.parametrize("make,shape", [
    (lambda t: t.nn.BatchNorm2d(3), (4, 3, 3, 2)),
    (lambda t: t.nn.BatchNorm1d(3, momentum=None), (5, 3)),
    (lambda t: t.nn.BatchNorm1d(3, affine=False), (4, 3, 2)),
    (lambda t: t.nn.LayerNorm((3, 2)), (4, 3, 2)), (lambda t: t.nn.GroupNorm(3, 6), (2, 6, 4))])
def test_against_torch(make, shape):
    a, b = make(nbtorch), make(TORCH)
    with nbtorch.no_grad(), TORCH.no_grad():
        for p, q in zip(a.parameters(), b.parameters()):
            q.copy_(TORCH.tensor(rand(tuple(p.shape), np.float32, seed=7)))
            p.copy_(nbtorch.tensor(q.numpy()))
    for step, mode in enumerate(["train", "train", "eval"]):
        getattr(a, mode)(), getattr(b, mode)()
        x = rand(shape, np.float32, seed=step, scale=2.0, shift=1.0)
        g = rand(shape, np.float32, seed=10 + step)
        xa, xb = nbtorch.tensor(x, requires_grad=True), TORCH.tensor(x, requires_grad=True)
        ya, yb = a(xa), b(xb)
        assert ya.grad_fn.name() == yb.grad_fn.name()
        np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5, atol=1e-5)
        ya.backward(nbtorch.tensor(g))
        yb.backward(TORCH.tensor(g))
        np.testing.assert_allclose(xa.grad.numpy(), xb.grad.numpy(), rtol=1e-4, atol=1e-5)
        for (k, u), v in zip(a.state_dict().items(), b.state_dict().values()):
            np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
        for p, q in zip(a.parameters(), b.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5)
