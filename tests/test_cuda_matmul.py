"""CPU-vs-CUDA parity of the matrix-product launchers (the CUDA side runs under the simulator when
there is no GPU, where a tile is 8 x 8 and 8 deep): shapes that fill tiles partly, span several
tiles along each dimension or have an empty reduction, every transpose flag, float and int
dtypes, and addmm's beta/alpha rules."""
import numpy as np
import pytest
from cuda_parity import out, run_case

import nbtorch.kernels.cuda.matmul as cuda_matmul


def operand(rng, shape, dtype, transposed):
    """An operand of logical ``shape``, stored as its (C-contiguous) transpose when ``transposed``,
    as the ops layer passes a transposed view."""
    stored = shape[:-2] + shape[-2:][::-1] if transposed else shape
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(stored).astype(dtype)
    return rng.integers(-50, 50, stored).astype(dtype)


def mm(m, k, n, ta=False, tb=False, dtype=np.float32):
    return lambda rng: (operand(rng, (m, k), dtype, ta), operand(rng, (k, n), dtype, tb),
                        out(rng, (m, n), dtype), ta, tb)


def bmm(batch, m, k, n, ta=False, tb=False, dtype=np.float32):
    return lambda rng: (operand(rng, (batch, m, k), dtype, ta),
                        operand(rng, (batch, k, n), dtype, tb), out(rng, (batch, m, n), dtype),
                        ta, tb)


def addmm(m, k, n, rows, beta=1.0, alpha=1.0, ta=False, tb=False, dtype=np.float32, nan=False):
    def make(rng):
        bias = operand(rng, (rows, n), dtype, False)
        if nan:
            bias[...] = np.nan
        return (bias, operand(rng, (m, k), dtype, ta), operand(rng, (k, n), dtype, tb),
                out(rng, (m, n), dtype), beta, alpha, ta, tb)
    return make


CASES = [
    *[("mm_forward", mm(13, 7, 9, ta, tb, dt)) for ta in (False, True) for tb in (False, True)
      for dt in (np.float32, np.float64)],
    ("mm_forward", mm(8, 8, 8)),                     # whole tiles
    ("mm_forward", mm(1, 11, 1)),                    # dot product
    ("mm_forward", mm(17, 1, 3, True)),              # k = 1, three row tiles
    ("mm_forward", mm(3, 0, 4)),                     # empty reduction: zeros
    ("mm_forward", mm(0, 3, 4)),                     # empty output: nothing to do
    ("mm_forward", mm(5, 9, 6, False, True, np.int64)),
    ("mm_forward", mm(6, 5, 7, True, False, np.int32)),
    ("bmm_forward", bmm(3, 5, 6, 7)),
    ("bmm_forward", bmm(2, 9, 3, 10, True, True, np.float64)),
    ("bmm_forward", bmm(2, 4, 13, 3, False, True)),
    ("bmm_forward", bmm(3, 2, 3, 2, True, False, np.int64)),
    ("addmm_forward", addmm(6, 5, 9, 1)),                            # Linear's bias row
    ("addmm_forward", addmm(9, 4, 6, 9, 0.5, -2.0, True, False)),   # full bias
    ("addmm_forward", addmm(7, 10, 5, 1, 1.0, 1.0, False, True, np.float64)),
    ("addmm_forward", addmm(4, 3, 5, 4, 0.0, 3.0, nan=True)),       # beta 0: NaN bias ignored
    ("addmm_forward", addmm(5, 6, 4, 1, 2.0, 0.5, True, True, np.int64)),
]


@pytest.mark.parametrize("op,make", CASES, ids=[f"{op}-{i}" for i, (op, _) in enumerate(CASES)])
def test_parity(op, make):
    run_case(op, make)


@pytest.mark.parametrize("op,make", [("mm_forward", mm(17, 5, 3)),
                                     ("bmm_forward", bmm(3, 9, 4, 5, True, False))])
def test_blocks_loop_past_the_grid(op, make, monkeypatch):
    """With grid y and z capped at one block, each block loops over every row tile and batch."""
    monkeypatch.setattr(cuda_matmul, "MAX_GRID", 1)
    run_case(op, make)
