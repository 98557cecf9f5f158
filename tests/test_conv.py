"""Convolution: the CPU launchers (both paths, serial and threaded) against a NumPy reference and
float64 central differences; F.conv1d/F.conv2d and nn.Conv1d/Conv2d (gradcheck, reprs, PyTorch's
errors, and PyTorch itself as an oracle when it is installed)."""
import math
import re

import numpy as np
import pytest

import nbtorch
import nbtorch.kernels.cpu.conv as K
import nbtorch.nn.functional as F
import nbtorch.ops.conv as conv_ops
from nbtorch import nn
from nbtorch.autograd import gradcheck

from central_differences import central_differences

try:
    import torch as TORCH
except ImportError:
    TORCH = None

FLOATS = [np.float32, np.float64]
TOL = {np.float32: 2e-5, np.float64: 1e-12}

# x shape, w shape, stride, top/left padding, bottom/right padding, dilation, groups
CASES = {
    "plain": ((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    "stride-pad-N1": ((1, 2, 9, 8), (3, 2, 3, 2), (2, 1), (1, 0), (1, 0), (1, 1), 1),
    "groups-dilation": ((2, 4, 8, 7), (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), (2, 1), 2),
    "depthwise": ((2, 3, 6, 7), (3, 1, 3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 3),
    "lenet-k5": ((2, 1, 10, 9), (6, 1, 5, 5), (1, 1), (2, 2), (2, 2), (1, 1), 1),
    "kernel-fills-input": ((1, 2, 5, 5), (2, 2, 5, 5), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    "asymmetric-same": ((2, 2, 6, 5), (3, 2, 2, 4), (1, 1), (0, 1), (1, 2), (1, 1), 1),
    "conv1d": ((2, 3, 1, 11), (4, 3, 1, 3), (1, 2), (0, 1), (0, 1), (1, 2), 1),
    "stride-over-kernel": ((1, 2, 9, 9), (2, 2, 2, 2), (3, 3), (0, 0), (0, 0), (1, 1), 1),
    "padding-over-kernel": ((1, 1, 3, 3), (2, 1, 2, 2), (1, 2), (3, 3), (3, 3), (1, 1), 1),
    "wide-patch": ((2, 5, 6, 6), (4, 5, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1),
}


def sample(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def out_size(n, k, s, lo, hi, d):
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def reference(x, w, b, stride, lo, hi, dilation, groups):
    """conv2d by its definition: zero-pad, then one einsum per kernel tap."""
    (N, _, H, W), (O, Cg, KH, KW) = x.shape, w.shape
    (sh, sw), (dh, dw), G = stride, dilation, groups
    xp = np.pad(x, ((0, 0), (0, 0), (lo[0], hi[0]), (lo[1], hi[1])))
    OH, OW = out_size(H, KH, sh, lo[0], hi[0], dh), out_size(W, KW, sw, lo[1], hi[1], dw)
    out = np.zeros((N, G, O // G, OH, OW), np.result_type(x, w))
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh * dh, kh * dh + sh * (OH - 1) + 1, sh)
            cols = slice(kw * dw, kw * dw + sw * (OW - 1) + 1, sw)
            out += np.einsum("ngchw,goc->ngohw", xp[:, :, rows, cols].reshape(N, G, Cg, OH, OW),
                             w[:, :, kh, kw].reshape(G, O // G, Cg))
    out = out.reshape(N, O, OH, OW)
    return out if b is None else out + b.reshape(1, O, 1, 1)


@pytest.fixture(params=["direct", "im2col"])
def path(request, monkeypatch):
    monkeypatch.setattr(K, "choose_path", lambda *shape: request.param)
    return request.param


def launch_forward(x, w, b, stride, lo, hi, dilation, groups):
    OH = out_size(x.shape[2], w.shape[2], stride[0], lo[0], hi[0], dilation[0])
    OW = out_size(x.shape[3], w.shape[3], stride[1], lo[1], hi[1], dilation[1])
    out = np.full((x.shape[0], w.shape[0], OH, OW), np.nan, x.dtype)
    K.conv2d_forward(x, w, b, out, stride, lo, dilation, groups)
    return out


# --- launchers ---
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", CASES)
def test_forward(case, bias, dtype, path):
    xs, ws, stride, lo, hi, dilation, groups = CASES[case]
    x, w, b = sample(xs, dtype, 1), sample(ws, dtype, 2), sample(ws[0], dtype, 3) if bias else None
    out = launch_forward(x, w, b, stride, lo, hi, dilation, groups)
    as64 = (lambda a: None if a is None else a.astype(np.float64))
    expect = reference(as64(x), as64(w), as64(b), stride, lo, hi, dilation, groups)
    np.testing.assert_allclose(out, expect, rtol=TOL[dtype], atol=TOL[dtype])


_FD = {}


def numeric_grads(case):
    """(grad_out, grad_x, grad_w, grad_b) of sum(reference * grad_out) by float64 central
    differences."""
    if case not in _FD:
        xs, ws, stride, lo, hi, dilation, groups = CASES[case]
        x, w, b = sample(xs, seed=1), sample(ws, seed=2), sample(ws[0], seed=3)
        g = sample(reference(x, w, b, stride, lo, hi, dilation, groups).shape, seed=4)

        def loss():
            return float(np.sum(reference(x, w, b, stride, lo, hi, dilation, groups) * g))
        _FD[case] = (g, central_differences(loss, x, h=1e-3),
                     central_differences(loss, w, h=1e-3), central_differences(loss, b, h=1e-3))
    return _FD[case]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", CASES)
def test_backward(case, dtype, path):
    xs, ws, stride, lo, hi, dilation, groups = CASES[case]
    g, gx_fd, gw_fd, gb_fd = numeric_grads(case)
    x, w, g = sample(xs, dtype, 1), sample(ws, dtype, 2), g.astype(dtype)
    gx, gw, gb = (np.full(a.shape, np.nan, dtype) for a in (x, w, gb_fd))
    K.conv2d_backward_input(g, w, gx, stride, lo, dilation, groups)
    K.conv2d_backward_weight(g, x, gw, stride, lo, dilation, groups)
    K.conv2d_backward_bias(g, gb)
    tol = 1e-4 if dtype == np.float32 else 1e-8
    for got, fd in ((gx, gx_fd), (gw, gw_fd), (gb, gb_fd)):
        np.testing.assert_allclose(got, fd, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", ["groups-dilation", "asymmetric-same", "conv1d"])
def test_threaded_batch(case, path, monkeypatch):
    """A threaded launch (one range of samples per thread, the weight gradient summed over the
    threads) gives the serial launch's results."""
    xs, ws, stride, lo, hi, dilation, groups = CASES[case]
    x, w = sample((7,) + xs[1:], np.float32, 1), sample(ws, np.float32, 2)
    b = sample(ws[0], np.float32, 3)

    def run():
        out = launch_forward(x, w, b, stride, lo, hi, dilation, groups)
        g = sample(out.shape, np.float32, 4)
        gx, gw = np.full(x.shape, np.nan, np.float32), np.full(w.shape, np.nan, np.float32)
        K.conv2d_backward_input(g, w, gx, stride, lo, dilation, groups)
        K.conv2d_backward_weight(g, x, gw, stride, lo, dilation, groups)
        return out, gx, gw
    serial = run()
    monkeypatch.setattr(K, "PARALLEL_MACS", 0)
    monkeypatch.setattr(K._threads.numba, "get_num_threads", lambda: 3)   # 3 threads, 6 chunks
    for got, expect in zip(run(), serial):
        np.testing.assert_allclose(got, expect, rtol=1e-5, atol=1e-5)


def test_path_choice():
    assert K.choose_path(6, (1, 1)) == "direct"        # LeNet conv1
    assert K.choose_path(16, (1, 1)) == "im2col"       # LeNet conv2
    assert K.choose_path(16, (1, 1), forward=True) == "direct"     # ... its forward
    assert K.choose_path(32, (1, 1), forward=True) == "im2col"
    assert K.choose_path(64, (1, 1)) == "im2col"       # ResNet 64->64
    assert K.choose_path(6, (2, 2)) == "im2col"        # strided
    assert K.choose_path(1, (2, 2)) == "direct"        # depthwise


# --- F.conv1d / F.conv2d ---
# dims, x shape, w shape, bias, stride, padding, dilation, groups
CALLS = [
    (2, (2, 3, 7, 6), (4, 3, 3, 3), True, 1, 0, 1, 1),
    (2, (1, 4, 8, 7), (6, 2, 3, 2), False, (2, 1), (1, 2), (1, 2), 2),
    (2, (2, 2, 6, 5), (3, 2, 2, 4), True, 1, "same", 1, 1),
    (2, (2, 2, 6, 5), (3, 2, 3, 3), True, 1, "same", (2, 1), 1),
    (2, (1, 3, 5, 5), (3, 1, 3, 3), True, 1, "valid", 1, 3),
    (2, (3, 7, 6), (4, 3, 3, 3), True, 2, 1, 1, 1),                 # unbatched
    (1, (2, 3, 11), (4, 3, 3), True, 2, 1, 2, 1),
    (1, (2, 4, 9), (4, 1, 4), False, 1, "same", 1, 4),
    (1, (3, 10), (2, 3, 5), True, 1, [2], 1, 1),                     # unbatched
]


def padding_of(dims, padding, w_shape, dilation):
    """(top/left, bottom/right) padding per spatial dim, PyTorch's rules for the strings."""
    dil = (dilation,) * dims if isinstance(dilation, int) else tuple(dilation)
    if padding == "valid":
        return (0,) * dims, (0,) * dims
    if padding == "same":
        total = [d * (k - 1) for d, k in zip(dil, w_shape[2:])]
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    pad = (padding,) * dims if isinstance(padding, int) else tuple(padding)
    return pad, pad


def as_pair(v, dims):
    v = (v,) * dims if isinstance(v, int) else tuple(v)
    return v if dims == 2 else (1,) + v


def reference_call(dims, x, w, b, stride, padding, dilation, groups):
    """F.conv*d by the NumPy reference: 1-d as 2-d of height 1, unbatched as a batch of 1."""
    unbatched = x.ndim == dims + 1
    x = x[None] if unbatched else x
    lo, hi = padding_of(dims, padding, w.shape, dilation)
    if dims == 1:
        x, w, lo, hi = x[:, :, None], w[:, :, None], (0,) + lo, (0,) + hi
    out = reference(x, w, b, as_pair(stride, dims), lo, hi, as_pair(dilation, dims), groups)
    out = out if dims == 2 else out[:, :, 0]
    return out[0] if unbatched else out


def call(lib, dims, x, w, b, *params):
    """lib.nn.functional.conv1d/conv2d on NumPy arrays (lib: nbtorch or PyTorch)."""
    fn = lib.nn.functional.conv1d if dims == 1 else lib.nn.functional.conv2d
    return fn(lib.from_numpy(x), lib.from_numpy(w), None if b is None else lib.from_numpy(b),
              *params)


@pytest.mark.filterwarnings("ignore:Using padding='same'")      # PyTorch's, for even kernels
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", range(len(CALLS)))
def test_functional_forward(case, dtype):
    dims, xs, ws, bias, *params = CALLS[case]
    x, w = sample(xs, dtype, 1), sample(ws, dtype, 2)
    b = sample(ws[0], dtype, 3) if bias else None
    out = call(nbtorch, dims, x, w, b, *params)
    as64 = (lambda a: None if a is None else a.astype(np.float64))
    expect = reference_call(dims, as64(x), as64(w), as64(b), *params)
    assert out.dtype.np == dtype and tuple(out.shape) == expect.shape
    np.testing.assert_allclose(out.numpy(), expect, rtol=TOL[dtype], atol=TOL[dtype])
    if TORCH is not None:
        np.testing.assert_allclose(out.numpy(), call(TORCH, dims, x, w, b, *params).numpy(),
                                   rtol=10 * TOL[dtype], atol=10 * TOL[dtype])


@pytest.mark.parametrize("case", range(len(CALLS)))
def test_gradcheck(case):
    dims, xs, ws, bias, stride, padding, dilation, groups = CALLS[case]
    xs = xs if len(xs) == dims + 1 else (1,) + xs[1:]    # one sample: gradcheck costs per output
    shapes = (xs, ws, (ws[0],)) if bias else (xs, ws)
    args = [nbtorch.from_numpy(sample(s, seed=i)).requires_grad_() for i, s in enumerate(shapes)]
    fn = F.conv1d if dims == 1 else F.conv2d
    assert gradcheck(lambda x, w, b=None: fn(x, w, b, stride, padding, dilation, groups),
                     tuple(args))


def test_strided_input_and_grad_fn():
    """A transposed (non-contiguous) input computes as its contiguous copy; grad_fn names."""
    x = sample((2, 3, 6, 7), seed=1)
    w, b = nbtorch.from_numpy(sample((4, 3, 3, 3), seed=2)), nbtorch.from_numpy(sample(4, seed=3))
    xt = nbtorch.from_numpy(np.ascontiguousarray(x.transpose(0, 1, 3, 2))).transpose(2, 3)
    xt.requires_grad_()
    out = F.conv2d(xt, w, b, padding=1)
    expect = reference(x, w.numpy(), b.numpy(), (1, 1), (1, 1), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(out.detach().numpy(), expect, atol=1e-12)
    assert out.grad_fn.name() == "ConvolutionBackward0"
    assert F.conv2d(nbtorch.from_numpy(x[0]).requires_grad_(), w).grad_fn.name() == \
        "SqueezeBackward1"
    out.sum().backward()
    assert xt.grad.shape == xt.shape


def test_unneeded_gradients_are_not_computed(monkeypatch):
    """Like LeNet's first layer: the input needs no gradient, so no grad-input kernel runs."""
    ops = []

    def spy(op, device):
        ops.append(op)
        return nbtorch.kernels.registry.lookup(op, device)
    monkeypatch.setattr(conv_ops, "lookup", spy)
    x = nbtorch.randn(2, 1, 8, 8, dtype=nbtorch.float64)
    w = nbtorch.randn(3, 1, 3, 3, dtype=nbtorch.float64, requires_grad=True)
    b = nbtorch.randn(3, dtype=nbtorch.float64)
    F.conv2d(x, w, b).sum().backward()
    assert ops == ["conv2d_forward", "conv2d_backward_weight"]
    assert x.grad is None and b.grad is None
    wn = w.detach().numpy().copy()
    np.testing.assert_allclose(w.grad.numpy(), central_differences(
        lambda: float(reference(x.numpy(), wn, b.numpy(), (1, 1), (0, 0), (0, 0), (1, 1), 1).sum()),
        wn, h=1e-3), atol=1e-6)


@pytest.mark.parametrize("out_channels", [2, 12])
def test_empty_batch_and_channels(out_channels, path):
    out = F.conv2d(nbtorch.zeros(0, 3, 8, 8), nbtorch.ones(out_channels, 3, 3, 3))
    assert tuple(out.shape) == (0, out_channels, 6, 6)
    bias = nbtorch.arange(out_channels, dtype=nbtorch.float32)
    out = F.conv2d(nbtorch.zeros(2, 0, 8, 8), nbtorch.ones(out_channels, 0, 3, 3), bias)
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(bias.numpy()[:, None, None],
                                                               (2, out_channels, 6, 6)))


# --- errors: PyTorch's type and words, before any kernel ---
def conv2d_of_zeros(t, x, w, b=None, **params):
    return t.nn.functional.conv2d(t.zeros(*x), t.zeros(*w), None if b is None else t.zeros(b),
                                  **params)


def conv1d_of_zeros(t, x, w):
    return t.nn.functional.conv1d(t.zeros(*x), t.zeros(*w))


def typed(t, x, w, b, types):
    """conv2d of zeros with the dtypes ``types`` (names) for input, weight, bias."""
    x, w, b = (None if s is None else t.zeros(*s, dtype=getattr(t, d))
               for s, d in zip((x, w, b), types))
    return t.nn.functional.conv2d(x, w, b)


ERRORS = [
    (lambda t: conv2d_of_zeros(t, (4, 1, 32, 32), (6, 3, 5, 5)), RuntimeError,
     "Given groups=1, weight of size [6, 3, 5, 5], expected input[4, 1, 32, 32] to have 3 "
     "channels, but got 1 channels instead"),
    (lambda t: conv2d_of_zeros(t, (1, 32), (6, 3, 5, 5)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [1, 32]"),
    (lambda t: conv1d_of_zeros(t, (1, 1, 1, 32), (2, 1, 3)), RuntimeError,
     "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
     "[1, 1, 1, 32]"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 4, 4), (6, 3, 5, 5)), RuntimeError,
     "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size "
     "can't be greater than actual input size"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5, 5), dilation=2), RuntimeError,
     "Calculated padded input size per channel: (8 x 8). Kernel size: (9 x 9). Kernel size "
     "can't be greater than actual input size"),
    (lambda t: conv1d_of_zeros(t, (1, 3, 4), (2, 3, 5)), RuntimeError,
     "Calculated padded input size per channel: (4). Kernel size: (5). Kernel size can't be "
     "greater than actual input size"),
    (lambda t: conv2d_of_zeros(t, (1, 4, 8, 8), (5, 2, 3, 3), groups=2), RuntimeError,
     "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of "
     "size [[5, 2, 3, 3]] instead"),
    (lambda t: conv2d_of_zeros(t, (1, 5, 8, 8), (4, 2, 3, 3), groups=2), RuntimeError,
     "Given groups=2, weight of size [4, 2, 3, 3], expected input[1, 5, 8, 8] to have 4 "
     "channels, but got 5 channels instead"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (2, 1, 3, 3), groups=3), RuntimeError,
     "Given groups=3, expected weight to be at least 3 at dimension 0, but got weight of size "
     "[2, 1, 3, 3] instead"),
    (lambda t: conv2d_of_zeros(t, (1, 4, 8, 8), (4, 2, 3, 3), groups=0), RuntimeError,
     "non-positive groups is not supported"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5, 5), stride=0, padding=-1),
     RuntimeError, "negative padding is not supported"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5, 5), stride=0, dilation=0),
     RuntimeError, "non-positive stride is not supported"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5, 5), dilation=0), RuntimeError,
     "non-positive dilation is not supported"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5, 5), b=5), RuntimeError,
     "Given weight of size [6, 3, 5, 5], expected bias to be 1-dimensional with 6 elements, but "
     "got bias of size [5] instead"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5)), RuntimeError,
     "expected stride to be a single integer value or a list of 1 values to match the "
     "convolution dimensions, but got stride=[1, 1]"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5, 5), padding=(1, 1, 1)), RuntimeError,
     "expected padding to be a single integer value or a list of 2 values to match the "
     "convolution dimensions, but got padding=[1, 1, 1]"),
    (lambda t: conv1d_of_zeros(t, (1, 3, 8), (6, 3)), RuntimeError,
     "weight should have at least three dimensions"),
    (lambda t: conv1d_of_zeros(t, (1, 3, 8), (2, 3, 3, 3)), RuntimeError,
     "Expected 4-dimensional input for 4-dimensional weight [2, 3, 3, 3], but got 3-dimensional "
     "input of size [1, 3, 8] instead"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5, 5), stride=2, padding="same"),
     RuntimeError, "padding='same' is not supported for strided convolutions"),
    (lambda t: conv2d_of_zeros(t, (1, 3, 8, 8), (6, 3, 5, 5), padding="Same"), RuntimeError,
     "Invalid padding string: 'Same'"),
    (lambda t: typed(t, (1, 3, 8, 8), (6, 3, 5, 5), (6,), ("float32", "float32", "float64")),
     RuntimeError, "Input type (float) and bias type (double) should be the same"),
    (lambda t: typed(t, (1, 3, 8, 8), (6, 3, 5, 5), None, ("float32", "float64", None)),
     RuntimeError, "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should "
     "be the same or input should be a MKLDNN tensor and weight is a dense tensor"),
    (lambda t: typed(t, (1, 3, 8, 8), (6, 3, 5, 5), None, ("float64", "float32", None)),
     RuntimeError, "expected scalar type Double but found Float"),
    (lambda t: typed(t, (1, 3, 8, 8), (6, 3, 5, 5), None, ("bool", "bool", None)),
     NotImplementedError, "\"slow_conv2d_cpu\" not implemented for 'Bool'"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case, monkeypatch):
    fn, kind, message = ERRORS[case]
    monkeypatch.setattr(conv_ops, "lookup", None)          # no kernel may run
    with pytest.raises(kind) as e:
        fn(nbtorch)
    assert str(e.value) == message
    if TORCH is not None:
        with pytest.raises(kind) as e:
            fn(TORCH)
        assert str(e.value) == message


def test_wrong_argument_types():
    with pytest.raises(TypeError, match=r"^conv2d\(\) received an invalid combination of "
                                        r"arguments - got \(list, Tensor\), but expected one of:"):
        F.conv2d([1.0], nbtorch.zeros(1, 1, 1, 1))
    with pytest.raises(TypeError, match=r"got \(Tensor, Tensor, stride=float\)"):
        F.conv2d(nbtorch.zeros(1, 1, 3, 3), nbtorch.zeros(1, 1, 1, 1), stride=1.5)


# --- modules ---
REPRS = [
    ("Conv2d(1, 6, 5)", "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"),
    ("Conv2d(16, 33, (3, 2), stride=(2, 1))", "Conv2d(16, 33, kernel_size=(3, 2), stride=(2, 1))"),
    ("Conv2d(16, 33, 3, stride=2, padding=1, dilation=2, bias=False)",
     "Conv2d(16, 33, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
     "bias=False)"),
    ("Conv2d(16, 32, 3, padding='same', groups=4)",
     "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=4)"),
    ("Conv2d(16, 32, [3, 2], padding=[1, 0])",
     "Conv2d(16, 32, kernel_size=(3, 2), stride=(1, 1), padding=(1, 0))"),
    ("Conv2d(16, 32, 3, padding='valid')",
     "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=valid)"),
    ("Conv1d(16, 33, 3, stride=2)", "Conv1d(16, 33, kernel_size=(3,), stride=(2,))"),
    ("Conv1d(16, 33, 3, padding=(2,), dilation=3)",
     "Conv1d(16, 33, kernel_size=(3,), stride=(1,), padding=(2,), dilation=(3,))"),
]


@pytest.mark.parametrize("text,expect", REPRS)
def test_module_repr(text, expect):
    assert repr(eval("nn." + text)) == expect
    if TORCH is not None:
        assert repr(eval("TORCH.nn." + text)) == expect


def test_lenet_repr():
    net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5))
    assert repr(net) == ("Sequential(\n  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
                         "  (1): ReLU()\n  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, "
                         "dilation=1, ceil_mode=False)\n  (3): Conv2d(6, 16, kernel_size=(5, 5), "
                         "stride=(1, 1))\n)")


MODULE_ERRORS = [
    (lambda n: n.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda n: n.Conv2d(5, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda n: n.Conv2d(4, 5, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda n: n.Conv2d(4, 5, 3, padding="foo"), ValueError,
     "Invalid padding string 'foo', should be one of {'same', 'valid'}"),
    (lambda n: n.Conv1d(4, 5, 3, padding="same", stride=2), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda n: n.Conv2d(4, 5, 3, padding_mode="foo"), ValueError,
     "padding_mode must be one of {'reflect', 'replicate', 'circular', 'zeros'}, but got "
     "padding_mode='foo'"),
]


def set_order_free(message):
    """PyTorch prints Python sets here, whose order changes from run to run."""
    return re.sub(r"\{[^}]*\}", lambda m: str(sorted(m.group(0)[1:-1].split(", "))), message)


@pytest.mark.parametrize("case", range(len(MODULE_ERRORS)))
def test_module_errors(case):
    fn, kind, message = MODULE_ERRORS[case]
    with pytest.raises(kind) as e:
        fn(nn)
    assert str(e.value) == message
    if TORCH is not None:
        with pytest.raises(kind) as e:
            fn(TORCH.nn)
        assert set_order_free(str(e.value)) == set_order_free(message)


def test_unsupported_padding_mode():
    with pytest.raises(NotImplementedError, match="padding_mode='reflect' is not supported"):
        nn.Conv2d(4, 5, 3, padding_mode="reflect")


@pytest.mark.parametrize("cls,shape", [(nn.Conv2d, (10, 4, 3, 3)), (nn.Conv1d, (10, 4, 5))])
def test_module_parameters(cls, shape):
    """Shapes, PyTorch's default initialisation bounds (1/sqrt(fan_in) for both), no bias."""
    nbtorch.manual_seed(0)
    m = cls(8, 10, shape[2:], groups=2)
    assert tuple(m.weight.shape) == shape and tuple(m.bias.shape) == (10,)
    assert [name for name, _ in m.named_parameters()] == ["weight", "bias"]
    bound = 1 / math.sqrt(math.prod(shape[1:]))
    for p in (m.weight, m.bias):
        a = np.abs(p.detach().numpy())
        assert a.max() <= bound and a.max() > bound / 2
    m = cls(8, 10, shape[2:], bias=False)
    assert m.bias is None and [name for name, _ in m.named_parameters()] == ["weight"]


@pytest.mark.parametrize("cls,x_shape", [(nn.Conv2d, (3, 9, 8)), (nn.Conv1d, (3, 9))])
def test_module_forward_unbatched(cls, x_shape):
    m = cls(3, 4, 3, padding=1, dtype=nbtorch.float64)
    x = nbtorch.from_numpy(sample(x_shape, seed=5))
    out = m(x)
    batched = m(x.unsqueeze(0))
    np.testing.assert_allclose(out.detach().numpy(), batched.detach().numpy()[0], atol=1e-12)
    expect = reference_call(len(x_shape) - 1, x.numpy(), m.weight.detach().numpy(),
                            m.bias.detach().numpy(), 1, 1, 1, 1)
    np.testing.assert_allclose(out.detach().numpy(), expect, atol=1e-12)


@pytest.mark.skipif(TORCH is None, reason="PyTorch (the oracle) is not installed")
def test_lenet_convs_match_torch():
    """LeNet's two convolutions, batch 16, fed the same weights: outputs and all gradients."""
    nbtorch.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.Conv2d(6, 16, 5, stride=2))
    theirs = TORCH.nn.Sequential(TORCH.nn.Conv2d(1, 6, 5), TORCH.nn.ReLU(),
                                 TORCH.nn.Conv2d(6, 16, 5, stride=2))
    with TORCH.no_grad():
        for a, b in zip(ours.parameters(), theirs.parameters()):
            b.copy_(TORCH.from_numpy(a.detach().numpy()))
    x = sample((16, 1, 28, 28), np.float32, 7)
    tx = TORCH.from_numpy(x).requires_grad_()
    ox = nbtorch.from_numpy(x).requires_grad_()
    ours(ox).square().sum().backward()
    theirs(tx).square().sum().backward()
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-3)
