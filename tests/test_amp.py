"""torch.amp: autocast warns and disables itself as PyTorch does for a dtype a device can't autocast
to (nbtorch has no float16/bfloat16 kernels), and GradScaler's dynamic loss scaling, checked
against its rules and, when installed, against PyTorch's GradScaler step by step."""
import copy
import re
import warnings

import numpy as np
import pytest

import nbtorch as torch
import nbtorch.cuda.amp
import nbtorch.cpu.amp
from nbtorch import nn

CPU_DISABLED = r"^In CPU autocast, but the target dtype is not supported\. Disabling autocast\.\n"
NO_CUDA = r"^CUDA is not available or torch_xla is imported\. Disabling autocast\.$"
SCALER_NO_CUDA = r"^torch\.cuda\.amp\.GradScaler is enabled, but CUDA is not available\.  Disabling\.$"
NO_SCALE = (r"^Attempted {} but _scale is None\.  This may indicate your script did not use "
            r"scaler\.scale\(loss or outputs\) earlier in the iteration\.$")


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def _first_warning(record):
    return str(record[0].message)


# --- autocast ---

def test_enabled_autocast_warns_and_runs_in_float32():
    x = torch.randn(3, 4)
    lin = nn.Linear(4, 2)
    for dtype in (None, torch.float16, torch.float32, torch.float64):
        with pytest.warns(UserWarning, match=CPU_DISABLED):
            ctx = torch.autocast("cpu", dtype=dtype)
        with ctx:
            assert not torch.is_autocast_enabled("cpu")
            y = lin(x)
        assert y.dtype == torch.float32
        np.testing.assert_allclose(y.detach().numpy(), lin(x).detach().numpy())


def test_disabled_autocast_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torch.autocast("cpu", enabled=False), torch.amp.autocast("cuda", enabled=False):
            assert not torch.is_autocast_enabled()


def test_autocast_decorator():
    with pytest.warns(UserWarning, match=CPU_DISABLED):
        @torch.autocast(device_type="cpu")
        def double(x):
            """doc"""
            return x * 2

    assert double.__name__ == "double" and double.__doc__ == "doc"
    assert double(torch.ones(2)).tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match=r"^autocast\(\)\(func\) requires a callable, but got int\. "
                                        r"Did you mean to use autocast as a context manager\?"):
        torch.autocast("cpu", enabled=False)(3)


def test_autocast_device_type_errors():
    with pytest.raises(ValueError, match=r"^Expected `device_type` of type `str`, got: "
                                         r"`<class 'int'>`$"):
        torch.autocast(0)
    with pytest.raises(RuntimeError, match=r"^Expected one of cpu, cuda, .* device type at start "
                                           r"of device string: gpu$"):
        torch.autocast("gpu")
    with pytest.raises(RuntimeError, match=r"device string: gpu$"):
        torch.is_autocast_enabled("gpu")
    assert torch.amp.is_autocast_available("cuda")


def test_cuda_autocast_without_cuda(no_cuda):
    with pytest.warns(UserWarning, match=NO_CUDA):
        torch.autocast("cuda")
    with pytest.warns(UserWarning, match=NO_CUDA):
        torch.amp.autocast("cuda", dtype=torch.float16)


def test_cuda_autocast_with_cuda_disables_for_its_dtype():
    with pytest.warns(UserWarning, match=r"^In CUDA autocast, but the target dtype is not "
                                         r"supported\. Disabling autocast\.\n"):
        torch.autocast("cuda")


def test_deprecated_aliases(no_cuda):
    with pytest.warns() as record:
        ctx = torch.cuda.amp.autocast()
    assert [type(r.message) for r in record] == [FutureWarning, UserWarning]
    assert _first_warning(record) == ("`torch.cuda.amp.autocast(args...)` is deprecated. Please "
                                      "use `torch.amp.autocast('cuda', args...)` instead.")
    assert isinstance(ctx, torch.amp.autocast)
    with pytest.warns() as record:
        torch.cpu.amp.autocast()
    assert _first_warning(record) == ("`torch.cpu.amp.autocast(args...)` is deprecated. Please "
                                      "use `torch.amp.autocast('cpu', args...)` instead.")
    assert re.match(CPU_DISABLED, str(record[1].message))
    with pytest.warns() as record:
        scaler = nbtorch.cuda.amp.GradScaler()
    assert _first_warning(record) == ("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please "
                                      "use `torch.amp.GradScaler('cuda', args...)` instead.")
    assert re.match(SCALER_NO_CUDA, str(record[1].message))
    assert isinstance(scaler, torch.amp.GradScaler) and not scaler.is_enabled()
    assert record[0].filename == __file__           # the warning points at the caller
    with pytest.warns(FutureWarning):
        nbtorch.cpu.amp.autocast(enabled=False)


def _warnings_of(make, module):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        make(module)
    return [(type(w.message), str(w.message).split("\n")[0]) for w in record]


def test_warnings_match_pytorch(no_cuda):
    """The same warnings, same first lines (the second line of the dtype warning says what nbtorch
    supports)."""
    real = pytest.importorskip("torch")
    for make in (lambda t: t.autocast("cpu", dtype=t.float64),
                 lambda t: t.cpu.amp.autocast(dtype=t.float32), lambda t: t.cuda.amp.autocast(), lambda t: t.cuda.amp.GradScaler(),
                 lambda t: t.amp.GradScaler()):
        assert _warnings_of(make, torch) == _warnings_of(make, real)


# --- GradScaler ---

def _scaler(**kwargs):
    return torch.amp.GradScaler("cpu", **kwargs)


def _param_and_optimizer(value=1.0):
    w = nn.Parameter(torch.full((3,), value))
    return w, torch.optim.SGD([w], lr=0.1)


@pytest.mark.filterwarnings("ignore:In CPU autocast")
def test_amp_training_loop_learns():
    """The standard AMP idiom: autocast around the forward, the scaler around backward and step."""
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.25
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = _scaler(growth_interval=10)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        with torch.autocast(device_type="cpu", dtype=torch.float16):
            loss = nn.functional.mse_loss(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0]
    assert scaler.get_scale() == 2.0 ** 16 * 2 ** 6          # grew once per 10 good steps


def test_scale_and_unscale():
    w, opt = _param_and_optimizer(2.0)
    scaler = _scaler(init_scale=1024.0)
    loss = (w * w).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == 1024.0 * loss.item()
    assert type(scaled.grad_fn).__name__ == "MulBackward0"
    a, (b, c) = scaler.scale([loss, (loss, loss)])
    assert a.item() == b.item() == c.item() == scaled.item()
    with pytest.raises(ValueError, match="^outputs must be a Tensor or an iterable of Tensors$"):
        scaler.scale(3)
    scaled.backward()
    assert w.grad.tolist() == [4096.0] * 3
    scaler.unscale_(opt)
    assert w.grad.tolist() == [4.0] * 3                 # d(sum w^2)/dw = 2w
    scaler.step(opt)                                     # no second unscale
    assert w.tolist() == pytest.approx([2.0 - 0.4] * 3)


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_inf_gradient_skips_the_step_and_backs_off(bad):
    w, opt = _param_and_optimizer()
    scaler = _scaler(init_scale=8.0, growth_interval=3)
    for _ in range(2):                                   # two good steps: tracker at 2
        opt.zero_grad()
        scaler.scale(w.sum()).backward()
        scaler.step(opt)
        scaler.update()
    assert scaler._get_growth_tracker() == 2
    before = w.detach().clone()
    opt.zero_grad()
    scaler.scale((w * torch.tensor([1.0, bad, 1.0])).sum()).backward()
    assert scaler.step(opt) is None
    np.testing.assert_array_equal(w.detach().numpy(), before.numpy())
    scaler.update()
    assert scaler.get_scale() == 4.0 and scaler._get_growth_tracker() == 0


def test_growth_after_growth_interval_steps():
    w, opt = _param_and_optimizer()
    scaler = _scaler(init_scale=4.0, growth_factor=3.0, growth_interval=4)
    scales = []
    for _ in range(9):
        opt.zero_grad()
        scaler.scale(w.sum()).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    assert scales == [4.0] * 3 + [12.0] * 4 + [36.0] * 2


def test_growth_stops_where_float32_overflows():
    w, opt = _param_and_optimizer()
    scaler = _scaler(init_scale=2.0 ** 127, growth_interval=1)
    scaler.scale(w.sum()).backward()
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 2.0 ** 127


def test_update_with_new_scale():
    w, opt = _param_and_optimizer()
    scaler = _scaler()
    scaler.scale(w.sum())
    scaler.update(8.0)
    assert scaler.get_scale() == 8.0
    scaler.update(torch.tensor(2.0))
    assert scaler.get_scale() == 2.0
    with pytest.raises(AssertionError, match=r"^new_scale should be a float or a 1-element"):
        scaler.update(torch.tensor([1.0, 2.0]))


def test_scaler_errors():
    w, opt = _param_and_optimizer()
    scaler = _scaler()
    for name, call in (("unscale_", lambda: scaler.unscale_(opt)),
                       ("step", lambda: scaler.step(opt)), ("update", scaler.update)):
        with pytest.raises(AssertionError, match=NO_SCALE.format(name)):
            call()
    scaler.scale(w.sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"^unscale_\(\) has already been called on this "
                                           r"optimizer since the last update\(\)\.$"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"^unscale_\(\) is being called after step\(\)\.$"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"^step\(\) has already been called since the last "
                                           r"update\(\)\.$"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"^Closure use is not currently supported if "
                                           r"GradScaler is enabled\.$"):
        scaler.step(opt, closure=lambda: None)
    with pytest.raises(AssertionError, match=r"^The growth factor must be > 1\.0\.$"):
        _scaler(growth_factor=1.0)
    with pytest.raises(AssertionError, match=r"^The backoff factor must be < 1\.0\.$"):
        _scaler(backoff_factor=1.0)
    fresh, fresh_opt = _param_and_optimizer()
    scaler = _scaler()
    scaler.scale(fresh.sum())                            # no backward: no gradients to check
    with pytest.raises(AssertionError, match=r"^No inf checks were recorded for this optimizer\.$"):
        scaler.step(fresh_opt)


def test_state_dict_round_trip():
    w, opt = _param_and_optimizer()
    scaler = _scaler(init_scale=16.0, growth_interval=5)
    for _ in range(3):
        opt.zero_grad()
        scaler.scale(w.sum()).backward()
        scaler.step(opt)
        scaler.update()
    state = scaler.state_dict()
    assert state == {"scale": 16.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                     "growth_interval": 5, "_growth_tracker": 3}
    other = _scaler()
    other.load_state_dict(copy.deepcopy(state))
    assert other.state_dict() == state
    for s in (scaler, other):                            # both grow after 2 more good steps
        for _ in range(2):
            opt.zero_grad()
            s.scale(w.sum()).backward()
            s.step(opt)
            s.update()
    assert other.get_scale() == scaler.get_scale() == 32.0
    with pytest.raises(RuntimeError, match=r"^The source state dict is empty, possibly because it "
                                           r"was saved from a disabled instance of GradScaler\.$"):
        other.load_state_dict(_scaler(enabled=False).state_dict())


def test_disabled_scaler_passes_through():
    w, opt = _param_and_optimizer()
    scaler = _scaler(enabled=False)
    loss = w.sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.unscale_(opt)
    assert w.grad.tolist() == [1.0] * 3
    scaler.step(opt)
    scaler.update()
    assert w.tolist() == pytest.approx([0.9] * 3)
    assert scaler.get_scale() == 1.0 and scaler.state_dict() == {} and not scaler.is_enabled()


def test_cuda_scaler_without_cuda_is_disabled(no_cuda):
    with pytest.warns(UserWarning, match=SCALER_NO_CUDA):
        scaler = torch.amp.GradScaler()
    assert not scaler.is_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.amp.GradScaler("cuda", enabled=False)


def test_cuda_scaler_on_cuda_tensors():
    w = nn.Parameter(torch.ones(3, device="cuda"))
    opt = torch.optim.SGD([w], lr=0.5)
    scaler = torch.amp.GradScaler("cuda", init_scale=4.0)
    scaler.scale((w * torch.tensor([1.0, 2.0, 3.0], device="cuda")).sum()).backward()
    assert w.grad.cpu().tolist() == [4.0, 8.0, 12.0]
    scaler.step(opt)
    scaler.update()
    assert w.cpu().tolist() == [0.5, 0.0, -0.5]


def test_scale_sequence_matches_pytorch():
    real = pytest.importorskip("torch")
    grads = [1.0, 2.0, float("inf"), 1.0, 1.0, 1.0, float("nan"), 1.0, 1.0, 1.0, 1e38, 1.0]
    results = []
    for t in (torch, real):
        w = t.nn.Parameter(t.ones(2))
        opt = t.optim.SGD([w], lr=0.01)
        scaler = t.amp.GradScaler("cpu", init_scale=2.0 ** 20, growth_factor=1.7,
                                  backoff_factor=0.3, growth_interval=2)
        trace = []
        for g in grads:
            opt.zero_grad()
            scaler.scale((w * t.tensor([g, 1.0])).sum()).backward()
            scaler.step(opt)
            scaler.update()
            trace.append((scaler.get_scale(), scaler._get_growth_tracker(), w.tolist()))
        results.append((trace, scaler.state_dict()))
    assert results[0] == results[1]
