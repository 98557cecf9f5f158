"""CUDA elementwise and copy launchers against the CPU ones (simulator when no GPU)."""
import numpy as np
import pytest

from cuda_parity import View, broadcast, out, run_case

F32, F64 = np.float32, np.float64

POSITIVE = {"log", "log2", "log10", "sqrt", "rsqrt"}
UNARY_FLOAT = ["abs", "neg", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
               "sign", "floor", "ceil", "round", "trunc", "reciprocal", "log2", "log10",
               "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc",
               "erfinv", "lgamma", "digamma", "trigamma"]
BINARY_FLOAT = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder",
                "floor_divide", "atan2", "hypot", "copysign", "fmod"]
# inputs moved into each function's domain: (-1, 1), [1, inf) or away from the gamma poles
DOMAIN = {**dict.fromkeys(("asin", "acos", "atanh", "erfinv"), lambda x: np.tanh(x) * 0.99),
          "acosh": lambda x: np.abs(x) + 1,
          **dict.fromkeys(("lgamma", "digamma", "trigamma"), lambda x: np.abs(x) + 0.1)}
BINARY_INT = ["add", "sub", "mul", "floor_divide", "remainder", "maximum", "minimum",
              "bitwise_and", "bitwise_or", "bitwise_xor"]
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]


def _floats(rng, shape, dtype, positive=False):
    x = rng.standard_normal(shape) * 3
    x.flat[::7] = np.round(x.flat[::7] * 2) / 2          # exact halves: rounding ties
    return np.asarray(np.abs(x) + 0.1 if positive else x).astype(dtype)


def _unary(op, dtype, strided):
    def make(rng):
        x = _floats(rng, (5, 7), dtype, op in POSITIVE)
        x = DOMAIN[op](x).astype(dtype) if op in DOMAIN else x
        arg = View(x, lambda a: a.transpose(1, 0)) if strided else x
        return [arg, out(rng, (7, 5) if strided else (5, 7), dtype)]
    return make


def _binary(dtype, a_shape, b_shape, out_dtype=None, ints=False):
    def make(rng):
        if ints:
            a = rng.integers(-20, 20, a_shape).astype(dtype)
            b = rng.integers(1, 6, b_shape).astype(dtype) * rng.choice([-1, 1], b_shape)
        else:
            a, b = _floats(rng, a_shape, dtype), _floats(rng, b_shape, dtype)
            b.flat[0] = a.flat[0]                        # equal operands for the comparisons
        shape = np.broadcast_shapes(a_shape, b_shape)
        return [a, b, out(rng, shape, out_dtype or dtype)]
    return make


def _pow_ints(rng):
    return [rng.integers(-5, 5, (4, 3)), rng.integers(0, 4, (3,)), out(rng, (4, 3), np.int64)]


def _special(op):
    def make(rng):
        x = np.array([0.0, -1.5, np.nan, np.inf, -np.inf, 3.0, 1e38], F32)
        return [x, out(rng, x.shape, np.bool_)]
    return make


def _bools(op, arity):
    def make(rng):
        args = [rng.random((3, 4)) < 0.5 for _ in range(arity)]
        return args + [out(rng, (3, 4), np.bool_)]
    return make


def _bitwise_not(rng):
    return [rng.integers(-100, 100, (9,)), out(rng, (9,), np.int64)]


def _where(rng):
    return [rng.random((3, 1)) < 0.5, _floats(rng, (3, 4), F32), _floats(rng, (4,), F32),
            out(rng, (3, 4), F32)]


def _clamp(dtype):
    def make(rng):
        return [_floats(rng, (2, 3, 4), dtype), np.array(-0.5, dtype), _floats(rng, (4,), dtype),
                out(rng, (2, 3, 4), dtype)]
    return make


def _sum_to(src_shape, out_shape, dtype=F32):
    def make(rng):
        return [_floats(rng, src_shape, dtype), out(rng, out_shape, dtype)]
    return make


def _copy_cast(rng):
    return [_floats(rng, (3, 5), F64), out(rng, (3, 5), F32)]


def _copy_broadcast(rng):
    return [_floats(rng, (5,), F32), out(rng, (2, 3, 5), F32)]


def _copy_into_view(rng):
    """dst is a strided slice of a larger buffer; the rest of the buffer must stay untouched."""
    return [_floats(rng, (3, 2), F32),
            View(out(rng, (6, 5), F32), lambda a: a[::2, 1:5:2])]


def _copy_from_expanded(rng):
    return [View(_floats(rng, (4, 1), F64), lambda a: broadcast(a, (4, 6))),
            out(rng, (4, 6), F64)]


def _copy_to_bool(rng):
    x = rng.integers(-2, 3, (11,)).astype(F32)
    return [x, out(rng, (11,), np.bool_)]


def _fill(dtype, value):
    def make(rng):
        return [View(out(rng, (4, 6), dtype), lambda a: a[1:, ::2]), value]
    return make


CASES = (
    [(op, _unary(op, dt, False)) for op in UNARY_FLOAT for dt in (F32, F64)]
    + [(op, _unary(op, F32, True)) for op in ("exp", "round", "neg")]
    + [("abs", lambda rng: [rng.integers(-9, 9, (6,)), out(rng, (6,), np.int64)]),
       ("sign", lambda rng: [rng.integers(-9, 9, (6,)).astype(np.int32),
                             out(rng, (6,), np.int32)])]
    + [(op, _binary(dt, (3, 1, 4), (5, 1))) for op in BINARY_FLOAT for dt in (F32, F64)]
    + [(op, _binary(F32, (), (2, 3))) for op in ("sub", "div")]
    + [(op, _binary(np.int64, (4, 3), (3,), ints=True)) for op in BINARY_INT]
    + [("pow", _pow_ints)]
    + [(op, _binary(F32, (3, 4), (4,), out_dtype=np.bool_)) for op in COMPARE]
    + [(op, _special(op)) for op in ("isnan", "isinf", "isfinite")]
    + [(op, _bools(op, 2)) for op in ("logical_and", "logical_or", "logical_xor")]
    + [("logical_not", _bools("logical_not", 1)), ("bitwise_not", _bitwise_not)]
    + [("where", _where), ("clamp", _clamp(F32)), ("clamp", _clamp(F64))]
    + [("sum_to", _sum_to((2, 3, 4), (3, 1))), ("sum_to", _sum_to((2, 3, 4), ())),
       ("sum_to", _sum_to((5, 6), (5, 6), F64)), ("sum_to", _sum_to((2, 0, 3), (1, 3)))]
    + [("copy", _copy_cast), ("copy", _copy_broadcast), ("copy", _copy_into_view),
       ("copy", _copy_from_expanded), ("copy", _copy_to_bool),
       ("fill", _fill(F32, 2.5)), ("fill", _fill(np.int64, -3)), ("fill", _fill(np.bool_, True))]
)


@pytest.mark.parametrize("op,make", CASES, ids=[f"{op}-{i}" for i, (op, _) in enumerate(CASES)])
def test_parity(op, make):
    run_case(op, make)
