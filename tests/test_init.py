"""nn.init: gains, fans, and the statistics of every initialiser on large tensors."""
import math

import numpy as np
import pytest

import nbtorch as torch
import nbtorch.nn as nn
from nbtorch.nn import init


def param(*shape, dtype=torch.float32):
    return nn.Parameter(torch.empty(*shape, dtype=dtype))


def values(t):
    assert t.grad_fn is None  # initialisers run under no_grad, even on parameters
    return t.detach().numpy().astype(np.float64)


def test_calculate_gain():
    assert init.calculate_gain("linear") == init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="^Unsupported nonlinearity foo$"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="^negative_slope a not a valid number$"):
        init.calculate_gain("leaky_relu", "a")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(torch.empty(6, 3, 5, 5)) == (75, 150)
    assert init._calculate_fan_in_and_fan_out(torch.empty(120, 400)) == (400, 120)
    with pytest.raises(ValueError, match="^Fan in and fan out can not be computed for tensor with "
                                         "fewer than 2 dimensions$"):
        init.xavier_uniform_(torch.empty(3))
    with pytest.raises(ValueError, match=r"^Mode fan_x not supported, please use one of "
                                         r"\['fan_in', 'fan_out'\]$"):
        init.kaiming_uniform_(torch.empty(3, 3), mode="fan_x")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_uniform_normal_constant(dtype):
    w = param(200, 300, dtype=dtype)
    assert init.uniform_(w, -2.0, 3.0) is w and w.dtype == dtype
    v = values(w)
    assert v.min() >= -2 and v.max() <= 3 and abs(v.mean() - 0.5) < 0.03
    assert abs(v.std() - 5 / math.sqrt(12)) < 0.02
    v = values(init.normal_(w, 1.0, 0.5))
    assert abs(v.mean() - 1.0) < 0.01 and abs(v.std() - 0.5) < 0.01
    assert (values(init.constant_(w, 0.25)) == 0.25).all()
    assert (values(init.ones_(w)) == 1).all() and (values(init.zeros_(w)) == 0).all()
    np.testing.assert_array_equal(values(init.eye_(param(3, 4))), np.eye(3, 4))
    with pytest.raises(ValueError, match="^Only tensors with 2 dimensions are supported$"):
        init.eye_(torch.empty(3))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("a,nonlinearity", [(0, "relu"), (math.sqrt(5), "leaky_relu")])
def test_kaiming(a, nonlinearity, mode):
    w = param(64, 32, 3, 3)  # fan_in 288, fan_out 576
    fan = 288 if mode == "fan_in" else 576
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    v = values(init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity))
    bound = math.sqrt(3) * std
    assert np.abs(v).max() <= bound * (1 + 1e-6) and np.abs(v).max() > 0.99 * bound
    assert abs(v.std() - std) < 0.03 * std and abs(v.mean()) < 0.03 * std
    v = values(init.kaiming_normal_(w, a=a, mode=mode, nonlinearity=nonlinearity))
    assert abs(v.std() - std) < 0.03 * std and abs(v.mean()) < 0.03 * std


def test_xavier():
    w = param(300, 200)
    std = 1.5 * math.sqrt(2 / 500)
    v = values(init.xavier_uniform_(w, gain=1.5))
    assert np.abs(v).max() <= math.sqrt(3) * std * (1 + 1e-6)
    assert abs(v.std() - std) < 0.02 * std
    v = values(init.xavier_normal_(w, gain=1.5))
    assert abs(v.std() - std) < 0.02 * std and abs(v.mean()) < 0.02 * std


def test_trunc_normal():
    v = values(init.trunc_normal_(param(200, 200), mean=0.5, std=1.0, a=0.0, b=1.5))
    assert v.min() >= 0.0 and v.max() <= 1.5
    # a normal truncated symmetrically about its mean keeps the mean; its std shrinks
    a, b = -0.5, 1.0
    phi = [math.exp(-x * x / 2) / math.sqrt(2 * math.pi) for x in (a, b)]
    z = 0.5 * (math.erf(b / math.sqrt(2)) - math.erf(a / math.sqrt(2)))
    mean = 0.5 + (phi[0] - phi[1]) / z
    assert abs(v.mean() - mean) < 0.01
    v = values(init.trunc_normal_(param(100, 100)))
    assert np.abs(v).max() <= 2 and abs(v.std() - 0.8796) < 0.02  # std of N(0,1) cut at +-2


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3, 3)])
def test_orthogonal(shape):
    v = values(init.orthogonal_(param(*shape), gain=2.0)).reshape(shape[0], -1)
    small = min(v.shape)
    gram = v @ v.T if v.shape[0] == small else v.T @ v  # the short side is orthonormal
    np.testing.assert_allclose(gram / 4, np.eye(small), atol=1e-5)
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    np.testing.assert_array_equal(values(init.orthogonal_(param(*shape), generator=g1)),
                                  values(init.orthogonal_(param(*shape), generator=g2)))
    with pytest.raises(ValueError, match="^Only tensors with 2 or more dimensions are supported$"):
        init.orthogonal_(param(3))


@pytest.mark.parametrize("shape,groups", [((2, 3, 3), 1), ((4, 2, 3, 5), 2), ((3, 3, 2, 3, 3), 1)])
def test_dirac(shape, groups):
    v = values(init.dirac_(nn.Parameter(torch.full(shape, 5.0)), groups=groups))
    expected = np.zeros(shape)
    per_group = shape[0] // groups
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            expected[(g * per_group + d, d) + tuple(n // 2 for n in shape[2:])] = 1
    np.testing.assert_array_equal(v, expected)
    with pytest.raises(ValueError, match="^Only tensors with 3, 4, or 5 dimensions are supported$"):
        init.dirac_(param(2, 2))
    with pytest.raises(ValueError, match="^dim 0 must be divisible by groups$"):
        init.dirac_(param(3, 1, 3), groups=2)


def test_sparse():
    v = values(init.sparse_(param(10, 300), sparsity=0.25, std=0.5))
    assert ((v == 0).sum(axis=0) == math.ceil(0.25 * 10)).all()
    assert abs(v[v != 0].std() - 0.5) < 0.03
    with pytest.raises(ValueError, match="^Only tensors with 2 dimensions are supported$"):
        init.sparse_(param(3), 0.5)

def test_reproducible_with_seed_and_generator():
    torch.manual_seed(3)
    a = values(init.kaiming_uniform_(param(5, 5)))
    torch.manual_seed(3)
    b = values(init.kaiming_uniform_(param(5, 5)))
    np.testing.assert_array_equal(a, b)
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    np.testing.assert_array_equal(values(init.normal_(param(4), generator=g1)),
                                  values(init.normal_(param(4), generator=g2)))


def test_zero_element_kaiming_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(torch.empty(0, 3))
