"""Softmax / log-softmax: the CPU kernels against NumPy formulas and float64 finite differences
(contiguous-row and strided-column paths), then the autograd ops (gradcheck), nn.functional's
implicit dim, errors, the modules and, when PyTorch is installed, torch."""
import warnings

import numpy as np
import pytest
from numba import njit

import nbtorch
import nbtorch.kernels.cpu.softmax  # noqa: F401  (registers the launchers under test)
import nbtorch.nn as nn
import nbtorch.nn.functional as F
from nbtorch.autograd import gradcheck
from nbtorch.kernels.cpu.softmax import row_max
from nbtorch.kernels.registry import lookup

from central_differences import central_differences

try:
    import torch as TORCH
except ImportError:
    TORCH = None

FLOATS = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=3e-6, atol=1e-7), np.float64: dict(rtol=1e-13, atol=1e-15)}
# (shape, dim): rows of 13 and 17 (8 lanes + a tail), a 1-d row, strided columns, 0-d
CASES = [((5, 13), 1), ((4, 17), -1), ((7,), 0), ((3, 4, 5), 1), ((2, 3, 4), 0), ((6, 3), 0),
         ((), 0), ((2, 1, 3), 1)]


def np_softmax(x, dim):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


def np_log_softmax(x, dim):
    x = x.astype(np.float64)
    m = x.max(dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(dim, keepdims=True))


REF = {"softmax": np_softmax, "log_softmax": np_log_softmax}


def sample(shape, dtype, seed=0, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def run(op, x, dim):
    out = np.empty_like(x)
    lookup(f"{op}_forward", "cpu")(x, out, dim % max(x.ndim, 1))
    return out


def run_backward(op, g, y, dim):
    gx = np.empty_like(g)
    lookup(f"{op}_backward", "cpu")(g, y, gx, dim % max(g.ndim, 1))
    return gx


# --- kernels ---
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_forward_kernel(op, shape, dim, dtype):
    x = sample(shape, dtype)
    out = run(op, x, dim)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, REF[op](x, dim % max(x.ndim, 1) if x.ndim else None),
                               **TOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_forward_kernel_extreme_values(op, dtype):
    """Max subtraction keeps huge logits finite; -inf entries get probability 0."""
    x = np.array([[1e4, 1e4 - 1, 1e4 - 50, -1e4], [0, -np.inf, 1, 2], [5, 5, 5, 5]], dtype)
    out = run(op, x, 1)
    assert np.isfinite(out[:, [0, 2, 3]]).all()
    ref = REF[op](x, 1)
    np.testing.assert_allclose(out, ref, rtol=3e-6 if dtype == np.float32 else 1e-13)
    if op == "softmax":
        assert out[1, 1] == 0 and np.allclose(out[2], 0.25)
    else:
        assert out[1, 1] == -np.inf


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_backward_kernel_formula(op, shape, dim, dtype):
    x = sample(shape, dtype)
    g = sample(shape, dtype, seed=1, scale=1.0)
    y = run(op, x, dim)
    gx = run_backward(op, g, y, dim)
    d = dim % max(x.ndim, 1) if x.ndim else None
    y64, g64 = y.astype(np.float64), g.astype(np.float64)
    if op == "softmax":
        ref = y64 * (g64 - (g64 * y64).sum(d, keepdims=True))
    else:
        ref = g64 - np.exp(y64) * g64.sum(d, keepdims=True)
    np.testing.assert_allclose(gx, ref, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)


@pytest.mark.parametrize("shape,dim", [((3, 11), 1), ((2, 3, 4), 1)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_backward_kernel_finite_differences(op, shape, dim):
    """<g, d out> = <gx, dx> against float64 central differences, coordinate by coordinate."""
    x = sample(shape, np.float64)
    g = sample(shape, np.float64, seed=2, scale=1.0)
    gx = run_backward(op, g, run(op, x, dim), dim)
    num = central_differences(lambda: run(op, x, dim), x, g)
    np.testing.assert_allclose(gx, num, rtol=1e-7, atol=1e-9)


def test_empty_input_is_a_no_op():
    x = np.empty((0, 3), np.float32)
    assert run("softmax", x, 1).shape == (0, 3)


# --- autograd ops ---
@pytest.mark.parametrize("shape,dim", [((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1), ((4,), 0),
                                       ((2, 3, 4), -1)])
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_gradcheck(fn, shape, dim):
    t = nbtorch.tensor(sample(shape, np.float64), requires_grad=True)
    assert gradcheck(lambda a: fn(a, dim), (t,))
    if len(shape) > 1:       # a transposed (non-contiguous) input
        assert gradcheck(lambda a: fn(a.transpose(0, 1), dim), (t,))


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_functional_values_grad_fn_and_forms(op):
    x = sample((4, 6), np.float32)
    t = nbtorch.tensor(x, requires_grad=True)
    out = getattr(F, op)(t, 1)
    np.testing.assert_allclose(out.detach().numpy(), REF[op](x, 1), **TOL[np.float32])
    assert out.grad_fn.name() == ("SoftmaxBackward0" if op == "softmax" else
                                  "LogSoftmaxBackward0")
    for other in (getattr(nbtorch, op)(t, 1), getattr(t, op)(1), getattr(t, op)(dim=1)):
        np.testing.assert_array_equal(other.detach().numpy(), out.detach().numpy())
    double = getattr(F, op)(t, 1, dtype=nbtorch.float64)
    assert double.dtype == nbtorch.float64
    np.testing.assert_allclose(double.detach().numpy(), REF[op](x, 1), rtol=1e-13)
    double.sum().backward()
    assert t.grad.dtype == nbtorch.float32


@pytest.mark.parametrize("ndim,dim", [(0, 0), (1, 0), (2, 1), (3, 0), (4, 1)])
def test_implicit_dim_warns_and_follows_pytorch(ndim, dim):
    x = nbtorch.tensor(sample((2,) * ndim, np.float64))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been "
                                         "deprecated. Change the call to include dim=X"):
        out = F.softmax(x)
    np.testing.assert_array_equal(out.numpy(), F.softmax(x, dim).numpy())
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        F.log_softmax(x)


def test_errors():
    x = nbtorch.randn(4, 5)
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)$"):
        F.softmax(x, 2)
    with pytest.raises(NotImplementedError,
                       match="^\"softmax_lastdim_kernel_impl\" not implemented for 'Long'$"):
        F.softmax(nbtorch.arange(5), 0)
    with pytest.raises(NotImplementedError,
                       match="^\"log_softmax_kernel_impl\" not implemented for 'Long'$"):
        F.log_softmax(nbtorch.arange(6).reshape(2, 3), 0)
    ints = F.softmax(nbtorch.arange(5), 0, dtype=nbtorch.float32)
    np.testing.assert_allclose(ints.numpy(), np_softmax(np.arange(5.0), 0), rtol=1e-6)


def test_modules():
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax(1)) == "LogSoftmax(dim=1)"
    assert repr(nn.Softmax()) == "Softmax(dim=None)"
    x = nbtorch.tensor(sample((3, 4), np.float32))
    np.testing.assert_array_equal(nn.Softmax(1)(x).numpy(), F.softmax(x, 1).numpy())
    np.testing.assert_array_equal(nn.LogSoftmax(0)(x).numpy(), F.log_softmax(x, 0).numpy())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.Softmax()(x)
    assert caught and caught[0].filename == __file__     # warned at the user's call site


@pytest.mark.parametrize("shape,dim", [((5, 13), 1), ((3, 4, 5), 1), ((2, 3, 4), 0)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_values_and_grads_against_numpy_and_torch(op, shape, dim):
    x = sample(shape, np.float32)
    g = sample(shape, np.float32, seed=3, scale=1.0)
    ours = nbtorch.tensor(x, requires_grad=True)
    out = getattr(F, op)(ours, dim)
    out.backward(nbtorch.tensor(g))
    y = REF[op](x, dim)
    g64 = g.astype(np.float64)
    grad = (y * (g64 - (g64 * y).sum(dim, keepdims=True)) if op == "softmax" else
            g64 - np.exp(y) * g64.sum(dim, keepdims=True))
    np.testing.assert_allclose(out.detach().numpy(), y, rtol=3e-6, atol=1e-7)
    np.testing.assert_allclose(ours.grad.numpy(), grad, rtol=1e-5, atol=1e-6)
    if TORCH is not None:
        theirs = TORCH.tensor(x, requires_grad=True)
        ref = getattr(TORCH.nn.functional, op)(theirs, dim)
        ref.backward(TORCH.tensor(g))
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=2e-6,
                                   atol=1e-7)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_on_integer_keys(dtype):
    """row_max (the rows' max taken on order-preserving integer keys) equals NumPy's max: all
    negative rows, signed zeros, infinities, and a NaN, which wins as in np.max."""
    @njit
    def maxes(x, out):
        for r in range(x.shape[0]):
            out[r] = row_max(x[r])
    x = np.random.default_rng(0).standard_normal((7, 37)).astype(dtype)
    x[0] = -np.abs(x[0])
    x[1, 5] = np.nan
    x[2, 7] = np.inf
    x[3] = -np.inf
    x[4], x[4, 3] = -0.0, 0.0
    x[5, -1] = np.finfo(dtype).max
    out = np.empty(7, dtype)
    maxes(x, out)
    np.testing.assert_array_equal(out, x.max(axis=1))
