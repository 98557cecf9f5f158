"""Elementwise math functions (atan ... digamma, atan2 ... xlogy) and the composed activation
layers (Hardswish ... Softmax2d): NumPy references, float64 gradcheck, PyTorch's errors, the
in-place and method forms, and a few on the CUDA device (simulator when no GPU)."""
import math

import numpy as np
import pytest

import nbtorch
import nbtorch.nn as nn
import nbtorch.nn.functional as F
from nbtorch.autograd import gradcheck

RNG = np.random.default_rng(0)
X = RNG.uniform(-3, 3, (3, 4))
UNIT = np.tanh(X) * 0.95
POS = np.abs(X) + 0.2
_lgamma = np.vectorize(math.lgamma)

# name -> (input, NumPy reference)
UNARY = {
    "atan": (X, np.arctan), "asin": (UNIT, np.arcsin), "acos": (UNIT, np.arccos),
    "sinh": (X, np.sinh), "cosh": (X, np.cosh), "asinh": (X, np.arcsinh),
    "acosh": (POS + 1, np.arccosh), "atanh": (UNIT, np.arctanh),
    "erf": (X, np.vectorize(math.erf)), "erfc": (X, np.vectorize(math.erfc)),
    "lgamma": (X, _lgamma),
    "digamma": (X, lambda x: (_lgamma(x + 1e-6) - _lgamma(x - 1e-6)) / 2e-6),
    "exp2": (X, np.exp2), "deg2rad": (X, np.deg2rad), "rad2deg": (X, np.rad2deg),
    "sinc": (X, np.sinc), "frac": (X, lambda x: x - np.trunc(x)),
    "logit": (UNIT / 2 + 0.5, lambda p: np.log(p / (1 - p))),
}
# name -> (input, other, NumPy reference)
BINARY = {
    "atan2": (X, X[:, :1], np.arctan2), "hypot": (X, X[:1], np.hypot),
    "copysign": (X, -X[::-1], np.copysign), "fmod": (X * 3, POS[:, :1], np.fmod),
    "logaddexp": (X, X[::-1], np.logaddexp), "logaddexp2": (X, X[::-1], np.logaddexp2),
    "xlogy": (X, POS, lambda x, y: x * np.log(y)),
    "clamp_min": (X, X[::-1] / 2, np.maximum), "clamp_max": (X, X[::-1] / 2, np.minimum),
}


def t(a, grad=False):
    return nbtorch.tensor(a, dtype=nbtorch.float64, requires_grad=grad)


@pytest.mark.parametrize("name", UNARY)
def test_unary_forward_and_gradcheck(name):
    x, ref = UNARY[name]
    fn = getattr(nbtorch, name)
    rtol = 1e-6 if name == "digamma" else 1e-12
    np.testing.assert_allclose(fn(t(x)).numpy(), ref(x), rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(fn(t(x).float()).numpy(), ref(x), rtol=1e-5, atol=1e-5)
    assert gradcheck(fn, (t(x, True),))


def test_erfinv_inverts_erf_and_its_edges():
    y = np.concatenate([UNIT.ravel(), [0.999999, -0.9999999999, 0.0]])
    x = nbtorch.erfinv(t(y)).numpy()
    np.testing.assert_allclose(np.vectorize(math.erf)(x), y, rtol=1e-14, atol=1e-15)
    assert gradcheck(nbtorch.erfinv, (t(UNIT, True),))
    edges = nbtorch.erfinv(t([1.0, -1.0, 1.5, np.nan])).numpy()
    assert edges[0] == np.inf and edges[1] == -np.inf and np.isnan(edges[2:]).all()


def test_digamma_and_lgamma_at_poles():
    d = nbtorch.digamma(t([0.0, -0.0, -2.0, np.inf])).numpy()
    assert d[0] == -np.inf and d[1] == np.inf and np.isnan(d[2]) and d[3] == np.inf
    assert nbtorch.lgamma(t([0.0, -1.0])).numpy().tolist() == [np.inf, np.inf]


@pytest.mark.parametrize("name", BINARY)
def test_binary_forward_and_gradcheck(name):
    a, b, ref = BINARY[name]
    fn = getattr(nbtorch, name)
    np.testing.assert_allclose(fn(t(a), t(b)).numpy(), ref(a, b), rtol=1e-12, atol=1e-12)
    if name != "copysign":          # its gradient w.r.t. other is zero, its kink at a == 0
        assert gradcheck(fn, (t(a, True), t(b, True)))


def test_special_values():
    z = t([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 2.0])
    assert nbtorch.signbit(z).numpy().tolist() == np.signbit(z.numpy()).tolist()
    assert nbtorch.signbit(nbtorch.tensor([-1, 0, 3])).tolist() == [True, False, False]
    np.testing.assert_array_equal(nbtorch.copysign(t([1.0, 2.0]), t([-0.0, 0.0])).numpy(),
                                  [-1.0, 2.0])
    inf = t([np.inf, -np.inf, np.inf])
    np.testing.assert_array_equal(nbtorch.logaddexp(inf, t([np.inf, -np.inf, -np.inf])).numpy(),
                                  [np.inf, -np.inf, np.inf])
    x = nbtorch.xlogy(t([0.0, 0.0, 2.0]), t([0.0, np.nan, 3.0])).numpy()
    assert x[0] == 0 and np.isnan(x[1]) and x[2] == pytest.approx(2 * math.log(3))
    assert nbtorch.sinc(t([0.0])).item() == 1.0
    nan_bound = nbtorch.clamp_min(t([1.0, -1.0]), t([np.nan, 0.0]))    # NaN bounds give NaN
    assert np.isnan(nan_bound.numpy()[0]) and nan_bound.numpy()[1] == 0
    assert np.isnan(nbtorch.clamp(t([1.0]), max=math.nan).numpy()).all()
    a, b = np.array([-7, 7, -7, 7, 5]), np.array([3, 3, -3, -3, 5])
    assert nbtorch.fmod(nbtorch.tensor(a), nbtorch.tensor(b)).tolist() == np.fmod(a, b).tolist()
    assert nbtorch.fmod(nbtorch.tensor(a), 2).dtype is nbtorch.int64
    h = nbtorch.heaviside(t([-1.0, 0.0, 2.0]), t([0.5]))
    assert h.tolist() == np.heaviside([-1.0, 0.0, 2.0], 0.5).tolist()


def test_logit_eps_clamps_and_zeroes_the_gradient():
    p = t([0.05, 0.5, 0.97], True)
    y = nbtorch.logit(p, eps=0.1)
    q = np.clip(p.detach().numpy(), 0.1, 0.9)
    np.testing.assert_allclose(y.detach().numpy(), np.log(q / (1 - q)), rtol=1e-12)
    y.sum().backward()
    assert p.grad.tolist() == [0.0, 4.0, 0.0]


def test_clamp_tensor_bounds_get_gradients():
    x, lo, hi = t(X, True), t(X[::-1] - 1, True), t(X[::-1] + 1, True)
    assert gradcheck(lambda a, b, c: nbtorch.clamp(a, b, c), (x, lo, hi))


def test_integer_inputs_promote_to_float():
    i = nbtorch.tensor([1, 2, 3])
    for name in ("atan", "erf", "exp2", "deg2rad", "lgamma", "sinc"):
        assert getattr(nbtorch, name)(i).dtype is nbtorch.float32
    assert nbtorch.atan2(i, i).dtype is nbtorch.float32
    assert nbtorch.xlogy(2, i).dtype is nbtorch.float32


def test_methods_inplace_and_aliases():
    x = t(UNIT)
    np.testing.assert_allclose(x.arctan().numpy(), np.arctan(UNIT))
    np.testing.assert_allclose(x.arctan2(t(POS)).numpy(), np.arctan2(UNIT, POS))
    y = x.clone()
    assert y.atanh_() is y
    np.testing.assert_allclose(y.numpy(), np.arctanh(UNIT))
    y = x.clone().fmod_(0.3)
    np.testing.assert_allclose(y.numpy(), np.fmod(UNIT, 0.3))
    i = nbtorch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        i.erf_()
    a = t(X, True)
    b = a * 1
    b.sinh_()
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.cosh(X))


# --- activations: F name -> (args, NumPy reference of f(x, *args)) ---
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACT = {
    "hardswish": ((), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "hardsigmoid": ((), lambda x: np.clip(x + 3, 0, 6) / 6),
    "mish": ((), lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    "selu": ((), lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                           * np.expm1(x))),
    "celu": ((0.7,), lambda x, a: np.where(x > 0, x, a * np.expm1(x / a))),
    "softsign": ((), lambda x: x / (1 + np.abs(x))),
    "logsigmoid": ((), lambda x: np.log(_sigmoid(x))),
    "glu": ((1,), lambda x, d: x[:, :2] * _sigmoid(x[:, 2:])),
    "softmin": ((1,), lambda x, d: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
    "threshold": ((0.5, -2.0), lambda x, th, v: np.where(x <= th, v, x)),
    "softshrink": ((0.5,), lambda x, lam: np.sign(x) * np.maximum(np.abs(x) - lam, 0)),
    "hardshrink": ((0.5,), lambda x, lam: np.where((x >= -lam) & (x <= lam), 0, x)),
    "tanhshrink": ((), lambda x: x - np.tanh(x)),
    "rrelu": ((0.1, 0.3), lambda x, lo, hi: np.where(x > 0, x, x * (lo + hi) / 2)),
}
XA = X + 0.01          # away from the kinks at 0, +-0.5 and +-3


@pytest.mark.parametrize("name", ACT)
def test_activation_forward_and_gradcheck(name):
    args, ref = ACT[name]
    fn = getattr(F, name)
    np.testing.assert_allclose(fn(t(XA), *args).numpy(), ref(XA, *args), rtol=1e-12,
                               atol=1e-14)
    assert gradcheck(lambda x: fn(x, *args), (t(XA, True),))


@pytest.mark.parametrize("name", ["hardswish", "hardsigmoid", "mish", "selu", "celu",
                                  "threshold", "rrelu"])
def test_activation_inplace(name):
    args, ref = ACT[name]
    x = t(XA)
    out = getattr(F, name)(x, *args, inplace=True)
    assert out is x
    np.testing.assert_allclose(x.numpy(), ref(XA, *args), rtol=1e-12, atol=1e-14)


def test_rrelu_training_draws_slopes_in_range():
    x = t(-np.ones(400), True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert 0.1 <= slopes.min() < 0.12 and 0.28 < slopes.max() <= 0.3
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), slopes)
    m = nn.RReLU(0.1, 0.3)
    assert m.training and m(t(-np.ones(50))).numpy().std() > 0
    np.testing.assert_allclose(m.eval()(t([-1.0, 2.0])).numpy(), [-0.2, 2.0])


def test_modules_and_softmax2d():
    x = t(RNG.standard_normal((2, 3, 2, 2)))
    y = nn.Softmax2d()(x).numpy()
    np.testing.assert_allclose(y.sum(1), 1.0)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D "
                                         "instead"):
        nn.Softmax2d()(t(X))
    for module, name, args in [(nn.Hardswish(), "hardswish", ()), (nn.CELU(0.7), "celu", (0.7,)),
                               (nn.GLU(1), "glu", (1,)), (nn.Softshrink(), "softshrink", (0.5,)),
                               (nn.Threshold(0.5, -2.0), "threshold", (0.5, -2.0)),
                               (nn.LogSigmoid(), "logsigmoid", ())]:
        np.testing.assert_allclose(module(t(XA)).numpy(), ACT[name][1](XA, *args))


def test_hardswish_gradient_at_the_kinks():
    """PyTorch's one-sided choice: 0 at x = -3, 1 at x = 3 (the slopes of the outer pieces)."""
    x = t([-3.0, -1.5, 3.0])
    x.requires_grad_(True)
    F.hardswish(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, -1.5 / 3 + 0.5, 1.0])


def test_activation_errors():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is "
                                           "size 5"):
        F.glu(t(np.ones((2, 5))))
    with pytest.raises(RuntimeError, match="lambda must be in range"):
        F.softshrink(t(X), -0.5)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F.rrelu(t(X), 0.5, 0.1)
    with pytest.raises(NotImplementedError, match="\"hardswish_cpu\" not implemented for 'Long'"):
        F.hardswish(nbtorch.tensor([1, 2]))
    assert F.threshold(nbtorch.tensor([1, 2]), 1, 0).tolist() == [0, 2]


@pytest.mark.parametrize("name", ACT)
def test_activation_nan_passes_through(name):
    args, ref = ACT[name]
    x = np.array([[np.nan, 1.0, -1.0, 2.0]])
    with np.errstate(invalid="ignore"):
        expected = ref(x, *args)[:, :1]
    assert np.isnan(expected).all() and np.isnan(getattr(F, name)(t(x), *args).numpy()[:, :1]).all()


# --- PyTorch as an extra oracle ---
ERRORS = [
    "torch.atan2(torch.tensor([1.]), 2.)", "torch.hypot(torch.tensor([3]), torch.tensor([4]))",
    "torch.logaddexp(torch.tensor([1]), torch.tensor([1]))",
    "torch.fmod(torch.tensor([7]), 0)", "torch.frac(torch.tensor([1]))",
    "torch.heaviside(torch.tensor([0.]), torch.tensor([1]))",
    "torch.heaviside(torch.tensor([0.]), 0.5)",
    "F.glu(torch.tensor(1.))", "F.glu(torch.ones(3, 4), 2)", "F.celu(torch.ones(2), 0.)",
    "F.softshrink(torch.ones(2), -0.5)", "F.mish(torch.tensor([1]))",
    "F.logsigmoid(torch.tensor([1]))", "F.hardshrink(torch.tensor([1]))",
    "F.selu(torch.tensor([1]))", "F.rrelu(torch.tensor([1]))",
    "torch.tensor([1., 2.]).fmod_(torch.tensor([[1., 2.]]))",
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_pytorch(call):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    with pytest.raises(Exception) as expected:
        eval(call, {"torch": torch, "F": TF})
    with pytest.raises(type(expected.value)) as got:
        eval(call, {"torch": nbtorch, "F": F})
    assert str(got.value) == str(expected.value)


def test_grad_fn_names_and_reprs_match_pytorch():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    for lib in (torch, nbtorch):
        lib.x = lib.tensor(UNIT, dtype=lib.float64, requires_grad=True)
    calls = [f"torch.{n}(x)" for n in UNARY] + [
        f"torch.{n}(x, x * 2)" for n in BINARY] + [
        "torch.fmod(x, 2.)", "torch.copysign(x, 2.)", "torch.xlogy(x, 2.)", "torch.xlogy(2., x)",
        "torch.clamp_min(x, 0.)", "torch.clamp_max(x, 0.)", "torch.arctan2(x, x)"] + [
        f"F.{n}(x, {', '.join(map(str, ACT[n][0]))})" for n in ACT] + [
        "F.rrelu(x, training=True)"]
    for call in calls:
        names = [eval(call, {"torch": lib, "F": f, "x": lib.x}).grad_fn.name()
                 for lib, f in ((torch, TF), (nbtorch, F))]
        assert names[0] == names[1], call
    modules = ["Hardswish(True)", "Hardsigmoid()", "Mish(True)", "SELU()", "CELU(2.0, True)",
               "Softsign()", "LogSigmoid()", "GLU()", "Softmin(1)", "Threshold(0.1, 20)",
               "Softshrink()", "Hardshrink(0.3)", "Tanhshrink()", "RReLU(0.1, 0.3, True)",
               "Softmax2d()", "Softmin()"]
    for m in modules:
        assert repr(eval("nn." + m)) == repr(eval("torch.nn." + m, {"torch": torch})), m


def test_methods_and_functions_exist_as_in_pytorch():
    torch = pytest.importorskip("torch")
    names = ["atan", "arcsin", "acosh", "erfinv", "lgamma", "digamma", "exp2", "logit", "sinc",
             "frac", "fmod", "hypot", "atan2", "arctan2", "copysign", "xlogy", "heaviside",
             "clamp_min", "clamp_max", "deg2rad", "rad2deg"]
    for n in names:
        assert hasattr(nbtorch.Tensor, n + "_") == hasattr(torch.Tensor, n + "_"), n
    for n in ["logaddexp", "logaddexp2", "signbit", "hardshrink"]:
        assert hasattr(nbtorch.Tensor, n) and not hasattr(nbtorch.Tensor, n + "_")
    for n in ["selu_", "celu_", "rrelu_", "threshold_", "logaddexp2", "signbit"]:
        assert hasattr(nbtorch, n) and hasattr(torch, n)


# --- CUDA: the compositions end to end on the device (simulator: tiny shapes) ---
@pytest.mark.parametrize("call", [
    "torch.xlogy(a, b)", "torch.logaddexp(a, b)", "torch.fmod(a, b)", "torch.erfinv(a / 4)",
    "torch.digamma(b)", "F.mish(a)", "F.hardswish(a)", "F.glu(a, 0)", "torch.signbit(a)"])
def test_cuda_matches_cpu(call):
    a, b = X[:2, :3], POS[:2, :3]
    cpu = eval(call, {"torch": nbtorch, "F": F, "a": t(a), "b": t(b)})
    dev = eval(call, {"torch": nbtorch, "F": F, "a": t(a).cuda(), "b": t(b).cuda()})
    assert dev.device.type == "cuda"
    np.testing.assert_allclose(dev.cpu().numpy(), cpu.numpy(), rtol=1e-12)
