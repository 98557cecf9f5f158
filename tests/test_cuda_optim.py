"""CUDA optimizer steps against the CPU ones (simulator when no GPU): every option of each update,
float32 and float64; the parity check compares the parameter and every state array afterwards.
Rprop's step sizes (0.8, 1.5) clamp most elements from both sides."""
import numpy as np
import pytest

from cuda_parity import run_case

F32, F64 = np.float32, np.float64
SHAPE = (7, 11)          # 77 elements: more than one grid-stride pass of the simulator's 64 threads


def _arrays(rng, dtype, n_signed, n_positive):
    """``n_signed`` normal arrays and ``n_positive`` arrays of squares (second moments)."""
    signed = [rng.standard_normal(SHAPE).astype(dtype) for _ in range(n_signed)]
    positive = [(rng.standard_normal(SHAPE) ** 2 + 0.5).astype(dtype) for _ in range(n_positive)]
    return signed + positive


def _sgd(dtype, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False,
         first_step=False):
    def make(rng):
        param, grad, buf = _arrays(rng, dtype, 3, 0)
        return [param, grad, buf if momentum else None, 0.1, momentum, dampening, weight_decay,
                nesterov, maximize, first_step]
    return make


def _adam(dtype, amsgrad=False, weight_decay=0.0, maximize=False, decoupled=False, step=1):
    def make(rng):
        param, grad, exp_avg, exp_avg_sq, max_sq = _arrays(rng, dtype, 3, 2)
        return [param, grad, exp_avg, exp_avg_sq, max_sq if amsgrad else None, 1e-2, 0.9, 0.999,
                1e-8, weight_decay, float(step), amsgrad, maximize, decoupled]
    return make


def _rmsprop(dtype, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    def make(rng):
        param, grad, buf, square_avg = _arrays(rng, dtype, 3, 1)
        grad_avg = (rng.standard_normal(SHAPE) * 0.1).astype(dtype)
        return [param, grad, square_avg, grad_avg if centered else None,
                buf if momentum else None, 1e-2, 0.99, 1e-8, weight_decay, momentum, centered,
                maximize]
    return make


def _adagrad(dtype, lr_decay=0.0, weight_decay=0.0, step=1, maximize=False):
    def make(rng):
        param, grad, state_sum = _arrays(rng, dtype, 2, 1)
        return [param, grad, state_sum, 1e-2, lr_decay, 1e-10, weight_decay, float(step),
                maximize]
    return make


def _adamax(dtype, weight_decay=0.0, maximize=False, step=1):
    def make(rng):
        param, grad, exp_avg, exp_inf = _arrays(rng, dtype, 3, 1)
        return [param, grad, exp_avg, exp_inf, 2e-3, 0.9, 0.999, 1e-8, weight_decay, float(step),
                maximize]
    return make


def _nadam(dtype, weight_decay=0.0, decoupled=False, maximize=False):
    def make(rng):
        param, grad, exp_avg, exp_avg_sq = _arrays(rng, dtype, 3, 1)
        return [param, grad, exp_avg, exp_avg_sq, 2e-3, 0.9, 0.999, 1e-8, weight_decay, 3.0,
                0.4501, 0.4502, 0.0912, decoupled, maximize]
    return make


def _radam(dtype, step=1, weight_decay=0.0, decoupled=False, maximize=False):
    def make(rng):
        param, grad, exp_avg, exp_avg_sq = _arrays(rng, dtype, 3, 1)
        return [param, grad, exp_avg, exp_avg_sq, 1e-3, 0.9, 0.999, 1e-8, weight_decay,
                float(step), decoupled, maximize]
    return make


def _adadelta(dtype, weight_decay=0.0, maximize=False):
    def make(rng):
        param, grad, square_avg, acc_delta = _arrays(rng, dtype, 2, 2)
        return [param, grad, square_avg, acc_delta, 1.0, 0.9, 1e-6, weight_decay, maximize]
    return make


def _rprop(dtype, maximize=False, step_sizes=(1e-6, 50)):
    def make(rng):
        param, grad, prev, step_size = _arrays(rng, dtype, 3, 1)
        return [param, grad, prev, step_size, 0.5, 1.2, *step_sizes, maximize]
    return make


def _asgd(dtype, mu=1.0, weight_decay=0.0, maximize=False):
    def make(rng):
        param, grad, ax = _arrays(rng, dtype, 3, 0)
        return [param, grad, ax, 0.01, mu, 1e-4, weight_decay, maximize]
    return make


VARIANTS = {
    "sgd_step": (_sgd, [{}, dict(momentum=0.9, first_step=True),
                        dict(momentum=0.9, dampening=0.1, weight_decay=1e-2),
                        dict(momentum=0.9, nesterov=True, maximize=True)]),
    "adam_step": (_adam, [{}, dict(amsgrad=True, step=5), dict(weight_decay=1e-2, maximize=True),
                          dict(weight_decay=1e-2, decoupled=True, amsgrad=True, step=3)]),
    "rmsprop_step": (_rmsprop, [{}, dict(centered=True, momentum=0.9),
                                dict(weight_decay=1e-2, momentum=0.5, maximize=True),
                                dict(centered=True)]),
    "adagrad_step": (_adagrad, [{}, dict(lr_decay=0.1, weight_decay=1e-2, step=4, maximize=True)]),
    "adamax_step": (_adamax, [{}, dict(weight_decay=1e-2, maximize=True, step=4)]),
    "nadam_step": (_nadam, [dict(weight_decay=1e-2), dict(weight_decay=1e-2, decoupled=True,
                                                         maximize=True)]),
    "radam_step": (_radam, [{}, dict(step=10, weight_decay=1e-2),
                            dict(step=10, weight_decay=1e-2, decoupled=True, maximize=True)]),
    "adadelta_step": (_adadelta, [{}, dict(weight_decay=1e-2, maximize=True)]),
    "rprop_step": (_rprop, [{}, dict(maximize=True, step_sizes=(0.8, 1.5))]),
    "asgd_step": (_asgd, [{}, dict(mu=0.5, weight_decay=1e-2, maximize=True)]),
}
CASES, IDS = [], []
for _op, (_factory, _options) in VARIANTS.items():
    for _opts in _options:
        for _dtype in (F32, F64):
            CASES.append((_op, _factory(_dtype, **_opts)))
            IDS.append(f"{_op}{_opts or ''}-{np.dtype(_dtype)}")


@pytest.mark.parametrize("op,make", CASES, ids=IDS)
def test_parity(op, make):
    run_case(op, make)


# --- the optimizers on CUDA tensors against the same optimizers on the CPU ---
OPTIMIZERS = [("Adamax", {}), ("NAdam", dict(decoupled_weight_decay=True, weight_decay=0.1)),
              ("RAdam", {}), ("Adadelta", {}), ("Rprop", {}), ("ASGD", dict(t0=1))]


def _run_on(device, name, opts):
    import nbtorch
    p = nbtorch.tensor(np.linspace(-1.0, 1.0, 6), device=device, requires_grad=True)
    opt = getattr(nbtorch.optim, name)([p], lr=0.1, **opts)
    for _ in range(3):
        p.grad = p.detach() * 2 + 0.5
        opt.step()
    state = {k: v.cpu().numpy() for k, v in opt.state[p].items()}
    return p.detach().cpu().numpy(), state, {k: v.device.type for k, v in opt.state[p].items()}


@pytest.mark.parametrize("name,opts", OPTIMIZERS)
def test_optimizer_on_cuda_tensors(name, opts):
    p, state, devices = _run_on("cpu", name, opts)
    cuda_p, cuda_state, cuda_devices = _run_on("cuda", name, opts)
    np.testing.assert_allclose(cuda_p, p, rtol=1e-12, atol=1e-12)
    assert list(cuda_state) == list(state)
    for key, value in state.items():
        np.testing.assert_allclose(cuda_state[key], value, rtol=1e-12, atol=1e-12)
    # as PyTorch's: the step counter on the CPU, except ASGD's scalars on the parameter's device
    assert cuda_devices["step"] == ("cuda" if name == "ASGD" else "cpu")


def _lbfgs_on(device, **opts):
    import nbtorch
    x = nbtorch.tensor([-1.2, 1.0], dtype=nbtorch.float64, device=device, requires_grad=True)
    opt = nbtorch.optim.LBFGS([x], **opts)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss
    opt.step(closure)
    return x.detach().cpu().numpy()


@pytest.mark.parametrize("opts", [dict(max_iter=3), dict(max_iter=2, line_search_fn="strong_wolfe")])
def test_lbfgs_on_cuda_tensors(opts):
    np.testing.assert_allclose(_lbfgs_on("cuda", **opts), _lbfgs_on("cpu", **opts), rtol=1e-12)
