"""InstanceNorm1d/2d, RMSNorm and LocalResponseNorm (F.instance_norm, F.rms_norm,
F.local_response_norm): NumPy formulas, float64 gradcheck, running statistics, state_dict, errors
and reprs, CPU vs CUDA, and torch as an extra oracle when installed."""
import warnings

import numpy as np
import pytest

import nbtorch
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck


def rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def t64(a, requires_grad=False, device="cpu"):
    return nbtorch.tensor(a, dtype=nbtorch.float64, requires_grad=requires_grad, device=device)


# --- NumPy references ---
def ref_instance_norm(x, w=None, b=None, eps=1e-5):
    dims = tuple(range(2, x.ndim))
    y = (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    return y if b is None else y + b.reshape(shape)


def ref_rms_norm(x, ndim, w=None, eps=1e-5):
    dims = tuple(range(x.ndim - ndim, x.ndim))
    y = x / np.sqrt((x * x).mean(dims, keepdims=True) + eps)
    return y if w is None else y * w


def ref_lrn(x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    sq = x * x
    div = np.zeros_like(x)
    for i in range(c):                # channels i - size//2 .. i + (size-1)//2, zeros outside
        lo, hi = max(0, i - size // 2), min(c, i + (size - 1) // 2 + 1)
        div[:, i] = sq[:, lo:hi].sum(1) / size
    return x / (k + alpha * div) ** beta


# --- instance norm ---
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5)])
def test_instance_norm_forward_and_gradcheck(shape):
    x, w, b = rand(shape), rand(shape[1], 1), rand(shape[1], 2)
    np.testing.assert_allclose(F.instance_norm(t64(x)).numpy(), ref_instance_norm(x),
                               rtol=1e-10, atol=1e-12)
    out = F.instance_norm(t64(x), weight=t64(w), bias=t64(b), eps=1e-3)
    np.testing.assert_allclose(out.numpy(), ref_instance_norm(x, w, b, 1e-3), rtol=1e-10,
                               atol=1e-12)
    args = (t64(x, True), t64(w, True), t64(b, True))
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), args)


def test_instance_norm_running_stats_follow_pytorch_formula():
    x = rand((3, 2, 4, 5), 3)
    m = nn.InstanceNorm2d(2, track_running_stats=True, momentum=0.2, dtype=nbtorch.float64)
    m(t64(x))
    mean = x.mean((2, 3)).mean(0)
    var = x.var((2, 3), ddof=1).mean(0)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), 0.8 + 0.2 * var, rtol=1e-12)
    assert int(m.num_batches_tracked) == 0          # instance norm never counts batches
    m.eval()
    y = m(t64(x)).numpy()
    rm, rv = m.running_mean.numpy(), m.running_var.numpy()
    np.testing.assert_allclose(y, (x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5),
                               rtol=1e-10)
    plain = nn.InstanceNorm2d(2, dtype=nbtorch.float64).eval()      # no stats: input's, always
    np.testing.assert_allclose(plain(t64(x)).numpy(), ref_instance_norm(x), rtol=1e-10,
                               atol=1e-12)


def test_instance_norm_module_unbatched_state_dict_repr():
    m = nn.InstanceNorm1d(3)
    assert repr(m) == ("InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                       "track_running_stats=False)")
    assert list(m.state_dict()) == []
    m2 = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(m2.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    x = rand((3, 6))
    np.testing.assert_allclose(nn.InstanceNorm1d(3, dtype=nbtorch.float64)(t64(x)).numpy(),
                               ref_instance_norm(x[None])[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: nn.InstanceNorm1d(3)(nbtorch.randn(2, 3, 4, 5)), ValueError,
     "expected 2D or 3D input (got 4D input)"),
    (lambda: nn.InstanceNorm2d(3)(nbtorch.randn(3, 4)), ValueError,
     "expected 3D or 4D input (got 2D input)"),
    (lambda: nn.InstanceNorm1d(3)(nbtorch.randn(2, 3, 1)), ValueError,
     "Expected more than 1 spatial element when training, got input size torch.Size([2, 3, 1])"),
    (lambda: nn.InstanceNorm1d(3, affine=True)(nbtorch.randn(2, 4, 5)), ValueError,
     "expected input's size at dim=1 to match num_features (3), but got: 4."),
    (lambda: F.instance_norm(nbtorch.randn(2, 3, 4), nbtorch.zeros(4), nbtorch.ones(4)),
     RuntimeError, "running_mean should contain 6 elements not 8"),
    (lambda: F.instance_norm(nbtorch.randn(2, 3, 4), weight=nbtorch.ones(4)),
     RuntimeError, "weight should contain 6 elements not 8"),
    (lambda: F.instance_norm(nbtorch.randn(2, 3, 4), use_input_stats=False), RuntimeError,
     "Expected running_mean and running_var to be defined when use_input_stats is false"),
])
def test_instance_norm_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == words


def test_instance_norm_num_features_mismatch_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = nn.InstanceNorm1d(3)(nbtorch.randn(2, 4, 5))
    assert y.shape == (2, 4, 5)
    assert "does not match num_features" in str(caught[0].message)


# --- RMSNorm ---
@pytest.mark.parametrize("shape, ndim", [((3, 5), 1), ((2, 3, 4), 2)])
def test_rms_norm_forward_and_gradcheck(shape, ndim):
    x, w = rand(shape), rand(shape[-ndim:], 1)
    norm = shape[-ndim:]
    np.testing.assert_allclose(F.rms_norm(t64(x), norm, t64(w), 1e-4).numpy(),
                               ref_rms_norm(x, ndim, w, 1e-4), rtol=1e-12)
    eps = np.finfo(np.float32).eps           # eps None: the dtype's machine epsilon
    x32 = x.astype(np.float32)
    got = F.rms_norm(nbtorch.tensor(x32), norm).numpy()
    np.testing.assert_allclose(got, ref_rms_norm(x, ndim, eps=eps), rtol=1e-5)
    assert gradcheck(lambda x, w: F.rms_norm(x, norm, w), (t64(x, True), t64(w, True)))


def test_rms_norm_module_and_errors():
    assert nbtorch.rms_norm is F.rms_norm                     # torch.rms_norm too
    m = nn.RMSNorm(4)
    assert repr(m) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    assert list(m.state_dict()) == ["weight"] and np.all(m.weight.detach().numpy() == 1)
    m2 = nn.RMSNorm([3, 4], eps=1e-3, elementwise_affine=False)
    assert repr(m2) == "RMSNorm((3, 4), eps=0.001, elementwise_affine=False)"
    assert m2.weight is None and list(m2.state_dict()) == []
    with pytest.raises(RuntimeError, match=r"^Given normalized_shape=\[4\], expected input with "
                       r"shape \[\*4\], but got input of size\[3, 5\]$"):
        m(nbtorch.randn(3, 5))
    with pytest.raises(RuntimeError, match=r"^Expected weight to be of same shape as "
                       r"normalized_shape, but got weight of shape \[3\] and normalized_shape = "
                       r"\[4\]$"):
        F.rms_norm(nbtorch.randn(2, 4), (4,), nbtorch.ones(3))
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        F.rms_norm(nbtorch.randn(2, 4), 4)


# --- local response norm ---
@pytest.mark.parametrize("shape, size", [((2, 5, 3), 3), ((2, 4, 3, 2), 2), ((1, 3, 2, 2), 5)])
def test_local_response_norm_forward_and_gradcheck(shape, size):
    x = rand(shape)
    got = F.local_response_norm(t64(x), size, alpha=0.3, beta=0.6, k=2.0).numpy()
    np.testing.assert_allclose(got, ref_lrn(x, size, 0.3, 0.6, 2.0), rtol=1e-12)
    assert gradcheck(lambda x: nn.LocalResponseNorm(size, 0.3, 0.6, 2.0)(x), (t64(x, True),))


def test_local_response_norm_repr_and_errors():
    assert repr(nn.LocalResponseNorm(2)) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"
    with pytest.raises(ValueError, match=r"^Expected 3D or higher dimensionality\s+input "
                       r"\(got 1 dimensions\)$"):
        F.local_response_norm(nbtorch.randn(3), 2)
    assert F.local_response_norm(nbtorch.randn(2, 0, 3), 2).shape == (2, 0, 3)


# --- CUDA (simulator under tests/conftest.py) ---
@pytest.mark.parametrize("fn", [
    lambda x: F.instance_norm(x),
    lambda x: F.rms_norm(x, (3,)),
    lambda x: F.local_response_norm(x, 3),
])
def test_cuda_matches_cpu(fn):
    x = rand((2, 3, 3), 5)
    a, b = t64(x, True), t64(x, True, "cuda")
    g = rand((2, 3, 3), 6)
    fn(a).backward(t64(g))
    yb = fn(b)
    yb.backward(t64(g, device="cuda"))
    np.testing.assert_allclose(yb.cpu().detach().numpy(), fn(t64(x)).numpy(), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_cuda_running_stats_match_cpu():
    x = rand((2, 2, 3), 8)
    mods = [nn.InstanceNorm1d(2, affine=True, track_running_stats=True, dtype=nbtorch.float64,
                              device=d) for d in ("cpu", "cuda")]
    for m, d in zip(mods, ("cpu", "cuda")):
        m(t64(x, device=d))
    for key, v in mods[0].state_dict().items():
        np.testing.assert_allclose(mods[1].state_dict()[key].cpu().numpy(), v.numpy(), rtol=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    x = rand((2, 4, 3, 5), 7)
    tx = torch.tensor(x)
    m = nn.InstanceNorm2d(4, affine=True, track_running_stats=True, dtype=nbtorch.float64)
    tm = torch.nn.InstanceNorm2d(4, affine=True, track_running_stats=True, dtype=torch.float64)
    for _ in range(2):
        np.testing.assert_allclose(m(t64(x)).detach().numpy(), tm(tx).detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    for key, v in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[key].numpy(), v.numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.local_response_norm(t64(x), 3).numpy(),
                               torch.nn.functional.local_response_norm(tx, 3).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.rms_norm(t64(x), (3, 5)).numpy(),
                               torch.nn.functional.rms_norm(tx, (3, 5)).numpy(), rtol=1e-12)
