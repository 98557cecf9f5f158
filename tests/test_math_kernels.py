"""kernels/cpu/_math.py: the vectorizable exp/log/expm1/log1p against NumPy, measured in units in
the last place against a reference computed in long double (or float64 for the float32 bodies),
over the full range: overflow, subnormal results, signed zeros, inf, nan, out-of-domain input."""
import math

import numpy as np
import pytest
from numba import njit

from nbtorch.kernels.cpu import _math

FLOATS = [np.float32, np.float64]


@njit      # not cached: Numba's cache would not notice an edit of _math.py
def _all_four(x, e, em1, lg, lg1p):
    for i in range(x.size):
        e[i] = _math.exp(x[i])
        em1[i] = _math.expm1(x[i])
        lg[i] = _math.log(x[i])
        lg1p[i] = _math.log1p(x[i])


def _run(x):
    outs = [np.empty_like(x) for _ in range(4)]
    _all_four(x, *outs)
    return dict(zip(("exp", "expm1", "log", "log1p"), outs))


def _reference(fn, x):
    """``fn`` at x in a wider type, rounded once to x's dtype."""
    wide = np.float64 if x.dtype == np.float32 else np.longdouble
    with np.errstate(all="ignore"):
        return getattr(np, fn)(x.astype(wide)).astype(x.dtype)


def _ulp_distance(a, b):
    """How many representable values lie between a and b (0: equal; nan matches nan only)."""
    it = np.int32 if a.dtype == np.float32 else np.int64
    ordered = [np.where(v.view(it) < 0, np.iinfo(it).min - v.view(it).astype(np.int64),
                        v.view(it).astype(np.int64)) for v in (a, b)]
    d = np.abs(ordered[0] - ordered[1]).astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    d[both_nan] = 0
    d[np.isnan(a) != np.isnan(b)] = np.inf
    return d


def _points(dtype):
    """Random points over each function's whole range, and every edge value."""
    fi = np.finfo(dtype)
    rng = np.random.default_rng(1)
    big = math.log(fi.max)
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, fi.max, -fi.max, fi.tiny, -fi.tiny,
             fi.smallest_subnormal, fi.eps, -fi.eps / 2, big, big * 1.001, -big, -big * 1.03,
             -big * 1.05, math.log(2) / 2, -math.log(2) / 2, 0.5, -0.5]
    return np.concatenate([
        rng.uniform(-1.06 * big, 1.01 * big, 6000),          # exp: overflow, subnormal, underflow
        rng.uniform(-2, 2, 3000),                            # expm1/log1p near 0, log near 1
        rng.normal(0, 1e-4, 1000),
        np.exp(rng.uniform(math.log(fi.smallest_subnormal), big, 6000)),   # log: all of (0, inf)
        edges,
    ]).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", ["exp", "expm1", "log", "log1p"])
def test_accuracy_vs_numpy(fn, dtype):
    x = _points(dtype)
    got = _run(x)[fn]
    assert got.dtype == dtype
    ref = _reference(fn, x)
    ulps = _ulp_distance(got, ref)
    worst = int(np.argmax(ulps))
    if dtype == np.float32:
        assert ulps.max() <= 2, (x[worst], got[worst], ref[worst])
    else:
        finite = np.isfinite(ref) & (np.abs(ref) >= np.finfo(dtype).tiny)   # normal results
        rel = np.abs(got[finite] / ref[finite] - 1)
        assert rel.max() <= 1e-15, x[finite][np.argmax(rel)]
        assert ulps.max() <= 4, (x[worst], got[worst], ref[worst])
    # close to NumPy's own float32/float64 functions too (themselves ~1-3 ulp)
    with np.errstate(all="ignore"):
        assert _ulp_distance(got, getattr(np, fn)(x)).max() <= 4


@pytest.mark.parametrize("dtype", FLOATS)
def test_edge_values_exactly(dtype):
    fi = np.finfo(dtype)
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -1.0, -2.0, 1.0, fi.max, -fi.max], dtype)
    r = _run(x)
    inf = np.inf
    np.testing.assert_array_equal(r["exp"][[0, 1, 3, 7, 8]], [inf, 0, 1, inf, 0])
    np.testing.assert_array_equal(r["expm1"][[0, 1, 3, 7, 8]], [inf, -1, 0, inf, -1])
    np.testing.assert_array_equal(r["log"][[0, 3, 6, 7]], [inf, -inf, 0, np.log(fi.max)])
    assert np.isnan(r["log"][[1, 2, 4, 5, 8]]).all()
    np.testing.assert_array_equal(r["log1p"][[0, 3, 4]], [inf, 0, -inf])
    assert np.isnan(r["log1p"][[1, 2, 5, 8]]).all()
    assert np.isnan(r["expm1"][2])
    # subnormals: exp rounds into them once, log reads them
    sub = np.array([fi.smallest_subnormal, fi.tiny / 3], dtype)
    np.testing.assert_array_equal(_run(sub)["log"], _reference("log", sub))
    just_under = np.array([math.log(float(fi.tiny)) - 2], dtype)
    assert _ulp_distance(_run(just_under)["exp"], _reference("exp", just_under))[0] <= 1


@pytest.mark.parametrize("dtype", FLOATS)
def test_tiny_arguments_keep_their_value(dtype):
    x = np.array([1e-30, -1e-30, 1e-20, -3e-20], dtype)
    r = _run(x)
    np.testing.assert_array_equal(r["expm1"], x)
    np.testing.assert_array_equal(r["log1p"], x)
    np.testing.assert_array_equal(r["exp"], np.ones_like(x))


def test_python_calls_are_numpys():
    assert _math.exp(1.5) == np.exp(1.5) and _math.log1p(1e-20) == 1e-20
