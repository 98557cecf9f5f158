"""Pooling: the CPU kernels against NumPy reference formulas and float64 finite differences (on
both the serial and the parallel path), then the autograd ops (gradcheck), nn.functional with
PyTorch's output sizes and errors, the modules and, when PyTorch is installed, torch itself."""
import math

import numpy as np
import pytest

import nbtorch.kernels.cpu.pool as cpu_pool
from nbtorch.kernels.registry import lookup

try:
    import torch as TORCH
except ImportError:
    TORCH = None

FLOATS = [np.float32, np.float64]


# the parallel path runs the same plane bodies as the serial one: it is tested in float64 only,
# which spares compiling its float32 twins (parallel kernels compile slowly)
PATH_DTYPES = [("serial", np.float32), ("serial", np.float64), ("parallel", np.float64)]


@pytest.fixture
def use_path(monkeypatch):
    """use_path("serial" or "parallel"): the launchers take that path whatever the size."""
    def use(path):
        monkeypatch.setattr(cpu_pool, "_PARALLEL_MIN", 0 if path == "parallel" else 1 << 62)
    return use


def out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's rule: floor (or ceil) of the window count; in ceil mode the last window must
    start inside the input or the left padding."""
    n = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (n - 1) * s >= size + p:
        n -= 1
    return n


def distinct(shape, dtype, seed=0):
    """Values without ties, at least 0.01 apart (max pooling's gradient is then smooth)."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    return (rng.permutation(n) * 0.01 - n * 0.005 + rng.uniform(0, 1e-3, n)).reshape(shape).astype(dtype)


# --- NumPy references, in padded coordinates -----------------------------------------------------

def _taps(o, size, k, s, p, d):
    """Padded-coordinate positions of window ``o`` that lie inside the padded input."""
    t = o * s + np.arange(k) * d
    return t[t < size + 2 * p]


def ref_max_pool(x, kernel, stride, padding, dilation, out_hw):
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    out = np.empty((N, C) + out_hw)
    idx = np.empty((N, C) + out_hw, np.int64)
    for oh in range(out_hw[0]):
        for ow in range(out_hw[1]):
            r, c = _taps(oh, H, kh, sh, ph, dh), _taps(ow, W, kw, sw, pw, dw)
            win = xp[:, :, r][:, :, :, c].reshape(N, C, -1)
            first = win.argmax(-1)
            out[:, :, oh, ow] = win.max(-1)
            idx[:, :, oh, ow] = (r[first // len(c)] - ph) * W + c[first % len(c)] - pw
    return out, idx


def ref_avg_pool(x, kernel, stride, padding, count_include_pad, divisor_override, out_hw):
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.empty((N, C) + out_hw)
    for oh in range(out_hw[0]):
        for ow in range(out_hw[1]):
            r, c = _taps(oh, H, kh, sh, ph, 1), _taps(ow, W, kw, sw, pw, 1)
            inside = ((r >= ph) & (r < ph + H)).sum() * ((c >= pw) & (c < pw + W)).sum()
            div = divisor_override or (len(r) * len(c) if count_include_pad else inside)
            out[:, :, oh, ow] = xp[:, :, r][:, :, :, c].sum((-1, -2)) / div
    return out


def _adaptive_bounds(o, size, n_out):
    return o * size // n_out, -(-(o + 1) * size // n_out)


def ref_adaptive(x, out_hw, reduce):
    N, C, H, W = x.shape
    out = np.empty((N, C) + out_hw)
    for oh in range(out_hw[0]):
        for ow in range(out_hw[1]):
            (h0, h1), (w0, w1) = _adaptive_bounds(oh, H, out_hw[0]), _adaptive_bounds(ow, W, out_hw[1])
            out[:, :, oh, ow] = reduce(x[:, :, h0:h1, w0:w1].astype(np.float64), axis=(-1, -2))
    return out


# --- launcher calls ------------------------------------------------------------------------------

def max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    hw = tuple(out_size(x.shape[2 + i], kernel[i], stride[i], padding[i], dilation[i], ceil_mode)
               for i in range(2))
    out = np.full(x.shape[:2] + hw, np.nan, x.dtype)
    idx = np.full(out.shape, -7, np.int64)
    lookup("maxpool2d_forward", "cpu")(x, out, idx, kernel, stride, padding, dilation)
    return out, idx


def avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    hw = tuple(out_size(x.shape[2 + i], kernel[i], stride[i], padding[i], 1, ceil_mode)
               for i in range(2))
    out = np.full(x.shape[:2] + hw, np.nan, x.dtype)
    lookup("avgpool2d_forward", "cpu")(x, out, kernel, stride, padding, count_include_pad,
                                       divisor_override)
    return out


def adaptive(kind, x, out_hw):
    out = np.full(x.shape[:2] + out_hw, np.nan, x.dtype)
    if kind == "max":
        idx = np.full(out.shape, -7, np.int64)
        lookup("adaptive_maxpool2d_forward", "cpu")(x, out, idx)
        return out, idx
    lookup("adaptive_avgpool2d_forward", "cpu")(x, out)
    return out


def finite_differences(f, x, g, h=1e-6):
    """d sum(g * f(x)) / dx by central differences (float64). Pooling works plane by plane, so
    all x.size perturbed copies go through ``f`` as one batch."""
    steps = (np.eye(x.size) * h).reshape((x.size,) + x.shape)
    batch = (x.size * x.shape[0],) + x.shape[1:]
    plus, minus = f((x + steps).reshape(batch)), f((x - steps).reshape(batch))
    diff = (plus - minus).reshape((x.size,) + g.shape) * g
    return diff.reshape(x.size, -1).sum(1).reshape(x.shape) / (2 * h)


# (shape, kernel, stride, padding, dilation, ceil_mode): odd sizes, stride != kernel, padding,
# dilation, ceil-mode windows that hang over the edge, and the H = 1 form of 1-d pooling
SLIDING = [((2, 3, 7, 9), (2, 2), (2, 2), (0, 0), (1, 1), False),
           ((1, 2, 9, 11), (3, 2), (2, 1), (1, 1), (2, 1), True),
           ((2, 1, 8, 7), (3, 3), (2, 3), (1, 0), (1, 3), True),
           ((1, 2, 6, 7), (3, 3), (2, 2), (0, 1), (1, 1), True),
           ((3, 1, 5, 5), (4, 2), (3, 1), (2, 1), (1, 2), False),
           ((1, 2, 1, 10), (1, 3), (1, 2), (0, 1), (1, 1), True)]
AVG = [(shape, k, s, p, c) for shape, k, s, p, _, c in SLIDING]
ADAPTIVE = [((2, 3, 7, 9), (3, 4)), ((1, 2, 5, 6), (5, 6)), ((1, 2, 4, 5), (7, 8)),
            ((2, 1, 9, 1), (4, 1)), ((1, 1, 6, 6), (1, 1)), ((1, 2, 3, 3), (0, 2))]


# --- kernels -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,dtype", PATH_DTYPES)
@pytest.mark.parametrize("case", SLIDING)
def test_max_pool_forward(case, dtype, path, use_path):
    use_path(path)
    shape, *params = case
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    out, idx = max_pool(x, *params)
    ref, ref_idx = ref_max_pool(x, *params[:4], out.shape[2:])
    assert out.dtype == dtype and np.array_equal(out, ref) and np.array_equal(idx, ref_idx)


@pytest.mark.parametrize("path", ["serial", "parallel"])
@pytest.mark.parametrize("case", SLIDING)
def test_max_pool_backward_matches_finite_differences(case, path, use_path):
    use_path(path)
    shape, *params = case
    x = distinct(shape, np.float64, seed=2)
    out, idx = max_pool(x, *params)
    g = np.random.default_rng(3).standard_normal(out.shape)
    gx = np.full(shape, np.nan)
    lookup("maxpool2d_backward", "cpu")(g, idx, gx)
    np.testing.assert_allclose(gx, finite_differences(lambda a: max_pool(a, *params)[0], x, g),
                               rtol=1e-7, atol=1e-9)


def test_max_pool_ties_nan_and_empty_windows():
    """The first maximum wins a tie and a NaN wins over everything (as in PyTorch); a window
    with no input element gives -inf and index -1, and backward skips it."""
    x = np.array([[[[1.0, 3.0, 3.0, np.nan], [3.0, 0.0, 2.0, 5.0]]]])
    out, idx = max_pool(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    assert out[0, 0, 0, 0] == 3.0 and idx[0, 0, 0, 0] == 1
    assert np.isnan(out[0, 0, 0, 1]) and idx[0, 0, 0, 1] == 3
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    out, idx = max_pool(x, (2, 2), (1, 1), (1, 1), (3, 3), False)     # taps -1 and 2: outside
    assert out.shape == (1, 1, 1, 1) and out[0, 0, 0, 0] == -np.inf and idx[0, 0, 0, 0] == -1
    gx = np.full(x.shape, np.nan)
    lookup("maxpool2d_backward", "cpu")(np.ones(out.shape), idx, gx)
    assert (gx == 0).all()


@pytest.mark.parametrize("divisor_override", [None, 3])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("path,dtype", PATH_DTYPES)
@pytest.mark.parametrize("case", AVG)
def test_avg_pool_forward(case, dtype, count_include_pad, divisor_override, path, use_path):
    use_path(path)
    shape, *params = case
    x = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    out = avg_pool(x, *params, count_include_pad, divisor_override)
    ref = ref_avg_pool(x, *params[:3], count_include_pad, divisor_override, out.shape[2:])
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, rtol=1e-6 if dtype == np.float32 else 1e-14, atol=1e-7)


@pytest.mark.parametrize("path", ["serial", "parallel"])
@pytest.mark.parametrize("divisor_override", [None, 5])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", AVG)
def test_avg_pool_backward_matches_finite_differences(case, count_include_pad, divisor_override,
                                                      path, use_path):
    use_path(path)
    shape, *params = case
    extra = (count_include_pad, divisor_override)
    x = np.random.default_rng(5).standard_normal(shape)
    out = avg_pool(x, *params, *extra)
    g = np.random.default_rng(6).standard_normal(out.shape)
    gx = np.full(shape, np.nan)
    lookup("avgpool2d_backward", "cpu")(g, gx, *params[:3], *extra)
    np.testing.assert_allclose(gx, finite_differences(lambda a: avg_pool(a, *params, *extra), x, g),
                               rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("path,dtype", PATH_DTYPES)
@pytest.mark.parametrize("shape,out_hw", ADAPTIVE)
def test_adaptive_forward(shape, out_hw, dtype, path, use_path):
    use_path(path)
    x = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    out, idx = adaptive("max", x, out_hw)
    assert out.dtype == dtype and np.array_equal(out, ref_adaptive(x, out_hw, np.max))
    planes = x.reshape(shape[0], shape[1], -1)
    assert np.array_equal(np.take_along_axis(planes, idx.reshape(*shape[:2], -1), -1).reshape(out.shape), out)
    out = adaptive("avg", x, out_hw)
    np.testing.assert_allclose(out, ref_adaptive(x, out_hw, np.mean),
                               rtol=1e-6 if dtype == np.float32 else 1e-14, atol=1e-7)


@pytest.mark.parametrize("path", ["serial", "parallel"])
@pytest.mark.parametrize("shape,out_hw", ADAPTIVE)
def test_adaptive_backward_matches_finite_differences(shape, out_hw, path, use_path):
    use_path(path)
    x = distinct(shape, np.float64, seed=8)
    g = np.random.default_rng(9).standard_normal(shape[:2] + out_hw)
    _, idx = adaptive("max", x, out_hw)
    gx = np.full(shape, np.nan)
    lookup("adaptive_maxpool2d_backward", "cpu")(g, idx, gx)
    np.testing.assert_allclose(gx, finite_differences(lambda a: adaptive("max", a, out_hw)[0], x, g),
                               rtol=1e-7, atol=1e-9)
    gx = np.full(shape, np.nan)
    lookup("adaptive_avgpool2d_backward", "cpu")(g, gx)
    np.testing.assert_allclose(gx, finite_differences(lambda a: adaptive("avg", a, out_hw), x, g),
                               rtol=1e-7, atol=1e-9)


def test_backward_kernels_float32():
    """Each backward launcher in float32 against its float64 result (proven by the tests above)."""
    x = distinct((2, 3, 7, 6), np.float64, seed=14)
    sliding = ((3, 2), (2, 1), (1, 1))
    _, idx = max_pool(x, *sliding, (1, 2), True)
    _, a_idx = adaptive("max", x, (4, 3))
    calls = [("maxpool2d_backward", idx.shape, lambda g, gx: (g, idx, gx)),
             ("adaptive_maxpool2d_backward", a_idx.shape, lambda g, gx: (g, a_idx, gx)),
             ("avgpool2d_backward", (2, 3, 4, 7), lambda g, gx: (g, gx, *sliding, False, None)),
             ("adaptive_avgpool2d_backward", (2, 3, 4, 3), lambda g, gx: (g, gx))]
    for op, out_shape, args in calls:
        g = np.random.default_rng(15).standard_normal(out_shape)
        grads = [np.full(x.shape, np.nan, dt) for dt in FLOATS]
        for gx in grads:
            lookup(op, "cpu")(*args(g.astype(gx.dtype), gx))
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-6)


@pytest.mark.skipif(TORCH is None, reason="PyTorch is an optional oracle")
@pytest.mark.parametrize("case", SLIDING)
def test_kernels_match_torch(case):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x = np.random.default_rng(10).standard_normal(shape).astype(np.float32)
    tx = TORCH.from_numpy(x)
    out, idx = max_pool(x, kernel, stride, padding, dilation, ceil_mode)
    t_out, t_idx = TORCH.nn.functional.max_pool2d(tx, kernel, stride, padding, dilation, ceil_mode, True)
    assert np.array_equal(out, t_out.numpy()) and np.array_equal(idx, t_idx.numpy())
    for cip in (True, False):
        out = avg_pool(x, kernel, stride, padding, ceil_mode, cip, None)
        t_out = TORCH.nn.functional.avg_pool2d(tx, kernel, stride, padding, ceil_mode, cip)
        np.testing.assert_allclose(out, t_out.numpy(), rtol=1e-6, atol=1e-7)


# --- autograd ops and nn.functional ----------------------------------------------------------------
import nbtorch  # noqa: E402
import nbtorch.nn as nn  # noqa: E402
import nbtorch.nn.functional as F  # noqa: E402
from nbtorch.autograd import gradcheck  # noqa: E402

# name -> (call with a library's functional module, grad_fn name); inputs are (N, C, H, W), or
# (N, C, W) for the 1-d ops; ``unbatched`` drops N
FUNCTIONAL = {
    "max_pool2d": (lambda F, x: F.max_pool2d(x, (3, 2), (2, 1), (1, 1), (1, 2), ceil_mode=True),
                   "MaxPool2DWithIndicesBackward0"),
    "max_pool2d_default_stride": (lambda F, x: F.max_pool2d(x, 2), "MaxPool2DWithIndicesBackward0"),
    "avg_pool2d": (lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                   "AvgPool2DBackward0"),
    "avg_pool2d_divisor": (lambda F, x: F.avg_pool2d(x, (2, 3), 1, (1, 0), divisor_override=4),
                           "AvgPool2DBackward0"),
    "adaptive_avg_pool2d": (lambda F, x: F.adaptive_avg_pool2d(x, (3, 4)), "AdaptiveAvgPool2DBackward0"),
    "adaptive_avg_pool2d_1x1": (lambda F, x: F.adaptive_avg_pool2d(x, 1), "MeanBackward1"),
    "adaptive_max_pool2d": (lambda F, x: F.adaptive_max_pool2d(x, (None, 2)), "AdaptiveMaxPool2DBackward0"),
    "max_pool1d": (lambda F, x: F.max_pool1d(x, 3, 2, 1, 2, ceil_mode=True), "SqueezeBackward1"),
    "max_pool1d_indices": (lambda F, x: F.max_pool1d(x, 2, return_indices=True)[0], "SqueezeBackward1"),
    "avg_pool1d": (lambda F, x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), "SqueezeBackward1"),
}
ONE_D = ("max_pool1d", "max_pool1d_indices", "avg_pool1d")


def sample_input(name, dtype=np.float64, unbatched=False, seed=11):
    shape = (2, 3, 7) if name in ONE_D else (2, 3, 6, 5)
    return distinct(shape[unbatched:], dtype, seed)


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_gradcheck_and_grad_fn(name):
    fn, grad_fn = FUNCTIONAL[name]
    x = nbtorch.tensor(sample_input(name)[:1, :2], requires_grad=True)
    assert fn(F, x).grad_fn.name() == grad_fn
    assert gradcheck(lambda a: fn(F, a), (x,))
    assert gradcheck(lambda a: fn(F, a.transpose(-1, -2)), (x,))       # a non-contiguous view


@pytest.mark.skipif(TORCH is None, reason="PyTorch is an optional oracle")
@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_matches_torch(name, dtype, unbatched):
    fn, _ = FUNCTIONAL[name]
    x = sample_input(name, dtype, unbatched)
    g = np.random.default_rng(12).standard_normal(fn(TORCH.nn.functional, TORCH.from_numpy(x)).shape)
    ours, theirs = nbtorch.tensor(x, requires_grad=True), TORCH.tensor(x, requires_grad=True)
    y, ty = fn(F, ours), fn(TORCH.nn.functional, theirs)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)
    assert y.shape == tuple(ty.shape) and y.dtype.name == str(ty.dtype).split(".")[1]
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), **tol)
    y.backward(nbtorch.tensor(g.astype(dtype)))
    ty.backward(TORCH.tensor(g.astype(dtype)))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tol)


@pytest.mark.skipif(TORCH is None, reason="PyTorch is an optional oracle")
@pytest.mark.parametrize("call", [lambda F, x: F.max_pool2d(x, 3, 2, 1, 2, True, return_indices=True),
                                  lambda F, x: F.adaptive_max_pool2d(x, (4, 3), True),
                                  lambda F, x: F.max_pool1d(x[0], 3, 1, 1, 1, True, True)])
def test_return_indices_match_torch(call):
    x = np.random.default_rng(13).standard_normal((2, 3, 7, 6)).astype(np.float32)
    (y, i), (ty, ti) = call(F, nbtorch.tensor(x)), call(TORCH.nn.functional, TORCH.tensor(x))
    assert i.dtype is nbtorch.int64 and np.array_equal(i.numpy(), ti.numpy())
    assert np.array_equal(y.numpy(), ty.numpy())


def test_unbatched_seed_example_and_no_grad():
    x = nbtorch.randn(3, 5, 10)
    y = nn.MaxPool2d((5, 1))(x)
    assert y.shape == (3, 1, 10) and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy()[:, 0], x.numpy().max(1))


def test_output_size_rule():
    """ceil_mode adds the partial last window, unless it would start in the right padding."""
    x = nbtorch.zeros(1, 1, 6, 5)
    assert F.max_pool2d(x, 3, 2).shape == (1, 1, 2, 2)
    assert F.max_pool2d(x, 3, 2, ceil_mode=True).shape == (1, 1, 3, 2)
    assert F.avg_pool2d(nbtorch.zeros(1, 5, 5), 2, 2, 1, ceil_mode=True).shape == (1, 3, 3)
    assert F.max_pool2d(x, 2, 2, 1, ceil_mode=True).shape == (1, 1, 4, 3)
    assert F.max_pool2d(x, 2, 1, 0, 3).shape == (1, 1, 3, 2)
    assert F.adaptive_avg_pool2d(x, (None, 3)).shape == (1, 1, 6, 3)
    assert F.adaptive_max_pool2d(nbtorch.zeros(0, 2, 4, 4), 2).shape == (0, 2, 2, 2)
    assert F.max_pool2d(nbtorch.zeros(0, 2, 4, 4), 2).shape == (0, 2, 2, 2)


def test_torch_namespace_functions():
    x = nbtorch.tensor(distinct((2, 5, 6), np.float32))
    np.testing.assert_array_equal(nbtorch.max_pool2d(x, 2).numpy(), F.max_pool2d(x, 2).numpy())
    np.testing.assert_array_equal(nbtorch.max_pool1d(x, 3).numpy(), F.max_pool1d(x, 3).numpy())
    np.testing.assert_array_equal(nbtorch.avg_pool1d(x, 3).numpy(), F.avg_pool1d(x, 3).numpy())


def test_non_float_inputs_are_refused():
    with pytest.raises(NotImplementedError, match="\"adaptive_avg_pool2d\" not implemented for 'Long'"):
        F.adaptive_avg_pool2d(nbtorch.zeros(1, 4, 4, dtype=nbtorch.int64), 2)


def _x(*shape):
    return nbtorch.zeros(*shape)


# PyTorch's exception types and words (read off torch 2.13)
ERRORS = [
    (lambda: F.max_pool2d(_x(4, 4), 2), RuntimeError,
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda: F.max_pool2d(_x(1, 1, 0, 4), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 1, 0, 4]"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, dilation=3, padding=2), RuntimeError,
     "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 2, kH = 2"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 9), (5, 1)), RuntimeError,
     "Given input size: (1x4x9). Calculated output size: (1x0x9). Output size is too small"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), -1), RuntimeError,
     "kernel size should be greater than zero, but got kH: -1 kW: -1"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, -1), RuntimeError,
     "stride should be greater than zero, but got dH: -1 dW: -1"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, padding=-1), RuntimeError, "pad must be non-negative, but got pad: -1"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), (2, 2, 2)), RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2.0), TypeError,
     "max_pool2d(): argument 'kernel_size' (position 2) must be tuple of ints, not float"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), (2.0, 1)), TypeError,
     "max_pool2d(): argument 'kernel_size' (position 2) must be tuple of ints, but found element of type float at pos 0"),
    (lambda: F.avg_pool2d(_x(4, 4), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda: F.avg_pool2d(_x(1, 4, 4, 4, 4), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 4, 4, 4, 4]"),
    (lambda: F.avg_pool2d(_x(2, 4, 9), (5, 1)), RuntimeError,
     "Given input size: (2x4x9). Calculated output size: (2x0x9). Output size is too small"),
    (lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, (2, 2, 2)), RuntimeError,
     "avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints"),
    (lambda: F.max_pool1d(_x(1, 1, 4), 5), RuntimeError, "max_pool1d() Invalid computed output size: 0"),
    (lambda: F.max_pool1d(_x(1, 1, 4), 2, padding=2), RuntimeError,
     "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=2"),
    (lambda: F.max_pool1d(_x(4), 2), RuntimeError,
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:[4]"),
    (lambda: F.max_pool1d(_x(1, 1, 4), (2, 2)), RuntimeError,
     "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 but got size 2"),
    (lambda: F.max_pool1d(_x(1, 1, 4), 5, return_indices=True), RuntimeError,
     "Given input size: (1x1x4). Calculated output size: (1x1x0). Output size is too small"),
    (lambda: F.max_pool1d(_x(4, 4, 4, 4), 2, return_indices=True), RuntimeError,
     "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while checking arguments for max_pool1d)"),
    (lambda: F.avg_pool1d(_x(1, 1, 4), 2, (2, 2)), RuntimeError,
     "avg_pool1d() argument 'stride' should contain one int (got 2)"),
    (lambda: F.avg_pool1d(_x(1, 1, 4), -1), RuntimeError,
     "kernel size should be greater than zero, but got kH: 1 kW: -1"),
    (lambda: F.adaptive_avg_pool2d(_x(4, 4), 2), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [4, 4]"),
    (lambda: F.adaptive_avg_pool2d(_x(1, 1, 0, 4), 2), RuntimeError,
     "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes [1, 1, 0, 4] with dimension 2 being empty"),
    (lambda: F.adaptive_avg_pool2d(_x(1, 1, 4, 4), (-1, 3)), RuntimeError,
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {-1, 3}"),
    (lambda: F.adaptive_avg_pool2d(_x(1, 1, 4, 4), (2, 3, 4)), RuntimeError, "adaptive_avg_pool2d: output_size must be 2"),
    (lambda: F.adaptive_max_pool2d(_x(4, 4), (2, 3)), ValueError, "Input dimension should be at least 3"),
    (lambda: F.adaptive_max_pool2d(_x(1, 0, 4, 4), 2), RuntimeError,
     "adaptive_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes [1, 0, 4, 4] with dimension 1 being empty"),
    (lambda: F.adaptive_max_pool2d(_x(1, 1, 4, 4), (2,)), RuntimeError,
     "adaptive_max_pool2d(): internal error: output_size.size() must be 2"),
]


@pytest.mark.parametrize("call,exc,message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


# --- modules -------------------------------------------------------------------------------------

REPRS = [
    (lambda nn: nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda nn: nn.MaxPool2d((5, 1)),
     "MaxPool2d(kernel_size=(5, 1), stride=(5, 1), padding=0, dilation=1, ceil_mode=False)"),
    (lambda nn: nn.MaxPool2d(3, 1, 1, 2, True, True),
     "MaxPool2d(kernel_size=3, stride=1, padding=1, dilation=2, ceil_mode=True)"),
    (lambda nn: nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (lambda nn: nn.AvgPool2d((2, 3), 1, 1, True, False, 3), "AvgPool2d(kernel_size=(2, 3), stride=1, padding=1)"),
    (lambda nn: nn.AdaptiveAvgPool2d((None, 2)), "AdaptiveAvgPool2d(output_size=(None, 2))"),
    (lambda nn: nn.AdaptiveMaxPool2d(3), "AdaptiveMaxPool2d(output_size=3)"),
    (lambda nn: nn.MaxPool1d(3), "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"),
    (lambda nn: nn.AvgPool1d(3, 1, 1), "AvgPool1d(kernel_size=(3,), stride=(1,), padding=(1,))"),
]


@pytest.mark.parametrize("make,text", REPRS, ids=[r[1][:24] for r in REPRS])
def test_module_reprs(make, text):
    assert repr(make(nn)) == text
    if TORCH is not None:
        assert repr(make(TORCH.nn)) == text


def test_modules_call_functional():
    x = nbtorch.tensor(distinct((2, 3, 6, 5), np.float32), requires_grad=True)
    cases = [(nn.MaxPool2d(3, 2, 1, ceil_mode=True), F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
             (nn.AvgPool2d(3, 2, 1, True, False, 2), F.avg_pool2d(x, 3, 2, 1, True, False, 2)),
             (nn.AdaptiveAvgPool2d((2, 3)), F.adaptive_avg_pool2d(x, (2, 3))),
             (nn.MaxPool1d(2, 1), F.max_pool1d(x[0], 2, 1)),
             (nn.AvgPool1d(2, 1, 1), F.avg_pool1d(x[0], 2, 1, 1))]
    for m, ref in cases:
        np.testing.assert_array_equal(m(x if ref.ndim == 4 else x[0]).detach().numpy(),
                                      ref.detach().numpy())
    out, idx = nn.AdaptiveMaxPool2d(2, return_indices=True)(x)
    assert out.shape == idx.shape == (2, 3, 2, 2)
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert out.shape == idx.shape == (2, 3, 3, 2) and idx.dtype is nbtorch.int64
    assert list(nn.MaxPool2d(2).parameters()) == [] and nn.MaxPool2d(2).state_dict() == {}
