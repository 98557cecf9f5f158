"""CPU-vs-CUDA parity of softmax/log_softmax forward and backward (kernels/cuda/softmax.py): the
last dim (contiguous rows) and inner dims (strided lines), rows shorter and longer than a block's
lanes, partial tiles, a 0-d input, large and infinite values, NaN, float32 and float64."""
import numpy as np
import pytest
from cuda_parity import out, run_case

F32, F64 = np.float32, np.float64
SHAPES = [((3, 37), 1), ((2, 5, 3), 1), ((4, 3), 0), ((2, 9, 5), 2), ((), 0), ((5, 1), 1)]


def data(rng, shape, dtype, kind):
    x = (rng.standard_normal(shape) * (30 if kind == "large" else 1)).astype(dtype)
    if kind == "special" and x.ndim:
        x.flat[::7] = -np.inf           # some -inf (exp 0), a row of all -inf, a NaN, an inf
        x[0] = -np.inf
        x.flat[-1] = np.nan
        x.flat[-2] = np.inf
    return x


def forward(op, shape, dim, dtype=F32, kind="normal"):
    def make(rng):
        return data(rng, shape, dtype, kind), out(rng, shape, dtype), dim
    return op, make


def backward(op, shape, dim, dtype=F32):
    """out: a real forward result (softmax rows sum to 1, log_softmax <= 0)."""
    def make(rng):
        x = rng.standard_normal(shape)
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        y = np.log(y) if op.startswith("log") else y
        return (rng.standard_normal(shape).astype(dtype), y.astype(dtype), out(rng, shape, dtype),
                dim)
    return op, make


OPS = ("softmax", "log_softmax")
CASES = (
    [forward(f"{op}_forward", s, d) for op in OPS for s, d in SHAPES]
    + [forward(f"{op}_forward", s, d, F64, kind) for op in OPS
       for (s, d), kind in [(SHAPES[0], "large"), (SHAPES[1], "normal"), (SHAPES[3], "special")]]
    + [forward("softmax_forward", (3, 37), 1, F32, "special")]
    + [backward(f"{op}_backward", s, d) for op in OPS for s, d in SHAPES]
    + [backward(f"{op}_backward", s, d, F64) for op in OPS for s, d in SHAPES[:4]]
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # inf - inf: NaN on both devices
@pytest.mark.parametrize("op,make", CASES, ids=[f"{op}-{k}" for k, (op, _) in enumerate(CASES)])
def test_parity(op, make):
    run_case(op, make)
