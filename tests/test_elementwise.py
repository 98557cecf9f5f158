"""Elementwise ops: one op table drives the forward tests against NumPy formulas (float32 and
float64, contiguous and non-contiguous inputs), gradcheck of every differentiable op, the
operators and their reflected forms, in-place forms, ``out=``, broadcasting over
hypothesis-generated shapes and PyTorch's type promotion. PyTorch, when installed, is an extra
oracle."""
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import nbtorch as nt
from nbtorch.autograd import gradcheck

try:  # optional oracle, never required
    import torch as TORCH
except ImportError:
    TORCH = None

FLOATS = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}
LAYOUTS = ["contiguous", "transposed", "sliced"]


def sample(domain, shape, dtype, seed=0):
    """Values where the op is defined and smooth: ``real`` in [-2, 2], ``positive`` in
    [0.5, 2], ``nonzero`` with |x| in [0.5, 2], ``offgrid`` at least 0.1 from integers and
    half-integers, ``small`` in [-1.2, 1.2] (inside tan's branch)."""
    rng = np.random.default_rng(seed)
    if domain == "real":
        x = rng.uniform(-2, 2, shape)
    elif domain == "small":
        x = rng.uniform(-1.2, 1.2, shape)
    elif domain == "positive":
        x = rng.uniform(0.5, 2, shape)
    elif domain == "nonzero":
        x = rng.uniform(0.5, 2, shape) * rng.choice([-1, 1], shape)
    elif domain == "offgrid":
        x = rng.integers(-3, 3, shape) + rng.choice([0.25, 0.75], shape) + \
            rng.uniform(-0.1, 0.1, shape)
    else:
        raise ValueError(domain)
    return x.astype(dtype)


def laid_out(arr, layout):
    """An nbtorch tensor with ``arr``'s values (shape (3, 4)), contiguous or a non-contiguous
    view (a transpose, or every other column of a wider tensor)."""
    if layout == "contiguous":
        t = nt.tensor(arr)
    elif layout == "transposed":
        t = nt.tensor(np.ascontiguousarray(arr.T)).t()
    else:
        wide = np.zeros((arr.shape[0], 2 * arr.shape[1]), arr.dtype)
        wide[:, ::2] = arr
        t = nt.tensor(wide)[:, ::2]
    assert t.is_contiguous() == (layout == "contiguous")
    np.testing.assert_array_equal(t.numpy(), arr)
    return t


def check(result, expected, dtype=None):
    assert isinstance(result, nt.Tensor)
    expected = np.asarray(expected)
    assert result.dtype.np == (expected.dtype if dtype is None else np.dtype(dtype))
    assert tuple(result.shape) == expected.shape
    tol = TOL.get(result.dtype.np.type, dict(rtol=0, atol=0))
    np.testing.assert_allclose(result.detach().numpy(), expected, **tol)


def torch_of(t):
    return TORCH.from_numpy(np.array(t.detach().numpy() if isinstance(t, nt.Tensor) else t))


# --- unary ops: name -> (NumPy reference, input domain, grad_fn name) ---
UNARY = {
    "neg": (np.negative, "real", "NegBackward0"),
    "abs": (np.abs, "nonzero", "AbsBackward0"),
    "exp": (np.exp, "real", "ExpBackward0"),
    "log": (np.log, "positive", "LogBackward0"),
    "log1p": (np.log1p, "positive", "Log1PBackward0"),
    "expm1": (np.expm1, "real", "Expm1Backward0"),
    "log2": (np.log2, "positive", "Log2Backward0"),
    "log10": (np.log10, "positive", "Log10Backward0"),
    "sqrt": (np.sqrt, "positive", "SqrtBackward0"),
    "rsqrt": (lambda x: 1 / np.sqrt(x), "positive", "RsqrtBackward0"),
    "sin": (np.sin, "real", "SinBackward0"),
    "cos": (np.cos, "real", "CosBackward0"),
    "tan": (np.tan, "small", "TanBackward0"),
    "reciprocal": (np.reciprocal, "nonzero", "ReciprocalBackward0"),
    "square": (np.square, "real", "PowBackward0"),
    "sign": (np.sign, "nonzero", "SignBackward0"),
    "floor": (np.floor, "offgrid", "FloorBackward0"),
    "ceil": (np.ceil, "offgrid", "CeilBackward0"),
    "round": (np.round, "offgrid", "RoundBackward0"),
    "trunc": (np.trunc, "offgrid", "TruncBackward0"),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", UNARY)
def test_unary_forward(name, dtype, layout):
    ref, domain, _ = UNARY[name]
    a = sample(domain, (3, 4), dtype)
    x = laid_out(a, layout)
    result = getattr(nt, name)(x)
    check(result, ref(a.astype(np.float64)).astype(dtype))
    check(getattr(x, name)(), ref(a.astype(np.float64)).astype(dtype))
    if TORCH is not None:
        np.testing.assert_allclose(result.numpy(), getattr(TORCH, name)(torch_of(a)).numpy(),
                                   **TOL[dtype])


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name):
    ref, domain, node = UNARY[name]
    x = nt.tensor(sample(domain, (2, 3), np.float64, seed=1), requires_grad=True)
    assert gradcheck(getattr(nt, name), (x,))
    assert gradcheck(lambda t: getattr(nt, name)(t.t()), (x,))   # through a transposed view
    y = getattr(nt, name)(x)
    assert y.grad_fn.name() == node
    if TORCH is not None:
        assert type(getattr(TORCH, name)(torch_of(x).requires_grad_()).grad_fn).__name__ == node


def test_rounding_halves_to_even():
    x = nt.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5])
    check(nt.round(x), np.round(x.numpy()))
    check(nt.round(nt.tensor([1.2345, -2.5678]), decimals=2), np.float32([1.23, -2.57]))
    # floor/ceil/round/trunc of integers are the integers themselves
    i = nt.tensor([-3, 0, 7])
    for name in ("floor", "ceil", "round", "trunc"):
        check(getattr(nt, name)(i), np.int64([-3, 0, 7]))


def test_int_inputs_of_float_ops_compute_in_default_dtype():
    i = nt.tensor([1, 4, 9])
    check(nt.sqrt(i), np.float32([1, 2, 3]))
    check(nt.exp(nt.tensor([0, 1])), np.exp(np.float32([0, 1])))
    check(nt.abs(nt.tensor([-2, 3])), np.int64([2, 3]))
    check(nt.neg(nt.tensor([-2, 3], dtype=nt.int32)), np.int32([2, -3]))
    check(nt.sign(nt.tensor([-2, 0, 3])), np.int64([-1, 0, 1]))


# --- binary ops: name -> (NumPy reference, domain of a, domain of b, grad_fn name or None) ---
BINARY = {
    "add": (np.add, "real", "real", "AddBackward0"),
    "sub": (np.subtract, "real", "real", "SubBackward0"),
    "mul": (np.multiply, "real", "real", "MulBackward0"),
    "div": (np.divide, "real", "nonzero", "DivBackward0"),
    "floor_divide": (np.floor_divide, "real", "nonzero", None),
    "remainder": (np.remainder, "real", "nonzero", "RemainderBackward1"),
    "pow": (np.power, "positive", "real", "PowBackward1"),
    "maximum": (np.maximum, "real", "real", "MaximumBackward0"),
    "minimum": (np.minimum, "real", "real", "MinimumBackward0"),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_forward(name, dtype, layout):
    ref, da, db, _ = BINARY[name]
    a, b = sample(da, (3, 4), dtype, seed=2), sample(db, (3, 4), dtype, seed=3)
    expected = ref(a.astype(np.float64), b.astype(np.float64)).astype(dtype)
    result = getattr(nt, name)(laid_out(a, layout), laid_out(b, "contiguous"))
    check(result, expected)
    check(getattr(laid_out(a, "contiguous"), name)(laid_out(b, layout)), expected)
    # a row broadcast against the matrix, and a Python scalar
    check(getattr(nt, name)(laid_out(a, layout), nt.tensor(b[0])),
          ref(a.astype(np.float64), b[0].astype(np.float64)).astype(dtype))
    if name not in ("maximum", "minimum"):      # these take two tensors in PyTorch
        s = float(b[1, 1])
        check(getattr(nt, name)(laid_out(a, layout), s),
              ref(a.astype(np.float64), s).astype(dtype))
    if TORCH is not None:
        np.testing.assert_allclose(
            result.numpy(), getattr(TORCH, name)(torch_of(a), torch_of(b)).numpy(), **TOL[dtype])


@pytest.mark.parametrize("name", [n for n, row in BINARY.items() if row[3]])
def test_binary_gradcheck(name):
    _, da, db, node = BINARY[name]
    a = nt.tensor(sample(da, (2, 3), np.float64, seed=4), requires_grad=True)
    b = nt.tensor(sample(db, (2, 3), np.float64, seed=5), requires_grad=True)
    fn = getattr(nt, name)
    assert gradcheck(fn, (a, b))
    # broadcasting: the gradient of the row is summed back to its shape; a transposed input
    row = nt.tensor(sample(db, (3,), np.float64, seed=6), requires_grad=True)
    assert gradcheck(fn, (a, row))
    at = nt.tensor(sample(da, (3, 2), np.float64, seed=7), requires_grad=True)
    assert gradcheck(lambda x, y: fn(x.t(), y), (at, row))
    if name not in ("maximum", "minimum"):
        assert gradcheck(lambda x: fn(x, 1.5), (a,))
    assert fn(a, b).grad_fn.name() == node
    if TORCH is not None:
        ta, tb = torch_of(a).requires_grad_(), torch_of(b).requires_grad_()
        assert type(getattr(TORCH, name)(ta, tb).grad_fn).__name__ == node


def test_pow_forms():
    x = nt.tensor([0.5, 1.0, 2.0], requires_grad=True)
    check(x ** 2, np.float32([0.25, 1, 4]))
    check(2 ** x, np.float32([2 ** 0.5, 2, 4]))
    check(nt.tensor([1, 2, 3]) ** 2, np.int64([1, 4, 9]))
    check(nt.tensor([1, 2, 3]) ** 0.5, np.sqrt(np.float32([1, 2, 3])))
    assert gradcheck(lambda t: 2.0 ** t, (nt.tensor([0.5, 1.5], dtype=nt.float64,
                                                     requires_grad=True),))
    assert gradcheck(lambda t: t ** 3, (nt.tensor([-0.5, 1.5], dtype=nt.float64,
                                                  requires_grad=True),))
    assert (x ** 2).grad_fn.name() == "PowBackward0"
    assert (x ** x).grad_fn.name() == "PowBackward1"
    assert (2 ** x).grad_fn.name() == "PowBackward2"
    # d/dx x**0 is 0 even at 0; d/db 0**b for b > 0 is 0
    z = nt.tensor([0.0, 1.0], dtype=nt.float64, requires_grad=True)
    (z ** 0).sum().backward()
    check(z.grad, np.float64([0, 0]))
    e = nt.tensor([2.0], dtype=nt.float64, requires_grad=True)
    (nt.tensor([0.0], dtype=nt.float64) ** e).sum().backward()
    check(e.grad, np.float64([0]))


def test_maximum_minimum_ties_and_nan():
    a = nt.tensor([1.0, 2.0, float("nan")], requires_grad=True)
    b = nt.tensor([1.0, 3.0, 0.0], requires_grad=True)
    m = nt.maximum(a, b)
    assert np.isnan(m.detach().numpy()[2]) and m.detach().numpy()[:2].tolist() == [1.0, 3.0]
    assert np.isnan(nt.minimum(b, a).detach().numpy()[2])
    nt.maximum(a, b)[:2].sum().backward()
    check(a.grad, np.float32([0.5, 0, 0]))
    check(b.grad, np.float32([0.5, 1, 0]))


# --- operators, with their reflected forms ---
OPERATORS = [
    (operator.add, np.add, "real", "real"),
    (operator.sub, np.subtract, "real", "real"),
    (operator.mul, np.multiply, "real", "real"),
    (operator.truediv, np.divide, "real", "nonzero"),
    (operator.floordiv, np.floor_divide, "real", "nonzero"),
    (operator.mod, np.remainder, "real", "nonzero"),
    (operator.pow, np.power, "positive", "real"),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op,ref,da,db", OPERATORS, ids=[o[0].__name__ for o in OPERATORS])
def test_operators(op, ref, da, db, dtype):
    a, b = sample(da, (2, 3), dtype, seed=7), sample(db, (2, 3), dtype, seed=8)
    x, y = nt.tensor(a), nt.tensor(b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    check(op(x, y), ref(a64, b64).astype(dtype))
    check(op(x, 1.5), ref(a64, 1.5).astype(dtype))                 # tensor op scalar
    s = float(a[0, 0])
    check(op(s, y), ref(s, b64).astype(dtype))                     # reflected: scalar op tensor
    check(op(2, y), ref(2.0, b64).astype(dtype))
    expected = op(x, y).numpy()
    w = nt.tensor(a)
    ident = id(w)
    w = {operator.add: operator.iadd, operator.sub: operator.isub, operator.mul: operator.imul,
         operator.truediv: operator.itruediv, operator.floordiv: operator.ifloordiv,
         operator.mod: operator.imod, operator.pow: operator.ipow}[op](w, y)
    assert id(w) == ident                                          # x op= y works in place
    check(w, expected)


def test_unary_operators():
    x = nt.tensor([[-1.5, 2.0]])
    check(-x, np.float32([[1.5, -2]]))
    check(+x, x.numpy())
    check(abs(x), np.float32([[1.5, 2]]))
    check(~nt.tensor([True, False]), np.array([False, True]))
    check(~nt.tensor([0, 5]), np.int64([-1, -6]))


# --- comparisons and logic ---
COMPARISONS = [("eq", operator.eq, np.equal), ("ne", operator.ne, np.not_equal),
               ("lt", operator.lt, np.less), ("le", operator.le, np.less_equal),
               ("gt", operator.gt, np.greater), ("ge", operator.ge, np.greater_equal)]


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,op,ref", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparisons(name, op, ref, dtype, layout):
    rng = np.random.default_rng(9)
    a = rng.integers(-2, 3, (3, 4)).astype(dtype)      # small integers: plenty of ties
    b = rng.integers(-2, 3, (3, 4)).astype(dtype)
    x, y = laid_out(a, layout), laid_out(b, "contiguous")
    for result in (getattr(nt, name)(x, y), getattr(x, name)(y), op(x, y)):
        check(result, ref(a, b), np.bool_)
    check(op(x, 1), ref(a, 1), np.bool_)
    check(op(1.0, x), ref(1.0, a), np.bool_)
    check(op(x, nt.tensor(b[0])), ref(a, b[0]), np.bool_)
    assert op(x, y).grad_fn is None


def test_logical_and_bitwise():
    p = nt.tensor([True, True, False, False])
    q = nt.tensor([True, False, True, False])
    pn, qn = p.numpy(), q.numpy()
    check(nt.logical_and(p, q), pn & qn)
    check(nt.logical_or(p, q), pn | qn)
    check(nt.logical_xor(p, q), pn ^ qn)
    check(nt.logical_not(p), ~pn)
    check(p & q, pn & qn)
    check(p | q, pn | qn)
    check(p ^ q, pn ^ qn)
    f = nt.tensor([0.0, 2.0, -1.0, 0.0])               # logical ops read floats as truth values
    check(nt.logical_and(f, p), np.array([False, True, False, False]))
    check(nt.logical_not(f), np.array([True, False, False, True]))
    i, j = nt.tensor([12, 10, -3]), nt.tensor([10, 6, 5])
    check(i & j, np.int64([8, 2, 5]))
    check(i | j, np.int64([14, 14, -3]))
    check(i ^ j, np.int64([6, 12, -8]))
    check(nt.bitwise_and(i, 6), np.int64([4, 2, 4]))


def test_isnan_isinf_isfinite():
    a = np.float32([1.0, np.nan, np.inf, -np.inf, 0.0])
    x = nt.tensor(a)
    check(nt.isnan(x), np.isnan(a))
    check(nt.isinf(x), np.isinf(a))
    check(nt.isfinite(x), np.isfinite(a))
    check(x.isnan(), np.isnan(a))
    i = nt.tensor([1, 2])
    check(nt.isnan(i), np.array([False, False]))
    check(nt.isinf(i), np.array([False, False]))
    check(nt.isfinite(i), np.array([True, True]))


def test_allclose_isclose_equal():
    a = nt.tensor([1.0, 2.0, float("nan")])
    b = nt.tensor([1.0 + 1e-6, 2.1, float("nan")])
    check(nt.isclose(a, b), np.array([True, False, False]))
    check(nt.isclose(a, b, equal_nan=True), np.array([True, False, True]))
    check(nt.isclose(a, b, atol=0.2, equal_nan=True), np.array([True, True, True]))
    assert nt.allclose(a[:1], b[:1]) is True
    assert nt.allclose(a, b) is False
    assert nt.allclose(a, b, atol=0.2, equal_nan=True) is True
    assert a[:2].allclose(b[:2], rtol=0.1)
    assert nt.equal(nt.tensor([1, 2]), nt.tensor([1, 2])) is True
    assert nt.equal(nt.tensor([1, 2]), nt.tensor([1, 3])) is False
    assert nt.equal(nt.tensor([1, 2]), nt.tensor([[1, 2]])) is False
    if TORCH is not None:
        assert TORCH.allclose(torch_of(a), torch_of(b), atol=0.2, equal_nan=True)
        assert TORCH.equal(TORCH.tensor([1, 2]), TORCH.tensor([[1, 2]])) is False


# --- where and clamp ---
@pytest.mark.parametrize("dtype", FLOATS)
def test_where(dtype):
    a, b = sample("real", (3, 4), dtype, seed=10), sample("real", (4,), dtype, seed=11)
    cond = a > 0
    x, y = laid_out(a, "transposed"), nt.tensor(b)
    check(nt.where(x > 0, x, y), np.where(cond, a, b))
    check(x.where(x > 0, y), np.where(cond, a, b))
    check(nt.where(x > 0, x, 0.0), np.where(cond, a, 0).astype(dtype))
    check(nt.where(x > 0, 1.0, 0.0), np.where(cond, 1, 0).astype(np.float32))
    rows, cols = nt.where(x > 0)
    np.testing.assert_array_equal(rows.numpy(), np.nonzero(cond)[0])
    np.testing.assert_array_equal(cols.numpy(), np.nonzero(cond)[1])
    a64 = nt.tensor(a.astype(np.float64), requires_grad=True)
    b64 = nt.tensor(b.astype(np.float64), requires_grad=True)
    assert gradcheck(lambda p, q: nt.where(p > 0, p, q), (a64, b64))
    assert nt.where(a64 > 0, a64, b64).grad_fn.name() == "WhereBackward0"


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (None, 0.3), (-0.3, None), (0.5, -0.5)])
def test_clamp(lo, hi, dtype):
    a = sample("real", (3, 4), dtype, seed=12)
    x = laid_out(a, "sliced")
    expected = a.copy()
    if lo is not None:
        expected = np.maximum(expected, dtype(lo))
    if hi is not None:
        expected = np.minimum(expected, dtype(hi))
    check(nt.clamp(x, lo, hi), expected)
    check(x.clip(min=lo, max=hi), expected)
    if TORCH is not None:
        np.testing.assert_array_equal(TORCH.clamp(torch_of(a), lo, hi).numpy(), expected)


def test_clamp_tensor_bounds_and_grad():
    a = sample("real", (2, 3), np.float64, seed=13)
    x = nt.tensor(a, requires_grad=True)
    lo, hi = nt.tensor([-0.5, 0.0, -1.0], dtype=nt.float64), nt.tensor(0.6, dtype=nt.float64)
    check(nt.clamp(x, lo, hi), np.minimum(np.maximum(a, lo.numpy()), 0.6))
    assert gradcheck(lambda t: nt.clamp(t, -0.5, 0.5), (x,))
    assert gradcheck(lambda t: nt.clamp(t, lo, hi), (x,))
    assert nt.clamp(x, -0.5, 0.5).grad_fn.name() == "ClampBackward1"
    assert nt.clamp(x, lo, hi).grad_fn.name() == "ClampBackward0"
    check(nt.clamp(nt.tensor([-5, 0, 5]), -2, 3), np.int64([-2, 0, 3]))


# --- in-place forms and out= ---
INPLACE = [("add_", np.add), ("sub_", np.subtract), ("mul_", np.multiply),
           ("div_", np.divide), ("pow_", np.power), ("remainder_", np.remainder),
           ("floor_divide_", np.floor_divide)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,ref", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_binary(name, ref, dtype):
    a, b = sample("positive", (2, 3), dtype, seed=14), sample("nonzero", (3,), dtype, seed=15)
    x = nt.tensor(a)
    version = x._version[0]
    assert getattr(x, name)(nt.tensor(b)) is x
    check(x, ref(a.astype(np.float64), b).astype(dtype))
    assert x._version[0] > version
    y = nt.tensor(a)
    getattr(y, name)(2.0)
    check(y, ref(a.astype(np.float64), 2.0).astype(dtype))


@pytest.mark.parametrize("name", ["exp", "sqrt", "neg", "abs", "floor", "sin", "reciprocal"])
def test_inplace_unary(name):
    a = sample("positive", (2, 3), np.float32, seed=16)
    x = nt.tensor(a)
    assert getattr(x, name + "_")() is x
    check(x, UNARY[name][0](a.astype(np.float64)).astype(np.float32))


def test_inplace_on_view_writes_base():
    base = nt.zeros(3, 4)
    base[1].add_(1.0)
    base.t()[2].mul_(0.0).add_(5.0)
    expected = np.zeros((3, 4), np.float32)
    expected[1] = 1
    expected[:, 2] = 5
    check(base, expected)


def test_inplace_fill_zero_clamp_random():
    x = nt.tensor([[1.0, -2.0], [3.0, 4.0]])
    x.clamp_(-1, 2)
    check(x, np.float32([[1, -1], [2, 2]]))
    x.clamp_(min=1.5)
    check(x, np.float32([[1.5, 1.5], [2, 2]]))
    assert x.fill_(7) is x
    check(x, np.full((2, 2), 7, np.float32))
    assert x.zero_() is x
    check(x, np.zeros((2, 2), np.float32))
    nt.manual_seed(0)
    u = nt.empty(200).uniform_(-1, 3).numpy()
    assert u.min() >= -1 and u.max() < 3 and u.dtype == np.float32
    n = nt.empty(2000).normal_(5.0, 0.5).numpy()
    assert abs(n.mean() - 5.0) < 0.1 and abs(n.std() - 0.5) < 0.1


def test_inplace_cannot_change_dtype_or_shape():
    x = nt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        x.add_(1.5)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast "
                                           r"shape \[2, 3\]"):
        nt.zeros(3).add_(nt.zeros(2, 3))
    f = nt.tensor([1.0, 2.0])
    f.add_(nt.tensor([1, 1]))             # an int operand is fine: the result stays float
    check(f, np.float32([2, 3]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_out_argument(dtype):
    a, b = sample("positive", (2, 3), dtype, seed=17), sample("positive", (2, 3), dtype, seed=18)
    x, y = nt.tensor(a), nt.tensor(b)
    out = nt.empty(2, 3, dtype=x.dtype)
    ptr = out.data_ptr()
    for fn, ref in ((nt.add, np.add), (nt.mul, np.multiply), (nt.div, np.divide),
                    (nt.maximum, np.maximum), (nt.pow, np.power)):
        assert fn(x, y, out=out) is out
        assert out.data_ptr() == ptr
        check(out, ref(a.astype(np.float64), b).astype(dtype))
    assert nt.exp(x, out=out) is out
    check(out, np.exp(a.astype(np.float64)).astype(dtype))
    assert nt.clamp(x, 0.7, 1.2, out=out) is out
    check(out, np.clip(a, dtype(0.7), dtype(1.2)))
    mask = nt.empty(2, 3, dtype=nt.bool)
    nt.lt(x, y, out=mask)
    check(mask, a < b)
    # an out of another shape is resized, as in PyTorch
    other = nt.empty(0, dtype=x.dtype)
    nt.sub(x, y, out=other)
    check(other, a - b)
    assert nt.add(x, 1, alpha=1) is not None
    check(nt.add(x, y, alpha=2), (a.astype(np.float64) + 2 * b).astype(dtype))
    check(nt.sub(x, y, alpha=0.5), (a.astype(np.float64) - 0.5 * b).astype(dtype))


def test_out_cannot_downcast():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        nt.add(nt.tensor([1.0]), nt.tensor([2.0]), out=nt.empty(1, dtype=nt.long))


def test_out_refuses_autograd():
    """PyTorch's error for out= on an input that requires grad; fine under no_grad."""
    x, out = nt.ones(2, requires_grad=True), nt.zeros(2)
    for name, call in (("mul", lambda: nt.mul(x, x, out=out)), ("exp", lambda: nt.exp(x, out=out)),
                       ("cat", lambda: nt.cat([x], out=out)),
                       ("matmul", lambda: nt.matmul(x.view(2, 1), x.view(1, 2), out=out))):
        with pytest.raises(RuntimeError, match=rf"^{name}\(\): functions with out=\.\.\. "
                           "arguments don't support automatic differentiation, but one of the "
                           r"arguments requires grad\.$"):
            call()
    with nt.no_grad():
        assert nt.mul(x, 3, out=out) is out and not out.requires_grad
    check(out, np.float32([3, 3]))


def test_div_rounding_modes():
    a, b = nt.tensor([-7.0, 7.0, -7.5]), nt.tensor([2.0, -2.0, 2.0])
    check(nt.div(a, b, rounding_mode="floor"), np.float32([-4, -4, -4]))
    check(nt.div(a, b, rounding_mode="trunc"), np.float32([-3, -3, -3]))
    i, j = nt.tensor([-7, 7]), nt.tensor([2, 2])
    check(nt.div(i, j), np.float32([-3.5, 3.5]))
    check(nt.div(i, j, rounding_mode="floor"), np.int64([-4, 3]))
    check(nt.div(i, j, rounding_mode="trunc"), np.int64([-3, 3]))
    check(i // j, np.int64([-4, 3]))
    check(i % j, np.int64([1, 1]))
    check(nt.tensor([-7.0, 7.0]) % -3, np.float32([-1, -2]))


# --- broadcasting over hypothesis-generated shapes ---
@settings(max_examples=25, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3))
def test_broadcasting_shapes(shapes):
    (sa, sb), result_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(len(sa) * 7 + len(sb))
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    x, y = nt.tensor(a), nt.tensor(b)
    check(x + y, a + b)
    check(x * y, a * b)
    check(nt.where(x > y, x, y), np.where(a > b, a, b))
    assert (x - y).shape == nt.Size(result_shape)
    if TORCH is not None:
        assert tuple(TORCH.broadcast_shapes(sa, sb)) == result_shape


@settings(max_examples=15, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3))
def test_broadcast_gradients_reduce_to_input_shapes(shapes):
    sa, sb = shapes.input_shapes
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    x = nt.tensor(a, requires_grad=True)
    y = nt.tensor(b, requires_grad=True)
    g = rng.standard_normal(shapes.result_shape)
    (x * y).backward(nt.tensor(g))
    assert x.grad.shape == x.shape and y.grad.shape == y.shape
    np.testing.assert_allclose(x.grad.numpy(), _sum_to(g * np.broadcast_to(b, g.shape), sa),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), _sum_to(g * np.broadcast_to(a, g.shape), sb),
                               rtol=1e-12, atol=1e-12)


def _sum_to(g, shape):
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead))) if lead else g
    return g.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


# --- PyTorch's type promotion ---
i64, i32, u8 = nt.tensor([1, 2]), nt.tensor([1, 2], dtype=nt.int32), nt.tensor([1, 2],
                                                                                 dtype=nt.uint8)
f32, f64, b = nt.tensor([1.0, 2.0]), nt.tensor([1.0, 2.0], dtype=nt.float64), nt.tensor(
    [True, False])
# (a, b, PyTorch's result dtype of a + b)
PROMOTION = [
    (i64, 2.5, "float32"),                          # int tensor + float scalar -> default float
    (i32, nt.tensor(5), "int32"),                   # a 0-dim tensor of the same category defers
    (i32, nt.tensor([5]), "int64"),                 # a dimensioned one does not
    (i32, 5, "int32"),
    (u8, 300, "uint8"),
    (u8, i32, "int32"),
    (b, b, "bool"),
    (b, 1, "int64"),
    (b, 1.5, "float32"),
    (b, u8, "uint8"),
    (f32, nt.tensor(2.0, dtype=nt.float64), "float32"),
    (f32, f64, "float64"),
    (i64, nt.tensor(1.5, dtype=nt.float64), "float64"),  # higher category wins, at its own dtype
    (nt.tensor(1, dtype=nt.int32), nt.tensor(2), "int64"),  # two 0-dim tensors promote
    (nt.tensor(1.0), 2, "float32"),
    (f64, True, "float64"),
]


@pytest.mark.parametrize("a,b,expected", PROMOTION)
def test_type_promotion(a, b, expected):
    assert (a + b).dtype.name == expected
    assert (b + a).dtype.name == expected
    assert nt.result_type(a, b).name == expected
    if TORCH is not None:
        ta = torch_of(a) if isinstance(a, nt.Tensor) else a
        tb = torch_of(b) if isinstance(b, nt.Tensor) else b
        assert str((ta + tb).dtype) == f"torch.{expected}"


def test_promotion_of_division_and_comparison():
    assert (i64 / i64).dtype is nt.float32
    assert (i64 // i64).dtype is nt.int64
    assert (i32 * 2).dtype is nt.int32
    assert (i64 < 1.5).dtype is nt.bool
    check(i64 < 1.5, np.array([True, False]))
    check(i64 == nt.tensor([1.0, 2.5]), np.array([True, False]))
    check(u8 - 3, np.uint8([254, 255]))               # uint8 wraps around, as in PyTorch
    assert nt.promote_types(nt.uint8, nt.int32) is nt.int32
    assert nt.promote_types(nt.int32, nt.float32) is nt.float32
    assert nt.promote_types(nt.bool, nt.uint8) is nt.uint8


def test_reflected_operators_keep_scalar_precision_and_names():
    x = nt.tensor([0.5, 2.0], dtype=nt.float64, requires_grad=True)
    s = 0.1 + 1e-12                      # not representable in float32
    check(s - x, s - np.float64([0.5, 2.0]))
    check(s / x, s * (1 / np.float64([0.5, 2.0])))
    assert (2 - x).grad_fn.name() == "RsubBackward1"
    assert (2 / x).grad_fn.name() == "MulBackward0"
    assert (2 + x).grad_fn.name() == "AddBackward0"
    check(nt.rsub(x, 3), 3 - np.float64([0.5, 2.0]))
    assert gradcheck(lambda t: 2 - t, (x,))
    assert gradcheck(lambda t: 2 / t, (x,))
    assert gradcheck(lambda t: 3 % t, (nt.tensor([0.7, 2.0], dtype=nt.float64,
                                                 requires_grad=True),))
    assert gradcheck(lambda t: 3 ** t, (x,))


def test_division_by_zero():
    check(nt.tensor([5.0, -5.0, 0.0]) / 0, np.float32([np.inf, -np.inf, np.nan]))
    check(nt.tensor([5.0, -5.0, 0.0]) // 0, np.float32([np.inf, -np.inf, np.nan]))
    check(nt.tensor([5.0]) % 0, np.float32([np.nan]))
    check(1 / nt.tensor([0.0, 2.0]), np.float32([np.inf, 0.5]))
    check(nt.tensor([5, 6]) / 0, np.float32([np.inf, np.inf]))
    for fn in (lambda: nt.tensor([5]) // 0, lambda: nt.tensor([5]) % nt.tensor([0]),
               lambda: nt.div(nt.tensor([5]), 0, rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
            fn()


def test_integer_trunc_division_is_exact():
    a, b = nt.tensor([-7, 7, 16777217, -6]), nt.tensor([2, -2, 1, 3])
    check(nt.div(a, b, rounding_mode="trunc"), np.int64([-3, -3, 16777217, -2]))


def test_composites_and_aliases():
    a, b, c = (sample("positive", (2, 3), np.float64, seed=s) for s in (20, 21, 22))
    x, y, z = nt.tensor(a), nt.tensor(b), nt.tensor(c)
    check(nt.lerp(x, y, 0.25), a + 0.25 * (b - a))
    check(nt.addcmul(x, y, z, value=2), a + 2 * b * c)
    check(nt.addcdiv(x, y, z, value=0.5), a + 0.5 * b / c)
    check(nt.square(x), a * a)
    for alias, ref in (("true_divide", np.divide), ("multiply", np.multiply),
                       ("subtract", np.subtract), ("divide", np.divide)):
        check(getattr(nt, alias)(x, y), ref(a, b))
    check(nt.negative(x), -a)
    check(nt.absolute(nt.neg(x)), a)
    check(nt.fix(nt.tensor([-1.5, 2.5])), np.float32([-1, 2]))
    check(x.greater(y), a > b)
    check(x.less_equal(y), a <= b)
    check(x.not_equal(x), np.zeros((2, 3), bool))
    assert gradcheck(lambda p, q, r: nt.addcdiv(p, q, r, value=0.5),
                     tuple(t.clone().requires_grad_() for t in (x, y, z)))
