"""Optimizers: the fused kernels against NumPy versions of PyTorch's update formulas, then the Python
optimizers (param groups, state_dict, errors, repr) and, when PyTorch is installed, trajectories
against torch.optim."""
import math

import numpy as np
import pytest

import nbtorch
import nbtorch.kernels.cpu.optim  # noqa: F401  (registers the launchers without the other families)
from nbtorch import optim
from nbtorch.kernels.registry import lookup

try:
    import torch as TORCH
except ImportError:
    TORCH = None


# --- NumPy references, written as PyTorch's tensor-op sequence (torch/optim/*.py, foreach=False) ---
def ref_sgd(p, g, st, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        buf = st.get("momentum_buffer")
        buf = g.copy() if buf is None else buf * momentum + (1 - dampening) * g
        st["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return p - lr * g


def ref_adam(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    if not st:
        st.update(step=0.0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
        if amsgrad:
            st["max_exp_avg_sq"] = np.zeros_like(p)
    st["step"] += 1
    g = -g if maximize else g
    if weight_decay:
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
    st["exp_avg"] = st["exp_avg"] + (1 - b1) * (g - st["exp_avg"])
    st["exp_avg_sq"] = st["exp_avg_sq"] * b2 + (1 - b2) * g * g
    v = st["exp_avg_sq"]
    if amsgrad:
        v = st["max_exp_avg_sq"] = np.maximum(st["max_exp_avg_sq"], v)
    step_size = lr / (1 - b1 ** st["step"])
    denom = np.sqrt(v) / math.sqrt(1 - b2 ** st["step"]) + eps
    return p - step_size * st["exp_avg"] / denom


def ref_rmsprop(p, g, st, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    if not st:
        st.update(step=0.0, square_avg=np.zeros_like(p))
        if momentum > 0:
            st["momentum_buffer"] = np.zeros_like(p)
        if centered:
            st["grad_avg"] = np.zeros_like(p)
    st["step"] += 1
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    st["square_avg"] = st["square_avg"] * alpha + (1 - alpha) * g * g
    if centered:
        st["grad_avg"] = st["grad_avg"] + (1 - alpha) * (g - st["grad_avg"])
        avg = np.sqrt(st["square_avg"] - st["grad_avg"] ** 2) + eps
    else:
        avg = np.sqrt(st["square_avg"]) + eps
    if momentum > 0:
        st["momentum_buffer"] = st["momentum_buffer"] * momentum + g / avg
        return p - lr * st["momentum_buffer"]
    return p - lr * g / avg


def ref_adagrad(p, g, st, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False):
    if not st:
        st.update(step=0.0, sum=np.full_like(p, initial_accumulator_value))
    st["step"] += 1
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    clr = lr / (1 + (st["step"] - 1) * lr_decay)
    st["sum"] = st["sum"] + g * g
    return p - clr * g / (np.sqrt(st["sum"]) + eps)


# --- kernels ---
def _kernel_step(name, p, g, st, opts):
    """One launch of the kernel ``name`` with state arrays in ``st`` (created like the optimizer)."""
    launch = lookup(name, "cpu")
    if name == "sgd_step":
        first = st.get("momentum_buffer") is None
        if opts.get("momentum", 0) and first:
            st["momentum_buffer"] = np.zeros_like(p)
        launch(p, g, st.get("momentum_buffer"), opts["lr"], opts.get("momentum", 0.0),
               opts.get("dampening", 0.0), opts.get("weight_decay", 0.0), opts.get("nesterov", False),
               opts.get("maximize", False), first)
    elif name == "adam_step":
        if not st:
            st.update(step=0.0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p),
                      max_exp_avg_sq=np.zeros_like(p) if opts.get("amsgrad") else None)
        st["step"] += 1
        launch(p, g, st["exp_avg"], st["exp_avg_sq"], st["max_exp_avg_sq"], opts.get("lr", 1e-3),
               *opts.get("betas", (0.9, 0.999)), opts.get("eps", 1e-8), opts.get("weight_decay", 0.0),
               st["step"], opts.get("amsgrad", False), opts.get("maximize", False),
               opts.get("decoupled", False))
    elif name == "rmsprop_step":
        if not st:
            st.update(square_avg=np.zeros_like(p),
                      grad_avg=np.zeros_like(p) if opts.get("centered") else None,
                      momentum_buffer=np.zeros_like(p) if opts.get("momentum", 0) > 0 else None)
        launch(p, g, st["square_avg"], st["grad_avg"], st["momentum_buffer"], opts.get("lr", 1e-2),
               opts.get("alpha", 0.99), opts.get("eps", 1e-8), opts.get("weight_decay", 0.0),
               opts.get("momentum", 0.0), opts.get("centered", False), opts.get("maximize", False))
    else:
        if not st:
            st.update(step=0.0, sum=np.full_like(p, opts.get("initial_accumulator_value", 0.0)))
        st["step"] += 1
        launch(p, g, st["sum"], opts.get("lr", 1e-2), opts.get("lr_decay", 0.0), opts.get("eps", 1e-10),
               opts.get("weight_decay", 0.0), st["step"], opts.get("maximize", False))


KERNEL_CASES = [
    ("sgd_step", ref_sgd, dict(lr=0.1)),
    ("sgd_step", ref_sgd, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd_step", ref_sgd, dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("adam_step", ref_adam, dict(lr=0.01)),
    ("adam_step", ref_adam, dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1, amsgrad=True)),
    ("adam_step", ref_adam, dict(lr=0.01, weight_decay=0.1, decoupled=True, maximize=True)),
    ("rmsprop_step", ref_rmsprop, dict(lr=0.01)),
    ("rmsprop_step", ref_rmsprop, dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ("rmsprop_step", ref_rmsprop, dict(lr=0.01, momentum=0.3, maximize=True, eps=1e-2)),
    ("adagrad_step", ref_adagrad, dict(lr=0.1)),
    ("adagrad_step", ref_adagrad, dict(lr=0.1, lr_decay=0.5, weight_decay=0.2, initial_accumulator_value=0.3,
                                       eps=1e-3, maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,ref,opts", KERNEL_CASES)
def test_kernel_matches_reference(name, ref, opts, dtype):
    rng = np.random.default_rng(0)
    p = rng.standard_normal((3, 7)).astype(dtype)
    expected = p.astype(np.float64)
    st, ref_st = {}, {}
    for _ in range(4):
        g = rng.standard_normal(p.shape).astype(dtype)
        _kernel_step(name, p, g, st, opts)
        expected = ref(expected, g.astype(np.float64), ref_st, **opts)
    assert p.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(p, expected, rtol=tol, atol=tol)
    for key, value in ref_st.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_allclose(st[key], value, rtol=tol, atol=tol)


def test_kernel_empty_param_is_a_no_op():
    p = np.zeros((0, 3), np.float32)
    _kernel_step("adam_step", p, p.copy(), {}, dict(lr=0.1, amsgrad=True))
    assert p.shape == (0, 3)


# --- optimizers ---
OPT_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-3, weight_decay=0.1, momentum=0.5, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.3, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-5,
                     maximize=True)),
]
REFS = {"SGD": (ref_sgd, {}), "Adam": (ref_adam, {}), "AdamW": (ref_adam, dict(decoupled=True, weight_decay=1e-2)),
        "RMSprop": (ref_rmsprop, {}), "Adagrad": (ref_adagrad, {})}


def _problem(steps=3):
    rng = np.random.default_rng(1)
    inits = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(a.shape) for a in inits] for _ in range(steps)]
    return inits, grads


def _train(opt_cls, opts, inits, grads, lib, dtype):
    params = [lib.tensor(a, dtype=dtype, requires_grad=True) for a in inits]
    opt = opt_cls(params, **opts)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = lib.tensor(g, dtype=dtype)
        opt.step()
    return params, opt


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,opts", OPT_CASES)
def test_optimizer_trajectory(name, opts, dtype):
    inits, grads = _problem()
    params, opt = _train(getattr(optim, name), opts, inits, grads, nbtorch, getattr(nbtorch, dtype))
    ref, extra = REFS[name]
    tol = 2e-5 if dtype == "float32" else 1e-12
    for i, init in enumerate(inits):
        expected, st = init.astype(dtype).astype(np.float64), {}
        for step_grads in grads:
            expected = ref(expected, step_grads[i].astype(dtype).astype(np.float64), st, **{**extra, **opts})
        np.testing.assert_allclose(params[i].detach().numpy(), expected, rtol=tol, atol=tol)
        state = opt.state.get(params[i], {})
        for key, value in st.items():
            if key == "step":
                assert state["step"].dtype == nbtorch.float32 and state["step"].item() == len(grads)
            else:
                assert state[key].dtype == params[i].dtype
                np.testing.assert_allclose(state[key].numpy(), value, rtol=tol, atol=tol)
    if TORCH is not None:
        t_params, t_opt = _train(getattr(TORCH.optim, name), opts, inits, grads, TORCH,
                                 getattr(TORCH, dtype))
        for p, tp in zip(params, t_params):
            np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=tol, atol=tol)
        ours, theirs = opt.state_dict(), t_opt.state_dict()
        assert ours["param_groups"] == theirs["param_groups"]
        assert ours["state"].keys() == theirs["state"].keys()
        for index, t_state in theirs["state"].items():
            assert list(ours["state"][index]) == list(t_state)
            for key, value in t_state.items():
                np.testing.assert_allclose(ours["state"][index][key].numpy(), value.numpy(), rtol=tol,
                                           atol=tol)
        assert repr(opt) == repr(t_opt)


def test_repr_and_defaults_like_pytorch():
    p = nbtorch.zeros(2, requires_grad=True)
    assert repr(optim.SGD([p], lr=0.1)) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
        "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
        "    weight_decay: 0\n)")
    two = optim.SGD([{"params": [p]}, {"params": [nbtorch.zeros(1, requires_grad=True)], "lr": 0.5}],
                    lr=0.1)
    first, second = repr(two).split("\n\nParameter Group 1\n")  # a blank line between groups
    assert first + "\n)" == repr(optim.SGD([p], lr=0.1))
    assert second.startswith("    dampening: 0\n") and "    lr: 0.5\n" in second
    if TORCH is not None:
        t = [TORCH.zeros(1, requires_grad=True) for _ in range(2)]
        assert repr(two) == repr(TORCH.optim.SGD([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.5}],
                                                 lr=0.1))
    assert optim.AdamW([p]).defaults["weight_decay"] == 1e-2
    assert optim.AdamW([p]).defaults["decoupled_weight_decay"] is True
    assert optim.SGD([p]).defaults["lr"] == 1e-3


def test_param_groups_have_their_own_options():
    a = nbtorch.ones(2, requires_grad=True)
    b = nbtorch.ones(2, requires_grad=True)
    c = nbtorch.ones(2, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [c], "momentum": 0})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9, 0]
    for t in (a, b, c):
        t.grad = nbtorch.ones(2)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), 0.9)
    np.testing.assert_allclose(b.detach().numpy(), 0.5)
    np.testing.assert_allclose(c.detach().numpy(), 0.9)
    assert set(opt.state) == {a, b}  # no momentum buffer without momentum
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1], [2]]
    assert sorted(sd["state"]) == [0, 1] and list(sd["state"][0]) == ["momentum_buffer"]


def test_params_without_grad_are_skipped():
    a = nbtorch.ones(2, requires_grad=True)
    b = nbtorch.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = nbtorch.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), 1.0)
    assert b not in opt.state and a in opt.state


def test_non_contiguous_parameter_is_updated_in_place():
    base = nbtorch.tensor(np.arange(6.0).reshape(2, 3))
    p = base.t().requires_grad_()
    assert not p.is_contiguous()
    opt = optim.SGD([p], lr=1.0, momentum=0.5)
    p.grad = nbtorch.ones(3, 2, dtype=nbtorch.float64)
    opt.step()
    np.testing.assert_array_equal(base.numpy(), np.arange(6.0).reshape(2, 3) - 1)


def test_zero_grad():
    p = nbtorch.ones(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = nbtorch.ones(3)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), 0.0)
    opt.zero_grad()
    assert p.grad is None


def test_step_closure_runs_with_grad_and_returns_its_loss():
    p = nbtorch.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)
    seen = []

    def closure():
        seen.append(nbtorch.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with nbtorch.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and loss.item() == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [0.5, -1.0])  # p - 0.25 * 2p


def test_step_bumps_the_version_counter():
    p = nbtorch.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    loss = (p * p).sum()
    p.grad = nbtorch.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("name,opts", [c for c in OPT_CASES if c[0] != "SGD" or c[1].get("momentum")])
def test_state_dict_round_trip_resumes_the_same_trajectory(name, opts):
    inits, grads = _problem(steps=4)
    cls = getattr(optim, name)
    full, _ = _train(cls, opts, inits, grads, nbtorch, nbtorch.float64)
    first, opt = _train(cls, opts, inits, grads[:2], nbtorch, nbtorch.float64)
    sd = opt.state_dict()
    saved = {i: {k: v.numpy().copy() for k, v in st.items()} for i, st in sd["state"].items()}
    params = [p.detach().clone().requires_grad_() for p in first]
    resumed = cls(params, **opts)
    resumed.load_state_dict(sd)
    assert resumed.state_dict()["param_groups"] == sd["param_groups"]
    for step_grads in grads[2:]:
        for p, g in zip(params, step_grads):
            p.grad = nbtorch.tensor(g)
        resumed.step()
    for p, q in zip(params, full):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12)
    # the loaded state is a copy: stepping the new optimizer leaves the saved dict alone
    for index, state in sd["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(value.numpy(), saved[index][key])


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    p64 = nbtorch.ones(2, dtype=nbtorch.float64, requires_grad=True)
    opt = optim.Adam([p64])
    p64.grad = nbtorch.ones(2, dtype=nbtorch.float64)
    opt.step()
    p32 = nbtorch.ones(2, requires_grad=True)
    other = optim.Adam([p32])
    other.load_state_dict(opt.state_dict())
    assert other.state[p32]["exp_avg"].dtype == nbtorch.float32
    assert other.state[p32]["step"].dtype == nbtorch.float32


def test_load_state_dict_errors():
    p = nbtorch.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="^loaded state dict has a different number of parameter groups$"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="^loaded state dict contains a parameter group that doesn't match "
                                         "the size of optimizer's group$"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0, 1], "lr": 0.1}]})


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


ERROR_CASES = [
    ("SGD", dict(lr=-0.1), "ValueError", "Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, momentum=-1), "ValueError", "Invalid momentum value: -1"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "ValueError", "Invalid weight_decay value: -1"),
    ("SGD", dict(lr=0.1, nesterov=True), "ValueError",
     "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "ValueError",
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-1), "ValueError", "Invalid learning rate: -1"),
    ("Adam", dict(eps=-1), "ValueError", "Invalid epsilon value: -1"),
    ("Adam", dict(betas=(1.0, 0.9)), "ValueError", "Invalid beta parameter at index 0: 1.0"),
    ("AdamW", dict(betas=(0.9, -0.1)), "ValueError", "Invalid beta parameter at index 1: -0.1"),
    ("Adam", dict(weight_decay=-1), "ValueError", "Invalid weight_decay value: -1"),
    ("RMSprop", dict(alpha=-1), "ValueError", "Invalid alpha value: -1"),
    ("RMSprop", dict(momentum=-1), "ValueError", "Invalid momentum value: -1"),
    ("RMSprop", dict(eps=-1), "ValueError", "Invalid epsilon value: -1"),
    ("Adagrad", dict(lr_decay=-1), "ValueError", "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "ValueError",
     "Invalid initial_accumulator_value value: -1"),
    ("Adagrad", dict(eps=-1), "ValueError", "Invalid epsilon value: -1"),
]


@pytest.mark.parametrize("name,opts,kind,message", ERROR_CASES)
def test_bad_options_raise_pytorchs_errors(name, opts, kind, message):
    p = nbtorch.ones(2, requires_grad=True)
    assert _error(lambda: getattr(optim, name)([p], **opts)) == (kind, message)
    if TORCH is not None:
        tp = TORCH.ones(2, requires_grad=True)
        assert _error(lambda: getattr(TORCH.optim, name)([tp], **opts)) == (kind, message)


def test_bad_params_raise_pytorchs_errors():
    p = nbtorch.ones(2, requires_grad=True)
    assert _error(lambda: optim.SGD([], lr=0.1)) == ("ValueError", "optimizer got an empty parameter list")
    assert _error(lambda: optim.SGD(p, lr=0.1)) == (
        "TypeError", "params argument given to the optimizer should be an iterable of Tensors or dicts, but "
                     "got torch.FloatTensor")
    assert _error(lambda: optim.SGD([1.0], lr=0.1)) == (
        "TypeError", "optimizer can only optimize Tensors, but one of the params is float")
    assert _error(lambda: optim.SGD([p * 2], lr=0.1)) == ("ValueError", "can't optimize a non-leaf Tensor")
    assert _error(lambda: optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)) == (
        "ValueError", "some parameters appear in more than one parameter group")
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    q = nbtorch.ones(2, requires_grad=True)
    assert _error(lambda: opt.add_param_group({"params": {q}})) == (
        "TypeError", "optimizer parameters need to be organized in ordered collections, but the ordering "
                     "of tensors in sets will change between runs. Please use a list instead.")
