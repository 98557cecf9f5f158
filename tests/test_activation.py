"""Activations: the CPU kernels against NumPy formulas and float64 finite differences, then the
autograd ops (gradcheck), nn.functional, the modules and, when PyTorch is installed, torch."""
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


def _gelu(x):
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


# name -> (NumPy reference, whether backward takes the output (else the input), kinks)
REF = {
    "relu": (lambda x: np.maximum(x, 0), True, lambda: [0.0]),
    "leaky_relu": (lambda x, s: np.where(x > 0, x, x * s), False, lambda s: [0.0]),
    "elu": (lambda x, a: np.where(x > 0, x, a * np.expm1(x)), False, lambda a: [0.0]),
    "gelu": (lambda x, approx: _gelu_tanh(x) if approx == "tanh" else _gelu(x), False,
             lambda approx: []),
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
    np.testing.assert_allclose(forward(op, x, params), ref, atol=np.finfo(dtype).tiny,
                               rtol=4e-7 if dtype == np.float32 else 1e-15)
    g = np.ones_like(x)
    assert np.isfinite(backward(op, g, x, params)).all()


# --- autograd ops and nn.functional ---
import nbtorch  # noqa: E402
import nbtorch.nn as nn  # noqa: E402
import nbtorch.nn.functional as F  # noqa: E402
from nbtorch.autograd import gradcheck  # noqa: E402

GRAD_FN = {"relu": "ReluBackward0", "leaky_relu": "LeakyReluBackward0", "elu": "EluBackward0",
           "gelu": "GeluBackward0", "silu": "SiluBackward0", "sigmoid": "SigmoidBackward0",
           "tanh": "TanhBackward0", "softplus": "SoftplusBackward0",
           "hardtanh": "HardtanhBackward0"}


def call(lib, op, x, params):
    """``lib.op(x, *params)``, lib nbtorch's or torch's functional (gelu's option by keyword)."""
    if op == "gelu":
        return lib.gelu(x, approximate=params[0])
    return getattr(lib, op)(x, *params)


@pytest.mark.parametrize("op,params", CASES, ids=IDS)
def test_functional_forward_and_grad_fn(op, params):
    x = sample((3, 4), np.float32, seed=5)
    y = call(F, op, nbtorch.tensor(x, requires_grad=True), params)
    assert y.dtype is nbtorch.float32 and y.shape == (3, 4)
    assert y.grad_fn.name() == GRAD_FN[op]
    np.testing.assert_allclose(y.detach().numpy(), REF[op][0](x.astype(np.float64), *params),
                               **TOL[np.float32])


@pytest.mark.parametrize("op,params", CASES, ids=IDS)
def test_gradcheck(op, params):
    x = sample((4, 3), np.float64, REF[op][2](*params), seed=6)
    t = nbtorch.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: call(F, op, a, params), (t,))
    # a non-contiguous input (a transposed view) gives the same values and gradients
    assert gradcheck(lambda a: call(F, op, a.t(), params), (t,))


def test_relu6_is_hardtanh_0_6():
    x = nbtorch.tensor([-1.0, 0.5, 5.0, 7.0], requires_grad=True)
    y = F.relu6(x)
    assert y.tolist() == [0.0, 0.5, 5.0, 6.0] and y.grad_fn.name() == "HardtanhBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("op,params", [("relu", ()), ("leaky_relu", (0.1,)), ("elu", (1.0,)),
                                       ("silu", ()), ("hardtanh", (-0.5, 0.5))])
def test_inplace(op, params):
    x0 = sample((5,), np.float64, REF[op][2](*params), seed=7)
    leaf = nbtorch.tensor(x0, requires_grad=True)
    h = leaf * 1.0
    y = getattr(F, op)(h, *params, inplace=True)
    assert y is h
    np.testing.assert_allclose(h.detach().numpy(), REF[op][0](x0, *params), rtol=1e-13)
    h.sum().backward()
    x1 = nbtorch.tensor(x0, requires_grad=True)  # the out-of-place op's gradient is the reference
    getattr(F, op)(x1, *params).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), x1.grad.numpy(), rtol=1e-13)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        getattr(F, op)(nbtorch.tensor(x0, requires_grad=True), *params, inplace=True)


def test_tensor_methods_and_torch_functions():
    x = nbtorch.tensor([-2.0, 0.0, 3.0])
    assert x.relu().tolist() == [0.0, 0.0, 3.0]
    assert nbtorch.relu(x).tolist() == [0.0, 0.0, 3.0]
    np.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + np.exp([2.0, 0.0, -3.0])), rtol=1e-6)
    np.testing.assert_allclose(nbtorch.tanh(x).numpy(), np.tanh([-2.0, 0.0, 3.0]), rtol=1e-6)
    y = x.clone()
    assert y.relu_() is y and y.tolist() == [0.0, 0.0, 3.0]
    z = x.clone()
    z.tanh_()
    np.testing.assert_allclose(z.numpy(), np.tanh([-2.0, 0.0, 3.0]), rtol=1e-6)


def test_integer_inputs():
    i = nbtorch.tensor([1, -2])
    assert F.relu(i).dtype is nbtorch.int64 and F.relu(i).tolist() == [1, 0]
    assert F.hardtanh(i).tolist() == [1, -1]
    s = nbtorch.sigmoid(i)
    assert s.dtype is nbtorch.float32
    np.testing.assert_allclose(s.numpy(), 1 / (1 + np.exp([-1.0, 2.0])), rtol=1e-6)
    for fn, name in ((F.elu, "elu_cpu"), (F.gelu, "GeluKernelImpl"), (F.silu, "silu_cpu"),
                     (F.leaky_relu, "leaky_relu_cpu"), (F.softplus, "softplus_cpu")):
        with pytest.raises(NotImplementedError, match=f"^\"{name}\" not implemented for 'Long'$"):
            fn(i)


def test_argument_errors():
    x = nbtorch.randn(3)
    with pytest.raises(RuntimeError, match="^approximate argument must be either none or tanh.$"):
        F.gelu(x, approximate="foo")
    with pytest.raises(RuntimeError, match="^approximate argument must be either none or tanh.$"):
        nn.GELU("foo")(x)
    with pytest.raises(ValueError, match="^min_val cannot be greater than max_val$"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(AssertionError, match=r"^max_val \(1\) must be greater than min_val \(2\)$"):
        nn.Hardtanh(2, 1)


# --- modules ---
MODULES = [  # (module, functional equivalent, PyTorch's repr)
    (lambda: nn.ReLU(), F.relu, "ReLU()"),
    (lambda: nn.ReLU(inplace=True), F.relu, "ReLU(inplace=True)"),
    (lambda: nn.LeakyReLU(), lambda x: F.leaky_relu(x, 0.01), "LeakyReLU(negative_slope=0.01)"),
    (lambda: nn.LeakyReLU(0.2, True), lambda x: F.leaky_relu(x, 0.2),
     "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (lambda: nn.ELU(), F.elu, "ELU(alpha=1.0)"),
    (lambda: nn.ELU(0.5, True), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5, inplace=True)"),
    (lambda: nn.GELU(), F.gelu, "GELU(approximate='none')"),
    (lambda: nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh"), "GELU(approximate='tanh')"),
    (lambda: nn.SiLU(), F.silu, "SiLU()"),
    (lambda: nn.SiLU(True), F.silu, "SiLU(inplace=True)"),
    (lambda: nn.Sigmoid(), F.sigmoid, "Sigmoid()"),
    (lambda: nn.Tanh(), F.tanh, "Tanh()"),
    (lambda: nn.Softplus(), F.softplus, "Softplus(beta=1.0, threshold=20.0)"),
    (lambda: nn.Softplus(2, 10), lambda x: F.softplus(x, 2, 10), "Softplus(beta=2, threshold=10)"),
    (lambda: nn.Hardtanh(), F.hardtanh, "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (lambda: nn.Hardtanh(-2, 3, True), lambda x: F.hardtanh(x, -2, 3),
     "Hardtanh(min_val=-2, max_val=3, inplace=True)"),
    (lambda: nn.ReLU6(), F.relu6, "ReLU6()"),
    (lambda: nn.ReLU6(True), F.relu6, "ReLU6(inplace=True)"),
]


@pytest.mark.parametrize("make,fn,text", MODULES, ids=[m[2] for m in MODULES])
def test_module(make, fn, text):
    m = make()
    assert repr(m) == text
    assert list(m.parameters()) == [] and list(m.buffers()) == []
    x = nbtorch.tensor(sample((2, 5), np.float32, seed=8) * 2)
    expected = fn(x).numpy().copy()
    y = m(x)
    np.testing.assert_array_equal(y.numpy(), expected)
    assert (y is x) == ("inplace=True" in text)
    if TORCH is not None:
        assert repr(eval("TORCH.nn." + text)) == text


def test_hardtanh_deprecated_keywords():
    with pytest.warns(FutureWarning, match="keyword argument `min_value` is deprecated"):
        m = nn.Hardtanh(min_value=-3.0)
    assert m.min_val == -3.0


# --- PyTorch as an oracle ---
@pytest.mark.skipif(TORCH is None, reason="PyTorch is not installed (optional oracle)")
@pytest.mark.parametrize("op,params", CASES + [("relu6", ())], ids=IDS + ["relu6"])
def test_against_torch(op, params):
    """In float64, where both are accurate (torch's float32 erf is not, to ~1e-4 relative)."""
    x = sample((3, 7), np.float64, seed=9) * 2
    g = np.random.default_rng(10).standard_normal((3, 7))
    a = nbtorch.tensor(x, requires_grad=True)
    b = TORCH.tensor(x, requires_grad=True)
    ya, yb = call(F, op, a, params), call(TORCH.nn.functional, op, b, params)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert ya.grad_fn.name() == yb.grad_fn.name()
    ya.backward(nbtorch.tensor(g))
    yb.backward(TORCH.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-15)
