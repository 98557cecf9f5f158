"""CUDA cross-entropy and NLL launchers against the CPU ones (simulator when no GPU): forward and
backward for class indices and class probabilities, every reduction, weights, ignore_index (outside
and inside [0, C)), label smoothing, spatial (N, C, d1, d2) and unbatched (C,) inputs, rows longer
than a block, all rows ignored. The harness compares every array argument, so also the softmax
``probs`` that the class-index forward writes."""
import numpy as np
import pytest

from cuda_parity import out, run_case

F32, F64 = np.float32, np.float64
REDUCTIONS = ("none", "mean", "sum")
# "mean" over no rows is 0 / 0 = nan, which the simulator computes with NumPy scalars (warning)
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


def _inputs(rng, shape, dtype, ignore_index, ignored):
    """Logits x, class targets (a fraction ``ignored`` set to ``ignore_index``), weights."""
    C = shape[0] if len(shape) == 1 else shape[1]
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    t_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    t = np.asarray(rng.integers(0, C, t_shape), np.int64)
    t[rng.random(t_shape) < ignored] = ignore_index
    w = (rng.random(C) + 0.5).astype(dtype)
    return x, t, w


def _result_shape(shape, reduction):
    return shape[:1] + shape[2:] if reduction == "none" and len(shape) > 1 else ()


def _indices(op, shape, dtype, reduction, ignore_index=-100, eps=0.0, ignored=0.3):
    """cross_entropy_* or nll_loss_* with class-index targets."""
    def make(rng):
        x, t, w = _inputs(rng, shape, dtype, ignore_index, ignored)
        res = _result_shape(shape, reduction)
        cross = op.startswith("cross")
        smoothing = (eps,) if cross else ()
        if op.endswith("forward"):
            probs = [out(rng, shape, dtype)] if cross else []
            return [x, t, w, out(rng, res, dtype), *probs, ignore_index, *smoothing, reduction]
        g = rng.standard_normal(res).astype(dtype)
        inputs = [_softmax(rng, shape, dtype)] if cross else []
        return [g, *inputs, t, w, out(rng, shape, dtype), ignore_index, *smoothing, reduction]
    return make


def _softmax(rng, shape, dtype):
    """The softmax of random logits over the class dimension."""
    e = np.exp(rng.standard_normal(shape))
    return (e / e.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)).astype(dtype)


def _probs(op, shape, dtype, reduction, eps=0.0):
    """cross_entropy_prob_*: targets are probabilities over the class dimension."""
    def make(rng):
        x, _, w = _inputs(rng, shape, dtype, -100, 0.0)
        q = _softmax(rng, shape, dtype)
        res = _result_shape(shape, reduction)
        if op.endswith("forward"):
            return [x, q, w, out(rng, res, dtype), eps, reduction]
        g = rng.standard_normal(res).astype(dtype)
        return [g, x, q, w, out(rng, shape, dtype), eps, reduction]
    return make


CASES, IDS = [], []


def _add(op, factory, shape, dtype, reduction, **kw):
    CASES.append((op, factory(op, shape, dtype, reduction, **kw)))
    IDS.append(f"{op}-{shape}-{np.dtype(dtype)}-{reduction}{kw or ''}")


for _dir in ("forward", "backward"):
    for _red in REDUCTIONS:
        _add(f"cross_entropy_{_dir}", _indices, (3, 7), F32, _red)
        _add(f"cross_entropy_prob_{_dir}", _probs, (3, 7), F32, _red)
        _add(f"nll_loss_{_dir}", _indices, (3, 7), F32, _red)
    _add(f"cross_entropy_{_dir}", _indices, (2, 5, 3), F64, "mean", eps=0.2, ignore_index=1)
    _add(f"cross_entropy_{_dir}", _indices, (2, 5, 1, 2), F32, "none", eps=0.2)
    _add(f"cross_entropy_prob_{_dir}", _probs, (2, 4, 3), F64, "mean", eps=0.3)
    _add(f"nll_loss_{_dir}", _indices, (2, 5, 2, 3), F64, "sum", ignore_index=1)
    _add(f"nll_loss_{_dir}", _indices, (2, 5, 3), F32, "none")
    _add(f"cross_entropy_{_dir}", _indices, (2, 19), F32, "sum", eps=0.1)    # rows > a block
    _add(f"cross_entropy_{_dir}", _indices, (6,), F64, "none", ignored=0.0)   # unbatched
    _add(f"cross_entropy_prob_{_dir}", _probs, (2, 19), F32, "none", eps=0.1)
    _add(f"cross_entropy_prob_{_dir}", _probs, (6,), F64, "sum")
    _add(f"nll_loss_{_dir}", _indices, (6,), F32, "mean", ignored=0.0)
    _add(f"nll_loss_{_dir}", _indices, (4, 3), F32, "mean", ignored=1.0)      # all ignored: nan
    _add(f"cross_entropy_{_dir}", _indices, (3, 3), F64, "mean", ignored=1.0)


@pytest.mark.parametrize("op,make", CASES, ids=IDS)
def test_parity(op, make):
    run_case(op, make)
