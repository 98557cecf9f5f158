"""F.interpolate (nearest for 3-D/4-D/5-D inputs; linear and bilinear, align_corners False and
True) and nn.Upsample: against NumPy references, float64 gradcheck, PyTorch's errors and reprs,
CUDA (the simulator when there is no GPU) against the CPU, and PyTorch as an extra oracle."""
from fractions import Fraction

import numpy as np
import pytest

import nbtorch
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck

# shape, interpolate's keyword arguments
NEAREST = [((1, 2, 3, 4), dict(scale_factor=2)), ((1, 2, 3, 4), dict(size=(5, 7))),
           ((2, 2, 5), dict(size=3)), ((1, 1, 2, 3, 4), dict(size=(3, 3, 2))),
           ((1, 2, 7, 9), dict(size=(3, 4)))]
LINEAR = [((1, 2, 3, 4), dict(scale_factor=2, mode="bilinear")),
          ((1, 2, 3, 4), dict(size=(5, 7), mode="bilinear", align_corners=True)),
          ((1, 2, 6, 5), dict(size=(4, 3), mode="bilinear")),
          ((1, 2, 3, 4), dict(scale_factor=(1.3, 2.5), mode="bilinear")),
          ((2, 3, 5), dict(scale_factor=1.6, mode="linear")),
          ((2, 3, 5), dict(size=1, mode="linear", align_corners=True))]
SCALED = [((2, 2, 5), dict(scale_factor=0.7)), ((1, 2, 3, 4), dict(scale_factor=1.7)),
          ((2, 2, 10), dict(scale_factor=0.7, recompute_scale_factor=True)),
          ((1, 1, 2, 3, 4), dict(scale_factor=(2, 1.5, 0.5)))]


def sample(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def nearest_reference(x, size):
    """out[o] = x[floor(o * in / out)] per spatial dim, in exact arithmetic."""
    for d, m in enumerate(size, start=2):
        n = x.shape[d]
        x = np.take(x, [int(Fraction(o * n, m)) for o in range(m)], axis=d)
    return x


def linear_reference(x, size, align_corners, scales=None):
    """Each spatial dim through its (out, in) interpolation matrix."""
    for d, m in enumerate(size, start=2):
        n, M = x.shape[d], np.zeros((m, x.shape[d]))
        for o in range(m):
            if n == m:
                src = o
            elif align_corners:
                src = o * (n - 1) / (m - 1) if m > 1 else 0
            else:
                s = 1 / scales[d - 2] if scales else n / m
                src = max((o + 0.5) * s - 0.5, 0)
            i = min(int(src), n - 1)
            M[o, i] += 1 - (src - i)
            M[o, min(i + 1, n - 1)] += src - i
        x = np.moveaxis(np.tensordot(M, x, axes=([1], [d])), 0, d)
    return x


@pytest.mark.parametrize("shape,kw", NEAREST)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_matches_numpy(shape, kw, dtype):
    x = sample(shape).astype(dtype)
    y = F.interpolate(nbtorch.tensor(x), **kw)
    size = kw.get("size") or [n * kw["scale_factor"] for n in shape[2:]]
    size = [size] * (len(shape) - 2) if isinstance(size, int) else size
    assert y.dtype.np == dtype and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), nearest_reference(x, size))


@pytest.mark.parametrize("shape,kw", LINEAR)
def test_linear_matches_numpy(shape, kw):
    x = sample(shape)
    y = F.interpolate(nbtorch.tensor(x), **kw)
    sf = kw.get("scale_factor")
    scales = None if sf is None else [sf] * (x.ndim - 2) if np.isscalar(sf) else list(sf)
    size = kw.get("size") or [int(n * s) for n, s in zip(shape[2:], scales)]
    size = [size] * (len(shape) - 2) if isinstance(size, int) else size
    np.testing.assert_allclose(y.numpy(), linear_reference(x, size, kw.get("align_corners"),
                                                           scales), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape,kw", NEAREST + LINEAR + SCALED)
def test_gradcheck(shape, kw):
    x = nbtorch.tensor(sample(shape), requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, **kw), (x,))


def test_nearest_1d_and_3d_use_the_scale_factor_even_at_sizes_1x_and_2x():
    """PyTorch's 1-d and 3-d kernels take floor(o * float32(1 / scale)) for every size; only its
    2-d kernel copies at n_out == n_in and halves at n_out == 2 n_in."""
    x = np.arange(4.0)
    for sf in (1.1, 2.0001):
        src = np.floor(np.arange(int(4 * sf), dtype=np.float32) * np.float32(1 / sf))
        expected = x[np.minimum(src.astype(np.int64), 3)]
        y1 = F.interpolate(nbtorch.tensor(x.reshape(1, 1, 4)), scale_factor=sf)
        y3 = F.interpolate(nbtorch.tensor(x.reshape(1, 1, 1, 1, 4)), scale_factor=(1, 1, sf))
        np.testing.assert_array_equal(y1.numpy().ravel(), expected)
        np.testing.assert_array_equal(y3.numpy().ravel(), expected)
    y2 = F.interpolate(nbtorch.tensor(x.reshape(1, 1, 1, 4)), scale_factor=(1, 1.1))
    np.testing.assert_array_equal(y2.numpy().ravel(), x)


def test_node_names():
    x = nbtorch.randn(1, 1, 3, 3, requires_grad=True)
    assert F.interpolate(x, scale_factor=2).grad_fn.name() == "UpsampleNearest2DBackward0"
    assert F.interpolate(x[0], scale_factor=2).grad_fn.name() == "UpsampleNearest1DBackward0"


X = nbtorch.randn(1, 2, 3, 4)


@pytest.mark.parametrize("call,error,words", [
    (lambda: F.interpolate(X, size=2, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(X), ValueError, "either size or scale_factor should be defined"),
    (lambda: F.interpolate(X, size=2, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes: linear | bilinear | "
     "bicubic | trilinear"),
    (lambda: F.interpolate(X, size=[2]), ValueError,
     "Input and output must have the same number of spatial dimensions, but got input with "
     "spatial dimensions of [3, 4] and output size of [2]. Please provide input tensor in (N, C, "
     "d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."),
    (lambda: F.interpolate(X, scale_factor=(2, 2, 2)), ValueError,
     "Input and scale_factor must have the same number of spatial dimensions, but got input with "
     "spatial dimensions of [3, 4] and scale_factor of shape (2, 2, 2). Please provide input "
     "tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."),
    (lambda: F.interpolate(X, size=2, recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size."),
    (lambda: F.interpolate(X[0], scale_factor=2, mode="bilinear"), NotImplementedError,
     "Got 3D input, but bilinear mode needs 4D input"),
    (lambda: F.interpolate(X[0, 0], scale_factor=2), NotImplementedError,
     "Input Error: Only 3D, 4D and 5D input Tensors supported (got 2D) for the modes: nearest | "
     "linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got nearest)"),
    (lambda: F.interpolate(X, scale_factor=0.1), RuntimeError,
     "Input and output sizes should be greater than 0, but got input (H: 3, W: 4) output (H: 0, "
     "W: 0)"),
    (lambda: F.interpolate(X[0], scale_factor=0.1), RuntimeError,
     "Input and output sizes should be greater than 0, but got input (W: 4) and output (W: 0)"),
])
def test_errors(call, error, words):
    with pytest.raises(error) as e:
        call()
    assert str(e.value) == words


def test_modules():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert (repr(nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True))
            == "Upsample(size=(3, 4), mode='bilinear')")
    assert repr(nn.UpsamplingNearest2d(scale_factor=2)) == (
        "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')")
    up = nn.UpsamplingBilinear2d(size=(5, 7))
    assert up.align_corners is True and list(up.state_dict()) == []
    x = sample((1, 2, 3, 4))
    np.testing.assert_allclose(up(nbtorch.tensor(x)).numpy(),
                               linear_reference(x, (5, 7), True), rtol=1e-12)
    np.testing.assert_array_equal(nn.Upsample(scale_factor=2)(nbtorch.tensor(x)).numpy(),
                                  x.repeat(2, 2).repeat(2, 3))


@pytest.mark.parametrize("shape,kw", [((1, 2, 2, 3), dict(scale_factor=2)),
                                      ((1, 2, 2, 3), dict(size=(3, 4), mode="bilinear"))])
def test_cuda_matches_cpu(shape, kw):
    x = sample(shape)
    a = nbtorch.tensor(x, requires_grad=True)
    b = nbtorch.tensor(x, device="cuda", requires_grad=True)
    y, z = F.interpolate(a, **kw), F.interpolate(b, **kw)
    g = sample(y.shape, 1)
    y.backward(nbtorch.tensor(g))
    z.backward(nbtorch.tensor(g, device="cuda"))
    np.testing.assert_allclose(z.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("shape,kw", NEAREST + LINEAR + SCALED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_oracle(shape, kw, dtype):
    torch = pytest.importorskip("torch")
    x = sample(shape).astype(dtype)
    ours, theirs = nbtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, t = F.interpolate(ours, **kw), torch.nn.functional.interpolate(theirs, **kw)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
    g = sample(tuple(t.shape), 2).astype(dtype)
    y.backward(nbtorch.tensor(g))
    t.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)
