"""AdaptiveAvgPool1d / AdaptiveMaxPool1d (the 2-d kernels with H = 1), MaxUnpool2d (with
MaxPool2d's return_indices) and Dropout1d: NumPy references, float64 gradcheck, PyTorch's errors
and reprs, CPU vs CUDA, torch as an extra oracle."""
import numpy as np
import pytest

import nbtorch
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def t64(a, requires_grad=False, device="cpu"):
    return nbtorch.tensor(a, dtype=nbtorch.float64, requires_grad=requires_grad, device=device)


def windows(n, out):
    """PyTorch's adaptive windows: [floor(i n / out), ceil((i + 1) n / out))."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


@pytest.mark.parametrize("shape, out", [((2, 3, 7), 3), ((3, 5), 5), ((1, 2, 4), 6)])
def test_adaptive_pool1d(shape, out):
    x = rand(shape)
    avg = np.stack([x[..., a:b].mean(-1) for a, b in windows(shape[-1], out)], -1)
    mx = np.stack([x[..., a:b].max(-1) for a, b in windows(shape[-1], out)], -1)
    arg = np.stack([x[..., a:b].argmax(-1) + a for a, b in windows(shape[-1], out)], -1)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(t64(x), out).numpy(), avg, rtol=1e-12)
    y, idx = nn.AdaptiveMaxPool1d(out, return_indices=True)(t64(x))
    np.testing.assert_array_equal(y.numpy(), mx)
    np.testing.assert_array_equal(idx.numpy(), arg)
    assert gradcheck(lambda x: nn.AdaptiveAvgPool1d(out)(x), (t64(x, True),))
    assert gradcheck(lambda x: F.adaptive_max_pool1d(x, out), (t64(x, True),))
    assert repr(nn.AdaptiveAvgPool1d(out)) == f"AdaptiveAvgPool1d(output_size={out})"
    assert nbtorch.adaptive_avg_pool1d is F.adaptive_avg_pool1d


@pytest.mark.parametrize("call, words", [
    (lambda: F.adaptive_avg_pool1d(nbtorch.randn(2, 3, 4, 5), 2),
     "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while "
     "checking arguments for adaptive_avg_pool1d)"),
    (lambda: F.adaptive_max_pool1d(nbtorch.randn(5), 2),
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while "
     "checking arguments for adaptive_max_pool1d)"),
    (lambda: F.adaptive_avg_pool1d(nbtorch.randn(2, 3, 5), (2, 3)),
     "adaptive_avg_pool1d() argument 'output_size' should contain one int (got 2)"),
    (lambda: F.adaptive_max_pool1d(nbtorch.randn(2, 3, 0), 2),
     "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch dimensions, but "
     "input has sizes [2, 3, 0] with dimension 2 being empty"),
    (lambda: F.dropout1d(nbtorch.randn(2, 3, 4, 5)),
     "dropout1d: Expected 2D or 3D input, but received a 4D input. Note that dropout1d exists to "
     "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an "
     "optional batch dimension (i.e. 2D or 3D inputs)."),
])
def test_errors(call, words):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == words


# --- MaxUnpool2d ---
def ref_unpool(x, idx, oh, ow):
    out = np.zeros(x.shape[:-2] + (oh * ow,))
    plane = x.shape[-2] * x.shape[-1]
    flat_x, flat_i, flat_o = x.reshape(-1, plane), idx.reshape(-1, plane), out.reshape(-1, oh * ow)
    for r in range(flat_o.shape[0]):
        flat_o[r, flat_i[r]] = flat_x[r]
    return flat_o.reshape(x.shape[:-2] + (oh, ow))


@pytest.mark.parametrize("shape, kw, size", [
    ((2, 2, 4, 6), dict(kernel_size=2), None),
    ((1, 2, 5, 5), dict(kernel_size=2, padding=1), (1, 2, 5, 5)),     # windows must not overlap:
    ((2, 4, 5), dict(kernel_size=2), (4, 5)),                # a shared index has no one gradient
])
def test_max_unpool2d(shape, kw, size):
    x = rand(shape)
    y, idx = F.max_pool2d(t64(x), return_indices=True, **kw)
    got = nn.MaxUnpool2d(**kw)(y, idx, output_size=size)
    oh, ow = got.shape[-2:]
    ref = ref_unpool(y.numpy(), idx.numpy(), oh, ow)
    np.testing.assert_array_equal(got.numpy(), ref)
    assert gradcheck(lambda y: F.max_unpool2d(y, idx, output_size=size, **kw),
                     (t64(y.numpy(), True),))


def test_max_unpool2d_errors_and_repr():
    y, idx = F.max_pool2d(nbtorch.randn(1, 2, 4, 5), 2, return_indices=True)
    cases = [
        (lambda: F.max_unpool2d(y, idx, 2, output_size=(7, 7)), ValueError,
         'invalid output_size "(7, 7)" (dim 0 must be between 2 and 6)'),
        (lambda: F.max_unpool2d(y, idx, 2, output_size=(1, 1, 5)), ValueError,
         "output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'"),
        (lambda: F.max_unpool2d(y, idx.float(), 2, output_size=(4, 5)), RuntimeError,
         "elements in indices should be type int64 but got: Float"),
        (lambda: F.max_unpool2d(y, idx[:, :1], 2, output_size=(4, 5)), RuntimeError,
         "Expected shape of indices to be same as that of the input tensor ([1, 2, 2, 2]) but got "
         "indices tensor with shape: [1, 1, 2, 2]"),
        (lambda: F.max_unpool2d(y, idx * 0 + 20, 2, output_size=(4, 5)), RuntimeError,
         "Found an invalid max index: 20 (output volumes are of size 4x5)"),
        (lambda: F.max_unpool2d(y[0, 0], idx[0, 0], 2), RuntimeError,
         "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with 2 "
         "dimensions."),
    ]
    for call, exc, words in cases:
        with pytest.raises(exc) as info:
            call()
        assert str(info.value) == words
    assert repr(nn.MaxUnpool2d((2, 3), stride=1, padding=1)) == \
        "MaxUnpool2d(kernel_size=(2, 3), stride=(1, 1), padding=(1, 1))"


# --- Dropout1d ---
@pytest.mark.parametrize("shape", [(4, 6, 5), (6, 5)])
def test_dropout1d_masks_whole_channels(shape):
    nbtorch.manual_seed(0)
    x = t64(np.ones(shape), True)
    y = nn.Dropout1d(0.4)(x)
    got = y.detach().numpy()
    for row in got.reshape(-1, shape[-1]):          # each channel all kept (scaled) or all zero
        assert np.all(row == row[0]) and row[0] in (0.0, 1 / 0.6)
    assert 0 < (got == 0).mean() < 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), got)
    assert nn.Dropout1d(0.4).eval()(x) is x
    assert repr(nn.Dropout1d(0.3)) == "Dropout1d(p=0.3, inplace=False)"


def test_cuda_matches_cpu():
    x = rand((1, 2, 4, 4), 3)
    outs = []
    for device in ("cpu", "cuda"):
        a = t64(x, True, device)
        y, idx = F.max_pool2d(a, 2, return_indices=True)
        u = F.max_unpool2d(y, idx, 2)
        p = F.adaptive_avg_pool1d(a.reshape(4, 4, 2), 3) + F.adaptive_max_pool1d(
            a.reshape(4, 4, 2), 3)
        (u * t64(rand(u.shape, 4), device=device)).sum().backward(retain_graph=True)
        p.sum().backward()
        outs.append([u.detach().cpu().numpy(), p.detach().cpu().numpy(), a.grad.cpu().numpy()])
    for c, g in zip(*outs):
        np.testing.assert_allclose(g, c, rtol=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    x = rand((2, 3, 9), 5)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(t64(x), 4).numpy(),
                               torch.nn.functional.adaptive_avg_pool1d(torch.tensor(x), 4))
    a, ai = F.adaptive_max_pool1d(t64(x), 4, True)
    b, bi = torch.nn.functional.adaptive_max_pool1d(torch.tensor(x), 4, True)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(ai.numpy(), bi.numpy())
    x = rand((2, 2, 6, 5), 6)
    y, i = F.max_pool2d(t64(x), 2, return_indices=True)
    ty, ti = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(F.max_unpool2d(y, i, 2, output_size=(6, 5)).numpy(),
                                  torch.nn.functional.max_unpool2d(ty, ti, 2, output_size=(6, 5)))
