"""Learning-rate schedulers: values against the closed-form formulas (and PyTorch, exactly, when it is
installed), state_dict round trips, ReduceLROnPlateau's options, errors."""
import math
import warnings
from bisect import bisect_right

import pytest

import nbtorch
from nbtorch import optim
from nbtorch.optim import lr_scheduler

try:
    import torch as TORCH
except ImportError:
    TORCH = None

BASE = (0.1, 0.02)
CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5), lambda b, e: b * 0.5 ** (e // 3)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.1),
     lambda b, e: b * 0.1 ** bisect_right([2, 5, 5, 9], e)),
    ("ExponentialLR", dict(gamma=0.8), lambda b, e: b * 0.8 ** e),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.001),
     lambda b, e: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * e / 4)) / 2),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e)), lambda b, e: b / (1 + e)),
]


def _lrs(lib, name, kwargs, epochs=13):
    params = [lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)]
    opt = lib.optim.SGD([{"params": [params[0]], "lr": BASE[0]}, {"params": [params[1]], "lr": BASE[1]}])
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
    out = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return out


@pytest.mark.parametrize("name,kwargs,formula", CASES)
def test_values_follow_the_formula(name, kwargs, formula):
    got = _lrs(nbtorch, name, kwargs)
    for epoch, lrs in enumerate(got):
        assert lrs == pytest.approx([formula(b, epoch) for b in BASE], rel=1e-12, abs=1e-15)
    if TORCH is not None:
        assert got == _lrs(TORCH, name, kwargs)


@pytest.mark.parametrize("name,kwargs,formula", CASES[:4])
def test_step_with_epoch_uses_the_closed_form_and_warns(name, kwargs, formula):
    opt = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=BASE[0])
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(7)
    assert sched.last_epoch == 7
    assert sched.get_last_lr() == pytest.approx([formula(BASE[0], 7)], rel=1e-12)


@pytest.mark.parametrize("name,kwargs,formula", CASES)
def test_state_dict_resumes(name, kwargs, formula):
    p = nbtorch.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=BASE[0])
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    for _ in range(5):
        sched.step()
    sd, opt_sd = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 5 and sd["base_lrs"] == [BASE[0]]
    q = nbtorch.zeros(1, requires_grad=True)
    opt2 = optim.SGD([q], lr=BASE[0])
    sched2 = getattr(lr_scheduler, name)(opt2, **kwargs)
    opt2.load_state_dict(opt_sd)  # the usual resume order: build both, then load both
    sched2.load_state_dict(sd)
    for _ in range(4):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
    assert sched2.get_last_lr() == pytest.approx([formula(BASE[0], 9)], rel=1e-12)


def test_lambda_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=1.0)
    fn = Decay()
    sched = lr_scheduler.LambdaLR(opt, [fn])
    fn.rate = 0.25
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.25}]
    plain = lr_scheduler.LambdaLR(opt, lambda e: 1.0)
    assert plain.state_dict()["lr_lambdas"] == [None]
    fresh = Decay()
    other = lr_scheduler.LambdaLR(optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=1.0), fresh)
    other.load_state_dict(sd)
    assert fresh.rate == 0.25 and other.lr_lambdas == [fresh]


def test_errors():
    p = nbtorch.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="^int is not an Optimizer$"):
        lr_scheduler.StepLR(1, 2)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\] when "
                                       "resuming scheduler with last_epoch >= 0"):
        lr_scheduler.StepLR(opt, 2, last_epoch=3)
    with pytest.raises(ValueError, match="^Expected 1 lr_lambdas, but got 2$"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1, lambda e: 2])
    with pytest.raises(ValueError, match="^Factor should be < 1.0.$"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="^mode x is unknown!$"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="x")
    with pytest.raises(ValueError, match="^threshold mode y is unknown!$"):
        lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="y")
    with pytest.raises(ValueError, match="^expected 1 min_lrs, got 2$"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0, 1])


def _plateau(lib, metrics, **kwargs):
    opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    return out


def test_plateau_reduces_after_patience():
    # patience 2: the third epoch without improvement cuts the lr
    assert _plateau(nbtorch, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5], patience=2, factor=0.5) == \
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025]
    # a relative improvement below the threshold does not count; an absolute one can
    assert _plateau(nbtorch, [1.0, 0.9999, 0.99985], patience=1, threshold=1e-3)[-1] == pytest.approx(0.01)
    assert _plateau(nbtorch, [1.0, 0.9999, 0.99985], patience=1, threshold=1e-5,
                    threshold_mode="abs") == [0.1, 0.1, 0.1]
    # mode max: rising metrics are improvements
    assert _plateau(nbtorch, [1, 2, 3, 3, 3], mode="max", patience=1) == pytest.approx([0.1] * 4 + [0.01])
    # min_lr floors the lr; changes smaller than eps are skipped
    assert _plateau(nbtorch, [1] * 6, patience=0, min_lr=0.05)[-1] == 0.05
    opt = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=1e-8)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    sched.step(1.0)
    assert opt.param_groups[0]["lr"] == 1e-8


def test_plateau_cooldown_and_state_dict():
    metrics = [5, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3]
    got = _plateau(nbtorch, metrics, patience=1, cooldown=2, factor=0.5)
    assert got == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125]
    if TORCH is not None:
        assert got == _plateau(TORCH, metrics, patience=1, cooldown=2, factor=0.5)
        kw = dict(mode="max", threshold=0.1, threshold_mode="abs", patience=2, min_lr=0.03)
        wiggle = [0.1, 0.15, 0.3, 0.35, 0.2, 0.39, 0.41, 0.2, 0.2, 0.9, 0.1, 0.1, 0.1, 0.1]
        assert _plateau(nbtorch, wiggle, **kw) == _plateau(TORCH, wiggle, **kw)
    opt = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=3)
    sched.step(2.0)
    sched.step(1.0)
    sd = sched.state_dict()
    assert sd["best"] == 2.0 and sd["num_bad_epochs"] == 1 and sd["last_epoch"] == 2
    other = lr_scheduler.ReduceLROnPlateau(optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=0.1))
    other.load_state_dict(sd)
    assert other.mode == "max" and other.mode_worse == -math.inf and other.num_bad_epochs == 1


def test_chainable_schedulers_compose():
    """Two schedulers on one optimizer multiply their effects, as PyTorch's chainable forms do."""
    opt = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=1.0)
    a = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    b = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(4):
            a.step()
            b.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.9 ** 4 * 0.5 ** 2, rel=1e-12)
