"""CUDA activation launchers against the CPU ones (simulator when no GPU): every op forward and
backward, float32 and float64, each op's parameters, a strided input, saturating values."""
import numpy as np
import pytest

from cuda_parity import View, out, run_case

F32, F64 = np.float32, np.float64
PARAMS = {"relu": [()], "leaky_relu": [(0.01,), (-0.3,)], "elu": [(1.0,), (0.5,)],
          "gelu": [("none",), ("tanh",)], "silu": [()], "sigmoid": [()], "tanh": [()],
          "softplus": [(1.0, 20.0), (2.0, 1.5)], "hardtanh": [(-1.0, 1.0), (0.0, 6.0)]}


def _values(rng, shape, dtype):
    """Normal values over about [-8, 8] with exact kinks (0, +-1, 6) and saturating extremes."""
    x = rng.standard_normal(shape) * 3
    specials = [0.0, -1.0, 1.0, 6.0, 0.75, -40.0, 40.0, -100.0, 100.0, 1e-8]
    x.flat[:len(specials)] = specials
    return x.astype(dtype)


def _case(op, direction, params, dtype, shape=(7, 11), strided=False):
    def make(rng):
        x = _values(rng, shape, dtype)
        arg = View(x, lambda a: a.transpose(1, 0)) if strided else x
        res_shape = shape[::-1] if strided else shape
        if direction == "forward":
            return [arg, out(rng, res_shape, dtype), *params]
        grad = rng.standard_normal(res_shape).astype(dtype)
        return [grad, arg, out(rng, res_shape, dtype), *params]
    return make


CASES, IDS = [], []
for _op, _variants in PARAMS.items():
    for _params in _variants:
        for _dir in ("forward", "backward"):
            for _dtype in (F32, F64):
                CASES.append((f"{_op}_{_dir}", _case(_op, _dir, _params, _dtype)))
                IDS.append(f"{_op}_{_dir}{_params}-{np.dtype(_dtype)}")
for _op, _params in (("gelu", ("tanh",)), ("softplus", (2.0, 1.5)), ("leaky_relu", (0.2,))):
    for _dir in ("forward", "backward"):
        CASES.append((f"{_op}_{_dir}", _case(_op, _dir, _params, F32, (3, 50), strided=True)))
        IDS.append(f"{_op}_{_dir}{_params}-strided-150")
CASES.append(("relu_forward", _case("relu", "forward", (), F32, (0, 4))))
IDS.append("relu_forward-empty")


@pytest.mark.parametrize("op,make", CASES, ids=IDS)
def test_parity(op, make):
    run_case(op, make)
