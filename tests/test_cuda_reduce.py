"""CPU-vs-CUDA parity of the reduce family (kernels/cuda/reduce.py) on tiny (outer, n, inner) lines:
contiguous lines (inner == 1) and strided ones, lines shorter and longer than a block's lanes,
partial tiles, empty lines, ties, NaN, zeros, float32/float64/int64/bool."""
import numpy as np
import pytest
from cuda_parity import out, run_case

F32, F64, I64 = np.float32, np.float64, np.int64
SHAPES = [(3, 37, 1), (2, 5, 3), (1, 1, 1), (2, 9, 5)]     # long rows; strided; one; strided, long


def data(rng, shape, dtype=F32, kind="normal"):
    """normal; "ties": small integers (many ties and zeros); "nan": normal with NaNs; "near1":
    in [0.5, 1.5); "const": every element 0.5. Bool: "mostly" or "rarely" true."""
    if dtype == np.bool_:
        return rng.random(shape) < (0.9 if kind == "mostly" else 0.2)
    if kind == "const":
        return np.full(shape, 0.5, dtype)
    if kind == "ties" or np.issubdtype(dtype, np.integer):
        return rng.integers(-3, 4, shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if kind == "nan":
        x[rng.random(shape) < 0.15] = np.nan
    if kind == "near1":                 # products that neither vanish nor blow up
        x = rng.uniform(0.5, 1.5, shape).astype(dtype)
    return x


def rows(shape):
    return (shape[0], shape[2])


def fold(op, shape, dtype=F32, kind="normal", *params, out_dtype=None):
    def make(rng):
        return (data(rng, shape, dtype, kind), out(rng, rows(shape), out_dtype or dtype), *params)
    return op, make


def select(op, shape, dtype=F32, kind="ties"):
    def make(rng):
        x = data(rng, shape, dtype, kind)
        if op in ("max_forward", "min_forward"):
            return x, out(rng, rows(shape), dtype), out(rng, rows(shape), I64)
        return x, out(rng, rows(shape), I64 if op.startswith("arg") else dtype)
    return op, make


def scan(op, shape, dtype=F32, kind="normal"):
    def make(rng):
        return data(rng, shape, dtype, kind), out(rng, shape, dtype)
    return op, make


def sort(op, shape, m, flag, dtype=F32, kind="ties"):
    def make(rng):
        vshape = (shape[0], m, shape[2])
        return data(rng, shape, dtype, kind), out(rng, vshape, dtype), out(rng, vshape, I64), flag
    return op, make


def histc(n, bins, dtype=F32):
    def make(rng):
        x = data(rng, (n,), dtype, "nan")
        x[:3] = (-1.0, 1.5, 9.0)        # on the lower edge, on the (closed) upper edge, outside
        return x, out(rng, (bins,), dtype), -1.0, 1.5
    return "histc_forward", make


def extremum_bwd(shape, dtype=F32, use_max=True):
    def make(rng):
        x = data(rng, shape, dtype, "ties")
        value = (x.max if use_max else x.min)(axis=1)
        return x, value, data(rng, rows(shape), dtype), out(rng, shape, dtype)
    return "extremum_backward", make


def take_along_bwd(shape, m, dtype=F32):
    def make(rng):
        idx = np.argsort(rng.random(shape), axis=1)[:, :m].astype(I64)
        gshape = (shape[0], m, shape[2])
        return data(rng, gshape, dtype), idx, out(rng, shape, dtype)
    return "take_along_dim_backward", make


def moment_bwd(op, shape, correction, dtype=F32, kind="normal"):
    def make(rng):
        x = data(rng, shape, dtype, kind)
        g = data(rng, rows(shape), dtype)
        if op == "var_backward":
            return x, g, out(rng, shape, dtype), correction
        dof = max(0, shape[1] - correction)
        with np.errstate(all="ignore"):
            std = np.sqrt(((x - x.mean(1, keepdims=True)) ** 2).sum(1) / dof).astype(dtype)
        return x, std, g, out(rng, shape, dtype), correction
    return op, make


def prod_bwd(shape, dtype=F64):
    def make(rng):
        x = data(rng, shape, dtype, "near1")
        x[0, 0, :] = 0                  # line(s) with one zero ...
        x[-1, :2, :] = 0                # ... and with two (the others: none)
        return x, data(rng, rows(shape), dtype), out(rng, shape, dtype)
    return "prod_backward", make


def norm_bwd(shape, p, dtype=F32, kind="ties"):
    def make(rng):
        x = data(rng, shape, dtype, kind)
        a = np.abs(x.astype(F64))
        if p in (np.inf, -np.inf, 0.0):
            norm = {np.inf: a.max(1), -np.inf: a.min(1), 0.0: (a != 0).sum(1)}[p]
        else:
            with np.errstate(all="ignore"):
                norm = (a ** p).sum(1) ** (1 / p)
        norm = norm.astype(dtype)
        return x, norm, data(rng, rows(shape), dtype), out(rng, shape, dtype), p
    return "norm_backward", make


def cumprod_bwd(shape, dtype=F64):
    def make(rng):
        x = data(rng, shape, dtype, "near1")
        x[0, 3, :] = 0                  # a zero inside a line, and lines without
        x[-1, 0, :] = 0                 # a zero first
        return x, np.cumprod(x, axis=1), data(rng, shape, dtype), out(rng, shape, dtype)
    return "cumprod_backward", make


CASES = (
    [fold("sum_forward", s) for s in SHAPES]
    + [fold("sum_forward", (2, 9, 5), F64), fold("sum_forward", (3, 37, 1), I64),
       fold("sum_forward", (2, 0, 3))]
    + [fold("mean_forward", s, F64) for s in SHAPES[:2]]
    + [fold("mean_forward", (3, 37, 1)), fold("mean_forward", (2, 0, 3))]
    + [fold("prod_forward", s, F64, "near1") for s in SHAPES[:2]]
    + [fold("prod_forward", (3, 37, 1), F32, "ties"), fold("prod_forward", (2, 9, 5), I64),
       fold("prod_forward", (2, 0, 3))]
    + [fold(op, s, np.bool_, kind) for op in ("all_forward", "any_forward")
       for s in SHAPES[:2] for kind in ("mostly", "rarely")]
    + [fold("norm_forward", (3, 37, 1), F32, "normal", p) for p in (2.0, 1.0, 3.0)]
    + [fold("norm_forward", (2, 9, 5), F64, "ties", p)
       for p in (2.0, np.inf, -np.inf, 0.0, 0.5, -1.0)]
    + [fold("norm_forward", (2, 5, 3), F32, "nan", p) for p in (np.inf, 2.0)]
    + [fold(op, s, dt, "normal", c) for op in ("var_forward", "std_forward")
       for s, dt, c in [((3, 37, 1), F32, 1), ((2, 9, 5), F64, 0), ((2, 5, 3), F64, 1)]]
    + [fold("var_forward", (2, 1, 3), F64, "normal", 1), fold("std_forward", (2, 4, 1), F32,
                                                               "ties", 4.5)]
    + [select(op, s, dt, kind)
       for op in ("max_forward", "min_forward", "amax_forward", "amin_forward",
                  "argmax_forward", "argmin_forward")
       for s, dt, kind in [((3, 37, 1), F32, "ties"), ((2, 9, 5), F64, "nan"),
                           ((2, 5, 3), I64, "ties")]]
    + [select("max_forward", (1, 1, 1)), select("argmin_forward", (3, 37, 1), F32, "nan")]
    + [scan(op, s, dt) for op in ("cumsum_forward", "cumprod_forward", "cumsum_backward")
       for s, dt in [((2, 13, 1), F32), ((2, 5, 3), F64), ((3, 37, 1), I64)]]
    + [scan("cumprod_forward", (2, 9, 5), F64, "near1"), scan("cumsum_forward", (1, 1, 1))]
    + [sort("sort_forward", s, s[1], d, dt, kind) for d in (False, True)
       for s, dt, kind in [((2, 13, 1), F32, "ties"), ((2, 5, 3), F64, "nan"),
                           ((2, 7, 2), I64, "ties")]]
    + [sort("topk_forward", (2, 13, 1), 4, True), sort("topk_forward", (2, 5, 3), 2, False,
                                                       F64, "nan"),
       sort("topk_forward", (3, 6, 1), 0, True), sort("sort_forward", (1, 1, 1), 1, False)]
    + [histc(50, 7), histc(20, 1, F64)]
    + [extremum_bwd((3, 37, 1)), extremum_bwd((2, 9, 5), F64, False), extremum_bwd((1, 1, 1))]
    + [take_along_bwd((2, 13, 1), 13), take_along_bwd((2, 5, 3), 1, F64),
       take_along_bwd((3, 6, 1), 2)]
    + [moment_bwd(op, s, c, dt) for op in ("var_backward", "std_backward")
       for s, dt, c in [((3, 37, 1), F32, 1), ((2, 9, 5), F64, 0), ((2, 1, 3), F64, 1)]]
    + [moment_bwd("std_backward", (2, 5, 1), 1, F64, "const")]
    + [prod_bwd((3, 6, 1)), prod_bwd((3, 5, 3)), prod_bwd((2, 37, 1), F32)]
    + [norm_bwd((3, 37, 1), p) for p in (2.0, 1.0, 3.0)]
    + [norm_bwd((2, 9, 5), p, F64) for p in (np.inf, -np.inf, 0.0, 0.5, 2.0)]
    + [cumprod_bwd((2, 7, 1)), cumprod_bwd((2, 5, 3)), cumprod_bwd((3, 37, 1), F32)]
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # 0/0, x/0: NaN and inf on both devices
@pytest.mark.parametrize("op,make", CASES, ids=[f"{op}-{k}" for k, (op, _) in enumerate(CASES)])
def test_parity(op, make):
    run_case(op, make)
