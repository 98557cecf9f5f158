"""optim.swa_utils: AveragedModel (SWA mean, EMA), update_bn and SWALR against their formulas."""
import math

import numpy as np
import pytest

import nbtorch as torch
from nbtorch.optim.swa_utils import (SWALR, AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn,
                                     update_bn)


def _snapshots(model, steps):
    """Move ``model``'s parameters ``steps`` times; returns each state's parameter arrays."""
    rng = np.random.default_rng(0)
    states = []
    for _ in range(steps):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        states.append([p.detach().numpy().astype(np.float64) for p in model.parameters()])
    return states


def test_swa_is_the_mean_and_ema_the_decayed_average():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    swa, ema = AveragedModel(model), AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    ema_single = AveragedModel(model, avg_fn=get_ema_avg_fn(0.9))
    rng = np.random.default_rng(1)
    states = []
    for _ in range(5):
        states += _snapshots(model, 1)
        model(torch.tensor(rng.standard_normal((4, 3)).astype(np.float32)))  # moves the BN buffers
        for averaged in (swa, ema, ema_single):
            averaged.update_parameters(model)
    assert swa.n_averaged.item() == 5 and swa.n_averaged.dtype == torch.int64
    for i, p in enumerate(swa.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), np.mean([s[i] for s in states], axis=0), rtol=1e-5)
    for i, (p, q) in enumerate(zip(ema.parameters(), ema_single.parameters())):
        expected = states[0][i]
        for s in states[1:]:
            expected = 0.9 * expected + 0.1 * s[i]
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(q.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(swa.module[1].running_mean.numpy(), model[1].running_mean.numpy())
    assert [n for n, _ in swa.named_buffers()][0] == "n_averaged"
    with pytest.raises(AssertionError, match="^Only one of avg_fn and multi_avg_fn should be provided$"):
        AveragedModel(model, avg_fn=get_ema_avg_fn(), multi_avg_fn=get_ema_multi_avg_fn())
    with pytest.raises(ValueError, match=r"^Invalid decay value 2 provided. Please provide a value in "
                       r"\[0,1\] range.$"):
        get_ema_avg_fn(2)


def test_update_bn_takes_the_plain_mean_over_the_loader():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3, momentum=0.3))
    model.eval()
    rng = np.random.default_rng(2)
    batches = [torch.tensor(rng.standard_normal((4, 2)).astype(np.float32)) for _ in range(3)]
    loader = [(b, torch.zeros(4)) for b in batches]
    update_bn(loader, model)
    with torch.no_grad():
        means = [model[0](b).numpy().astype(np.float64).mean(axis=0) for b in batches]
    np.testing.assert_allclose(model[1].running_mean.numpy(), np.mean(means, axis=0), rtol=1e-5, atol=1e-6)
    assert not model.training and model[1].momentum == 0.3 and model[1].num_batches_tracked.item() == 3


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swalr_anneals_to_swa_lr(strategy):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = SWALR(opt, swa_lr=0.1, anneal_epochs=4, anneal_strategy=strategy)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(6):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    anneal = (lambda t: (1 - math.cos(math.pi * t)) / 2) if strategy == "cos" else (lambda t: t)
    expected = [0.1 * anneal(min(1, s / 4)) + 1.0 * (1 - anneal(min(1, s / 4))) for s in range(7)]
    assert lrs == pytest.approx(expected, rel=1e-12)
    state = sched.state_dict()
    assert "anneal_func" not in state and state["_anneal_strategy"] == strategy
    with pytest.raises(ValueError, match="^anneal_strategy must be one of 'cos' or 'linear', instead got "
                       "exp$"):
        SWALR(opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="^anneal_epochs must be equal or greater than 0, got -1$"):
        SWALR(opt, 0.1, anneal_epochs=-1)
