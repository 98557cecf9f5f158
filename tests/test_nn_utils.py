"""nn.utils: gradient clipping and parameters <-> vector, against NumPy versions of PyTorch's formulas."""
import warnings

import numpy as np
import pytest

import nbtorch as torch
import nbtorch.nn as nn


def _params_with_grads(seed=0):
    rng = np.random.default_rng(seed)
    params = [nn.Parameter(torch.tensor(rng.standard_normal(s).astype(np.float32)))
              for s in [(3, 4), (4,), (2, 2, 2)]]
    for p in params:
        p.grad = torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 3)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 3.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_formula(norm_type, max_norm):
    params = _params_with_grads()
    flat = np.concatenate([p.grad.numpy().ravel() for p in params]).astype(np.float64)
    expected_norm = np.linalg.norm(flat, ord=norm_type)
    coef = min(max_norm / (expected_norm + 1e-6), 1.0)
    expected = [p.grad.numpy() * coef for p in params]
    total = torch.nn.utils.clip_grad_norm_((p for p in params), max_norm=max_norm, norm_type=norm_type)
    assert isinstance(total, torch.Tensor) and total.dim() == 0 and not total.requires_grad
    np.testing.assert_allclose(total.item(), expected_norm, rtol=1e-5)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.grad.numpy(), e, rtol=1e-5)


def test_clip_grad_norm_single_tensor_no_grads_and_errors():
    p = _params_with_grads()[0]
    before = p.grad.numpy().copy()
    nn.utils.clip_grad_norm_(p, 1e-3)
    np.testing.assert_allclose(np.linalg.norm(p.grad.numpy()), 1e-3, rtol=1e-3)
    assert not np.allclose(before, p.grad.numpy())
    assert nn.utils.clip_grad_norm_([nn.Parameter(torch.zeros(2))], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)
    p.grad = torch.tensor([float("nan"), 1.0, 1.0, 1.0]).expand(3, 4).contiguous()
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        nn.utils.clip_grad_norm([p], 1.0)


def test_clip_grad_value():
    params = _params_with_grads()
    expected = [np.clip(p.grad.numpy(), -0.7, 0.7) for p in params]
    assert nn.utils.clip_grad_value_(params, clip_value=0.7) is None
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p.grad.numpy(), e)


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (sum(p.numel() for p in model.parameters()),)
    np.testing.assert_array_equal(vec.detach().numpy(), np.concatenate(
        [p.detach().numpy().ravel() for p in model.parameters()]))
    new = torch.arange(vec.numel(), dtype=torch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.utils.vector_to_parameters(new, model.parameters())
    assert isinstance(model[2].bias, nn.Parameter)
    np.testing.assert_array_equal(model[2].bias.detach().numpy(), new.numpy()[-2:])
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), new.numpy()[:12].reshape(4, 3))
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], model.parameters())
