"""CUDA optimizer steps against the CPU ones (simulator when no GPU): every option of each update,
float32 and float64; the parity check compares the parameter and every state array afterwards."""
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
