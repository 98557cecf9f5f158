"""Losses: the fused cross-entropy / NLL kernels against NumPy formulas and float64 finite
differences, then every loss of nn.functional against NumPy (values), gradcheck (every option),
PyTorch's grad_fn names and error words, the modules and, when PyTorch is installed, torch."""
import warnings

import numpy as np
import pytest

import nbtorch
import nbtorch.kernels.cpu.loss  # noqa: F401  (registers the launchers under test)
import nbtorch.nn as nn
import nbtorch.nn.functional as F
from nbtorch.autograd import gradcheck
from nbtorch.kernels.registry import lookup

from central_differences import central_differences

try:
    import torch as TORCH
except ImportError:
    TORCH = None

FLOATS = [np.float32, np.float64]
REDUCTIONS = ["none", "mean", "sum"]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


# --- NumPy references (float64) ---
def _rows(x):
    """(N, C, *d) or (C,) -> (rows, C) with the class axis last."""
    x = np.asarray(x, np.float64)
    return x[None] if x.ndim == 1 else np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _log_softmax_rows(x):
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True))


def _finish(per_row, count, reduction, shape):
    if reduction == "none":
        return per_row.reshape(shape)
    return per_row.sum() / count if reduction == "mean" else per_row.sum()


def np_nll(lp, t, w, ignore, reduction, smooth_lp=None, eps=0.0):
    """NLL of (rows, C) log-probabilities; with ``smooth_lp`` the label-smoothed cross-entropy."""
    t = np.asarray(t).reshape(-1)
    keep = t != ignore
    tt = np.where(keep, t, 0)
    nll = np.where(keep, -w[tt] * lp[np.arange(len(t)), tt], 0.0)
    if smooth_lp is not None:
        nll = (1 - eps) * nll + eps / lp.shape[1] * np.where(keep, -(lp * w).sum(1), 0.0)
    with np.errstate(invalid="ignore"):
        return nll, w[tt][keep].sum()


def np_cross_entropy(x, t, w, ignore=-100, eps=0.0, reduction="mean"):
    lp = _log_softmax_rows(_rows(x))
    per, wsum = np_nll(lp, t, w, ignore, reduction, lp, eps)
    with np.errstate(invalid="ignore"):
        return _finish(per, wsum, reduction, np.shape(t) if np.ndim(x) > 1 else ())


def np_cross_entropy_prob(x, q, w, eps=0.0, reduction="mean"):
    lp = _log_softmax_rows(_rows(x))
    qs = (1 - eps) * _rows(q) + eps / lp.shape[1]
    per = -(lp * qs * w).sum(1)
    shape = (x.shape[0],) + x.shape[2:] if x.ndim > 1 else ()
    return _finish(per, len(per), reduction, shape)


def np_nll_loss(lp, t, w, ignore=-100, reduction="mean"):
    per, wsum = np_nll(_rows(lp), t, w, ignore, reduction)
    with np.errstate(invalid="ignore"):
        return _finish(per, wsum, reduction, np.shape(t) if np.ndim(lp) > 1 else ())


# --- samples ---
def sample(shape, dtype=np.float64, seed=0, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def targets(shape, C, ignore=None, seed=1):
    """Class indices of the target shape for input ``shape``, one set to ``ignore``."""
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    t = np.random.default_rng(seed).integers(0, C, tshape)
    if ignore is not None and t.ndim:
        t.reshape(-1)[1] = ignore
    return t


def weights(C, dtype, seed=2):
    return np.random.default_rng(seed).uniform(0.5, 2.0, C).astype(dtype)


def inputs(shape, ignore, dtype=np.float64):
    """x of ``shape``, class targets (one is ``ignore`` unless None), class weights and the
    ignore_index to pass."""
    C = shape[1] if len(shape) > 1 else shape[0]
    return (sample(shape, dtype), targets(shape, C, ignore), weights(C, dtype),
            -100 if ignore is None else ignore)


# (input shape, ignore_index used in the targets or None, label_smoothing)
CE_CASES = [((6, 5), None, 0.0), ((6, 5), -100, 0.3), ((6, 5), 2, 0.0), ((4, 17), -100, 0.1),
            ((3, 4, 2, 3), -100, 0.2), ((2, 3, 5), None, 0.0), ((5,), None, 0.25)]
CE_IDS = [f"{s}-ignore{i}-eps{e}" for s, i, e in CE_CASES]


def _ce_forward(x, t, w, ignore, eps, reduction):
    """(loss, probs) from the CPU forward."""
    out = np.empty(t.shape if reduction == "none" else (), x.dtype)
    probs = np.empty_like(x)
    lookup("cross_entropy_forward", "cpu")(x, t, w, out, probs, ignore, eps, reduction)
    return out, probs


def _ce_kernel(x, t, w, ignore, eps, reduction):
    return _ce_forward(x, t, w, ignore, eps, reduction)[0]


def _ce_kernel_backward(g, x, t, w, ignore, eps, reduction):
    """The backward from the probs that the forward saves."""
    probs = _ce_forward(x, t, w, ignore, eps, reduction)[1]
    gx = np.empty_like(x)
    lookup("cross_entropy_backward", "cpu")(g, probs, t, w, gx, ignore, eps, reduction)
    return gx


def _grad_seed(reduction, t, dtype, seed=4):
    return sample(t.shape if reduction == "none" else (), dtype, seed, 1.0)


# --- cross-entropy kernels ---
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,ignore,eps", CE_CASES, ids=CE_IDS)
def test_cross_entropy_kernel_forward(shape, ignore, eps, reduction, dtype):
    x, t, w, ig = inputs(shape, ignore, dtype)
    out = _ce_kernel(x, t, w, ig, eps, reduction)
    np.testing.assert_allclose(out, np_cross_entropy(x, t, w.astype(np.float64), ig, eps,
                                                     reduction), **TOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,ignore,eps", CE_CASES, ids=CE_IDS)
def test_cross_entropy_kernel_probs(shape, ignore, eps, dtype):
    """The forward's probs: the softmax over the class dim, in x's layout; 0 on ignored rows."""
    x, t, w, ig = inputs(shape, ignore, dtype)
    axis = 1 if len(shape) > 1 else 0
    probs = _ce_forward(x, t, w, ig, eps, "mean")[1]
    e = np.exp(x - x.max(axis, keepdims=True).astype(np.float64))
    expected = np.where(np.expand_dims(t == ig, axis), 0, e / e.sum(axis, keepdims=True))
    assert probs.dtype == dtype
    np.testing.assert_allclose(probs, expected, **TOL[dtype])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,ignore,eps", CE_CASES, ids=CE_IDS)
def test_cross_entropy_kernel_backward(shape, ignore, eps, reduction):
    x, t, w, ig = inputs(shape, ignore)
    g = _grad_seed(reduction, t, np.float64)
    gx = _ce_kernel_backward(g, x, t, w, ig, eps, reduction)
    num = central_differences(lambda: _ce_kernel(x, t, w, ig, eps, reduction), x, g)
    np.testing.assert_allclose(gx, num, rtol=1e-6, atol=1e-9)
    # float32 agrees with float64
    gx32 = _ce_kernel_backward(g.astype(np.float32), x.astype(np.float32), t,
                               w.astype(np.float32), ig, eps, reduction)
    np.testing.assert_allclose(gx32, gx, rtol=1e-4, atol=1e-6)


def test_cross_entropy_kernel_extremes():
    """Huge logits stay finite; all rows ignored gives nan for mean (0 / 0), 0 for sum."""
    x = np.array([[1e4, 0.0, -1e4], [3e4, 3e4, 3e4]], np.float32)
    t = np.array([1, 2])
    w = np.ones(3, np.float32)
    np.testing.assert_allclose(_ce_kernel(x, t, w, -100, 0.0, "none"), [1e4, np.log(3)],
                               rtol=1e-6)
    gx = _ce_kernel_backward(np.ones(2, np.float32), x, t, w, -100, 0.0, "none")
    np.testing.assert_allclose(gx, [[1, -1, 0], [1 / 3, 1 / 3, -2 / 3]], atol=1e-6)
    assert np.isnan(_ce_kernel(x, np.array([7, 7]), w, 7, 0.0, "mean"))
    assert _ce_kernel(x, np.array([7, 7]), w, 7, 0.0, "sum") == 0
    empty = np.empty((0, 3), np.float32)
    assert np.isnan(_ce_kernel(empty, np.empty(0, np.int64), w, -100, 0.0, "mean"))


PROB_CASES = [((6, 5), 0.0), ((4, 17), 0.3), ((3, 4, 2, 3), 0.1), ((5,), 0.0)]


def _prob_inputs(shape, dtype=np.float64, seed=5):
    """x of ``shape``, probability targets (summing to 1 over the class dim) and class weights."""
    axis = 1 if len(shape) > 1 else 0
    q = np.random.default_rng(seed).uniform(0, 1, shape)
    return (sample(shape, dtype), (q / q.sum(axis, keepdims=True)).astype(dtype),
            weights(shape[axis], dtype))


def _prob_kernel(x, q, w, eps, reduction):
    shape = (x.shape[0],) + x.shape[2:] if x.ndim > 1 else ()
    out = np.empty(shape if reduction == "none" else (), x.dtype)
    lookup("cross_entropy_prob_forward", "cpu")(x, q, w, out, eps, reduction)
    return out


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,eps", PROB_CASES)
def test_cross_entropy_prob_kernels(shape, eps, reduction, dtype):
    x, q, w = _prob_inputs(shape, dtype)
    out = _prob_kernel(x, q, w, eps, reduction)
    np.testing.assert_allclose(out, np_cross_entropy_prob(x, q, w.astype(np.float64), eps,
                                                          reduction), **TOL[dtype])
    if dtype == np.float64:
        g = sample(out.shape, dtype, 4, 1.0)
        gx = np.empty_like(x)
        lookup("cross_entropy_prob_backward", "cpu")(g, x, q, w, gx, eps, reduction)
        num = central_differences(lambda: _prob_kernel(x, q, w, eps, reduction), x, g)
        np.testing.assert_allclose(gx, num, rtol=1e-6, atol=1e-9)


NLL_CASES = [((6, 5), None), ((6, 5), 3), ((3, 4, 2, 3), -100), ((2, 3, 4, 5), -100), ((5,), None)]


def _nll_kernel(x, t, w, ignore, reduction):
    out = np.empty(t.shape if reduction == "none" and x.ndim > 1 else (), x.dtype)
    lookup("nll_loss_forward", "cpu")(x, t, w, out, ignore, reduction)
    return out


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,ignore", NLL_CASES)
def test_nll_kernels(shape, ignore, reduction, dtype):
    x, t, w, ig = inputs(shape, ignore, dtype)
    out = _nll_kernel(x, t, w, ig, reduction)
    np.testing.assert_allclose(out, np_nll_loss(x, t, w.astype(np.float64), ig, reduction),
                               **TOL[dtype])
    if dtype == np.float64:
        g = sample(out.shape, dtype, 4, 1.0)
        gx = np.empty_like(x)
        lookup("nll_loss_backward", "cpu")(g, t, w, gx, ig, reduction)
        num = central_differences(lambda: _nll_kernel(x, t, w, ig, reduction), x, g)
        np.testing.assert_allclose(gx, num, rtol=1e-6, atol=1e-9)


# --- cross_entropy / nll_loss through autograd ---
def _t(a, requires_grad=False):
    return nbtorch.tensor(np.asarray(a), requires_grad=requires_grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,ignore,eps", CE_CASES, ids=CE_IDS)
def test_cross_entropy_op(shape, ignore, eps, reduction):
    x, t, w, ig = inputs(shape, ignore)
    xt = _t(x, True)
    out = F.cross_entropy(xt, _t(t), weight=_t(w), ignore_index=ig, reduction=reduction,
                          label_smoothing=eps)
    np.testing.assert_allclose(out.detach().numpy(), np_cross_entropy(x, t, w, ig, eps, reduction),
                               rtol=1e-12, atol=1e-13)
    assert out.grad_fn.name() == ("AddBackward0" if eps > 0 else "NllLossBackward0")
    assert gradcheck(lambda a: F.cross_entropy(a, _t(t), weight=_t(w), ignore_index=ig,
                                               reduction=reduction, label_smoothing=eps), (xt,))
    if TORCH is not None:
        theirs = TORCH.nn.functional.cross_entropy(
            TORCH.tensor(x), TORCH.tensor(t), weight=TORCH.tensor(w), ignore_index=ig,
            reduction=reduction, label_smoothing=eps)
        np.testing.assert_allclose(out.detach().numpy(), theirs.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,eps", PROB_CASES)
def test_cross_entropy_prob_op(shape, eps, reduction):
    x, q, w = _prob_inputs(shape)
    xt, qt = _t(x, True), _t(q, True)
    out = F.cross_entropy(xt, qt, weight=_t(w), reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(out.detach().numpy(), np_cross_entropy_prob(x, q, w, eps,
                                                                           reduction), rtol=1e-12)
    assert out.grad_fn.name() == ("DivBackward1" if reduction == "mean" else "NegBackward0")
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, weight=_t(w), reduction=reduction,
                                                  label_smoothing=eps), (xt, qt))
    if TORCH is not None:
        theirs = TORCH.nn.functional.cross_entropy(TORCH.tensor(x), TORCH.tensor(q),
                                                   weight=TORCH.tensor(w), reduction=reduction,
                                                   label_smoothing=eps)
        np.testing.assert_allclose(out.detach().numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,ignore", NLL_CASES)
def test_nll_loss_op(shape, ignore, reduction):
    x, t, w, ig = inputs(shape, ignore)
    xt = _t(x, True)
    out = F.nll_loss(xt, _t(t), weight=_t(w), ignore_index=ig, reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), np_nll_loss(x, t, w, ig, reduction),
                               rtol=1e-12)
    assert out.grad_fn.name() == "NllLossBackward0"
    assert gradcheck(lambda a: F.nll_loss(a, _t(t), ignore_index=ig, reduction=reduction), (xt,))


def test_cross_entropy_float32_batch_matches_float64():
    """A LeNet-sized batch: float32 loss and gradient agree with the float64 computation."""
    x, t = sample((64, 10), np.float32, 7), targets((64, 10), 10, seed=8)
    xt = _t(x, True)
    loss = F.cross_entropy(xt, _t(t))
    loss.backward()
    x64 = _t(x.astype(np.float64), True)
    F.cross_entropy(x64, _t(t)).backward()
    assert loss.dtype == nbtorch.float32
    np.testing.assert_allclose(loss.item(), np_cross_entropy(x, t, np.ones(10)), rtol=1e-6)
    np.testing.assert_allclose(xt.grad.numpy(), x64.grad.numpy(), rtol=1e-5, atol=1e-8)
    if TORCH is not None:
        theirs = TORCH.tensor(x, requires_grad=True)
        TORCH.nn.functional.cross_entropy(theirs, TORCH.tensor(t)).backward()
        np.testing.assert_allclose(xt.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_byte_targets_and_uint8_ignore():
    x = sample((3, 4))
    t = np.array([0, 3, 1])
    ref = F.cross_entropy(_t(x), _t(t)).item()
    assert F.cross_entropy(_t(x), _t(t.astype(np.uint8))).item() == ref
    assert F.nll_loss(_t(x), _t(t.astype(np.uint8))).item() == F.nll_loss(_t(x), _t(t)).item()


# --- pointwise losses ---
def _np_pointwise(name, x, y, reduction, **kw):
    d = x - y
    a = np.abs(d)
    if name == "mse_loss":
        loss = d * d
    elif name == "l1_loss":
        loss = a
    elif name == "smooth_l1_loss":
        b = kw.get("beta", 1.0)
        loss = np.where(a < b, 0.5 * d * d / b, a - 0.5 * b)
    elif name == "huber_loss":
        dl = kw.get("delta", 1.0)
        loss = np.where(a < dl, 0.5 * d * d, dl * (a - 0.5 * dl))
    elif name == "binary_cross_entropy":
        loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))
        loss = loss * kw["weight"] if kw.get("weight") is not None else loss
    elif name == "binary_cross_entropy_with_logits":
        pw = kw.get("pos_weight")
        lw = 1 + (pw - 1) * y if pw is not None else 1
        loss = (1 - y) * x + lw * np.logaddexp(0, -x)
        loss = loss * kw["weight"] if kw.get("weight") is not None else loss
    else:   # kl_div
        if kw.get("log_target"):
            loss = np.exp(y) * (y - x)
        else:
            loss = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0) - y * x
        if reduction == "batchmean":
            return loss.sum() / x.shape[0]
    return _finish(loss.reshape(-1), loss.size, reduction, loss.shape)


def _pointwise_inputs(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    if name == "binary_cross_entropy":
        return rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)
    if name == "kl_div":
        return np.log(rng.uniform(0.05, 1, shape)), rng.uniform(0.05, 1, shape)
    return rng.standard_normal(shape) * 2, rng.standard_normal(shape) * 2


POINTWISE = [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
             ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
             ("huber_loss", {}), ("huber_loss", {"delta": 2.5}),
             ("binary_cross_entropy", {}), ("binary_cross_entropy", {"weight": "row"}),
             ("binary_cross_entropy_with_logits", {}),
             ("binary_cross_entropy_with_logits", {"pos_weight": "row", "weight": "full"}),
             ("kl_div", {}), ("kl_div", {"log_target": True})]
GRAD_FN = {"mse_loss": "MseLossBackward0", "smooth_l1_loss": "SmoothL1LossBackward0",
           "huber_loss": "HuberLossBackward0",
           "binary_cross_entropy": "BinaryCrossEntropyBackward0",
           "binary_cross_entropy_with_logits": "BinaryCrossEntropyWithLogitsBackward0"}
COMPOSED = {"none": {"l1_loss": "AbsBackward0", "kl_div": "SubBackward0"},
            "mean": "MeanBackward0", "sum": "SumBackward0"}


def _expected_grad_fn(name, reduction, kw):
    if name == "smooth_l1_loss" and kw.get("beta") == 0.0:
        name = "l1_loss"
    if name in GRAD_FN:
        return GRAD_FN[name]
    if reduction == "none":
        return "MulBackward0" if kw.get("log_target") else COMPOSED["none"][name]
    return COMPOSED[reduction]


def _kwargs(kw, shape, seed=9):
    """Weight-like options as arrays: "row" broadcasts along the last dim, "full" is full size."""
    rng = np.random.default_rng(seed)
    return {k: (rng.uniform(0.5, 2, shape[-1:] if v == "row" else shape) if v in ("row", "full")
                else v) for k, v in kw.items()}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", POINTWISE, ids=[f"{n}{k}" for n, k in POINTWISE])
def test_pointwise_loss(name, kw, reduction):
    shape = (3, 4)
    x, y = _pointwise_inputs(name, shape)
    arrays = _kwargs(kw, shape)
    tensors = {k: _t(v) if isinstance(v, np.ndarray) else v for k, v in arrays.items()}
    xt, yt = _t(x, True), _t(y, True)
    fn = getattr(F, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # kl_div's 'mean' warning
        out = fn(xt, yt, reduction=reduction, **tensors)
        np.testing.assert_allclose(out.detach().numpy(),
                                   _np_pointwise(name, x, y, reduction, **arrays), rtol=1e-12)
        assert out.grad_fn.name() == _expected_grad_fn(name, reduction, kw)
        assert gradcheck(lambda a, b: fn(a, b, reduction=reduction, **tensors), (xt, yt))
        if TORCH is not None:
            targs = {k: TORCH.tensor(v) if isinstance(v, np.ndarray) else v
                     for k, v in arrays.items()}
            tx, ty = TORCH.tensor(x, requires_grad=True), TORCH.tensor(y, requires_grad=True)
            theirs = getattr(TORCH.nn.functional, name)(tx, ty, reduction=reduction, **targs)
            np.testing.assert_allclose(out.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
            g = sample(out.shape, seed=3, scale=1.0)
            theirs.backward(TORCH.tensor(g))
            xt.grad = yt.grad = None
            out.backward(_t(g))
            np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(yt.grad.numpy(), ty.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_kl_div_batchmean_and_bce_clamps():
    x, y = _pointwise_inputs("kl_div", (4, 3))
    out = F.kl_div(_t(x), _t(y), reduction="batchmean")
    np.testing.assert_allclose(out.item(), _np_pointwise("kl_div", x, y, "batchmean"), rtol=1e-12)
    assert out.requires_grad is False
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(_t(x), _t(y))
    # log(0) is clamped to -100, as in PyTorch
    assert F.binary_cross_entropy(_t([0.0, 1.0]), _t([1.0, 0.0])).item() == 100.0


def test_float32_pointwise_losses():
    x, y = _pointwise_inputs("mse_loss", (5, 3))
    out = F.mse_loss(_t(x.astype(np.float32)), _t(y.astype(np.float32)))
    assert out.dtype == nbtorch.float32
    np.testing.assert_allclose(out.item(), ((x - y) ** 2).mean(), rtol=1e-6)


def test_broadcasting_target_warns_and_sums_the_gradient():
    x = _t(sample((3, 4)), True)
    y = _t(sample((4,), seed=5), True)
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[4\]\)\) that is "
                                         r"different to the input size \(torch.Size\(\[3, 4\]\)\)"):
        out = F.mse_loss(x, y)
    out.backward()
    assert y.grad.shape == (4,)
    ref = -2 * (x.detach().numpy() - y.detach().numpy()).sum(0) / 12
    np.testing.assert_allclose(y.grad.numpy(), ref, rtol=1e-12)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_forms(name):
    x, y = _pointwise_inputs(name, (3, 4))
    w = np.random.default_rng(3).uniform(0.5, 2, (3, 4))
    out = getattr(F, name)(_t(x), _t(y), weight=_t(w))
    per = _np_pointwise(name, x, y, "none") * w
    ref = per.mean() if name == "huber_loss" else per.sum() / w.sum()
    np.testing.assert_allclose(out.item(), ref, rtol=1e-12)
    with pytest.raises(ValueError, match="^Weights and input must have the same size.$"):
        getattr(F, name)(_t(x), _t(y), weight=_t(w[0]))


# --- errors: PyTorch's types and words, before any kernel ---
# each call takes the library (nbtorch, or torch as the oracle) and makes the same bad call
def _F(m):
    return m.nn.functional


def _x(m):
    return m.ones(4, 5)


def _long(m, *v):
    return m.tensor(list(v))


ERRORS = [
    (lambda m: _F(m).cross_entropy(_x(m), _long(m, 0, 1, 2, 10)), IndexError,
     "Target 10 is out of bounds."),
    (lambda m: _F(m).cross_entropy(_x(m), _long(m, 0, 1, -1, 2)), IndexError,
     "Target -1 is out of bounds."),
    (lambda m: _F(m).nll_loss(_x(m), _long(m, 0, 1, 2, 10)), IndexError,
     "Target 10 is out of bounds."),
    (lambda m: _F(m).cross_entropy(_x(m), _long(m, 0, 1, 20, 3), label_smoothing=0.1), IndexError,
     "Target 20 is out of bounds."),
    (lambda m: _F(m).cross_entropy(_x(m), m.tensor([0., 1, 2, 3])), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float"),
    (lambda m: _F(m).cross_entropy(_x(m), _long(m, 0, 1, 2)), ValueError,
     "Expected input batch_size (4) to match target batch_size (3)."),
    (lambda m: _F(m).nll_loss(_x(m), _long(m, 0, 1, 2)), ValueError,
     "Expected input batch_size (4) to match target batch_size (3)."),
    (lambda m: _F(m).cross_entropy(_x(m), m.ones(4, 4)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda m: _F(m).cross_entropy(_x(m), _long(m, 0, 1, 2, 3), weight=m.ones(3)), RuntimeError,
     "weight tensor should be defined either for all 5 classes or no classes but got weight "
     "tensor of shape: [3]"),
    (lambda m: _F(m).cross_entropy(_x(m), _long(m, 0, 1, 2, 3), weight=m.ones(5).double()),
     RuntimeError, "expected scalar type Float but found Double"),
    (lambda m: _F(m).cross_entropy(_x(m), _long(m, 0, 1, 2, 3), label_smoothing=1.5),
     RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda m: _F(m).cross_entropy(_x(m), _long(m, 0, 1, 2, 3), reduction="bad"), ValueError,
     "bad is not a valid value for reduction"),
    (lambda m: _F(m).cross_entropy(m.arange(20).reshape(4, 5), _long(m, 0, 1, 2, 3)),
     NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda m: _F(m).cross_entropy(_x(m), m.ones(4, 5), ignore_index=1), RuntimeError,
     "ignore_index is not supported for floating point target"),
    (lambda m: _F(m).cross_entropy(_x(m), m.zeros(4, 5, dtype=m.int64)), RuntimeError,
     "Expected floating point type for target with class probabilities, got Long"),
    (lambda m: _F(m).cross_entropy(_x(m), m.ones(4, 5), weight=m.ones(3)), RuntimeError,
     "cross_entropy: weight tensor should be defined either for all 5 classes or no classes but "
     "got weight tensor of shape: [3]"),
    (lambda m: _F(m).cross_entropy(m.ones(2, 3, 4), m.zeros(2, 5, dtype=m.int64)),
     RuntimeError, "Expected target size [2, 4], got [2, 5]"),
    (lambda m: _F(m).nll_loss(m.ones(2, 3, 4, 5), m.zeros(2, 4, 4, dtype=m.int64)),
     RuntimeError, "size mismatch (got input: [2, 3, 4, 5] , target: [2, 4, 4]"),
    (lambda m: _F(m).nll_loss(m.ones(2, 3, 4, 5), m.zeros(2, 4, dtype=m.int64)),
     RuntimeError, "only batches of spatial targets supported (3D tensors) but got targets of "
                   "dimension: 2"),
    (lambda m: _F(m).nll_loss(m.tensor(1.), m.tensor(0)), ValueError,
     "Expected 1 or more dimensions (got 0)"),
    (lambda m: _F(m).nll_loss(m.ones(4), _long(m, 2, 1, 0, 1)), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 4"),
    (lambda m: _F(m).nll_loss(_x(m).long(), _long(m, 0, 1, 2, 3)), NotImplementedError,
     "\"nll_loss_out_frame\" not implemented for 'Long'"),
    (lambda m: _F(m).binary_cross_entropy(_x(m) + 1, m.ones(4, 5)), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda m: _F(m).binary_cross_entropy(m.ones(4, 5), m.ones(4, 5) + 1), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda m: _F(m).binary_cross_entropy(m.ones(4, 5), m.ones(5)), ValueError,
     "Using a target size (torch.Size([5])) that is different to the input size "
     "(torch.Size([4, 5])) is deprecated. Please ensure they have the same size."),
    (lambda m: _F(m).binary_cross_entropy(m.ones(3, 4), m.ones(3, 4), weight=m.ones(5)),
     RuntimeError, "Attempting to broadcast a dimension of length 5 at -1! Mismatching argument "
                   "at index 1 had torch.Size([5]); but expected shape should be broadcastable "
                   "to [3, 4]"),
    (lambda m: _F(m).binary_cross_entropy_with_logits(_x(m), m.ones(5)), ValueError,
     "Target size (torch.Size([5])) must be the same as input size (torch.Size([4, 5]))"),
    (lambda m: _F(m).binary_cross_entropy_with_logits(_x(m), m.ones(4, 5), pos_weight=m.ones(3)),
     RuntimeError, "The size of tensor a (3) must match the size of tensor b (5) at "
                   "non-singleton dimension 1"),
    (lambda m: _F(m).mse_loss(_x(m), m.ones(2, 5)), RuntimeError,
     "The size of tensor a (4) must match the size of tensor b (2) at non-singleton dimension 0"),
    (lambda m: _F(m).mse_loss(m.arange(3), m.arange(3)), NotImplementedError,
     "\"mse_cpu\" not implemented for 'Long'"),
    (lambda m: _F(m).smooth_l1_loss(_x(m), _x(m), beta=-1), RuntimeError,
     "smooth_l1_loss does not support negative values for beta."),
    (lambda m: _F(m).huber_loss(_x(m), _x(m), delta=0), RuntimeError,
     "huber_loss does not support non-positive values for delta."),
    (lambda m: _F(m).mse_loss(_x(m), _x(m), reduction="batchmean"), ValueError,
     "batchmean is not a valid value for reduction"),
]


def _raised(call, m):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call(m)
        except Exception as e:      # noqa: BLE001  (the point is which exception)
            return type(e), str(e)
    return None


@pytest.mark.parametrize("call,exc,message", ERRORS, ids=range(len(ERRORS)))
def test_errors(call, exc, message):
    assert _raised(call, nbtorch) == (exc, message)
    if TORCH is not None:           # the same call gives PyTorch the same words
        assert _raised(call, TORCH)[1] == message


def test_negative_label_smoothing_is_ignored_for_class_targets():
    x, t = sample((4, 5)), targets((4, 5), 5)
    a = F.cross_entropy(_t(x), _t(t), label_smoothing=-0.5).item()
    assert a == F.cross_entropy(_t(x), _t(t)).item()


def test_legacy_size_average_and_reduce():
    x, t = sample((4, 5)), targets((4, 5), 5)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please "
                                         "use reduction='sum' instead."):
        out = F.cross_entropy(_t(x), _t(t), size_average=False)
    np.testing.assert_allclose(out.item(), np_cross_entropy(x, t, np.ones(5), reduction="sum"))
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.MSELoss(reduce=False).reduction == "none"


# --- modules ---
MODULES = [("L1Loss", "l1_loss", {}), ("MSELoss", "mse_loss", {}),
           ("SmoothL1Loss", "smooth_l1_loss", {"beta": 0.5}),
           ("HuberLoss", "huber_loss", {"delta": 2.0}),
           ("BCELoss", "binary_cross_entropy", {}),
           ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", {}),
           ("KLDivLoss", "kl_div", {"log_target": True})]


@pytest.mark.parametrize("cls,fn,kw", MODULES)
def test_pointwise_modules(cls, fn, kw):
    module = getattr(nn, cls)(reduction="sum", **kw)
    assert repr(module) == f"{cls}()"
    x, y = _pointwise_inputs(fn, (3, 4))
    np.testing.assert_array_equal(module(_t(x), _t(y)).numpy(),
                                  getattr(F, fn)(_t(x), _t(y), reduction="sum", **kw).numpy())


def test_cross_entropy_and_nll_modules():
    w = nbtorch.tensor(weights(5, np.float32))
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=1, label_smoothing=0.1)
    assert repr(ce) == "CrossEntropyLoss()" and repr(nn.NLLLoss()) == "NLLLoss()"
    assert list(ce.state_dict()) == ["weight"] and list(nn.CrossEntropyLoss().state_dict()) == []
    x, t = nbtorch.tensor(sample((4, 5), np.float32)), _long(nbtorch, 0, 1, 4, 3)
    assert ce(x, t).item() == F.cross_entropy(x, t, weight=w, ignore_index=1,
                                              label_smoothing=0.1).item()
    lp = F.log_softmax(x, 1)
    assert nn.NLLLoss(weight=w)(lp, t).item() == F.nll_loss(lp, t, weight=w).item()
    bce = nn.BCEWithLogitsLoss(pos_weight=nbtorch.ones(5))
    assert list(bce.state_dict()) == ["pos_weight"]
    assert isinstance(ce, nn.Module) and nn.CrossEntropyLoss().reduction == "mean"
