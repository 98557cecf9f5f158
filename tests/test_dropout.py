"""Dropout and Dropout2d: masks from nbtorch's generator (reproducible with manual_seed), the kept
fraction and scaling, gradients, in-place forms, eval mode, errors and reprs."""
import warnings

import numpy as np
import pytest

import nbtorch
import nbtorch.nn as nn
import nbtorch.nn.functional as F
from nbtorch.autograd import gradcheck

try:
    import torch as TORCH
except ImportError:
    TORCH = None


def rand(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape).astype(dtype)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(dtype, p):
    x = rand((50, 40), dtype=dtype)
    y = F.dropout(nbtorch.tensor(x), p).numpy()
    assert y.dtype == dtype
    kept = y != 0
    assert abs(1 - kept.mean() - p) < 0.03           # 2000 draws: ~4.5 standard deviations
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-6)


def test_dropout_follows_manual_seed():
    x = nbtorch.tensor(rand((6, 7)))
    nbtorch.manual_seed(3)
    a = F.dropout(x, 0.5)
    b = F.dropout(x, 0.5)
    nbtorch.manual_seed(3)
    assert nbtorch.equal(F.dropout(x, 0.5), a)
    assert not nbtorch.equal(a, b)


def test_dropout_gradient_is_the_mask():
    x = nbtorch.tensor(rand((4, 5)), requires_grad=True)
    y = F.dropout(x, 0.4)
    assert y.grad_fn.name() == "MulBackward0"
    y.backward(nbtorch.ones(4, 5))
    mask = (y.detach().numpy() != 0) / 0.6
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-6)


@pytest.mark.parametrize("fn,shape", [(F.dropout, (3, 4)), (F.dropout2d, (2, 3, 2, 2))])
def test_gradcheck_with_a_fixed_mask(fn, shape):
    x = nbtorch.tensor(rand(shape, dtype=np.float64), requires_grad=True)

    def seeded(a):
        nbtorch.manual_seed(5)
        return fn(a, 0.3)
    assert gradcheck(seeded, (x,))


def test_identity_cases():
    x = nbtorch.tensor(rand((3, 4)), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout2d(x.reshape(1, 3, 4, 1), 0.5, training=False).shape == (1, 3, 4, 1)
    y = F.dropout(x, 1.0)
    assert y.detach().numpy().tolist() == np.zeros((3, 4)).tolist()
    y.sum().backward()
    assert x.grad.tolist() == np.zeros((3, 4)).tolist()


def test_inplace():
    leaf = nbtorch.tensor(rand((5, 6)), requires_grad=True)
    h = leaf * 1.0
    nbtorch.manual_seed(1)
    y = F.dropout(h, 0.5, inplace=True)
    assert y is h and y.grad_fn is not None
    nbtorch.manual_seed(1)
    assert nbtorch.equal(F.dropout(leaf.detach(), 0.5), h.detach())
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        F.dropout(leaf, 0.5, inplace=True)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3, 6)])
def test_dropout2d_drops_whole_channels(shape):
    x = rand(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = F.dropout2d(nbtorch.tensor(x), 0.5).numpy()
    per_channel = y.reshape(shape[0], shape[1], -1)
    kept = per_channel[:, :, 0] != 0
    assert ((per_channel != 0) == kept[:, :, None]).all()
    expected = x.reshape(per_channel.shape) * 2.0
    np.testing.assert_allclose(per_channel[kept], expected[kept], rtol=1e-6)


def test_dropout2d_warnings_and_errors():
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d and assuming that "
                                         "channel-wise 1D dropout behavior is desired"):
        F.dropout2d(nbtorch.randn(2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d, which is deprecated"):
        F.dropout2d(nbtorch.randn(2, 3))
    with pytest.raises(RuntimeError, match="^Feature dropout requires at least 2 dimensions in the "
                                           "input$"):
        with pytest.warns(UserWarning):
            F.dropout2d(nbtorch.randn(3))


@pytest.mark.parametrize("p", [1.5, -0.1, 2])
def test_p_out_of_range(p):
    message = f"^dropout probability has to be between 0 and 1, but got {p}$"
    for lib in (nbtorch, TORCH) if TORCH is not None else (nbtorch,):
        for make in (lambda: lib.nn.Dropout(p), lambda: lib.nn.Dropout2d(p),
                     lambda: lib.nn.functional.dropout(lib.randn(3), p),
                     lambda: lib.nn.functional.dropout2d(lib.randn(2, 3, 2, 2), p)):
            with pytest.raises(ValueError, match=message):
                make()


def test_integer_input_is_refused():
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired output "
                                           "type Long$"):
        F.dropout(nbtorch.tensor([1, 2]), 0.5)


@pytest.mark.parametrize("make,text", [(lambda t: t.nn.Dropout(), "Dropout(p=0.5, inplace=False)"),
                                       (lambda t: t.nn.Dropout(0.25, True),
                                        "Dropout(p=0.25, inplace=True)"),
                                       (lambda t: t.nn.Dropout2d(0.2, True),
                                        "Dropout2d(p=0.2, inplace=True)")])
def test_module_repr(make, text):
    for lib in (nbtorch, TORCH) if TORCH is not None else (nbtorch,):
        assert repr(make(lib)) == text


@pytest.mark.parametrize("cls,shape", [(nn.Dropout, (4, 5)), (nn.Dropout2d, (2, 3, 2, 2))])
def test_module_train_and_eval(cls, shape):
    m = cls(0.5)
    x = nbtorch.tensor(rand(shape))
    nbtorch.manual_seed(2)
    y = m(x)
    nbtorch.manual_seed(2)
    fn = F.dropout if cls is nn.Dropout else F.dropout2d
    assert nbtorch.equal(y, fn(x, 0.5))
    assert not nbtorch.equal(y, x)
    m.eval()
    assert m(x) is x
    assert list(m.parameters()) == [] and m.state_dict() == {}
