"""The CPU reduction launchers against NumPy formulas, on (outer, n, inner) arrays."""
import numpy as np
import pytest

import nbtorch.kernels.cpu.reduce  # noqa: F401  (registers the launchers under test)
from nbtorch.kernels.registry import lookup

from central_differences import central_differences

SHAPES = [(1, 1, 1), (1, 7, 1), (3, 5, 1), (1, 6, 4), (2, 9, 3), (3, 1, 2)]
FLOATS = [np.float32, np.float64]
TOL = {np.float32: 2e-6, np.float64: 1e-13}


def run(op, *args):
    lookup(op, "cpu")(*args)
    return args


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(-4, 5, shape).astype(dtype)


def lines_ref(x):
    """x as (outer, inner, n): NumPy's view of every reduced line, for the references."""
    return x.transpose(0, 2, 1)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("op", ["sum", "prod", "amax", "amin"])
def test_fold(op, dtype, shape):
    x = sample(shape, dtype)
    out = np.empty((shape[0], shape[2]), dtype)
    run(f"{op}_forward", x, out)
    ref = getattr(np, op)(x.astype(np.float64) if dtype != np.int64 else x, axis=1)
    np.testing.assert_allclose(out, ref, rtol=TOL.get(dtype, 0))


def test_sum_float32_is_accurate():
    """A long float32 sum is the exact (float64) sum rounded once, where a float32 running sum
    drifts by thousands of ulps."""
    x = np.random.default_rng(1).uniform(0, 1, (1, 200_000, 1)).astype(np.float32) + 1000
    out = np.empty((1, 1), np.float32)
    run("sum_forward", x, out)
    assert out[0, 0] == np.float32(x.astype(np.float64).sum())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_mean_var_std(dtype, shape):
    x = sample(shape, dtype)
    out = np.empty((shape[0], shape[2]), dtype)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(run("mean_forward", x, out)[1], x64.mean(1), rtol=TOL[dtype])
    for correction in (0, 1, 2):
        with np.errstate(divide="ignore", invalid="ignore"):
            var = x64.var(1, ddof=correction) if shape[1] > correction else \
                ((x64 - x64.mean(1, keepdims=True)) ** 2).sum(1) / 0.0
        np.testing.assert_allclose(run("var_forward", x, out, correction)[1], var, rtol=TOL[dtype])
        np.testing.assert_allclose(run("std_forward", x, out, correction)[1], np.sqrt(var),
                                   rtol=TOL[dtype])


def test_var_is_stable():
    """Two-pass variance: a large offset does not swallow a small spread."""
    x = (np.arange(10, dtype=np.float64) + 1e9).reshape(1, 10, 1)
    out = np.empty((1, 1))
    run("var_forward", x, out, 0)
    assert out[0, 0] == pytest.approx(8.25, rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [2, 1, np.inf, -np.inf, 0, 3, 0.5])
def test_norm(p, dtype, shape):
    x = sample(shape, dtype)
    x[0, 0, 0] = 0
    out = np.empty((shape[0], shape[2]), dtype)
    run("norm_forward", x, out, p)
    with np.errstate(divide="ignore"):
        ref = np.linalg.norm(lines_ref(x.astype(np.float64)), ord=p, axis=2)
    np.testing.assert_allclose(out, ref, rtol=TOL[dtype])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_max_min_first_occurrence(dtype, shape):
    x = sample(shape, dtype).round()          # many ties
    for op, ref in (("max", np.argmax), ("min", np.argmin)):
        vals = np.empty((shape[0], shape[2]), dtype)
        idx = np.empty((shape[0], shape[2]), np.int64)
        run(f"{op}_forward", x, vals, idx)
        np.testing.assert_array_equal(idx, ref(x, axis=1))
        np.testing.assert_array_equal(vals, np.take_along_axis(x, idx[:, None], 1)[:, 0])
        only = np.empty_like(idx)
        np.testing.assert_array_equal(run(f"arg{op}_forward", x, only)[1], idx)


def test_max_min_propagate_first_nan():
    x = np.array([1.0, np.nan, 3.0, np.nan, -5.0]).reshape(1, 5, 1)
    vals, idx = np.empty((1, 1)), np.empty((1, 1), np.int64)
    for op in ("max", "min", "amax", "amin", "norm"):
        args = (x, vals, idx) if op in ("max", "min") else (x, vals, np.inf) if op == "norm" \
            else (x, vals)
        run(f"{op}_forward", *args)
        assert np.isnan(vals[0, 0])
        if op in ("max", "min"):
            assert idx[0, 0] == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_all_any(shape):
    x = sample(shape, np.int64) > 0
    x[0, :, 0] = True
    out = np.empty((shape[0], shape[2]), np.bool_)
    np.testing.assert_array_equal(run("all_forward", x, out)[1], x.all(1))
    x[0, :, 0] = False
    np.testing.assert_array_equal(run("any_forward", x, out)[1], x.any(1))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_cumsum_cumprod(dtype, shape):
    x = sample(shape, dtype)
    out = np.empty_like(x)
    tol = TOL.get(dtype, 0)
    np.testing.assert_allclose(run("cumsum_forward", x, out)[1], np.cumsum(x, 1), rtol=tol,
                               atol=tol)
    if dtype != np.int64:
        np.testing.assert_allclose(run("cumprod_forward", x, out)[1], np.cumprod(x, 1), rtol=tol)
        np.testing.assert_allclose(run("cumsum_backward", x, out)[1],
                                   np.cumsum(x[:, ::-1], 1)[:, ::-1], rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_stable(descending, dtype, shape):
    x = sample(shape, dtype).round()
    vals, idx = np.empty_like(x), np.empty(x.shape, np.int64)
    run("sort_forward", x, vals, idx, descending)
    ref = np.argsort(-x if descending else x, axis=1, kind="stable")
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_array_equal(vals, np.take_along_axis(x, ref, 1))


@pytest.mark.parametrize("largest", [False, True])
@pytest.mark.parametrize("k", [1, 3])
def test_topk(k, largest):
    x = np.random.default_rng(2).permutation(40).astype(np.float32).reshape(2, 5, 4)
    vals, idx = np.empty((2, k, 4), np.float32), np.empty((2, k, 4), np.int64)
    run("topk_forward", x, vals, idx, largest)
    ref = np.argsort(-x if largest else x, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_array_equal(vals, np.take_along_axis(x, ref, 1))


def test_sort_puts_nan_last_ascending_first_descending():
    x = np.array([2.0, np.nan, -1.0, np.nan, 0.0]).reshape(1, 5, 1)
    vals, idx = np.empty_like(x), np.empty(x.shape, np.int64)
    run("sort_forward", x, vals, idx, False)
    assert idx.ravel().tolist() == [2, 4, 0, 1, 3]
    run("sort_forward", x, vals, idx, True)
    assert idx.ravel().tolist() == [1, 3, 0, 4, 2]


@pytest.mark.parametrize("dtype", FLOATS)
def test_histc_kernel(dtype):
    x = np.random.default_rng(3).uniform(-1.5, 2.5, 301).astype(dtype)
    x[:3] = [0.0, 2.0, np.nan]                      # both edges; NaN is skipped
    out = np.empty(7, dtype)
    run("histc_forward", x, out, 0.0, 2.0)
    ref = np.histogram(x[~np.isnan(x)], bins=7, range=(0.0, 2.0))[0]
    np.testing.assert_array_equal(out, ref)


# --- backward kernels against central differences of the forward launchers ---------------------

def numeric_grad(f, x, g):
    """d(sum(g * f(x)))/dx."""
    return central_differences(lambda: f(x), x, g)


def reduced(op, *params):
    def f(x):
        out = np.empty((x.shape[0], x.shape[2]))
        lookup(op, "cpu")(x, out, *params)
        return out
    return f


@pytest.mark.parametrize("shape", [(1, 6, 1), (2, 5, 3)])
def test_reduction_backward_kernels(shape):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape)
    g = rng.standard_normal((shape[0], shape[2]))
    gx = np.empty_like(x)
    for p in (2, 1, np.inf, -np.inf, 3, 0.5, 0):
        norm = reduced("norm_forward", p)(x)
        run("norm_backward", x, norm, g, gx, p)
        np.testing.assert_allclose(gx, numeric_grad(reduced("norm_forward", p), x, g), atol=1e-6)
    for c in (0, 1):
        run("var_backward", x, g, gx, c)
        np.testing.assert_allclose(gx, numeric_grad(reduced("var_forward", c), x, g), atol=1e-6)
        run("std_backward", x, reduced("std_forward", c)(x), g, gx, c)
        np.testing.assert_allclose(gx, numeric_grad(reduced("std_forward", c), x, g), atol=1e-6)
    for op in ("amax", "amin"):
        run("extremum_backward", x, reduced(f"{op}_forward")(x), g, gx)
        np.testing.assert_allclose(gx, numeric_grad(reduced(f"{op}_forward"), x, g), atol=1e-6)


def test_prod_backward_with_zeros():
    x = np.array([[2.0, 3.0, 0.5, 4.0], [2.0, 0.0, 0.5, 4.0], [0.0, 3.0, 0.0, 4.0]])[:, :, None]
    g = np.array([[1.5], [-2.0], [0.7]])
    gx = np.empty_like(x)
    run("prod_backward", x, g, gx)
    np.testing.assert_allclose(gx, numeric_grad(reduced("prod_forward"), x, g), atol=1e-8)


def test_cumprod_backward_with_zeros():
    x = np.array([[2.0, 3.0, 0.5, 4.0], [2.0, 0.0, 0.5, 4.0], [0.0, 3.0, 0.0, 4.0],
                  [1.5, -2.0, 3.0, 0.0]])[:, :, None]
    g = np.random.default_rng(5).standard_normal(x.shape)
    gx, out = np.empty_like(x), np.empty_like(x)
    run("cumprod_forward", x, out)
    run("cumprod_backward", x, out, g, gx)

    def f(x):
        y = np.empty_like(x)
        lookup("cumprod_forward", "cpu")(x, y)
        return y
    np.testing.assert_allclose(gx, numeric_grad(f, x, g), atol=1e-8)


def test_extremum_backward_splits_ties_evenly():
    x = np.array([3.0, 1.0, 3.0, 3.0]).reshape(1, 4, 1)
    gx = np.empty_like(x)
    run("extremum_backward", x, np.array([[3.0]]), np.array([[6.0]]), gx)
    assert gx.ravel().tolist() == [2.0, 0.0, 2.0, 2.0]


def test_take_along_dim_backward_scatters():
    g = np.array([[[1.0, 2.0]], [[3.0, 4.0]]])             # (2, 1, 2)
    idx = np.array([[[2, 0]], [[1, 1]]])
    gx = np.full((2, 3, 2), np.nan)
    run("take_along_dim_backward", g, idx, gx)
    ref = np.zeros((2, 3, 2))
    ref[0, 2, 0], ref[0, 0, 1], ref[1, 1, 0], ref[1, 1, 1] = 1, 2, 3, 4
    np.testing.assert_array_equal(gx, ref)


# === the ops: nbtorch.Tensor reductions against NumPy (and PyTorch when installed) ================

import warnings  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

import nbtorch  # noqa: E402
from nbtorch.autograd import gradcheck  # noqa: E402

try:
    import torch as TORCH
except ImportError:
    TORCH = None


def _lp(p):
    def ref(a, d, k):
        with np.errstate(divide="ignore"):
            return (np.abs(a) ** p).sum(d, keepdims=k) ** (1 / p)
    return ref


def _sorted(a, d, descending):
    return -np.sort(-a, d) if descending else np.sort(a, d)


def _topk(x, d, largest):
    return x.topk(min(2, x.shape[d]), d, largest).values


def _topk_ref(a, d, largest):
    return np.take(_sorted(a, d, largest), range(min(2, a.shape[d])), axis=d)


def _logsumexp_ref(a, d, k):
    return np.log(np.exp(a).sum(d, keepdims=k))


# name: (call on a tensor x with dims d and flag k, NumPy reference, takes a tuple of dims).
# The call is written against PyTorch's API, so the same row drives the PyTorch oracle. For the
# scans and sorts, which keep every dim, k is the flag that matters (descending, largest).
TABLE = {
    "sum": (lambda x, d, k: x.sum(d, k), lambda a, d, k: a.sum(d, keepdims=k), True),
    "mean": (lambda x, d, k: x.mean(d, k), lambda a, d, k: a.mean(d, keepdims=k), True),
    "prod": (lambda x, d, k: x.prod(d, k), lambda a, d, k: a.prod(d, keepdims=k), False),
    "amax": (lambda x, d, k: x.amax(d, k), lambda a, d, k: a.max(d, keepdims=k), True),
    "amin": (lambda x, d, k: x.amin(d, k), lambda a, d, k: a.min(d, keepdims=k), True),
    "max": (lambda x, d, k: x.max(d, k).values, lambda a, d, k: a.max(d, keepdims=k), False),
    "min": (lambda x, d, k: x.min(d, k)[0], lambda a, d, k: a.min(d, keepdims=k), False),
    "var": (lambda x, d, k: x.var(d, keepdim=k), lambda a, d, k: a.var(d, ddof=1, keepdims=k),
            True),
    "var0": (lambda x, d, k: x.var(d, correction=0, keepdim=k),
             lambda a, d, k: a.var(d, keepdims=k), True),
    "std": (lambda x, d, k: x.std(d, keepdim=k), lambda a, d, k: a.std(d, ddof=1, keepdims=k),
            True),
    "norm": (lambda x, d, k: x.norm(2, d, k), _lp(2), True),
    "norm1": (lambda x, d, k: x.norm(1, d, k), _lp(1), True),
    "norm3": (lambda x, d, k: x.norm(3, d, k), _lp(3), True),
    "norm_inf": (lambda x, d, k: x.norm(float("inf"), d, k),
                 lambda a, d, k: np.abs(a).max(d, keepdims=k), True),
    "logsumexp": (lambda x, d, k: x.logsumexp(d, k), _logsumexp_ref, True),
    "cumsum": (lambda x, d, k: x.cumsum(d), lambda a, d, k: np.cumsum(a, d), False),
    "cumprod": (lambda x, d, k: x.cumprod(d), lambda a, d, k: np.cumprod(a, d), False),
    "sort": (lambda x, d, k: x.sort(d, k).values, _sorted, False),
    "topk": (_topk, _topk_ref, False),
}
OP_TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-11, atol=1e-12)}


def make(a, transposed, requires_grad=False):
    """A tensor with a's values; non-contiguous (a transposed view) when ``transposed``."""
    if transposed:
        t = nbtorch.tensor(np.ascontiguousarray(a.transpose())).permute(*reversed(range(a.ndim)))
        assert not t.is_contiguous() or a.ndim < 2 or min(a.shape) == 1
    else:
        t = nbtorch.tensor(a)
    return t.requires_grad_(requires_grad)


@st.composite
def reductions(draw):
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    dims = draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd,
                         unique_by=lambda d: d % nd))
    return (shape, tuple(dims), draw(st.booleans()), draw(st.booleans()),
            draw(st.sampled_from(FLOATS)), draw(st.integers(0, 2 ** 16)))


@settings(max_examples=60, deadline=None)
@given(reductions())
def test_ops_forward(case):
    shape, dims, keepdim, transposed, dtype, seed = case
    a = np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype)
    x = make(a, transposed)
    for name, (call, ref, multi) in TABLE.items():
        d = dims if multi else dims[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call(x, d, keepdim)
            expected = ref(a.astype(np.float64), d, keepdim)
        assert out.dtype.np == dtype, name
        assert tuple(out.shape) == expected.shape, name
        np.testing.assert_allclose(out.numpy(), expected, **OP_TOL[dtype], err_msg=name)
        if TORCH is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = call(TORCH.from_numpy(a), d, keepdim).numpy()
            np.testing.assert_allclose(out.numpy(), theirs, **OP_TOL[dtype], err_msg=name)


GRAD_CASES = [((5,), 0, False, False), ((3, 4), 1, False, True), ((3, 4), 0, True, False),
              ((2, 3, 4), (0, 2), True, True), ((2, 3, 4), (2, 1), False, False)]


@pytest.mark.parametrize("name", TABLE)
@pytest.mark.parametrize("shape, dims, keepdim, transposed", GRAD_CASES)
def test_ops_gradcheck(name, shape, dims, keepdim, transposed):
    call, _, multi = TABLE[name]
    if not multi and isinstance(dims, tuple):
        dims = dims[0]
    rng = np.random.default_rng(len(shape) + 7 * hash(name) % 97)
    a = rng.uniform(0.5, 2, shape) * rng.choice([-1, 1], shape)    # no zeros; ties unlikely
    x = make(a, transposed, requires_grad=True)
    assert gradcheck(lambda t: call(t, dims, keepdim), (x,))
    if TORCH is not None:
        w = rng.standard_normal(call(x, dims, keepdim).shape)
        (call(x, dims, keepdim) * nbtorch.tensor(w)).sum().backward()
        tx = TORCH.tensor(a, requires_grad=True)
        (call(tx, dims, keepdim) * TORCH.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [lambda x: x.sum(), lambda x: x.mean(), lambda x: x.prod(),
                                  lambda x: x.max(), lambda x: x.min(), lambda x: x.std(),
                                  lambda x: x.var(), lambda x: x.norm(), lambda x: x.amax(),
                                  lambda x: nbtorch.logsumexp(x, (0, 1))])
def test_global_gradcheck(call):
    a = np.random.default_rng(3).uniform(0.5, 2, (3, 4)) * np.array([1, -1, 1, -1])
    assert gradcheck(call, (make(a, True, requires_grad=True),))


def test_prod_and_cumprod_gradients_with_zeros():
    a = np.array([[0.0, 2.0, 3.0, 0.5], [1.5, 0.0, 0.0, 2.0], [1.0, 2.0, 3.0, 0.0]])
    x = make(a, False, requires_grad=True)
    for call in (lambda t: t.prod(1), lambda t: t.prod(), lambda t: t.cumprod(1)):
        assert gradcheck(call, (x,))


def test_extremum_ties_share_the_gradient():
    x = nbtorch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]
    x.grad = None
    x.amin(1).sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    x.grad = None
    x.max(1).values.sum().backward()          # with dim: the (first) index takes it all
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_gradients_at_zero_follow_pytorch():
    """Where the derivative is undefined (norms and std at 0) PyTorch's gradient is 0; a global
    max over ties splits evenly."""
    calls = ["x.std()", "x.norm()", "x.norm(1)", "x.norm(float('inf'))", "x.norm(3)",
             "x.norm(0.5)", "x.var()", "x.max()", "x.prod()"]
    for call in calls:
        x = nbtorch.zeros(3, dtype=nbtorch.float64, requires_grad=True)
        eval(call).backward()
        expected = [1 / 3] * 3 if call == "x.max()" else [0.0] * 3
        assert x.grad.tolist() == pytest.approx(expected), call
        if TORCH is not None:
            x = TORCH.zeros(3, dtype=TORCH.float64, requires_grad=True)
            eval(call).backward()
            assert x.grad.tolist() == pytest.approx(expected), call


def test_var_mean_std_mean():
    a = np.random.default_rng(8).standard_normal((3, 5))
    v, m = nbtorch.var_mean(nbtorch.tensor(a), 1)
    s, m2 = nbtorch.std_mean(nbtorch.tensor(a), correction=0)
    np.testing.assert_allclose(v.numpy(), a.var(1, ddof=1))
    np.testing.assert_allclose(m.numpy(), a.mean(1))
    np.testing.assert_allclose(s.numpy(), a.std())
    np.testing.assert_allclose(m2.numpy(), a.mean())


def test_grad_fn_names():
    x = nbtorch.ones(2, 3, requires_grad=True)
    names = {"SumBackward0": x.sum(), "SumBackward1": x.sum(1), "MeanBackward0": x.mean(),
             "MeanBackward1": x.mean((0, 1)), "ProdBackward0": x.prod(),
             "ProdBackward1": x.prod(0), "MaxBackward1": x.max(), "MaxBackward0": x.max(1)[0],
             "MinBackward1": x.min(), "MinBackward0": x.min(0).values,
             "AmaxBackward0": x.amax(1), "AminBackward0": x.amin(), "StdBackward0": x.std(),
             "VarBackward0": x.var(1), "LinalgVectorNormBackward0": x.norm(p=1),
             "CumsumBackward0": x.cumsum(1), "CumprodBackward0": x.cumprod(0),
             "TopkBackward0": x.topk(2)[0], "SortBackward0": x.sort(0)[0],
             "LogsumexpBackward0": x.logsumexp(1)}
    for name, out in names.items():
        assert out.grad_fn.name() == name


def test_named_tuples():
    x = nbtorch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    r = nbtorch.max(x, 1)
    values, indices = r
    assert r.values is values and r.indices is indices and r[1] is indices and len(r) == 2
    assert repr(r) == ("torch.return_types.max(\nvalues=tensor([2., 5.]),\n"
                       "indices=tensor([2, 2]))")
    assert repr(x.min(0)) == ("torch.return_types.min(\nvalues=tensor([0., 1., 2.]),\n"
                              "indices=tensor([0, 0, 0]))")
    assert repr(nbtorch.tensor(3.0).sort()) == \
        "torch.return_types.sort(\nvalues=tensor(3.),\nindices=tensor(0))"
    assert tuple(x.max(1, keepdim=True).values.shape) == (2, 1)
    assert isinstance(x.topk(1), nbtorch.return_types.topk)
    if TORCH is not None:
        tx = TORCH.tensor(x.numpy())
        for call in (lambda t: t.max(1), lambda t: t.min(0, True), lambda t: t.sort(1, True),
                     lambda t: t.topk(2, 0), lambda t: t.topk(1, largest=False)):
            assert repr(call(x)) == repr(call(tx))


def test_indices_and_elementwise_forms():
    a = np.random.default_rng(6).permutation(24).reshape(2, 3, 4).astype(np.float32)
    x = make(a, True)
    for d in (0, 1, -1):
        np.testing.assert_array_equal(x.argmax(d).numpy(), a.argmax(d))
        np.testing.assert_array_equal(x.argmin(d, keepdim=True).numpy(),
                                      a.argmin(d, keepdims=True))
        np.testing.assert_array_equal(x.max(d).indices.numpy(), a.argmax(d))
        np.testing.assert_array_equal(x.sort(d, descending=True).indices.numpy(),
                                      np.argsort(-a, d))
        np.testing.assert_array_equal(x.argsort(d).numpy(), np.argsort(a, d))
        np.testing.assert_array_equal(x.topk(2, d, largest=False).indices.numpy(),
                                      np.take(np.argsort(a, d), [0, 1], d))
    assert x.argmax().item() == a.argmax() and tuple(x.argmin(keepdim=True).shape) == (1, 1, 1)
    y = nbtorch.ones(4)
    np.testing.assert_array_equal(nbtorch.max(x, y).numpy(), np.maximum(a, 1))
    np.testing.assert_array_equal(nbtorch.min(x, y).numpy(), np.minimum(a, 1))


def test_dtypes_follow_pytorch():
    i = nbtorch.tensor([[1, 2, 3], [4, 5, 6]])
    b = nbtorch.tensor([True, False, True])
    assert i.sum().dtype is nbtorch.int64 and i.sum().item() == 21
    assert i.int().sum(1).dtype is nbtorch.int64 and b.sum().item() == 2
    assert b.sum().dtype is nbtorch.int64 and b.cumsum(0).tolist() == [1, 1, 2]
    assert i.int().max().dtype is nbtorch.int32 and i.int().max().item() == 6
    assert i.prod(1).tolist() == [6, 120] and i.cumprod(1).tolist() == [[1, 2, 6], [4, 20, 120]]
    assert i.int().cumsum(1).dtype is nbtorch.int64
    assert b.max().item() is True and b.min().dtype is nbtorch.bool
    assert i.int().sort(1, descending=True).values.tolist() == [[3, 2, 1], [6, 5, 4]]
    assert i.sum(dtype=nbtorch.float64).dtype is nbtorch.float64
    assert i.mean(dtype=nbtorch.float64).item() == 3.5
    assert i.float().sum(dtype=nbtorch.int64).dtype is nbtorch.int64
    assert i.all().item() is True and (i - 1).all(1).tolist() == [False, True]
    assert (i - 1).any((0, 1)).item() is True and i.byte().all().dtype is nbtorch.uint8
    assert i.logsumexp(1).dtype is nbtorch.float32
    assert i.argmax().item() == 5 and b.argmin().item() == 1


def test_empty_and_scalar_inputs():
    e = nbtorch.empty(0, 3)
    assert nbtorch.empty(0).sum().item() == 0 and nbtorch.empty(0).prod().item() == 1
    assert np.isnan(nbtorch.empty(0).mean().item())
    assert e.sum(0).tolist() == [0.0, 0.0, 0.0] and tuple(e.max(1).values.shape) == (0,)
    assert tuple(e.amax(1).shape) == (0,) and tuple(e.cumsum(0).shape) == (0, 3)
    assert tuple(e.sort(0).values.shape) == (0, 3) and tuple(e.topk(0).indices.shape) == (0, 0)
    s = nbtorch.tensor(3.0)
    assert s.sum(0).item() == 3.0 and s.sum(-1, keepdim=True).shape == ()
    assert s.max(0).indices.item() == 0 and s.cumsum(0).item() == 3.0
    assert s.topk(1).values.item() == 3.0
    x = nbtorch.ones(2, 3)
    assert x.sum(dim=[]).item() == 6.0 and x.amax(dim=()).item() == 1.0
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert np.isnan(x[0, :1].std().item())
    with pytest.warns(UserWarning):
        assert nbtorch.arange(6.0).var(correction=7).item() == np.inf


def test_histc_op():
    x = nbtorch.tensor([0.0, 1.0, 2.0, 2.5, 3.0, float("nan"), -1.0])
    assert nbtorch.histc(x, bins=3, min=0, max=3).tolist() == [1.0, 1.0, 3.0]
    assert nbtorch.histc(nbtorch.tensor([1.0, 1.0]), bins=4).tolist() == [0.0, 0.0, 2.0, 0.0]
    a = np.random.default_rng(7).standard_normal(50)
    np.testing.assert_array_equal(nbtorch.histc(nbtorch.tensor(a), 5).numpy(),
                                  np.histogram(a, 5)[0])
    assert nbtorch.histc(x[:5], 3).dtype is nbtorch.float32


ERRORS = [
    (lambda: nbtorch.ones(2, 3).sum(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: nbtorch.ones(2, 3).max(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda: nbtorch.tensor(3.0).sum(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda: nbtorch.ones(2, 3).sum((0, -2)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    (lambda: nbtorch.arange(6).mean(), RuntimeError,
     "mean(): could not infer output dtype. Input dtype must be either a floating point or "
     "complex dtype. Got: Long"),
    (lambda: nbtorch.empty(0).max(), RuntimeError,
     "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda: nbtorch.empty(0, 3).min(0), IndexError,
     "min(): Expected reduction dim 0 to have non-zero size."),
    (lambda: nbtorch.empty(0, 3).amax(), RuntimeError,
     "amax(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda: nbtorch.empty(0, 3).argmax(), IndexError,
     "argmax(): Expected reduction dim to be specified for input.numel() == 0."),
    (lambda: nbtorch.arange(6).std(), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda: nbtorch.arange(6).norm(), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nbtorch.ones(2, 3).topk(4), RuntimeError, "selected index k out of range"),
    (lambda: nbtorch.histc(nbtorch.arange(3)), NotImplementedError,
     "\"histogram_cpu\" not implemented for 'Long'"),
    (lambda: nbtorch.histc(nbtorch.ones(3), 3, 3, 1), RuntimeError,
     "torch.histc: max must be larger than min"),
    (lambda: nbtorch.ones(3).prod((0,)), TypeError, "prod(): argument 'dim' must be int"),
    (lambda: nbtorch.ones(2, 3, 4).norm("fro", (0, 1, 2)), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
]


@pytest.mark.parametrize("call, exc, message", ERRORS)
def test_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith(message)
