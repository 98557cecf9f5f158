"""F.unfold / F.fold (nn.Unfold / nn.Fold) and F.pixel_shuffle / F.pixel_unshuffle
(nn.PixelShuffle / nn.PixelUnshuffle): NumPy loop references, float64 gradcheck,
(unfold and fold are each the other's backward), PyTorch's errors and reprs, CPU vs CUDA, torch."""
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


def ref_unfold(x, k, d, p, s):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, k[0], k[1], oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            for a in range(oh):
                for b in range(ow):
                    out[:, :, i, j, a, b] = xp[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


def ref_fold(cols, size, k, d, p, s):
    """The adjoint of ref_unfold: <unfold(x), cols> == <x, fold(cols)> for every x."""
    n, ck, _ = cols.shape
    c = ck // (k[0] * k[1])
    out = np.zeros((n, c) + tuple(size))
    for idx in np.ndindex(*out.shape[2:]):
        e = np.zeros((1, 1) + tuple(size))
        e[(0, 0) + idx] = 1
        pattern = ref_unfold(e, k, d, p, s)[0].reshape(1, k[0] * k[1], -1)  # taps x blocks
        out[(slice(None), slice(None)) + idx] = (
            cols.reshape(n, c, k[0] * k[1], -1) * pattern[None]).sum((2, 3))
    return out


CASES = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 1)),
    dict(kernel_size=3, padding=1, stride=2),
]


def _full(kw):
    pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
    return (pair(kw["kernel_size"]), pair(kw.get("dilation", 1)), pair(kw.get("padding", 0)),
            pair(kw.get("stride", 1)))


@pytest.mark.parametrize("kw", CASES)
def test_unfold_fold_forward_and_grads(kw):
    x = rand((1, 2, 5, 4))
    cols = F.unfold(t64(x), **kw)
    np.testing.assert_array_equal(cols.numpy(), ref_unfold(x, *_full(kw)))
    c = rand(cols.shape, 1)
    np.testing.assert_allclose(F.fold(t64(c), (5, 4), **kw).numpy(),
                               ref_fold(c, (5, 4), *_full(kw)), rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda x: F.unfold(x, **kw), (t64(x, True),))
    assert gradcheck(lambda c: F.fold(c, (5, 4), **kw), (t64(c, True),))


def test_unbatched_modules_reprs_grad_fn():
    x = t64(rand((2, 4, 4)), True)
    u = nn.Unfold(2)(x)
    assert u.shape == (8, 9) and type(u.grad_fn).__name__ == "SqueezeBackward1"
    assert nn.Fold((4, 4), 2)(u).shape == (2, 4, 4)
    assert F.unfold(x[None], 2).grad_fn.name() == "Im2ColBackward0"
    assert F.fold(F.unfold(x[None], 2), (4, 4), 2).grad_fn.name() == "Col2ImBackward0"
    assert repr(nn.Unfold((2, 3), dilation=2, stride=(1, 2))) == \
        "Unfold(kernel_size=(2, 3), dilation=2, padding=0, stride=(1, 2))"
    assert repr(nn.Fold((4, 5), 2, padding=1)) == \
        "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=1, stride=1)"


@pytest.mark.parametrize("call, words", [
    (lambda: F.unfold(nbtorch.randn(2, 3, 4, 4), 5),
     "Given input with spatial size (4, 4), kernel_size=(5, 5), dilation=(1, 1), padding=(0, 0), "
     "calculated shape of the array of sliding blocks as (0, 0), but its components must be at "
     "least one."),
    (lambda: F.unfold(nbtorch.randn(2, 3, 4, 4), 0),
     "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0"),
    (lambda: F.unfold(nbtorch.randn(2, 3, 4, 4), 2, stride=0),
     "stride should be greater than zero, but got stride_height: 0 stride_width: 0"),
    (lambda: F.unfold(nbtorch.randn(2, 3, 4, 4), 2, padding=-1),
     "padding should be non-negative, but got pad_height: -1 pad_width: -1"),
    (lambda: F.unfold(nbtorch.randn(2, 3, 4, 4), 2, dilation=0),
     "dilation should be greater than zero, but got dilation_height: 0 dilation_width: 0"),
    (lambda: F.unfold(nbtorch.randn(2, 3, 4, 4), (2, 2, 2)),
     "It is expected kernel_size equals to 2, but got size 3"),
    (lambda: F.unfold(nbtorch.randn(2, 0, 4, 4), 2),
     "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [2, 0, 4, 4]"),
    (lambda: F.fold(nbtorch.randn(2, 13, 9), (4, 4), 2),
     "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
     "input.size(1)=13 and kernel_size=(2, 2)."),
    (lambda: F.fold(nbtorch.randn(2, 12, 8), (4, 4), 2),
     "Given output_size=(4, 4), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, 1),"
     " expected size of input's dimension 2 to match the calculated number of sliding blocks 3 * 3 "
     "= 9, but got input.size(2)=8."),
    (lambda: F.fold(nbtorch.randn(2, 12, 9, 1), (4, 4), 2),
     "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
     "dimensions for input, but got: [2, 12, 9, 1]"),
    (lambda: F.pixel_shuffle(nbtorch.randn(2, 3), 2),
     "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 "
     "dimension(s)"),
    (lambda: F.pixel_shuffle(nbtorch.randn(2, 7, 3, 3), 2),
     "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
     "upscale_factor, but input.size(-3)=7 is not divisible by 4"),
    (lambda: F.pixel_shuffle(nbtorch.randn(1, 4, 3, 3), 0),
     "pixel_shuffle expects a positive upscale_factor, but got 0"),
    (lambda: F.pixel_unshuffle(nbtorch.randn(2, 4, 3, 4), 2),
     "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=3 is "
     "not divisible by 2"),
])
def test_errors(call, words):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == words


@pytest.mark.parametrize("shape", [(2, 8, 3, 2), (3, 2, 4, 2, 3)])
def test_pixel_shuffle_round_trip_and_gradcheck(shape):
    x = rand(shape)
    *b, c, h, w = shape
    y = F.pixel_shuffle(t64(x), 2).numpy()
    ref = np.empty(tuple(b) + (c // 4, h * 2, w * 2))
    for k in range(c // 4):                   # out[.., k, 2i + a, 2j + e] = in[.., 4k + 2a + e, i, j]
        for a in range(2):
            for e in range(2):
                ref[..., k, a::2, e::2] = x[..., 4 * k + 2 * a + e, :, :]
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(F.pixel_unshuffle(t64(y), 2).numpy(), x)
    assert gradcheck(lambda x: nn.PixelShuffle(2)(x), (t64(x, True),))
    assert gradcheck(lambda y: nn.PixelUnshuffle(2)(y), (t64(y, True),))
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"


@pytest.mark.parametrize("fn", [
    lambda x: F.unfold(x, 2, padding=1, stride=2),
    lambda x: F.fold(x.reshape(1, 4, 4), (3, 3), 2),
    lambda x: F.fold(x.reshape(1, 4, 4), (2, 2), 2, padding=1, stride=2),   # strided writes
    lambda x: F.pixel_shuffle(x.reshape(1, 4, 2, 2), 2),
])
def test_cuda_matches_cpu(fn):
    x = rand((1, 1, 4, 4), 3)
    a, b = t64(x, True), t64(x, True, "cuda")
    ya, yb = fn(a), fn(b)
    g = rand(ya.shape, 4)
    ya.backward(t64(g))
    yb.backward(t64(g, device="cuda"))
    np.testing.assert_allclose(yb.detach().cpu().numpy(), ya.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    x = rand((2, 3, 6, 5), 5)
    for kw in CASES:
        ours = F.unfold(t64(x), **kw).numpy()
        np.testing.assert_array_equal(ours, torch.nn.functional.unfold(torch.tensor(x), **kw))
        np.testing.assert_allclose(F.fold(t64(ours), (6, 5), **kw).numpy(),
                                   torch.nn.functional.fold(torch.tensor(ours), (6, 5), **kw),
                                   rtol=1e-12)
    y = rand((2, 8, 2, 4), 6)
    np.testing.assert_array_equal(F.pixel_shuffle(t64(y), 2).numpy(),
                                  torch.nn.functional.pixel_shuffle(torch.tensor(y), 2))
    np.testing.assert_array_equal(F.pixel_unshuffle(t64(y), 2).numpy(),
                                  torch.nn.functional.pixel_unshuffle(torch.tensor(y), 2))


def test_double_backward():
    """unfold's backward is fold (an op with its own backward): d/dw |d(<unfold(x), w>)/dx|² =
    2 unfold(fold(w))."""
    x = t64(rand((1, 1, 3, 3)), True)
    w = t64(rand((1, 4, 4), 1), True)
    (g,) = nbtorch.autograd.grad((F.unfold(x, 2) * w).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "Col2ImBackward0"
    (g * g).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * F.unfold(F.fold(w.detach(), (3, 3), 2), 2)
                               .numpy(), rtol=1e-12)
