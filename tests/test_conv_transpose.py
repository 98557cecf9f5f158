"""Transposed convolution (F.conv_transpose1d/2d, nn.ConvTranspose1d/2d) run on the convolution's
kernels: against a NumPy scatter reference, float64 gradcheck, PyTorch's errors, output_size,
reprs and state_dict, the DCGAN generator stack, the CUDA launchers (simulator), and PyTorch
itself as an extra oracle."""
import numpy as np
import pytest

import nbtorch
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck

# x shape, w shape, stride, padding, output_padding, dilation, groups
CASES = {
    "plain": ((2, 3, 4, 5), (3, 2, 3, 3), 1, 0, 0, 1, 1),
    "dcgan-up": ((2, 4, 3, 3), (4, 3, 4, 4), 2, 1, 0, 1, 1),
    "output-padding-over-padding": ((1, 2, 3, 4), (2, 3, 3, 2), (2, 3), (0, 1), (1, 2), 1, 1),
    "groups-dilation": ((2, 4, 3, 4), (4, 1, 3, 2), (1, 2), 1, (0, 1), (2, 1), 2),
    "conv1d": ((2, 3, 6), (3, 4, 3), 3, 1, 2, 2, 1),
    "unbatched": ((2, 4, 3), (2, 2, 2, 3), 2, 0, 1, 1, 1),
}


def _pair(v, dims):
    return (v,) * dims if isinstance(v, int) else tuple(v)


def reference(x, w, b, stride, padding, output_padding, dilation, groups):
    """The definition: input (ih, iw) scatters x * w[kh, kw] to output (ih*s - p + kh*d, ...)."""
    dims = w.ndim - 2
    unbatched = x.ndim == dims + 1
    x = x[None] if unbatched else x
    if dims == 1:
        x, w = x[:, :, None], w[:, :, None]
    s, p, op, d = (_pair(v, dims) for v in (stride, padding, output_padding, dilation))
    if dims == 1:
        s, p, op, d = (1,) + s, (0,) + p, (0,) + op, (1,) + d
    (N, C, H, W), (_, Og, KH, KW) = x.shape, w.shape
    G, Cg = groups, C // groups
    full = np.zeros((N, G, Og, (H - 1) * s[0] + d[0] * (KH - 1) + op[0] + 1,
                     (W - 1) * s[1] + d[1] * (KW - 1) + op[1] + 1))
    xg, wg = x.reshape(N, G, Cg, H, W), w.reshape(G, Cg, Og, KH, KW)
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh * d[0], kh * d[0] + s[0] * (H - 1) + 1, s[0])
            cols = slice(kw * d[1], kw * d[1] + s[1] * (W - 1) + 1, s[1])
            full[:, :, :, rows, cols] += np.einsum("ngchw,gco->ngohw", xg, wg[:, :, :, kh, kw])
    OH, OW = full.shape[3] - 2 * p[0], full.shape[4] - 2 * p[1]
    out = full[:, :, :, p[0]:p[0] + OH, p[1]:p[1] + OW].reshape(N, G * Og, OH, OW)
    if b is not None:
        out = out + b[:, None, None]
    out = out[:, :, 0] if dims == 1 else out
    return out[0] if unbatched else out


def args(name, dtype=np.float64, seed=0):
    xs, ws, stride, padding, output_padding, dilation, groups = CASES[name]
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[1] * groups).astype(dtype)
    return x, w, b, dict(stride=stride, padding=padding, output_padding=output_padding,
                         dilation=dilation, groups=groups)


def fn(w):
    return F.conv_transpose2d if w.ndim == 4 else F.conv_transpose1d


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_numpy(name, dtype):
    x, w, b, kw = args(name, dtype)
    y = fn(w)(nbtorch.tensor(x), nbtorch.tensor(w), nbtorch.tensor(b), **kw)
    assert y.dtype.np == dtype
    np.testing.assert_allclose(y.numpy(), reference(x, w, b, **kw),
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck(name):
    x, w, b, kw = args(name)
    tensors = [nbtorch.tensor(a, requires_grad=True) for a in (x, w, b)]
    assert gradcheck(lambda x, w, b: fn(w)(x, w, b, **kw), tuple(tensors))


def test_only_needed_gradients():
    x, w, _, kw = args("dcgan-up")
    X, W = nbtorch.tensor(x), nbtorch.tensor(w, requires_grad=True)
    y = F.conv_transpose2d(X, W, **kw)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    y.sum().backward()
    assert X.grad is None and W.grad.shape == W.shape


def test_dcgan_generator_runs():
    """The PyTorch DCGAN tutorial's generator, at its sizes (nz=100, ngf=64): (N, 100, 1, 1) ->
    (N, 3, 64, 64)."""
    nz, ngf = 100, 64
    layers = []
    for cin, cout, stride, padding in ((nz, ngf * 8, 1, 0), (ngf * 8, ngf * 4, 2, 1),
                                       (ngf * 4, ngf * 2, 2, 1), (ngf * 2, ngf, 2, 1)):
        layers += [nn.ConvTranspose2d(cin, cout, 4, stride, padding, bias=False),
                   nn.BatchNorm2d(cout), nn.ReLU(True)]
    G = nn.Sequential(*layers, nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())
    y = G(nbtorch.randn(2, nz, 1, 1))
    assert y.shape == (2, 3, 64, 64)
    y.mean().backward()
    assert all(p.grad is not None for p in G.parameters())


def test_module_repr_params_state_dict_and_output_size():
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2)
    assert repr(m) == ("ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                       "dilation=(2, 2), output_padding=(1, 1), groups=2)")
    assert m.weight.shape == (4, 3, 3, 3) and m.bias.shape == (6,) and m.transposed
    assert repr(nn.ConvTranspose1d(3, 6, 3, bias=False)) == (
        "ConvTranspose1d(3, 6, kernel_size=(3,), stride=(1,), bias=False)")
    bound = 1 / np.sqrt(3 * 9)                      # fan_in = weight.size(1) * kernel
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert list(m.state_dict()) == ["weight", "bias"]
    n = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2)
    n.load_state_dict(m.state_dict())
    x = nbtorch.randn(1, 4, 5, 5)
    np.testing.assert_array_equal(n(x).detach().numpy(), m(x).detach().numpy())
    up = nn.ConvTranspose2d(4, 3, 3, stride=2)
    assert up(x, output_size=[12, 12]).shape == (1, 3, 12, 12)
    assert up(x, output_size=(1, 3, 11, 11)).shape == (1, 3, 11, 11)
    with pytest.raises(ValueError) as e:
        up(x, output_size=[13, 13])
    assert str(e.value) == ("requested an output size of [13, 13], but valid sizes range from "
                            "[11, 11] to [12, 12] (for an input of torch.Size([5, 5]))")
    with pytest.raises(ValueError, match=r"ConvTranspose2D: for 4D input, output_size must have 2 "
                                         r"or 4 elements \(got 3\)"):
        up(x, output_size=[3, 12, 12])
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for '
                                         'ConvTranspose2d'):
        nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect")


X = nbtorch.randn(1, 4, 5, 5)


@pytest.mark.parametrize("call,words", [
    (lambda: F.conv_transpose2d(X[0, 0], nbtorch.randn(4, 3, 3, 3)),
     "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: "
     "[5, 5]"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(3, 3, 3, 3)),
     "Given transposed=1, weight of size [3, 3, 3, 3], expected input[1, 4, 5, 5] to have 3 "
     "channels, but got 4 channels instead"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(4, 3, 3, 3), bias=nbtorch.randn(4)),
     "Given transposed=1, weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 3 "
     "elements, but got bias of size [4] instead"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(4, 3, 3, 3), groups=3),
     "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size "
     "[[4, 3, 3, 3]] instead"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(4, 3, 3, 3), stride=2, output_padding=2),
     "output padding must be smaller than either stride or dilation, but got "
     "output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 "
     "dilation_height: 1 dilation_width: 1"),
    (lambda: F.conv_transpose1d(X[0], nbtorch.randn(5, 3, 3), dilation=0),
     "dilation should be greater than zero, but got dilation_height: 1, dilation_width: 0"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(4, 3, 3, 3), padding=4),
     "Given input size per channel: (5 x 5). Calculated output size per channel: (-1 x -1). "
     "Output size is too small"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(4, 3, 3, 3), output_padding=-1, stride=0),
     "negative output_padding is not supported"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(4, 3, 3, 3), stride=0),
     "non-positive stride is not supported"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(4, 3, 3, 3), stride=(1, 2, 3)),
     "expected stride to be a single integer value or a list of 2 values to match the convolution "
     "dimensions, but got stride=[1, 2, 3]"),
    (lambda: F.conv_transpose2d(X, nbtorch.randn(4, 3, 3, 3, dtype=nbtorch.float64)),
     "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same or "
     "input should be a MKLDNN tensor and weight is a dense tensor"),
])
def test_errors(call, words):
    with pytest.raises(RuntimeError) as e:
        call()
    assert str(e.value) == words


def test_cuda_matches_cpu():
    """Through the CUDA conv launchers (the simulator when there is no GPU), tiny shapes."""
    x, w, b, kw = args("output-padding-over-padding", seed=3)
    x, w = x[:, :, :2, :3], w[:, :, :2]
    cpu = [nbtorch.tensor(a, requires_grad=True) for a in (x, w, b)]
    gpu = [nbtorch.tensor(a, device="cuda", requires_grad=True) for a in (x, w, b)]
    y, z = F.conv_transpose2d(*cpu, **kw), F.conv_transpose2d(*gpu, **kw)
    g = np.random.default_rng(4).standard_normal(y.shape)
    y.backward(nbtorch.tensor(g))
    z.backward(nbtorch.tensor(g, device="cuda"))
    np.testing.assert_allclose(z.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-12)
    for c, d in zip(cpu, gpu):
        np.testing.assert_allclose(d.grad.cpu().numpy(), c.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_torch_oracle(name):
    torch = pytest.importorskip("torch")
    x, w, b, kw = args(name, seed=1)
    ours = [nbtorch.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = fn(w)(*ours, **kw)
    t = getattr(torch.nn.functional, fn(w).__name__)(*theirs, **kw)
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(2).standard_normal(t.shape)
    y.backward(nbtorch.tensor(g))
    t.backward(torch.tensor(g))
    for a, c in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), c.grad.numpy(), rtol=1e-12, atol=1e-12)
