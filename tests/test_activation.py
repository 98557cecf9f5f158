"""Activations: the CPU kernels against NumPy formulas and float64 finite differences, then the
autograd ops (gradcheck), nn.functional, the modules and, when PyTorch is installed, torch itself."""
import math

import numpy as np
import pytest

import nbtorch.kernels.cpu.activation  # noqa: F401  (registers the launchers under test)
from nbtorch.kernels.registry import lookup

try:
    import torch as TORCH
except ImportError:
    TORCH = None

FLOATS = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-6, atol=1e-7), np.float64: dict(rtol=1e-12, atol=1e-14)}
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _softplus(x, beta, threshold):
    with np.errstate(over="ignore"):
        return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


# name -> (NumPy reference, whether backward takes the output (else the input), kinks)
REF = {
    "relu": (lambda x: np.maximum(x, 0), True, lambda: [0.0]),
    "leaky_relu": (lambda x, s: np.where(x > 0, x, x * s), False, lambda s: [0.0]),
    "elu": (lambda x, a: np.where(x > 0, x, a * np.expm1(x)), False, lambda a: [0.0]),
    "gelu": (lambda x, approx: _gelu_tanh(x) if approx == "tanh" else 0.5 * x * (1 + _erf(x / math.sqrt(2))),
             False, lambda approx: []),
    "silu": (lambda x: x / (1 + np.exp(-x)), False, lambda: []),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), True, lambda: []),
    "tanh": (np.tanh, True, lambda: []),
    "softplus": (_softplus, False, lambda beta, threshold: [threshold / beta]),
    "hardtanh": (lambda x, lo, hi: np.clip(x, lo, hi), False, lambda lo, hi: [lo, hi]),
}
CASES = [("relu", ()), ("leaky_relu", (0.01,)), ("leaky_relu", (-0.3,)), ("elu", (1.0,)),
         ("elu", (0.5,)), ("gelu", ("none",)), ("gelu", ("tanh",)), ("silu", ()), ("sigmoid", ()),
         ("tanh", ()), ("softplus", (1.0, 20.0)), ("softplus", (2.0, 1.5)),
         ("hardtanh", (-1.0, 1.0)), ("hardtanh", (0.0, 6.0))]
IDS = [f"{op}{params}" for op, params in CASES]


def sample(shape, dtype, kinks=(), seed=0):
    """Normal values spread over [-6, 6], kept 1e-2 away from the op's kinks."""
    x = np.random.default_rng(seed).standard_normal(shape) * 2.5
    for k in kinks:
        near = np.abs(x - k) < 1e-2
        x[near] = k + 5e-2
    return x.astype(dtype)


def forward(op, x, params):
    out = np.empty_like(x)
    lookup(f"{op}_forward", "cpu")(x, out, *params)
    return out


def backward(op, g, x, params):
    ref, takes_out, _ = REF[op]
    saved = forward(op, x, params) if takes_out else x
    gx = np.empty_like(x)
    lookup(f"{op}_backward", "cpu")(g, saved, gx, *params)
    return gx


# --- kernels ---
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5, 2), (0,)])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op,params", CASES, ids=IDS)
def test_forward_kernel(op, params, dtype, shape):
    x = sample(shape, dtype)
    ref = REF[op][0](x.astype(np.float64), *params)
    np.testing.assert_allclose(forward(op, x, params), ref, **TOL[dtype])


@pytest.mark.parametrize("op,params", CASES, ids=IDS)
def test_backward_kernel_matches_finite_differences(op, params):
    x = sample((23,), np.float64, REF[op][2](*params), seed=1)
    g = np.random.default_rng(2).standard_normal(23)
    h = 1e-6
    numeric = g * (forward(op, x + h, params) - forward(op, x - h, params)) / (2 * h)
    np.testing.assert_allclose(backward(op, g, x, params), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("op,params", CASES, ids=IDS)
def test_backward_kernel_float32(op, params):
    x = sample((11,), np.float32, REF[op][2](*params), seed=3)
    g = np.random.default_rng(4).standard_normal(11).astype(np.float32)
    ref = backward(op, g.astype(np.float64), x.astype(np.float64), params)
    np.testing.assert_allclose(backward(op, g, x, params), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op,params,x,grad", [
    ("relu", (), 0.0, 0.0), ("leaky_relu", (0.2,), 0.0, 0.2), ("elu", (0.5,), 0.0, 0.5),
    ("hardtanh", (-1.0, 1.0), -1.0, 0.0), ("hardtanh", (-1.0, 1.0), 1.0, 0.0),
    ("softplus", (1.0, 20.0), 20.0, 1 / (1 + math.exp(-20.0)))])
def test_gradient_at_kinks_follows_pytorch(op, params, x, grad):
    assert backward(op, np.ones(1), np.array([x]), params)[0] == pytest.approx(grad, rel=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op,params", CASES, ids=IDS)
def test_extremes_are_finite_and_accurate(op, params, dtype):
    """No overflow to NaN at large |x|; relative accuracy for tiny |x| (no cancellation)."""
    x = np.array([-1000, -50, -1e-30, -1e-8, 0, 1e-8, 1e-30, 50, 1000], dtype)
    with np.errstate(over="ignore"):
        ref = REF[op][0](x.astype(np.float64), *params)
    np.testing.assert_allclose(forward(op, x, params), ref, rtol=4e-7 if dtype == np.float32 else 1e-15,
                               atol=np.finfo(dtype).tiny)
    g = np.ones_like(x)
    assert np.isfinite(backward(op, g, x, params)).all()
