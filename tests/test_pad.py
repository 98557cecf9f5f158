"""F.pad (constant, reflect, replicate, circular; negative pads crop) and the padding modules:
against np.pad, float64 gradcheck, PyTorch's errors and reprs, CUDA (the simulator when there is
no GPU) against the CPU, and PyTorch itself as an extra oracle."""
import numpy as np
import pytest

import nbtorch
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck

NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}

# shape, pad, mode: non-negative pads (np.pad's reference)
CASES = [
    ((2, 3, 4), (1, 2), "constant"),
    ((1, 2, 3, 4), (0, 1, 2, 2, 1, 0), "constant"),
    ((3, 4), (3, 2), "reflect"),
    ((1, 2, 3, 4), (1, 3, 2, 1), "reflect"),
    ((2, 3, 3, 4), (1, 1, 2, 0, 1, 2), "reflect"),
    ((2, 1, 5), (4, 1), "replicate"),
    ((2, 3, 4), (1, 2, 3, 0), "replicate"),
    ((1, 2, 2, 3, 2), (2, 1, 1, 1, 1, 0), "replicate"),
    ((2, 3, 4), (4, 2), "circular"),
    ((1, 2, 3, 4), (1, 2, 3, 1), "circular"),
    ((2, 2, 3, 2), (1, 2, 1, 0, 2, 2), "circular"),
]
# negative pads crop; circular wraps what is left (PyTorch's rule)
CROPS = [((2, 3, 5), (-1, 2, 1, -2), "constant"), ((2, 3, 5), (2, -1), "reflect"),
         ((2, 5), (-2, 3), "replicate"), ((2, 3, 5), (-1, 2), "circular"),
         ((2, 3, 5), (2, -1, -1, 1), "circular")]


def sample(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def np_pad(x, pad, mode, value=0.0):
    k = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - k) + [(pad[2 * j], pad[2 * j + 1]) for j in range(k)][::-1]
    extra = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, widths, NP_MODE[mode], **extra)


@pytest.mark.parametrize("shape,pad,mode", CASES)
def test_matches_numpy(shape, pad, mode):
    x = sample(shape)
    extra = {"value": 2.5} if mode == "constant" else {}
    y = F.pad(nbtorch.tensor(x), pad, mode, **extra)
    np.testing.assert_array_equal(y.numpy(), np_pad(x, pad, mode, 2.5))
    y32 = F.pad(nbtorch.tensor(x.astype(np.float32)), pad, mode)
    assert y32.dtype is nbtorch.float32
    np.testing.assert_array_equal(y32.numpy(), np_pad(x.astype(np.float32), pad, mode))


@pytest.mark.parametrize("shape,pad,mode", CASES + CROPS)
def test_gradcheck(shape, pad, mode):
    x = nbtorch.tensor(sample(shape), requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, pad, mode), (x,))


def test_constant_pad_int_and_crop():
    y = F.pad(nbtorch.arange(3), (1, 1), value=1.7)          # the value cast to the dtype
    assert y.dtype is nbtorch.int64 and y.tolist() == [1, 0, 1, 2, 1]
    x = sample((2, 5))
    np.testing.assert_array_equal(F.pad(nbtorch.tensor(x), (-2, -1)).numpy(), x[:, 2:4])
    assert F.pad(nbtorch.tensor(x), (-2, -3)).shape == (2, 0)


def test_node_names():
    x = nbtorch.randn(1, 2, 3, 4, requires_grad=True)
    assert F.pad(x, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    assert F.pad(x, (1, 1, 1, 1), "reflect").grad_fn.name() == "ReflectionPad2DBackward0"
    assert F.pad(x[0], (1, 1), "replicate").grad_fn.name() == "ReplicationPad1DBackward0"


SUPPORTED = ("\nSupported combinations for non-constant padding:\n"
             "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
             "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
             "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
X = nbtorch.randn(1, 2, 3, 4)


@pytest.mark.parametrize("call,error,words", [
    (lambda: F.pad(X, (1, 2, 3)), RuntimeError, "Padding length must be divisible by 2"),
    (lambda: F.pad(X, (1,) * 10), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got "
     "padding length 10 and input of dimension 4"),
    (lambda: F.pad(X, (1.0, 1)), TypeError,
     "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type float "
     "at pos 0"),
    (lambda: F.pad(X, (1, 2), "reflect"), NotImplementedError,
     "Padding size 2 is not supported for 4D input tensor." + SUPPORTED),
    (lambda: F.pad(X, (1, 1), "foo"), NotImplementedError, "Unrecognised padding mode foo"),
    (lambda: F.pad(X, (1, 1, 1, 1), "reflect", 1.0), RuntimeError,
     'Padding mode "reflect" doesn\'t take in value argument'),
    (lambda: F.pad(X, (1, 1, 3, 0), "reflect"), RuntimeError,
     "Argument #6: Padding size should be less than the corresponding input dimension, but got: "
     "padding (3, 0) at dimension 2 of input [1, 2, 3, 4]"),
    (lambda: F.pad(X[0], (4, 2), "reflect"), RuntimeError,
     "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
     "padding (4, 2) at dimension 2 of input [2, 3, 4]"),
    (lambda: F.pad(X[0], (5, 2), "circular"), RuntimeError,
     "Padding value causes wrapping around more than once."),
    (lambda: F.pad(X[0], (-2, -2), "replicate"), RuntimeError,
     "input (W: 4) is too small. Calculated output W: 0"),
    (lambda: F.pad(X[0, :, :0], (1, 1), "replicate"), RuntimeError,
     "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [2, 0, 4]"),
    (lambda: F.pad(X[0], (-5, 1)), RuntimeError, "narrow(): length must be non-negative."),
    (lambda: nn.CircularPad1d(1)(X), ValueError, "expected 2D or 3D input (got 4D input)"),
])
def test_errors(call, error, words):
    with pytest.raises(error) as e:
        call()
    assert str(e.value) == words


def test_modules():
    assert repr(nn.ZeroPad2d(2)) == "ZeroPad2d((2, 2, 2, 2))"
    assert nn.ZeroPad2d([1, 2, 3, 4]).padding == (1, 2, 3, 4) and nn.ZeroPad2d(1).value == 0.0
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.ConstantPad2d((1, 2, 3, 4), 1)) == "ConstantPad2d(padding=(1, 2, 3, 4), value=1)"
    assert repr(nn.ReflectionPad1d(2)) == "ReflectionPad1d((2, 2))"
    assert repr(nn.ReplicationPad2d(1)) == "ReplicationPad2d((1, 1, 1, 1))"
    assert repr(nn.CircularPad2d((1, 0, 0, 1))) == "CircularPad2d((1, 0, 0, 1))"
    x = sample((1, 2, 3, 4))
    for module, mode, value in ((nn.ZeroPad2d((1, 2, 0, 1)), "constant", 0.0),
                                (nn.ConstantPad2d((1, 2, 0, 1), -1.5), "constant", -1.5),
                                (nn.ReflectionPad2d((1, 2, 0, 1)), "reflect", 0.0),
                                (nn.ReplicationPad2d((1, 2, 0, 1)), "replicate", 0.0),
                                (nn.CircularPad2d((1, 2, 0, 1)), "circular", 0.0)):
        np.testing.assert_array_equal(module(nbtorch.tensor(x)).numpy(),
                                      np_pad(x, (1, 2, 0, 1), mode, value))
        assert list(module.state_dict()) == []
    y = nn.ReflectionPad1d(2)(nbtorch.tensor(x[0, 0]))
    np.testing.assert_array_equal(y.numpy(), np_pad(x[0, 0], (2, 2), "reflect"))


@pytest.mark.parametrize("shape,pad,mode", [((1, 2, 3, 4), (1, -2, 2, 1), "constant"),
                                            ((1, 2, 3, 4), (1, 2, 2, 1), "reflect"),
                                            ((2, 3, 4), (2, 1), "circular")])
def test_cuda_matches_cpu(shape, pad, mode):
    x = sample(shape)
    a = nbtorch.tensor(x, requires_grad=True)
    b = nbtorch.tensor(x, device="cuda", requires_grad=True)
    y, z = F.pad(a, pad, mode), F.pad(b, pad, mode)
    g = sample(y.shape, 1)
    y.backward(nbtorch.tensor(g))
    z.backward(nbtorch.tensor(g, device="cuda"))
    np.testing.assert_array_equal(z.detach().cpu().numpy(), y.detach().numpy())
    np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("shape,pad,mode", CASES + CROPS)
def test_torch_oracle(shape, pad, mode):
    torch = pytest.importorskip("torch")
    x = sample(shape)
    ours, theirs = nbtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, t = F.pad(ours, pad, mode), torch.nn.functional.pad(theirs, pad, mode)
    np.testing.assert_array_equal(y.detach().numpy(), t.detach().numpy())
    g = sample(tuple(t.shape), 2)
    y.backward(nbtorch.tensor(g))
    t.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_constant_pad_of_a_0d_tensor_is_a_copy():
    x = nbtorch.tensor(1.5, requires_grad=True)
    y = F.pad(x, ())
    y.backward()
    assert y.item() == 1.5 and y.data_ptr() != x.data_ptr() and x.grad.item() == 1.0
