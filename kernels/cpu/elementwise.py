"""Elementwise kernels: each op is a scalar function plus a two-line cached kernel over the shared
loop nests in _loops.py. Launchers take operands already cast to the compute dtype (any shapes
broadcastable to ``out``) and a preallocated contiguous ``out``. Kernels that divide use NumPy's
error model: a float division by zero gives inf/nan as in PyTorch (the ops reject integer zero
divisors before launching)."""
import functools
import math

import numpy as np
from numba import njit

from ..registry import register
from . import _math
from ._loops import binary_loop, sum_to, ternary_loop, unary_loop


_UNIT = {k: np.ones((k, 1), np.int64) for k in (1, 2, 3)}    # strides of same-shape operands


@functools.lru_cache(maxsize=256)
def _flat_shape(size):
    """The coalesced shape of ``size`` same-shape elements (shared: kernels only read it)."""
    return np.array([max(1, size)], np.int64)


def _layout(shape, operands):
    """Flat contiguous operands, their broadcast strides (operand x dim) and the coalesced shape:
    size-1 dims dropped, neighbouring dims merged where every operand steps through them as one."""
    for op in operands:
        if op.shape != shape or not op.flags.c_contiguous:
            break
    else:           # the common case, kept short: it is most of a small op's cost
        return ([op.reshape(-1) for op in operands], _UNIT[len(operands)],
                _flat_shape(math.prod(shape)))
    flats, strides = [], []
    nd = len(shape)
    for op in operands:
        op = np.ascontiguousarray(op)
        flats.append(op.reshape(-1))
        s, acc = [0] * nd, 1
        for i in range(op.ndim - 1, -1, -1):
            if op.shape[i] != 1:
                s[nd - op.ndim + i] = acc
            acc *= op.shape[i]
        strides.append(s)
    dims = []
    for d in range(nd):
        if shape[d] == 1:
            continue
        st = [s[d] for s in strides]
        if dims and all(p == c * shape[d] for p, c in zip(dims[-1][1], st)):
            dims[-1] = (dims[-1][0] * shape[d], st)
        else:
            dims.append((shape[d], st))
    if not dims:
        dims = [(1, [0] * len(operands))]
    return (flats, np.array([st for _, st in dims], np.int64).T.copy(),
            np.array([size for size, _ in dims], np.int64))


def _unary(kernel):
    def launch(x, out):
        kernel(np.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return launch


def _binary(kernel):
    def launch(a, b, out):
        (fa, fb), st, shape = _layout(out.shape, (a, b))
        kernel(fa, fb, st, out.reshape(-1), shape)
    return launch


def _ternary(kernel):
    def launch(a, b, c, out):
        (fa, fb, fc), st, shape = _layout(out.shape, (a, b, c))
        kernel(fa, fb, fc, st, out.reshape(-1), shape)
    return launch


@register("sum_to", "cpu")
def sum_to_launch(src, out):
    """out = src summed down to out's (broadcastable) shape."""
    (_, fo), st, shape = _layout(src.shape, (src, out))
    sum_to(np.ascontiguousarray(src).reshape(-1), st[1:], out.reshape(-1), shape)


# --- scalar functions ---
@njit(cache=True, inline="always")
def _add(a, b):
    return a + b


@njit(cache=True, inline="always")
def _sub(a, b):
    return a - b


@njit(cache=True, inline="always")
def _mul(a, b):
    return a * b


@njit(cache=True, inline="always")
def _div(a, b):
    return a / b


@njit(cache=True, inline="always")
def _floor_divide(a, b):
    return a // b


@njit(cache=True, inline="always")
def _remainder(a, b):
    return a % b


@njit(cache=True, inline="always")
def _pow(a, b):
    return a ** b


@njit(cache=True, inline="always")
def _maximum(a, b):
    return a if (a > b or a != a) else b


@njit(cache=True, inline="always")
def _minimum(a, b):
    return a if (a < b or a != a) else b


@njit(cache=True, inline="always")
def _eq(a, b):
    return a == b


@njit(cache=True, inline="always")
def _ne(a, b):
    return a != b


@njit(cache=True, inline="always")
def _lt(a, b):
    return a < b


@njit(cache=True, inline="always")
def _le(a, b):
    return a <= b


@njit(cache=True, inline="always")
def _logical_and(a, b):
    return bool(a) and bool(b)


@njit(cache=True, inline="always")
def _logical_or(a, b):
    return bool(a) or bool(b)


@njit(cache=True, inline="always")
def _logical_xor(a, b):
    return bool(a) != bool(b)


@njit(cache=True, inline="always")
def _bitwise_and(a, b):
    return a & b


@njit(cache=True, inline="always")
def _bitwise_or(a, b):
    return a | b


@njit(cache=True, inline="always")
def _bitwise_xor(a, b):
    return a ^ b


@njit(cache=True, inline="always")
def _atan2(a, b):
    return math.atan2(a, b)


@njit(cache=True, inline="always")
def _hypot(a, b):
    return math.hypot(a, b)


@njit(cache=True, inline="always")
def _copysign(a, b):
    return math.copysign(a, b)


@njit(cache=True, inline="always")
def _fmod(a, b):
    """C's fmod: the remainder has the sign of ``a``."""
    return np.fmod(a, b)


@njit(cache=True, inline="always")
def _where(c, a, b):
    return a if c else b


@njit(cache=True, inline="always")
def _clamp(x, lo, hi):
    """min(max(x, lo), hi): ``hi`` wins when lo > hi, as in PyTorch; a NaN in any of them gives
    NaN."""
    if x != x:
        return x
    if lo != lo:
        return lo
    if hi != hi:
        return hi
    y = lo if x < lo else x
    return hi if y > hi else y


@njit(cache=True, inline="always")
def _neg(x):
    return -x


@njit(cache=True, inline="always")
def _abs(x):
    return abs(x)


@njit(cache=True, inline="always")
def _exp(x):
    return _math.exp(x)


@njit(cache=True, inline="always")
def _log(x):
    return _math.log(x)


@njit(cache=True, inline="always")
def _log1p(x):
    return math.log1p(x)


@njit(cache=True, inline="always")
def _expm1(x):
    return math.expm1(x)


@njit(cache=True, inline="always")
def _sqrt(x):
    return np.sqrt(x)


@njit(cache=True, inline="always")
def _rsqrt(x):
    return 1 / np.sqrt(x)


@njit(cache=True, inline="always")
def _sin(x):
    return np.sin(x)


@njit(cache=True, inline="always")
def _cos(x):
    return np.cos(x)


@njit(cache=True, inline="always")
def _tan(x):
    return np.tan(x)


@njit(cache=True, inline="always")
def _sign(x):
    return (x > 0) - (x < 0)


@njit(cache=True, inline="always")
def _floor(x):
    return np.floor(x)


@njit(cache=True, inline="always")
def _ceil(x):
    return np.ceil(x)


@njit(cache=True, inline="always")
def _round(x):
    return np.round(x)


@njit(cache=True, inline="always")
def _trunc(x):
    return np.trunc(x)


@njit(cache=True, inline="always")
def _reciprocal(x):
    return 1 / x


@njit(cache=True, inline="always")
def _log2(x):
    return _math.log(x) * 1.4426950408889634


@njit(cache=True, inline="always")
def _log10(x):
    return _math.log(x) * 0.4342944819032518


@njit(cache=True, inline="always")
def _isnan(x):
    return x != x


@njit(cache=True, inline="always")
def _isinf(x):
    return np.isinf(x)


@njit(cache=True, inline="always")
def _isfinite(x):
    return np.isfinite(x)


@njit(cache=True, inline="always")
def _logical_not(x):
    return not x


@njit(cache=True, inline="always")
def _bitwise_not(x):
    return ~x


@njit(cache=True, inline="always")
def _atan(x):
    return math.atan(x)


@njit(cache=True, inline="always")
def _asin(x):
    return math.asin(x) if -1.0 <= x <= 1.0 else math.nan


@njit(cache=True, inline="always")
def _acos(x):
    return math.acos(x) if -1.0 <= x <= 1.0 else math.nan


@njit(cache=True, inline="always")
def _sinh(x):
    return math.sinh(x)


@njit(cache=True, inline="always")
def _cosh(x):
    return math.cosh(x)


@njit(cache=True, inline="always")
def _asinh(x):
    return math.asinh(x)


@njit(cache=True, inline="always")
def _acosh(x):
    return math.acosh(x) if x >= 1.0 else math.nan


@njit(cache=True, inline="always")
def _atanh(x):
    if x == 1.0 or x == -1.0:
        return math.copysign(math.inf, x)
    return math.atanh(x) if -1.0 < x < 1.0 else math.nan


@njit(cache=True, inline="always")
def _erf(x):
    return math.erf(x)


@njit(cache=True, inline="always")
def _erfc(x):
    return math.erfc(x)


@njit(cache=True, inline="always")
def _erfinv(y):
    """PyTorch's calc_erfinv: a rational first guess refined by two Newton steps on erf."""
    a = abs(y)
    if a > 1.0 or y != y:
        return math.nan
    if a == 1.0:
        return math.copysign(math.inf, y)
    if a <= 0.7:
        z = y * y
        num = ((-0.140543331 * z + 0.914624893) * z - 1.645349621) * z + 0.886226899
        den = (((0.012229801 * z - 0.329097515) * z + 1.442710462) * z - 2.118377725) * z + 1.0
        x = y * num / den
    else:
        z = math.sqrt(-math.log((1.0 - a) / 2.0))
        num = ((1.641345311 * z + 3.429567803) * z - 1.624906493) * z - 1.970840454
        x = math.copysign(num / ((1.637067800 * z + 3.543889200) * z + 1.0), y)
    for _ in range(2):
        x -= (math.erf(x) - y) / (1.1283791670955126 * math.exp(-x * x))
    return x


@njit(cache=True, inline="always")
def _lgamma(x):
    return math.lgamma(x)


@njit(cache=True, inline="always")
def _digamma(x):
    """Reflection below 0, the recurrence up to 10, then the asymptotic series (as PyTorch)."""
    if x == 0.0:
        return math.copysign(math.inf, -x)
    result = 0.0
    if x < 0.0:
        r = x % 1.0                 # not math.floor: that returns an integer
        if r == 0.0:
            return math.nan
        result = -math.pi / math.tan(math.pi * r)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    z = 1.0 / (x * x)
    series = z * (0.083333333333333333 + z * (-0.0083333333333333333 + z * (
        0.0039682539682539683 + z * (-0.0041666666666666667 + z * (
            0.0075757575757575758 + z * (-0.021092796092796093 + z * 0.083333333333333333))))))
    return result + math.log(x) - 0.5 / x - series


@njit(cache=True, inline="always")
def _trigamma(x):
    """PyTorch's calc_trigamma: reflection below 1/2, six recurrence steps, asymptotic series."""
    sign, result = 1.0, 0.0
    if x < 0.5:
        sign = -1.0
        s = math.sin(math.pi * x)
        result -= math.pi * math.pi / (s * s)
        x = 1.0 - x
    for _ in range(6):
        result += 1.0 / (x * x)
        x += 1.0
    ixx = 1.0 / (x * x)
    result += (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6.0 - ixx * (1.0 / 30.0 - ixx / 42.0))) / x
    return sign * result


# --- kernels: one cached function per op ---
@njit(cache=True)
def add_k(a, b, st, out, shape):
    binary_loop(_add, a, b, st, out, shape)


@njit(cache=True)
def sub_k(a, b, st, out, shape):
    binary_loop(_sub, a, b, st, out, shape)


@njit(cache=True)
def mul_k(a, b, st, out, shape):
    binary_loop(_mul, a, b, st, out, shape)


@njit(cache=True, error_model="numpy")
def div_k(a, b, st, out, shape):
    binary_loop(_div, a, b, st, out, shape)


@njit(cache=True, error_model="numpy")
def floor_divide_k(a, b, st, out, shape):
    binary_loop(_floor_divide, a, b, st, out, shape)


@njit(cache=True, error_model="numpy")
def remainder_k(a, b, st, out, shape):
    binary_loop(_remainder, a, b, st, out, shape)


@njit(cache=True)
def pow_k(a, b, st, out, shape):
    binary_loop(_pow, a, b, st, out, shape)


@njit(cache=True)
def maximum_k(a, b, st, out, shape):
    binary_loop(_maximum, a, b, st, out, shape)


@njit(cache=True)
def minimum_k(a, b, st, out, shape):
    binary_loop(_minimum, a, b, st, out, shape)


@njit(cache=True)
def eq_k(a, b, st, out, shape):
    binary_loop(_eq, a, b, st, out, shape)


@njit(cache=True)
def ne_k(a, b, st, out, shape):
    binary_loop(_ne, a, b, st, out, shape)


@njit(cache=True)
def lt_k(a, b, st, out, shape):
    binary_loop(_lt, a, b, st, out, shape)


@njit(cache=True)
def le_k(a, b, st, out, shape):
    binary_loop(_le, a, b, st, out, shape)


@njit(cache=True)
def logical_and_k(a, b, st, out, shape):
    binary_loop(_logical_and, a, b, st, out, shape)


@njit(cache=True)
def logical_or_k(a, b, st, out, shape):
    binary_loop(_logical_or, a, b, st, out, shape)


@njit(cache=True)
def logical_xor_k(a, b, st, out, shape):
    binary_loop(_logical_xor, a, b, st, out, shape)


@njit(cache=True)
def bitwise_and_k(a, b, st, out, shape):
    binary_loop(_bitwise_and, a, b, st, out, shape)


@njit(cache=True)
def bitwise_or_k(a, b, st, out, shape):
    binary_loop(_bitwise_or, a, b, st, out, shape)


@njit(cache=True)
def bitwise_xor_k(a, b, st, out, shape):
    binary_loop(_bitwise_xor, a, b, st, out, shape)


@njit(cache=True)
def where_k(c, a, b, st, out, shape):
    ternary_loop(_where, c, a, b, st, out, shape)


@njit(cache=True)
def clamp_k(x, lo, hi, st, out, shape):
    ternary_loop(_clamp, x, lo, hi, st, out, shape)


@njit(cache=True)
def neg_k(x, out):
    unary_loop(_neg, x, out)


@njit(cache=True)
def abs_k(x, out):
    unary_loop(_abs, x, out)


@njit(cache=True)
def exp_k(x, out):
    unary_loop(_exp, x, out)


@njit(cache=True)
def log_k(x, out):
    unary_loop(_log, x, out)


@njit(cache=True)
def log1p_k(x, out):
    unary_loop(_log1p, x, out)


@njit(cache=True)
def expm1_k(x, out):
    unary_loop(_expm1, x, out)


@njit(cache=True)
def sqrt_k(x, out):
    unary_loop(_sqrt, x, out)


@njit(cache=True, error_model="numpy")
def rsqrt_k(x, out):
    unary_loop(_rsqrt, x, out)


@njit(cache=True)
def sin_k(x, out):
    unary_loop(_sin, x, out)


@njit(cache=True)
def cos_k(x, out):
    unary_loop(_cos, x, out)


@njit(cache=True)
def tan_k(x, out):
    unary_loop(_tan, x, out)


@njit(cache=True)
def sign_k(x, out):
    unary_loop(_sign, x, out)


@njit(cache=True)
def floor_k(x, out):
    unary_loop(_floor, x, out)


@njit(cache=True)
def ceil_k(x, out):
    unary_loop(_ceil, x, out)


@njit(cache=True)
def round_k(x, out):
    unary_loop(_round, x, out)


@njit(cache=True)
def trunc_k(x, out):
    unary_loop(_trunc, x, out)


@njit(cache=True, error_model="numpy")
def reciprocal_k(x, out):
    unary_loop(_reciprocal, x, out)


@njit(cache=True)
def log2_k(x, out):
    unary_loop(_log2, x, out)


@njit(cache=True)
def log10_k(x, out):
    unary_loop(_log10, x, out)


@njit(cache=True)
def isnan_k(x, out):
    unary_loop(_isnan, x, out)


@njit(cache=True)
def isinf_k(x, out):
    unary_loop(_isinf, x, out)


@njit(cache=True)
def isfinite_k(x, out):
    unary_loop(_isfinite, x, out)


@njit(cache=True)
def logical_not_k(x, out):
    unary_loop(_logical_not, x, out)


@njit(cache=True)
def bitwise_not_k(x, out):
    unary_loop(_bitwise_not, x, out)


@njit(cache=True)
def atan2_k(a, b, st, out, shape):
    binary_loop(_atan2, a, b, st, out, shape)


@njit(cache=True)
def hypot_k(a, b, st, out, shape):
    binary_loop(_hypot, a, b, st, out, shape)


@njit(cache=True)
def copysign_k(a, b, st, out, shape):
    binary_loop(_copysign, a, b, st, out, shape)


@njit(cache=True, error_model="numpy")
def fmod_k(a, b, st, out, shape):
    binary_loop(_fmod, a, b, st, out, shape)


@njit(cache=True)
def atan_k(x, out):
    unary_loop(_atan, x, out)


@njit(cache=True)
def asin_k(x, out):
    unary_loop(_asin, x, out)


@njit(cache=True)
def acos_k(x, out):
    unary_loop(_acos, x, out)


@njit(cache=True)
def sinh_k(x, out):
    unary_loop(_sinh, x, out)


@njit(cache=True)
def cosh_k(x, out):
    unary_loop(_cosh, x, out)


@njit(cache=True)
def asinh_k(x, out):
    unary_loop(_asinh, x, out)


@njit(cache=True)
def acosh_k(x, out):
    unary_loop(_acosh, x, out)


@njit(cache=True)
def atanh_k(x, out):
    unary_loop(_atanh, x, out)


@njit(cache=True)
def erf_k(x, out):
    unary_loop(_erf, x, out)


@njit(cache=True)
def erfc_k(x, out):
    unary_loop(_erfc, x, out)


@njit(cache=True, error_model="numpy")
def erfinv_k(x, out):
    unary_loop(_erfinv, x, out)


@njit(cache=True)
def lgamma_k(x, out):
    unary_loop(_lgamma, x, out)


@njit(cache=True, error_model="numpy")
def digamma_k(x, out):
    unary_loop(_digamma, x, out)


@njit(cache=True, error_model="numpy")
def trigamma_k(x, out):
    unary_loop(_trigamma, x, out)


for _name, _k in list(globals().items()):
    if _name.endswith("_k") and not _name.startswith("_"):
        _op = _name[:-2]
        _arity = _k.py_func.__code__.co_argcount
        register(_op, "cpu")({2: _unary, 5: _binary, 6: _ternary}[_arity](_k))


# a > b is b < a and a >= b is b <= a (NaN included): gt and ge run lt's and le's kernels with the
# operands swapped, on every device, two fewer kernels to compile per dtype (~1 s each, cold)
SWAPPED = {"gt": "lt", "ge": "le"}


def swapped(launch):
    """The binary launcher ``launch`` with its two operands swapped."""
    return lambda a, b, out: launch(b, a, out)


for _op, _other in SWAPPED.items():
    register(_op, "cpu")(swapped(_binary(globals()[_other + "_k"])))
