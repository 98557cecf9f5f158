"""LazyLinear / LazyConv1d / LazyConv2d and UninitializedParameter: materialisation on the first
forward (then the module is a Linear / Conv), state_dict placeholders and loading, optimizers built
before the first forward, dtype/device moves before it, reprs and errors as PyTorch's."""
import copy

import numpy as np
import pytest

import nbtorch
from nbtorch import nn


def test_lazy_linear_materialises_in_place_for_an_optimizer():
    m = nn.LazyLinear(3)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert isinstance(m.weight, nn.UninitializedParameter) and m.has_uninitialized_params()
    assert repr(m.weight) == "<UninitializedParameter>"
    opt = nbtorch.optim.SGD(m.parameters(), lr=0.5)
    x = nbtorch.randn(2, 5)
    y = m(x)
    assert type(m) is nn.Linear and type(m.weight) is nn.Parameter
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    assert m.weight.shape == (3, 5) and m.bias.shape == (3,)
    bound = 1 / np.sqrt(5)                      # Linear's initialisation ran on the real shape
    assert np.all(np.abs(m.weight.detach().numpy()) <= bound)
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ m.weight.detach().numpy().T
                               + m.bias.detach().numpy(), rtol=1e-6)
    assert opt.param_groups[0]["params"][0] is m.weight
    before = m.weight.detach().numpy().copy()
    y.sum().backward()
    opt.step()
    np.testing.assert_allclose(m.weight.detach().numpy(),
                               before - 0.5 * np.tile(x.numpy().sum(0), (3, 1)), rtol=1e-6)


def test_lazy_conv2d_and_conv1d():
    c = nn.LazyConv2d(4, 3, padding=1, bias=False)
    assert repr(c) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"
    x = nbtorch.randn(1, 2, 5, 5)
    y = c(x)
    assert type(c) is nn.Conv2d and c.weight.shape == (4, 2, 3, 3) and y.shape == (1, 4, 5, 5)
    assert repr(c) == "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"
    ref = nn.functional.conv2d(x, c.weight, None, 1, 1)
    np.testing.assert_array_equal(y.detach().numpy(), ref.detach().numpy())
    c1 = nn.LazyConv1d(2, 2, groups=2)
    assert c1(nbtorch.randn(4, 6)).shape == (2, 5)          # unbatched: channels first
    assert type(c1) is nn.Conv1d and c1.weight.shape == (2, 2, 2)
    with pytest.raises(ValueError, match="^in_channels must be divisible by groups$"):
        nn.LazyConv2d(4, 3, groups=2)(nbtorch.randn(1, 3, 5, 5))


def test_state_dict_placeholders_and_loading():
    m = nn.LazyLinear(3)
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias"]
    assert all(isinstance(v, nn.UninitializedParameter) for v in sd.values())
    assert list(nn.LazyLinear(3, bias=False).state_dict()) == ["weight"]
    src = nn.Linear(5, 3)
    m.load_state_dict(src.state_dict())
    assert not m.has_uninitialized_params() and m.weight.shape == (3, 5)
    np.testing.assert_array_equal(m.weight.detach().numpy(), src.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="^Can't access the shape of an uninitialized parameter"):
        nn.LazyLinear(3).weight.shape


def test_moves_before_the_first_forward_and_deepcopy():
    m = nn.LazyLinear(2).double()
    m2 = copy.deepcopy(m)
    m(nbtorch.randn(3, 4, dtype=nbtorch.float64))
    assert m.weight.dtype is nbtorch.float64 and m.bias.dtype is nbtorch.float64
    assert type(m2) is nn.LazyLinear and m2.has_uninitialized_params()
    c = nn.LazyLinear(2).cuda()
    assert c(nbtorch.randn(3, 4, device="cuda")).device.type == "cuda"
    assert c.weight.device.type == "cuda"


def test_against_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LazyConv2d(3, 2, stride=2), torch.nn.LazyConv2d(3, 2, stride=2)
    assert repr(ours) == repr(theirs)
    ours(nbtorch.randn(1, 2, 4, 4))
    theirs(torch.randn(1, 2, 4, 4))
    assert repr(ours) == repr(theirs)
    assert repr(nn.LazyLinear(3)) == repr(torch.nn.LazyLinear(3))
