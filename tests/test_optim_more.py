"""Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD and LBFGS: trajectories on small problems against NumPy
versions of PyTorch's algorithms (torch/optim/*.py, single-tensor path), state_dict round trips,
PyTorch's argument errors, and torch.optim itself as an extra oracle when it is installed.

The NumPy references run in the parameter's dtype: NumPy keeps float32 arrays float32 when combined
with Python floats, so they round each float32 operation as PyTorch does. Like PyTorch, the scalar
state NAdam's ``mu_product`` and ASGD's ``eta``/``mu`` is kept in the default dtype (float32)."""
import math

import numpy as np
import pytest

import nbtorch
from nbtorch import optim

STATE_DTYPE = np.float32   # PyTorch's _get_scalar_dtype() with the default dtype float32


# --- NumPy references ---
def _grad(g, p, weight_decay, maximize):
    g = -g if maximize else g
    return g + weight_decay * p if weight_decay else g


def ref_adamax(p, g, st, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    if not st:
        st.update(step=0, exp_avg=np.zeros_like(p), exp_inf=np.zeros_like(p))
    st["step"] += 1
    g = _grad(g, p, weight_decay, maximize)
    st["exp_avg"] = st["exp_avg"] + (1 - b1) * (g - st["exp_avg"])
    st["exp_inf"] = np.maximum(st["exp_inf"] * b2, np.abs(g) + eps)
    return p - lr / (1 - b1 ** st["step"]) * st["exp_avg"] / st["exp_inf"]


def ref_nadam(p, g, st, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    if not st:
        st.update(step=0, mu_product=STATE_DTYPE(1.0), exp_avg=np.zeros_like(p),
                  exp_avg_sq=np.zeros_like(p))
    st["step"] += 1
    t = st["step"]
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
        weight_decay = 0
    g = _grad(g, p, weight_decay, maximize)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    st["mu_product"] = STATE_DTYPE(st["mu_product"] * mu)
    mu_product = float(st["mu_product"])
    st["exp_avg"] = st["exp_avg"] + (1 - b1) * (g - st["exp_avg"])
    st["exp_avg_sq"] = st["exp_avg_sq"] * b2 + (1 - b2) * g * g
    denom = np.sqrt(st["exp_avg_sq"] / (1 - b2 ** t)) + eps
    p = p - lr * (1 - mu) / (1 - mu_product) * g / denom
    return p - lr * mu_next / (1 - mu_product * mu_next) * st["exp_avg"] / denom


def ref_radam(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    if not st:
        st.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
    st["step"] += 1
    t = st["step"]
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
        weight_decay = 0
    g = _grad(g, p, weight_decay, maximize)
    st["exp_avg"] = st["exp_avg"] + (1 - b1) * (g - st["exp_avg"])
    st["exp_avg_sq"] = st["exp_avg_sq"] * b2 + (1 - b2) * g * g
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
    update = st["exp_avg"] / (1 - b1 ** t) * lr
    if rho_t > 5:   # variance tractable: the rectified adaptive step
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        update = update * (math.sqrt(1 - b2 ** t) / (np.sqrt(st["exp_avg_sq"]) + eps)) * rect
    return p - update


def ref_adadelta(p, g, st, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    if not st:
        st.update(step=0, square_avg=np.zeros_like(p), acc_delta=np.zeros_like(p))
    st["step"] += 1
    g = _grad(g, p, weight_decay, maximize)
    st["square_avg"] = st["square_avg"] * rho + (1 - rho) * g * g
    delta = np.sqrt(st["acc_delta"] + eps) / np.sqrt(st["square_avg"] + eps) * g
    st["acc_delta"] = st["acc_delta"] * rho + (1 - rho) * delta * delta
    return p - lr * delta


def ref_rprop(p, g, st, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    if not st:
        st.update(step=0, prev=np.zeros_like(p), step_size=np.full_like(p, lr))
    st["step"] += 1
    g = -g if maximize else g
    sign = np.sign(g * st["prev"])
    factor = np.select([sign > 0, sign < 0], [etas[1], etas[0]], 1.0).astype(p.dtype)
    st["step_size"] = np.clip(st["step_size"] * factor, *step_sizes)
    g = np.where(sign < 0, 0, g)    # after a sign change: no step, and no sign to compare next time
    st["prev"] = g
    return p - np.sign(g) * st["step_size"]


def ref_asgd(p, g, st, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
    if not st:
        st.update(step=STATE_DTYPE(0), eta=STATE_DTYPE(lr), mu=STATE_DTYPE(1), ax=np.zeros_like(p))
    step = float(st["step"]) + 1
    g = _grad(g, p, weight_decay, maximize)
    eta = float(st["eta"])
    p = p * (1 - lambd * eta) - eta * g
    st["ax"] = st["ax"] + (p - st["ax"]) * float(st["mu"]) if float(st["mu"]) != 1 else p.copy()
    st.update(step=STATE_DTYPE(step), eta=STATE_DTYPE(lr / (1 + lambd * lr * step) ** alpha),
              mu=STATE_DTYPE(1 / max(1, step - t0)))
    return p


REFS = {"Adamax": ref_adamax, "NAdam": ref_nadam, "RAdam": ref_radam, "Adadelta": ref_adadelta,
        "Rprop": ref_rprop, "ASGD": ref_asgd}
CASES = [
    ("Adamax", {}),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1, maximize=True)),
    ("NAdam", {}),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, momentum_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", {}),                                          # rho_t <= 5 throughout: unrectified
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.5), weight_decay=0.1)),   # rectified from step 5 on
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.6), weight_decay=0.1, decoupled_weight_decay=True,
                   maximize=True)),
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, rho=0.6, eps=1e-3, weight_decay=0.1, maximize=True)),
    ("Rprop", {}),
    ("Rprop", dict(lr=0.3, etas=(0.3, 1.5), step_sizes=(0.05, 0.5), maximize=True)),  # clamped
    ("ASGD", {}),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=3, weight_decay=0.1, maximize=True)),  # averages
]
STEPS = 7


def _problem():
    """A quadratic bowl 0.5 * sum(curv * (p - centre)^2) over two parameters: its gradient
    depends on where the optimizer has moved them."""
    rng = np.random.default_rng(3)
    shapes = [(3, 4), (5,)]
    inits = [rng.standard_normal(s) for s in shapes]
    curv = [rng.uniform(0.5, 2.0, s) for s in shapes]
    centre = [rng.standard_normal(s) for s in shapes]
    return inits, curv, centre


def _bowl_grad(p, curv, centre):
    return (curv * (p - centre)).astype(p.dtype)


def _train(lib, name, opts, dtype, steps=STEPS):
    inits, curv, centre = _problem()
    dt = getattr(lib, dtype)
    params = [lib.tensor(a, dtype=dt, requires_grad=True) for a in inits]
    opt = getattr(lib.optim, name)(params, **opts)
    for _ in range(steps):
        for p, c, m in zip(params, curv, centre):
            p.grad = lib.tensor(_bowl_grad(p.detach().numpy(), c, m), dtype=dt)
        opt.step()
    return params, opt


def _tol(dtype):
    return dict(rtol=2e-6, atol=2e-7) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,opts", CASES)
def test_trajectory_matches_numpy_reference(name, opts, dtype):
    params, opt = _train(nbtorch, name, opts, dtype)
    inits, curv, centre = _problem()
    for p, init, c, m in zip(params, inits, curv, centre):
        expected, st = init.astype(dtype), {}
        for _ in range(STEPS):
            expected = REFS[name](expected, _bowl_grad(expected, c, m), st, **opts)
        assert p.dtype == getattr(nbtorch, dtype) and expected.dtype == np.dtype(dtype)
        np.testing.assert_allclose(p.detach().numpy(), expected, **_tol(dtype))
        state = opt.state[p]
        assert list(state) == list(st)
        for key, value in st.items():
            ours = state[key]
            if np.ndim(value) == 0:     # scalar state: a 0-dim tensor in the default dtype
                assert ours.dtype == nbtorch.float32 and ours.shape == ()
                assert ours.item() == float(value)
            else:
                assert ours.dtype == p.dtype
                np.testing.assert_allclose(ours.numpy(), value, **_tol(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,opts", CASES)
def test_matches_torch(name, opts, dtype):
    torch = pytest.importorskip("torch")
    params, opt = _train(nbtorch, name, opts, dtype)
    t_params, t_opt = _train(torch, name, opts, dtype)
    tol = _tol(dtype)
    for p, tp in zip(params, t_params):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), **tol)
    ours, theirs = opt.state_dict(), t_opt.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for index, t_state in theirs["state"].items():
        assert list(ours["state"][index]) == list(t_state)
        for key, value in t_state.items():
            assert str(ours["state"][index][key].dtype) == str(value.dtype)
            np.testing.assert_allclose(ours["state"][index][key].numpy(), value.numpy(), **tol)
    assert repr(opt) == repr(t_opt)


@pytest.mark.parametrize("name,opts", CASES)
def test_state_dict_round_trip_resumes_the_same_trajectory(name, opts):
    full, _ = _train(nbtorch, name, opts, "float64", steps=4)
    first, opt = _train(nbtorch, name, opts, "float64", steps=2)
    sd = opt.state_dict()
    params = [p.detach().clone().requires_grad_() for p in first]
    resumed = getattr(optim, name)(params, **opts)
    resumed.load_state_dict(sd)
    assert resumed.state_dict()["param_groups"] == sd["param_groups"]
    _, curv, centre = _problem()
    for _ in range(2):
        for p, c, m in zip(params, curv, centre):
            p.grad = nbtorch.tensor(_bowl_grad(p.detach().numpy(), c, m))
        resumed.step()
    # as PyTorch's load_state_dict, the scalar state other than ``step`` comes back in the
    # parameter's dtype, so NAdam and ASGD go on with float64 scalars where the full run had float32
    scalars = {k for k, v in sd["state"][0].items() if k != "step" and v.dim() == 0}
    assert all(resumed.state[params[0]][k].dtype == nbtorch.float64 for k in scalars)
    tol = dict(rtol=1e-6, atol=1e-9) if scalars else dict(rtol=1e-14, atol=1e-15)
    for p, q in zip(params, full):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **tol)


def test_defaults_and_repr():
    p = nbtorch.zeros(2, requires_grad=True)
    assert optim.Adamax([p]).defaults["lr"] == 2e-3 and optim.NAdam([p]).defaults["lr"] == 2e-3
    assert optim.Adadelta([p]).defaults["rho"] == 0.9
    assert optim.Rprop([p]).defaults["step_sizes"] == (1e-6, 50)
    assert repr(optim.ASGD([p])) == (
        "ASGD (\nParameter Group 0\n    alpha: 0.75\n    capturable: False\n    differentiable: False\n"
        "    foreach: None\n    lambd: 0.0001\n    lr: 0.01\n    maximize: False\n    t0: 1000000.0\n"
        "    weight_decay: 0\n)")
    try:
        import torch
    except ImportError:
        return
    tp = torch.zeros(2, requires_grad=True)
    for name in ("Adamax", "NAdam", "RAdam", "Adadelta", "Rprop", "ASGD", "LBFGS"):
        assert getattr(optim, name)([p]).defaults == getattr(torch.optim, name)([tp]).defaults, name
        assert repr(getattr(optim, name)([p])) == repr(getattr(torch.optim, name)([tp])), name


def test_param_groups_and_skipped_params():
    a, b, c = (nbtorch.ones(2, requires_grad=True) for _ in range(3))
    opt = optim.Rprop([{"params": [a]}, {"params": [b, c], "lr": 0.5}], lr=0.1)
    a.grad = nbtorch.ones(2)
    b.grad = -nbtorch.ones(2)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), 0.9)
    np.testing.assert_allclose(b.detach().numpy(), 1.5)
    np.testing.assert_array_equal(c.detach().numpy(), 1.0)
    assert set(opt.state) == {a, b}
    assert [g["params"] for g in opt.state_dict()["param_groups"]] == [[0], [1, 2]]


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


ERROR_CASES = [
    ("Adamax", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adamax", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("NAdam", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    ("NAdam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(lr=-0.5), "Invalid learning rate: -0.5"),
    ("RAdam", dict(betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(eps=-1), "Invalid epsilon value: -1"),
    ("Adadelta", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("Rprop", dict(etas=(1.5, 2.0)), "Invalid eta values: 1.5, 2.0"),
    ("Rprop", dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
    ("Rprop", dict(lr=-1), "Invalid learning rate: -1"),
    ("ASGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("ASGD", dict(lr=-1), "Invalid learning rate: -1"),
    ("LBFGS", dict(lr=-1), "Invalid learning rate: -1"),
]


@pytest.mark.parametrize("name,opts,message", ERROR_CASES)
def test_bad_options_raise_pytorchs_errors(name, opts, message):
    p = nbtorch.ones(2, requires_grad=True)
    assert _error(lambda: getattr(optim, name)([p], **opts)) == ("ValueError", message)
    try:
        import torch
    except ImportError:
        return
    tp = torch.ones(2, requires_grad=True)
    assert _error(lambda: getattr(torch.optim, name)([tp], **opts)) == ("ValueError", message)


# --- LBFGS ---
def _rosenbrock(x):
    """The chained Rosenbrock function of a NumPy vector and its gradient; minimum at all ones."""
    a, b = x[:-1], x[1:]
    f = np.sum(100 * (b - a * a) ** 2 + (1 - a) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400 * a * (b - a * a) - 2 * (1 - a)
    g[1:] += 200 * (b - a * a)
    return f, g


def ref_lbfgs(x, steps, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
              history_size=100):
    """PyTorch's L-BFGS without line search on ``_rosenbrock``: the two-loop recursion over the last
    ``history_size`` curvature pairs, a first step of min(1, 1/|g|_1) * lr and lr after it."""
    max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
    st = dict(n_iter=0, pairs=[])
    for _ in range(steps):
        loss, g = _rosenbrock(x)
        evals = 1
        if np.abs(g).max() <= tolerance_grad:
            continue
        for n in range(1, max_iter + 1):
            st["n_iter"] += 1
            if st["n_iter"] == 1:
                d, st["pairs"], st["h_diag"] = -g, [], 1.0
            else:
                y, s = g - st["prev_g"], st["d"] * st["t"]
                ys = y @ s
                if ys > 1e-10:
                    st["pairs"] = (st["pairs"] + [(y, s, 1.0 / ys)])[-history_size:]
                    st["h_diag"] = ys / (y @ y)
                q, al = -g, []
                for y_i, s_i, ro_i in reversed(st["pairs"]):
                    al.insert(0, (s_i @ q) * ro_i)
                    q = q - al[0] * y_i
                d = q * st["h_diag"]
                for (y_i, s_i, ro_i), a_i in zip(st["pairs"], al):
                    d = d + (a_i - (y_i @ d) * ro_i) * s_i
            st["prev_g"], prev_loss = g.copy(), loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if st["n_iter"] == 1 else lr
            st["d"], st["t"] = d, t
            if g @ d > -tolerance_change:
                break
            x = x + t * d
            if n == max_iter:
                break
            loss, g = _rosenbrock(x)
            evals += 1
            if (evals >= max_eval or np.abs(g).max() <= tolerance_grad
                    or np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break
    return x


def _lbfgs_params(lib, x0, dtype):
    """``x0`` split into two parameters (a 2x1 and the rest), so the flat vector spans both."""
    dt = getattr(lib, dtype)
    return [lib.tensor(x0[:2].reshape(2, 1), dtype=dt, requires_grad=True),
            lib.tensor(x0[2:], dtype=dt, requires_grad=True)]


def _autograd_rosenbrock(lib, params):
    x = lib.cat([p.reshape(-1) for p in params])
    a, b = x[:-1], x[1:]
    return (100 * (b - a * a) ** 2 + (1 - a) ** 2).sum()


def _run_lbfgs(lib, x0, dtype, steps, analytic=False, **opts):
    """The iterates after each ``step``; the closure's gradient is ``_rosenbrock``'s (``analytic``)
    or autograd's."""
    params = _lbfgs_params(lib, x0, dtype)
    opt = lib.optim.LBFGS(params, **opts)

    def closure():
        opt.zero_grad()
        if not analytic:
            loss = _autograd_rosenbrock(lib, params)
            loss.backward()
            return loss
        x = np.concatenate([p.detach().numpy().reshape(-1) for p in params])
        f, g = _rosenbrock(x)
        params[0].grad = lib.tensor(g[:2].reshape(2, 1), dtype=params[0].dtype)
        params[1].grad = lib.tensor(g[2:], dtype=params[1].dtype)
        return lib.tensor(f, dtype=params[0].dtype)

    iterates = []
    for _ in range(steps):
        opt.step(closure)
        iterates.append(np.concatenate([p.detach().numpy().reshape(-1) for p in params]))
    return np.array(iterates), opt


X0 = np.array([-1.2, 1.0, -0.5, 0.8])


def test_lbfgs_matches_numpy_reference():
    opts = dict(lr=0.25, max_iter=8, history_size=3)
    iterates, opt = _run_lbfgs(nbtorch, X0, "float64", 3, analytic=True, **opts)
    expected = [ref_lbfgs(X0.copy(), k, **opts) for k in (1, 2, 3)]
    np.testing.assert_allclose(iterates, expected, rtol=1e-12, atol=1e-14)
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert len(state["old_dirs"]) == 3 and state["n_iter"] == 24


def test_lbfgs_strong_wolfe_minimises_rosenbrock():
    iterates, opt = _run_lbfgs(nbtorch, X0, "float64", 4, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(iterates[-1], 1.0, atol=1e-5)
    loss = _autograd_rosenbrock(nbtorch, opt.param_groups[0]["params"]).item()
    assert loss < 1e-9 and loss < _rosenbrock(X0)[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opts", [dict(lr=0.25, max_iter=8, history_size=3),
                                  dict(line_search_fn="strong_wolfe", max_iter=10)])
def test_lbfgs_matches_torch(opts, dtype):
    torch = pytest.importorskip("torch")
    ours, opt = _run_lbfgs(nbtorch, X0, dtype, 3, **opts)
    theirs, t_opt = _run_lbfgs(torch, X0, dtype, 3, **opts)
    if dtype == "float64":
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    else:   # the line search's branches amplify last-bit differences (dot products) from step 3 on
        np.testing.assert_allclose(ours[:2], theirs[:2], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(ours, theirs, rtol=1e-2, atol=1e-2)
    state, t_state = opt.state_dict(), t_opt.state_dict()
    assert state["param_groups"] == t_state["param_groups"]
    assert list(state["state"][0]) == list(t_state["state"][0])
    for key in ("func_evals", "n_iter"):
        assert state["state"][0][key] == t_state["state"][0][key]
    assert repr(opt) == repr(t_opt)


def test_lbfgs_errors():
    p, q = (nbtorch.ones(2, requires_grad=True) for _ in range(2))
    assert _error(lambda: optim.LBFGS([{"params": [p]}, {"params": [q]}])) == (
        "ValueError", "LBFGS doesn't support per-parameter options (parameter groups)")
    opt = optim.LBFGS([p], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    assert _error(lambda: opt.step(closure)) == ("RuntimeError", "only 'strong_wolfe' is supported")


def test_lbfgs_stops_at_a_stationary_point():
    p = nbtorch.zeros(3, requires_grad=True)
    opt = optim.LBFGS([p])
    calls = []

    def closure():
        calls.append(nbtorch.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    with nbtorch.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss.item() == 0.0
    assert opt.state[p]["func_evals"] == 1 and opt.state[p]["n_iter"] == 0
