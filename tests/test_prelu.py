"""F.prelu and nn.PReLU: NumPy's formula, float64 gradcheck (shared and per-channel weights),
PyTorch's errors, init, repr and state_dict, and PyTorch itself as an extra oracle."""
import numpy as np
import pytest

import nbtorch
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck


def reference(x, w):
    w = w.reshape((1, -1) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
    return np.where(x > 0, x, w * x)


@pytest.mark.parametrize("shape,n", [((2, 3, 4), 3), ((2, 3, 4, 2), 1), ((5,), 1), ((4, 6), 6)])
def test_forward_and_gradcheck(shape, n):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(shape), rng.random(n)
    y = F.prelu(nbtorch.tensor(x), nbtorch.tensor(w))
    np.testing.assert_array_equal(y.numpy(), reference(x, w))
    args = (nbtorch.tensor(x, requires_grad=True), nbtorch.tensor(w, requires_grad=True))
    assert gradcheck(F.prelu, args)


@pytest.mark.parametrize("x,w,words", [
    (nbtorch.randn(2, 4, 3), nbtorch.rand(3), "Mismatch of parameter numbers and input channel "
                                              "size. Found parameter numbers = 3 and channel size "
                                              "= 4."),
    (nbtorch.randn(4), nbtorch.rand(4), "Mismatch of parameter numbers and input channel size. "
                                        "Found parameter numbers = 4 and channel size = 1."),
    (nbtorch.randn(()), nbtorch.rand(3), "Not allow zero-dim input tensor."),
    (nbtorch.randn(2, 4), nbtorch.rand(2, 2), "prelu: Expected `weight` to be a scalar or 1D "
                                              "tensor, but got: ndim = 2"),
    (nbtorch.randn(2, 4, dtype=nbtorch.float64), nbtorch.rand(1),
     "prelu: Type promoting not supported. Got Double and Float"),
])
def test_errors(x, w, words):
    with pytest.raises(RuntimeError) as e:
        F.prelu(x, w)
    assert str(e.value) == words


def test_integer_input_is_not_implemented():
    with pytest.raises(NotImplementedError, match="^\"prelu_cpu\" not implemented for 'Long'$"):
        F.prelu(nbtorch.tensor([-1, 2]), nbtorch.tensor([1]))


def test_module():
    m = nn.PReLU(3, init=0.1)
    assert repr(m) == "PReLU(num_parameters=3)" and repr(nn.PReLU()) == "PReLU(num_parameters=1)"
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(3, 0.1, np.float32))
    np.testing.assert_array_equal(nn.PReLU().weight.detach().numpy(), [0.25])
    assert list(m.state_dict()) == ["weight"]
    x = nbtorch.randn(2, 3, 5)
    m(x).sum().backward()
    xs = x.numpy()
    np.testing.assert_allclose(m.weight.grad.numpy(), np.where(xs > 0, 0, xs).sum((0, 2)),
                               rtol=1e-5)


def test_torch_oracle():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x, w, g = rng.standard_normal((2, 3, 4)), rng.random(3), rng.standard_normal((2, 3, 4))
    ours = [nbtorch.tensor(a, requires_grad=True) for a in (x, w)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    y, t = F.prelu(*ours), torch.nn.functional.prelu(*theirs)
    np.testing.assert_array_equal(y.detach().numpy(), t.detach().numpy())
    y.backward(nbtorch.tensor(g))
    t.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
