"""Learning-rate schedulers: values against the closed-form formulas (and PyTorch, exactly, when it is
installed), state_dict round trips, ReduceLROnPlateau's options, errors."""
import math
import pickle
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
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9), lambda b, e: b * 0.9 ** e),
    ("ConstantLR", dict(factor=0.5, total_iters=3), lambda b, e: b * (0.5 if e < 3 else 1.0)),
    ("LinearLR", dict(start_factor=0.25, total_iters=4), lambda b, e: b * (0.25 + 0.75 * min(e, 4) / 4)),
    ("PolynomialLR", dict(total_iters=6, power=2.0), lambda b, e: b * (1 - min(e, 6) / 6) ** 2),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001),
     lambda b, e: _warm_restarts(b, e, 3, 2, 0.001)),
]


def _warm_restarts(base, epoch, period, mult, eta_min):
    """Cosine annealing restarted after each period, each period ``mult`` times longer."""
    while epoch >= period:
        epoch -= period
        period *= mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / period)) / 2


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
    opt.step()
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
        opt.step()
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
            opt.step()
            a.step()
            b.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.9 ** 4 * 0.5 ** 2, rel=1e-12)


def test_step_order_warnings_and_state_like_pytorch():
    """Stepping the scheduler before the optimizer warns once, as PyTorch does; so does calling
    ``get_lr()`` by hand; the optimizer stays picklable with the step wrapper installed."""
    def run(lib):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()
            sched.step()
            sched.get_lr()
            opt.step()
        return [str(w.message) for w in caught], sched.state_dict(), opt

    messages, state, opt = run(nbtorch)
    assert len(messages) == 2
    assert messages[0].startswith("Detected call of `lr_scheduler.step()` before `optimizer.step()`.")
    assert messages[1] == ("To get the last learning rate computed by the scheduler, please use "
                           "`get_last_lr()`.")
    assert state["_get_lr_called_within_step"] is False and state["_step_count"] == 3
    copied = pickle.loads(pickle.dumps(opt))
    assert copied.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert not hasattr(copied.step, "_wrapped_by_lr_sched")

    stepped = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.ExponentialLR(stepped, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stepped.step()
        sched.step()
    if TORCH is not None:
        t_messages, t_state, _ = run(TORCH)
        assert messages == t_messages
        assert list(state) == list(t_state) and state == t_state


def _cycled(lib, scheduler, steps, opt_name="SGD", **kwargs):
    """The lrs and momenta (or betas) of two param groups over ``steps`` optimizer steps under the
    cycling ``scheduler`` (OneCycleLR, CyclicLR), and the scheduler."""
    params = [lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)]
    opt = getattr(lib.optim, opt_name)([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}],
                                       lr=0.1, **({"momentum": 0.9} if opt_name == "SGD" else {}))
    sched = getattr(lib.optim.lr_scheduler, scheduler)(opt, **kwargs)
    out = []
    for _ in range(steps):
        out.append((sched.get_last_lr(), [g.get("momentum", g.get("betas")) for g in opt.param_groups]))
        opt.step()
        sched.step()
    return out, sched


@pytest.mark.parametrize("opt_name,kwargs", [
    ("SGD", dict(max_lr=0.1, total_steps=10)),
    ("SGD", dict(max_lr=[0.1, 1.0], epochs=3, steps_per_epoch=4, anneal_strategy="linear")),
    ("Adam", dict(max_lr=0.2, total_steps=12, three_phase=True, pct_start=0.25)),
    ("SGD", dict(max_lr=0.2, total_steps=7, cycle_momentum=False))])
def test_one_cycle(opt_name, kwargs):
    total = kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]
    got, sched = _cycled(nbtorch, "OneCycleLR", total, opt_name, **kwargs)
    if kwargs == dict(max_lr=0.1, total_steps=10):  # the default policy, written out
        top, warm_end = 0.1, 0.3 * 10 - 1
        for step, (lrs, momenta) in enumerate(got):
            start, end, pct = ((top / 25, top, step / warm_end) if step <= warm_end else
                               (top, top / 25 / 1e4, (step - warm_end) / (9 - warm_end)))
            assert lrs == pytest.approx([end + (start - end) * (1 + math.cos(math.pi * pct)) / 2] * 2)
            m_start, m_end = (0.95, 0.85) if step <= warm_end else (0.85, 0.95)
            cos = (1 + math.cos(math.pi * pct)) / 2
            assert momenta == pytest.approx([m_end + (m_start - m_end) * cos] * 2)
    if TORCH is not None:
        theirs, t_sched = _cycled(TORCH, "OneCycleLR", total, opt_name, **kwargs)
        assert got == theirs
        assert sched.state_dict() == t_sched.state_dict()
    with pytest.raises(ValueError, match=f"^Tried to step {total + 1} times. The specified number of total "
                       f"steps is {total}$"):
        sched.step()


def test_one_cycle_errors():
    opt = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=0.1)
    for kwargs, message in [
            (dict(max_lr=0.1), r"^You must define either total_steps OR \(epochs AND steps_per_epoch\)$"),
            (dict(max_lr=0.1, total_steps=0), "^Expected positive integer total_steps, but got 0$"),
            (dict(max_lr=0.1, epochs=2, steps_per_epoch=1.5),
             "^Expected positive integer steps_per_epoch, but got 1.5$"),
            (dict(max_lr=0.1, total_steps=5, pct_start=1), "^Expected float between 0 and 1 pct_start, but "
             "got 1$"),
            (dict(max_lr=0.1, total_steps=5, anneal_strategy="cosine"),
             "^anneal_strategy must be one of 'cos' or 'linear', instead got cosine$"),
            (dict(max_lr=[0.1, 0.2], total_steps=5), "^max_lr must have the same length as "
             "optimizer.param_groups. max_lr has 2 values, param_groups has 1.$")]:
        with pytest.raises(ValueError, match=message):
            lr_scheduler.OneCycleLR(opt, **kwargs)
    with pytest.raises(ValueError, match="^optimizer must support momentum or beta1 with `cycle_momentum` "
                       "option enabled$"):
        lr_scheduler.OneCycleLR(optim.Adagrad([nbtorch.zeros(1, requires_grad=True)]), 0.1, 5)



def _sequential(lib):
    opt = lib.optim.SGD([{"params": [lib.zeros(1, requires_grad=True)], "lr": BASE[0]},
                         {"params": [lib.zeros(1, requires_grad=True)], "lr": BASE[1]}])
    L = lib.optim.lr_scheduler
    warmup = L.LinearLR(opt, start_factor=0.1, total_iters=3)
    sched = L.SequentialLR(opt, [warmup, L.CosineAnnealingLR(opt, T_max=5)], milestones=[3])
    out = [sched.get_last_lr()]
    for _ in range(10):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return out, sched


def test_sequential_lr_warmup_then_cosine():
    got, sched = _sequential(nbtorch)
    for epoch, lrs in enumerate(got):
        expected = [b * (0.1 + 0.9 * epoch / 3) if epoch < 3 else
                    b * (1 + math.cos(math.pi * (epoch - 3) / 5)) / 2 for b in BASE]
        assert lrs == pytest.approx(expected, rel=1e-12, abs=1e-15)
    state = sched.state_dict()
    assert [s["last_epoch"] for s in state["_schedulers"]] == [2, 7] and "optimizer" not in state
    if TORCH is not None:
        theirs, t_sched = _sequential(TORCH)
        assert got == theirs and state == t_sched.state_dict()


def test_chained_scheduler_and_composite_errors():
    opt = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=1.0)
    chained = lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=2),
                                             lr_scheduler.ExponentialLR(opt, gamma=0.9)])
    lrs = [chained.get_last_lr()]
    for _ in range(4):
        opt.step()
        chained.step()
        lrs.append(chained.get_last_lr())
    expected = [[(0.1 if e < 2 else 1.0) * 0.9 ** e] for e in range(5)]
    assert lrs == [pytest.approx(e, rel=1e-12) for e in expected]
    other = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=1.0)
    plateau = lr_scheduler.ReduceLROnPlateau(opt)
    step = lr_scheduler.StepLR(opt, 2)
    for cls, args, error, message in [
            (lr_scheduler.SequentialLR, (opt, [], []), ValueError,
             "^SequentialLR expects at least one scheduler, but got no scheduler.$"),
            (lr_scheduler.SequentialLR, (opt, [step, step], []), ValueError,
             "^Sequential Schedulers expects number of schedulers provided to be one more than the number "
             "of milestone points, but got number of schedulers 2 and the number of milestones to be equal "
             "to 0$"),
            (lr_scheduler.SequentialLR, (opt, [step, plateau], [1]), ValueError,
             "^SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs "
             "to be specified when calling `step`, but got one at index 1 in the given schedulers "
             "sequence.$"),
            (lr_scheduler.SequentialLR, (other, [step], []), ValueError,
             "^SequentialLR expects all schedulers to belong to the same optimizer, but got scheduler StepLR "
             "at index 0 has SGD"),
            (lr_scheduler.ChainedScheduler, ([],), ValueError,
             "^ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.$"),
            (lr_scheduler.ChainedScheduler, ([step, 3],), TypeError,
             "^ChainedScheduler at index 1 should have `optimizer` as its attribute.$")]:
        with pytest.raises(error, match=message):
            cls(*args)
    with pytest.raises(TypeError, match="^lr_lambda should be a function, but got int$"):
        lr_scheduler.MultiplicativeLR(opt, 3)
    with pytest.raises(ValueError, match="^Constant multiplicative factor expected to be between 0 and 1.$"):
        lr_scheduler.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="^Starting multiplicative factor expected to be greater than 0 and "
                       "less or equal to 1.$"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="^Ending multiplicative factor expected to be between 0 and 1.$"):
        lr_scheduler.LinearLR(opt, end_factor=2)
    with pytest.raises(ValueError, match="^Expected positive integer T_0, but got 0$"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="^Expected integer T_mult >= 1, but got 1.5$"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5)
    with pytest.raises(ValueError, match="^Expected non-negative epoch, but got -1$"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2).step(-1)


def _cyclic(lib, opt_name="SGD", steps=20, **kwargs):
    return _cycled(lib, "CyclicLR", steps, opt_name, **kwargs)


class _Halving:
    def __init__(self):
        self.k = 0.5

    def __call__(self, x):
        return self.k ** x


@pytest.mark.parametrize("opt_name,kwargs", [
    ("SGD", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("SGD", dict(base_lr=[0.01, 0.02], max_lr=[0.1, 1.0], step_size_up=3, step_size_down=5,
                 mode="triangular2")),
    ("Adam", dict(base_lr=0.001, max_lr=0.2, step_size_up=2, mode="exp_range", gamma=0.9)),
    ("SGD", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=lambda x: 0.9 ** x,
                 scale_mode="iterations", cycle_momentum=False))])
def test_cyclic_lr(opt_name, kwargs):
    got, sched = _cyclic(nbtorch, opt_name, **kwargs)
    if "mode" not in kwargs and "scale_fn" not in kwargs:  # the triangle, written out
        for step, (lrs, momenta) in enumerate(got):
            frac = 1 - abs(step % 8 - 4) / 4
            assert lrs == pytest.approx([0.01 + 0.09 * frac] * 2, rel=1e-12)
            assert momenta == pytest.approx([0.9 - 0.1 * frac] * 2, rel=1e-12)
    if TORCH is not None:
        theirs, t_sched = _cyclic(TORCH, opt_name, **kwargs)
        assert got == theirs and sched.state_dict() == t_sched.state_dict()


def test_cyclic_lr_state_dict_keeps_scale_object_and_errors():
    scale = _Halving()
    _, sched = _cyclic(nbtorch, steps=5, base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=scale)
    scale.k = 0.25
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"k": 0.25} and "_scale_fn_ref" not in state
    fresh = _Halving()
    _, other = _cyclic(nbtorch, steps=1, base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=fresh)
    other.load_state_dict(state)
    assert fresh.k == 0.25 and other.last_epoch == sched.last_epoch == 5
    opt = optim.SGD([nbtorch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="^mode is invalid and scale_fn is None$"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1, mode="sine")
    with pytest.raises(ValueError, match="^optimizer must support momentum or beta1 with `cycle_momentum` "
                       "option enabled$"):
        lr_scheduler.CyclicLR(optim.Adagrad([nbtorch.zeros(1, requires_grad=True)]), 0.01, 0.1)
