"""CPU-vs-CUDA parity of the embedding launchers (the CUDA side runs under the simulator when there
is no GPU): int64 and int32 indices with repeats, padding_idx, scale_grad_by_freq, and the
(A, V, B) layouts of an embedding (A = 1) and of a padding (B = 1)."""
import numpy as np
import pytest
from cuda_parity import out, run_case


def forward(A, V, B, n, dtype=np.float32, itype=np.int64):
    def make(rng):
        return (rng.standard_normal((A, V, B)).astype(dtype), rng.integers(0, V, n).astype(itype),
                out(rng, (A, n, B), dtype))
    return make


def backward(A, V, B, n, padding_idx=-1, freq=False, dtype=np.float32, itype=np.int64):
    def make(rng):
        idx = rng.integers(0, V, n).astype(itype)          # n > V: indices repeat
        return (rng.standard_normal((A, n, B)).astype(dtype), idx, padding_idx, freq,
                out(rng, (A, V, B), dtype))
    return make


CASES = [
    ("embedding_forward", forward(1, 7, 5, 12)),
    ("embedding_forward", forward(1, 4, 3, 9, np.float64, np.int32)),
    ("embedding_forward", forward(5, 6, 1, 9)),                    # a padding's planes
    ("embedding_forward", forward(2, 3, 2, 7, np.float64)),
    ("embedding_forward", forward(1, 4, 3, 0)),
    ("embedding_backward", backward(1, 5, 4, 20)),
    ("embedding_backward", backward(1, 5, 3, 16, padding_idx=2, dtype=np.float64,
                                    itype=np.int32)),
    ("embedding_backward", backward(1, 6, 3, 14, freq=True, dtype=np.float64)),
    ("embedding_backward", backward(1, 4, 2, 10, padding_idx=0, freq=True, itype=np.int32)),
    ("embedding_backward", backward(4, 5, 1, 9, dtype=np.float64)),
    ("embedding_backward", backward(2, 3, 2, 8)),
]


@pytest.mark.parametrize("op,make", CASES, ids=[f"{op}-{i}" for i, (op, _) in enumerate(CASES)])
def test_parity(op, make):
    run_case(op, make)
