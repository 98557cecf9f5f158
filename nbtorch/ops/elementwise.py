"""Elementwise ops with broadcasting and PyTorch's type promotion, their gradients, the in-place
forms and ``out=``."""
import math
import numbers

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..kernels.registry import lookup
from ._util import broadcast_shapes, cast, device_of, float_dtype, new, operand


def _shape(x):
    return x._data.shape if isinstance(x, Tensor) else ()


def _alike(operands, dtype):
    """Whether the operands are tensors of one shape and device, already in ``dtype`` (the common
    case, which needs no broadcasting, conversion or device check)."""
    first = operands[0]
    if not isinstance(first, Tensor):
        return False
    shape, dev, np_dtype = first._data.shape, first._device, dtype.np
    return all(isinstance(x, Tensor) and x._data.shape == shape and x._device is dev
               and x._data.dtype == np_dtype for x in operands)


def run(op, operands, dtype, out_dtype=None):
    """Launch the kernel ``op`` over broadcast operands computed in ``dtype``."""
    if dtype is _dtype.float16:     # Numba has no CPU half type: compute in float32, store half
        return cast(run(op, operands, _dtype.float32, out_dtype), out_dtype or dtype)
    if _alike(operands, dtype):
        dev, shape = operands[0]._device, operands[0]._data.shape
        arrays = [x._data for x in operands]
    else:
        dev = device_of(*operands)
        shape = broadcast_shapes(*map(_shape, operands))
        arrays = [operand(x, dtype, dev) for x in operands]
    out = new(shape, out_dtype or dtype, dev)
    lookup(op, dev.type)(*arrays, out._data)
    return out


def _promoted(a, b):
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype == b._data.dtype:
        return a.dtype                          # one dtype: nothing to promote
    return _dtype.result_type((a, b))


# --- binary arithmetic ---
class Add(Function):
    node_name = "AddBackward0"
    number_edges = True

    @staticmethod
    def forward(ctx, a, b):
        return run("add", (a, b), _promoted(a, b))

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    node_name = "SubBackward0"
    number_edges = True

    @staticmethod
    def forward(ctx, a, b):
        return run("sub", (a, b), _promoted(a, b))

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    node_name = "MulBackward0"
    number_edges = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(*(x if isinstance(x, Tensor) else None for x in (a, b)))
        ctx.scalars = (a, b)
        return run("mul", (a, b), _promoted(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = (t if t is not None else s for t, s in zip(ctx.saved_tensors, ctx.scalars))
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    node_name = "DivBackward0"
    number_edges = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(*(x if isinstance(x, Tensor) else None for x in (a, b)))
        ctx.scalars = (a, b)
        return run("div", (a, b), float_dtype(_promoted(a, b)))

    @staticmethod
    def backward(ctx, g):
        a, b = (t if t is not None else s for t, s in zip(ctx.saved_tensors, ctx.scalars))
        return (g / b if ctx.needs_input_grad[0] else None,
                -g * a / (b * b) if ctx.needs_input_grad[1] else None)


class Pow(Function):
    """``tensor ** number``; the subclasses below are ``tensor ** tensor`` and ``number ** tensor``
    (PyTorch names the three differently)."""
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, b):
        dtype = _promoted(a, b)
        if not dtype.is_floating_point and (
                (isinstance(b, Tensor) and (b < 0).any().item()) or
                (not isinstance(b, Tensor) and b < 0)):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        out = run("pow", (a, b), dtype)
        ctx.save_for_backward(*(x if isinstance(x, Tensor) else None for x in (a, b, out)))
        ctx.scalars = (a, b)
        return out

    @staticmethod
    def backward(ctx, g):
        a_t, b_t, out = ctx.saved_tensors
        a, b = (t if t is not None else s for t, s in zip((a_t, b_t), ctx.scalars))
        ga = gb = None
        if ctx.needs_input_grad[0]:         # d a**b / da = b * a**(b-1), and 0 where b == 0
            if isinstance(b, Tensor):
                ga = where(b == 0, 0.0, g * b * a ** (b - 1))
            else:
                ga = g.new_zeros(g.shape) if b == 0 else g * b * a ** (b - 1)
        if ctx.needs_input_grad[1]:         # d a**b / db = a**b * log(a), and 0 where a == 0, b >= 0
            if isinstance(a, Tensor):
                gb = where((a == 0) & (b >= 0), 0.0, g * out * log(a))
            else:
                gb = g * out * (math.log(a) if a > 0 else (0.0 if a == 0 else math.nan))
        return ga, gb


class PowTensor(Pow):
    node_name = "PowBackward1"


class PowScalarBase(Pow):
    node_name = "PowBackward2"


class Remainder(Function):
    node_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(*(x if isinstance(x, Tensor) else None for x in (a, b)))
        ctx.scalars = (a, b)
        _check_divisor(b, _promoted(a, b), "remainder")
        return run("remainder", (a, b), _promoted(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = (t if t is not None else s for t, s in zip(ctx.saved_tensors, ctx.scalars))
        return g, (-g * floor_divide(a, b) if ctx.needs_input_grad[1] else None)


def _check_divisor(b, dtype, kernel):
    """An integer division by zero is an error in PyTorch (float ones give inf or nan)."""
    if dtype is _dtype.bool_:
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for 'Bool'")
    if not dtype.is_floating_point and \
            ((b == 0).any().item() if isinstance(b, Tensor) else b == 0):
        raise RuntimeError("ZeroDivisionError")


class RemainderTensor(Remainder):
    node_name = "RemainderBackward1"


class _Extremum(Function):
    """maximum/minimum: the gradient goes to the winner, split evenly on ties (as PyTorch)."""

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return run(cls.op, (a, b), _promoted(a, b))

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        wins = (a > b) if cls.op == "maximum" else (a < b)
        tie = (a == b)
        share = where(tie, g / 2, where(wins, g, 0.0))
        other = where(tie, g / 2, where(wins | tie, 0.0, g))
        return share, other


class Maximum(_Extremum):
    node_name = "MaximumBackward0"
    op = "maximum"


class Minimum(_Extremum):
    node_name = "MinimumBackward0"
    op = "minimum"


def _check_number(x, name):
    if not isinstance(x, (Tensor, int, float, bool, np.number, np.bool_)) and \
            not hasattr(x, "__index__"):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(x).__name__}")


def _write_out(result, out, name):
    """Copy ``result`` into the user's ``out=`` tensor (PyTorch resizes an out of another shape);
    like PyTorch, refuse when the result would need a gradient."""
    if result.requires_grad:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if not _dtype.promote_types(result.dtype, out.dtype) is out.dtype and \
            result.dtype.category > out.dtype.category:
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired "
                           f"output type {_type_name(out.dtype)}")
    if out.shape != result.shape:
        out._data = new(result.shape, out.dtype, out._device)._data
    lookup("copy", out._device.type)(result._data, out._data)
    out._version[0] += 1
    return out


_type_name = _dtype.scalar_name


def _binary(fn_cls, name):
    def op(input, other, *, out=None):
        _check_number(other, name)
        result = fn_cls.apply(input, other)
        return result if out is None else _write_out(result, out, name)
    op.__name__ = name
    return op


def _check_alpha(alpha, a, b):
    if isinstance(alpha, float) and not _promoted(a, b).is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


def add(input, other, *, alpha=1, out=None):
    _check_number(other, "add")
    _check_alpha(alpha, input, other)
    if alpha != 1:
        other = other * alpha
    result = Add.apply(input, other)
    return result if out is None else _write_out(result, out, "add")


def _check_sub(a, b):
    bools = [isinstance(x, Tensor) and x.dtype is _dtype.bool_ for x in (a, b)]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def sub(input, other, *, alpha=1, out=None):
    _check_sub(input, other)
    _check_alpha(alpha, input, other)
    if alpha != 1:
        other = other * alpha
    result = Sub.apply(input, other)
    return result if out is None else _write_out(result, out, "sub")


mul = _binary(Mul, "mul")


def pow(input, exponent, *, out=None):
    _check_number(exponent, "pow")
    fn = Pow if not isinstance(exponent, Tensor) else \
        PowTensor if isinstance(input, Tensor) else PowScalarBase
    result = fn.apply(input, exponent)
    return result if out is None else _write_out(result, out, "pow")


def remainder(input, other, *, out=None):
    _check_number(other, "remainder")
    result = (RemainderTensor if isinstance(other, Tensor) else Remainder).apply(input, other)
    return result if out is None else _write_out(result, out, "remainder")


def _tensor_pair(fn_cls, name):
    """maximum/minimum take two tensors (PyTorch's TypeError for a number)."""
    def op(input, other, *, out=None):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        result = fn_cls.apply(input, other)
        return result if out is None else _write_out(result, out, name)
    op.__name__ = name
    return op


maximum = _tensor_pair(Maximum, "maximum")
minimum = _tensor_pair(Minimum, "minimum")


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        result = Div.apply(input, other)
    elif rounding_mode == "floor":
        result = floor_divide(input, other)
    elif rounding_mode == "trunc":
        if _promoted(input, other).is_floating_point:
            result = trunc(Div.apply(input, other))
        else:   # exact on integers: the floor quotient, plus one where it rounded a negative down
            q, r = floor_divide(input, other), remainder(input, other)
            result = q + ((r != 0) & ((input < 0) != (other < 0)))
    else:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    return result if out is None else _write_out(result, out, "div")


def floor_divide(input, other, *, out=None):
    """Not differentiable in PyTorch: the result carries no grad_fn."""
    _check_divisor(other, _promoted(input, other), "div_floor")
    result = run("floor_divide", (input, other), _promoted(input, other))
    return result if out is None else _write_out(result, out, "floor_divide")


# --- comparisons and logic (no gradient; bool results) ---
def _compare(op):
    def fn(input, other, *, out=None):
        _check_number(other, op)
        result = run(op, (input, other), _promoted(input, other), _dtype.bool_)
        return result if out is None else _write_out(result, out, op)
    fn.__name__ = op
    return fn


eq, ne, lt, le, gt, ge = map(_compare, ("eq", "ne", "lt", "le", "gt", "ge"))
logical_and, logical_or, logical_xor = map(_compare, ("logical_and", "logical_or", "logical_xor"))


def _bitwise(op):
    def fn(input, other):
        dtype = _promoted(input, other)
        if dtype.is_floating_point:
            raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{_type_name(dtype)}'")
        return run(op, (input, other), dtype)
    fn.__name__ = op
    return fn


bitwise_and, bitwise_or, bitwise_xor = map(_bitwise, ("bitwise_and", "bitwise_or", "bitwise_xor"))


# --- unary ---
class _Unary(Function):
    """A unary op: ``op`` kernel, ``float_only`` ops compute ints in the default float dtype,
    ``grad(x, out, g)`` is the derivative (None: not differentiable, zero gradient)."""
    float_only = True
    grad = None

    @classmethod
    def forward(cls, ctx, x):
        dtype = float_dtype(x.dtype) if cls.float_only else x.dtype
        out = run(cls.op, (x,), dtype)
        ctx.save_for_backward(x, out)
        return out

    @classmethod
    def backward(cls, ctx, g):
        x, out = ctx.saved_tensors
        return cls.grad(x, out, g)


class _Composite(_Unary):
    """A unary op computed by ``compute(x)`` from other ops (x in its float dtype), not a kernel."""

    @classmethod
    def forward(cls, ctx, x):
        out = cls.compute(cast(x, float_dtype(x.dtype)))
        ctx.save_for_backward(x, out)
        return out


def _unary(name, node_name, grad, float_only=True, compute=None):
    cls = type(name.capitalize(), (_Unary if compute is None else _Composite,), {
        "op": name, "node_name": node_name, "float_only": float_only,
        "grad": staticmethod(grad), "compute": staticmethod(compute)})

    def fn(input, *, out=None):
        result = cls.apply(input)
        return result if out is None else _write_out(result, out, name)
    fn.__name__ = name
    return fn


def _zero(x, out, g):
    return g * 0


_neg = _unary("neg", "NegBackward0", lambda x, y, g: -g, float_only=False)
_abs = _unary("abs", "AbsBackward0", lambda x, y, g: g * sign(x), float_only=False)


def neg(input, *, out=None):
    if input.dtype is _dtype.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return _neg(input, out=out)


def abs(input, *, out=None):
    if input.dtype is _dtype.bool_:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return _abs(input, out=out)
exp = _unary("exp", "ExpBackward0", lambda x, y, g: g * y)
log = _unary("log", "LogBackward0", lambda x, y, g: g / x)
log1p = _unary("log1p", "Log1PBackward0", lambda x, y, g: g / (x + 1))
expm1 = _unary("expm1", "Expm1Backward0", lambda x, y, g: g * (y + 1))
log2 = _unary("log2", "Log2Backward0", lambda x, y, g: g / (x * 0.6931471805599453))
log10 = _unary("log10", "Log10Backward0", lambda x, y, g: g / (x * 2.302585092994046))
sqrt = _unary("sqrt", "SqrtBackward0", lambda x, y, g: g / (2 * y))
rsqrt = _unary("rsqrt", "RsqrtBackward0", lambda x, y, g: -0.5 * g * y * y * y)
sin = _unary("sin", "SinBackward0", lambda x, y, g: g * cos(x))
cos = _unary("cos", "CosBackward0", lambda x, y, g: -g * sin(x))
tan = _unary("tan", "TanBackward0", lambda x, y, g: g * (1 + y * y))
reciprocal = _unary("reciprocal", "ReciprocalBackward0", lambda x, y, g: -g * y * y)
sign = _unary("sign", "SignBackward0", _zero, float_only=False)
_floor = _unary("floor", "FloorBackward0", _zero, float_only=False)
_ceil = _unary("ceil", "CeilBackward0", _zero, float_only=False)
_round = _unary("round", "RoundBackward0", _zero, float_only=False)
_trunc = _unary("trunc", "TruncBackward0", _zero, float_only=False)


def _identity_on_ints(fn):
    """floor/ceil/round/trunc of an integer tensor is a copy of it."""
    def op(input, *, out=None, decimals=0):
        if not input.dtype.is_floating_point:
            result = input.clone()
        elif decimals:
            scale = 10.0 ** decimals
            result = fn(input * scale) / scale
        else:
            result = fn(input)
        return result if out is None else _write_out(result, out, fn.__name__)
    op.__name__ = fn.__name__
    return op


floor, ceil, round, trunc = map(_identity_on_ints, (_floor, _ceil, _round, _trunc))


def square(input, *, out=None):
    result = pow(input, 2)
    return result if out is None else _write_out(result, out, "square")


def _predicate(op):
    def fn(input):
        if not input.dtype.is_floating_point and op != "logical_not":
            return run("eq", (input, input), input.dtype, _dtype.bool_) if op == "isfinite" \
                else run("ne", (input, input), input.dtype, _dtype.bool_)
        return run(op, (input,), input.dtype, _dtype.bool_)
    fn.__name__ = op
    return fn


isnan, isinf, isfinite, _logical_not = map(_predicate, ("isnan", "isinf", "isfinite",
                                                        "logical_not"))


def logical_not(input, *, out=None):
    result = _logical_not(input)
    return result if out is None else _write_out(result, out, "logical_not")


class NanToNum(Function):
    """NaN, +inf and -inf replaced by numbers; the gradient flows where the input is finite."""
    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        out = where(isnan(x), nan, x)
        out = where(eq(x, math.inf), posinf, out)
        return where(eq(x, -math.inf), neginf, out)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return where(isfinite(x), g, g.new_zeros(())), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """posinf and neginf default to the dtype's largest and lowest finite values."""
    if input.dtype.is_floating_point:
        info = np.finfo(input.dtype.np)
        result = NanToNum.apply(input, nan, float(info.max) if posinf is None else posinf,
                                float(info.min) if neginf is None else neginf)
    else:
        result = input.clone()
    return result if out is None else _write_out(result, out, "nan_to_num")


def bitwise_not(input):
    if input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    if input.dtype is _dtype.bool_:
        return logical_not(input)
    return run("bitwise_not", (input,), input.dtype)


def _invert(self):
    if self.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


# --- ternary: where and clamp ---
class Where(Function):
    node_name = "WhereBackward0"
    number_edges = True
    hidden_edges = (0,)              # the condition

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return run("where", (cond, a, b), _promoted(a, b))

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        zero = g.new_zeros(())
        return (None,
                where(cond, g, zero) if ctx.needs_input_grad[1] else None,
                where(cond, zero, g) if ctx.needs_input_grad[2] else None)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    if condition.dtype is not _dtype.bool_:
        if condition.dtype is _dtype.uint8:
            import warnings
            warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and "
                          "will be removed in a future version of PyTorch. Use a boolean condition "
                          "instead.", UserWarning, stacklevel=2)
            condition = cast(condition, _dtype.bool_)
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                               f"with dtype {_type_name(condition.dtype)}")
    result = Where.apply(condition, input, other)
    return result if out is None else _write_out(result, out, "where")


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        dtype = _dtype.result_type([v for v in (x, lo, hi) if v is not None])
        if dtype.is_floating_point:
            inf = float("inf")
        else:
            info = np.iinfo(dtype.np) if dtype is not _dtype.bool_ else None
            inf = info.max if info is not None else 1
        lo_v = -inf if lo is None else lo
        hi_v = inf if hi is None else hi
        ctx.save_for_backward(x, *(v if isinstance(v, Tensor) else None for v in (lo, hi)))
        ctx.bounds = (lo_v, hi_v)
        return run("clamp", (x, lo_v, hi_v), dtype)

    @staticmethod
    def backward(ctx, g):
        x, lo_t, hi_t = ctx.saved_tensors
        lo = lo_t if lo_t is not None else ctx.bounds[0]
        hi = hi_t if hi_t is not None else ctx.bounds[1]
        inside = (x >= lo) & (x <= hi)
        zero = g.new_zeros(())
        need = ctx.needs_input_grad   # tensor bounds get g where they win, hi when lo > hi
        return (where(inside, g, zero),
                where((x < lo) & (lo < hi), g, zero) if need[1] else None,
                where((x > hi) | (hi < lo), g, zero) if need[2] else None)


class ClampScalar(Clamp):
    node_name = "ClampBackward1"


class ClampTensor(Clamp):
    node_name = "ClampBackward0"


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    fn = ClampTensor if isinstance(min, Tensor) or isinstance(max, Tensor) else ClampScalar
    result = fn.apply(input, min, max)
    return result if out is None else _write_out(result, out, "clamp")


clip = clamp


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_type_name(input.dtype)} did not match {_type_name(other.dtype)}")
    a, b = cast(input, _dtype.float64), cast(other, _dtype.float64)
    close = le(abs(a - b), atol + rtol * abs(b)) | eq(a, b)
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    return close


def equal(input, other):
    return input.shape == other.shape and bool(eq(input, other).all())


def lerp(input, end, weight):
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


# --- more math: kernels where the function is a primitive, compositions where it is cheap ---
_2_SQRT_PI = 2 / math.sqrt(math.pi)
_LN2 = math.log(2.0)
atan = _unary("atan", "AtanBackward0", lambda x, y, g: g / (x * x + 1))
asin = _unary("asin", "AsinBackward0", lambda x, y, g: g * rsqrt(1 - x * x))
acos = _unary("acos", "AcosBackward0", lambda x, y, g: -g * rsqrt(1 - x * x))
sinh = _unary("sinh", "SinhBackward0", lambda x, y, g: g * cosh(x))
cosh = _unary("cosh", "CoshBackward0", lambda x, y, g: g * sinh(x))
asinh = _unary("asinh", "AsinhBackward0", lambda x, y, g: g * rsqrt(x * x + 1))
acosh = _unary("acosh", "AcoshBackward0", lambda x, y, g: g * rsqrt((x - 1) * (x + 1)))
atanh = _unary("atanh", "AtanhBackward0", lambda x, y, g: g / (1 - x * x))
erf = _unary("erf", "ErfBackward0", lambda x, y, g: g * _2_SQRT_PI * exp(-x * x))
erfc = _unary("erfc", "ErfcBackward0", lambda x, y, g: -g * _2_SQRT_PI * exp(-x * x))
erfinv = _unary("erfinv", "ErfinvBackward0", lambda x, y, g: g / _2_SQRT_PI * exp(y * y))
_trigamma = _unary("trigamma", None, None)
digamma = _unary("digamma", "DigammaBackward0", lambda x, y, g: g * _trigamma(x))
lgamma = _unary("lgamma", "LgammaBackward0", lambda x, y, g: g * digamma(x))
exp2 = _unary("exp2", "Exp2Backward0", lambda x, y, g: g * y * _LN2,
              compute=lambda x: run("pow", (2.0, x), x.dtype))
deg2rad = _unary("deg2rad", "Deg2RadBackward0", lambda x, y, g: g * (math.pi / 180),
                 compute=lambda x: x * (math.pi / 180))
rad2deg = _unary("rad2deg", "Rad2DegBackward0", lambda x, y, g: g * (180 / math.pi),
                 compute=lambda x: x * (180 / math.pi))


def _sinc(x):
    px = x * math.pi
    return where(x == 0, 1.0, sin(px) / px)


def _sinc_grad(x, y, g):
    px = x * math.pi
    return where(x == 0, 0.0, g * (cos(px) * px - sin(px)) / (px * x))


sinc = _unary("sinc", "SincBackward0", _sinc_grad, compute=_sinc)
_frac = _unary("frac", "FracBackward0", lambda x, y, g: g, compute=lambda x: x - trunc(x))


def _float_kernel(name, dtype):
    """PyTorch's error for a float-only kernel given integers or bools."""
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_type_name(dtype)}'")


def frac(input, *, out=None):
    _float_kernel("frac", input.dtype)
    return _frac(input, out=out)


class Logit(Function):
    node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        x = cast(x, float_dtype(x.dtype))
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x if eps is None else clamp(x, eps, 1 - eps)
        return log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        gx = g / (x * (1 - x))
        if ctx.eps is not None:     # zero where the input was clamped
            gx = where((x < ctx.eps) | (x > 1 - ctx.eps), 0.0, gx)
        return gx, None


def logit(input, eps=None, *, out=None):
    result = Logit.apply(input, eps)
    return result if out is None else _write_out(result, out, "logit")


def _check_tensor(other, name, arg="other"):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


class _MathBinary(Function):
    """A binary op over the kernel ``op`` in the promoted (float, when ``float_only``) dtype;
    ``grad(a, b, out, g)`` gives both input gradients (numbers stand for themselves)."""
    float_only = True
    number_edges = True

    @classmethod
    def forward(cls, ctx, a, b):
        dtype = _promoted(a, b)
        out = run(cls.op, (a, b), float_dtype(dtype) if cls.float_only else dtype)
        ctx.save_for_backward(*(x if isinstance(x, Tensor) else None for x in (a, b, out)))
        ctx.scalars = (a, b)
        return out

    @classmethod
    def backward(cls, ctx, g):
        a_t, b_t, out = ctx.saved_tensors
        a, b = (t if t is not None else s for t, s in zip((a_t, b_t), ctx.scalars))
        ga, gb = cls.grad(a, b, out, g)
        return (ga if ctx.needs_input_grad[0] else None,
                gb if ctx.needs_input_grad[1] else None)


def _math_binary(name, node_name, grad, op=None, tensor_node=None, tensor_only=True):
    """The function ``name``; ``tensor_node``: the node name when ``other`` is a tensor (PyTorch
    names the scalar and tensor overloads differently)."""
    attrs = {"op": op or name, "node_name": node_name, "grad": staticmethod(grad)}
    cls = type(name.capitalize(), (_MathBinary,), attrs)
    tensor_cls = cls if tensor_node is None else type(
        name.capitalize() + "Tensor", (cls,), {"node_name": tensor_node})

    def fn(input, other, *, out=None):
        (_check_tensor if tensor_only else _check_number)(other, name)
        result = (tensor_cls if isinstance(other, Tensor) else cls).apply(input, other)
        return result if out is None else _write_out(result, out, name)
    fn.__name__ = name
    return fn


def _atan2_grad(a, b, out, g):
    r = g / (a * a + b * b)
    return r * b, -r * a


atan2 = _math_binary("atan2", "Atan2Backward0", _atan2_grad)
_hypot = _math_binary("hypot", "HypotBackward0", lambda a, b, out, g: (g * a / out, g * b / out))


def hypot(input, other, *, out=None):
    _check_tensor(other, "hypot")
    _float_kernel("hypot", _dtype.result_type((input, other)))
    return _hypot(input, other, out=out)


def _copysign_grad(a, b, out, g):
    return where(a == 0, 0.0, g * out / a), g * 0


copysign = _math_binary("copysign", "CopysignBackward1", _copysign_grad,
                        tensor_node="CopysignBackward0", tensor_only=False)


class Fmod(_MathBinary):
    """C's fmod, the sign of ``input``: a kernel for floats, from ``remainder`` for integers
    (exact), which has the sign of ``other``."""
    node_name, op, float_only = "FmodBackward0", "fmod", False

    @classmethod
    def forward(cls, ctx, a, b):
        dtype = _promoted(a, b)
        _check_divisor(b, dtype, "fmod")
        if dtype.is_floating_point:
            return super().forward(ctx, a, b)
        r = remainder(a, b)
        return where((r != 0) & ((a < 0) != (b < 0)), r - b, r)

    @staticmethod
    def grad(a, b, out, g):
        return g, -g * trunc(a / b)


class FmodTensor(Fmod):
    node_name = "FmodBackward1"


def fmod(input, other, *, out=None):
    _check_number(other, "fmod")
    result = (FmodTensor if isinstance(other, Tensor) else Fmod).apply(input, other)
    return result if out is None else _write_out(result, out, "fmod")


class Logaddexp(Function):
    """log(exp(a) + exp(b)) as max + log1p(exp(-|a - b|)); ``base2``: log2(2**a + 2**b)."""
    node_name = "LogaddexpBackward0"
    base2 = False

    @classmethod
    def forward(cls, ctx, a, b):
        _float_kernel("logaddexp2" if cls.base2 else "logaddexp", _dtype.result_type((a, b)))
        ctx.save_for_backward(a, b)
        m, d = maximum(a, b), abs(a - b)
        tail = log1p(exp(d * -_LN2)) / _LN2 if cls.base2 else log1p(exp(-d))
        return where(isinf(a) & (a == b), a, m + tail)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        d = (b - a) * _LN2 if cls.base2 else b - a
        return g / (exp(d) + 1), g / (exp(-d) + 1)


class Logaddexp2(Logaddexp):
    node_name, base2 = "Logaddexp2Backward0", True


def _tensor_binary(fn_cls, name):
    def op(input, other, *, out=None):
        _check_tensor(other, name)
        result = fn_cls.apply(input, other)
        return result if out is None else _write_out(result, out, name)
    op.__name__ = name
    return op


logaddexp = _tensor_binary(Logaddexp, "logaddexp")
logaddexp2 = _tensor_binary(Logaddexp2, "logaddexp2")


class Xlogy(Function):
    """x * log(y), 0 where x == 0 (unless y is NaN)."""
    node_name = "XlogyBackward0"
    number_edges = True

    @staticmethod
    def forward(ctx, x, y):
        dtype = float_dtype(_promoted(x, y))
        like = x if isinstance(x, Tensor) else y
        x, y = (cast(v, dtype) if isinstance(v, Tensor) else like.new_full((), v, dtype=dtype)
                for v in (x, y))
        ctx.save_for_backward(x, y)
        return where((x == 0) & ~isnan(y), 0.0, x * log(y))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (where((x == 0) & (y <= 0), 0.0, g * log(y)) if ctx.needs_input_grad[0] else None,
                g * x / y if ctx.needs_input_grad[1] else None)


class XlogyScalarSelf(Xlogy):
    node_name = "XlogyBackward1"


class XlogyScalarOther(Xlogy):
    node_name = "XlogyBackward2"


def xlogy(input, other, *, out=None):
    fn = Xlogy if isinstance(input, Tensor) and isinstance(other, Tensor) else \
        XlogyScalarOther if isinstance(input, Tensor) else XlogyScalarSelf
    result = fn.apply(input, other)
    return result if out is None else _write_out(result, out, "xlogy")


def signbit(input, *, out=None):
    """Set for negative numbers, -0.0 and NaNs with the sign bit set: copysign(1, x) < 0."""
    if input.dtype is _dtype.bool_:
        result = input.new_zeros(input.shape, dtype=_dtype.bool_)
    elif input.dtype.is_floating_point:
        result = lt(run("copysign", (1.0, input), input.dtype), 0)
    else:
        result = lt(input, 0)
    return result if out is None else _write_out(result.detach(), out, "signbit")


def heaviside(input, values, *, out=None):
    """values where input == 0, else (input > 0); not differentiable (PyTorch has no formula)."""
    _check_tensor(values, "heaviside", "values")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    result = where(input == 0, values, cast(gt(input, 0), input.dtype)).detach()
    return result if out is None else _write_out(result, out, "heaviside")


class ClampMin(ClampScalar):
    node_name = "ClampMinBackward0"


class ClampMinTensor(ClampScalar):
    node_name = "ClampMinBackward1"


class ClampMax(ClampScalar):
    node_name = "ClampMaxBackward0"


class ClampMaxTensor(ClampScalar):
    node_name = "ClampMaxBackward1"


def clamp_min(input, min, *, out=None):
    result = (ClampMinTensor if isinstance(min, Tensor) else ClampMin).apply(input, min, None)
    return result if out is None else _write_out(result, out, "clamp_min")


def clamp_max(input, max, *, out=None):
    result = (ClampMaxTensor if isinstance(max, Tensor) else ClampMax).apply(input, None, max)
    return result if out is None else _write_out(result, out, "clamp_max")


MATH_METHODS = {f.__name__: f for f in (
    atan, asin, acos, sinh, cosh, asinh, acosh, atanh, erf, erfc, erfinv, digamma, lgamma, exp2,
    deg2rad, rad2deg, sinc, frac, logit, atan2, hypot, copysign, fmod, xlogy, heaviside,
    clamp_min, clamp_max)}
MATH_METHODS.update(arctan=atan, arcsin=asin, arccos=acos, arcsinh=asinh, arccosh=acosh,
                    arctanh=atanh, arctan2=atan2)


# --- in-place forms ---
def _check_inplace(t):
    """PyTorch refuses in-place writes to leaves that require grad (and to their views)."""
    if not _state.enabled:
        return
    if t._requires_grad and t._grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = t._base
    if base is not None and base._requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def inplace(self, compute):
    """Run ``compute(self)`` out of place, then write the result into ``self`` and take over its
    history. When autograd records, ``compute`` sees a copy of ``self``, so gradients that need the
    old value still get it after ``self`` changes."""
    _check_inplace(self)
    recording = _state.enabled and self._requires_grad
    result = compute(self.clone() if recording else self)
    if result.dtype.category > self.dtype.category:
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired "
                           f"output type {_type_name(self.dtype)}")
    if result.shape != self.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    lookup("copy", self._device.type)(result._data, self._data)
    self._version[0] += 1
    if _state.enabled and (result._grad_fn is not None or recording):
        _take_history(self, result if result._grad_fn is not None else Constant.apply(self))
    return self


def _take_history(t, result):
    """After an in-place write, ``t`` gets the history of ``result`` (the written values). For a
    view the base changes too: its old history outside the view, ``result``'s inside."""
    base = t._base
    if base is not None:
        region = _region(base, t)
        base._grad_fn = CopySlices.apply(base, result, region)._grad_fn
        base._output_nr, base._requires_grad = 0, True
        result = AsStrided.apply(base, t.detach(), region)
    t._grad_fn, t._output_nr = result._grad_fn, result._output_nr
    t._requires_grad = True


def _region(base, view):
    """Row-major positions in ``base`` of the elements of ``view``, which lies in base's memory
    (found from data pointers and strides, so any view chain works)."""
    def addresses(t, start):
        addr = np.full(t.shape, start, np.int64)
        for d, (n, step) in enumerate(zip(t.shape, t.stride())):
            addr = addr + (np.arange(n) * step).reshape((n,) + (1,) * (t.dim() - d - 1))
        return addr.reshape(-1)
    v = addresses(view, (view.data_ptr() - base.data_ptr()) // base.element_size())
    if base.is_contiguous():
        return v
    b = addresses(base, 0)
    order = np.argsort(b, kind="stable")
    return order[np.searchsorted(b[order], v)]


class CopySlices(Function):
    """The base after an in-place write into one of its views: the gradient of the old base is
    zero inside the view, the written values get the view's part."""
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, value, region):
        ctx.region, ctx.value_shape = region, value.shape
        return base.detach()

    @staticmethod
    def backward(ctx, g):
        flat = g.reshape(-1)
        g_value = flat[ctx.region].reshape(ctx.value_shape)
        g_base = flat.clone()
        g_base[ctx.region] = 0
        return g_base.reshape(g.shape), g_value, None


class AsStrided(Function):
    """A view's history after an in-place write: the view's part of its base."""
    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, view, region):
        ctx.region, ctx.base_shape = region, base.shape
        return view

    @staticmethod
    def backward(ctx, g):
        flat = g.new_zeros(math.prod(ctx.base_shape))
        flat[ctx.region] = g.reshape(-1)
        return flat.reshape(ctx.base_shape), None, None


def _inplace_method(fn):
    def method(self, *args, **kwargs):
        return inplace(self, lambda s: fn(s, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


def _operator(fn, arrays=False):
    """An operator method: other operand types get NotImplemented, so Python answers as it does
    for PyTorch (``t == None`` is False, ``t + None`` a TypeError, ``t * a`` NumPy's ufunc, which
    Tensor.__array_wrap__ makes a Tensor); ``arrays``: a NumPy array is taken as a tensor
    (PyTorch's ``t == a``)."""
    def method(self, other):
        if not isinstance(other, (Tensor, numbers.Number, np.bool_)):
            if not (arrays and isinstance(other, np.ndarray)):
                return NotImplemented
            other = Tensor._wrap(other) if other.ndim else Tensor._wrap(other.reshape(1))[0]
        return fn(self, other)
    method.__name__ = getattr(fn, "__name__", "operator")
    return method


def _reflected(fn):
    """``number <op> tensor``: the number keeps its full precision, as PyTorch's wrapped scalars."""
    def method(self, other):
        return fn(other, self)
    return method


class Rsub(Function):
    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, x, number):
        return run("sub", (number, x), _promoted(x, number))

    @staticmethod
    def backward(ctx, g):
        return -g, None


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    _check_sub(input, other)
    return Rsub.apply(input if alpha == 1 else input * alpha, other)


def _rtruediv(self, other):
    """``number / tensor`` is computed as ``reciprocal(tensor) * number``, as PyTorch does."""
    return mul(reciprocal(self), other)


def zero_(self):
    with _no_record(self, ZeroFill):
        lookup("fill", self._device.type)(self._data, 0)
    return self


def fill_(self, value):
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.dim()} dimensions.")
        value = value.item()
    with _no_record(self, Fill):
        lookup("fill", self._device.type)(self._data, value)
    return self


class Overwritten(Function):
    """The new history of a non-leaf whose values an in-place fill replaced: the old values get
    a zero gradient (subclasses carry PyTorch's node names)."""

    @staticmethod
    def forward(ctx, x):
        return x._view_of(x._data)

    @staticmethod
    def backward(ctx, g):
        return g.new_zeros(g.shape)


def _overwrite_node(node_name):
    return type(node_name, (Overwritten,), {"node_name": node_name})


ZeroFill, Fill = _overwrite_node("ZeroBackward0"), _overwrite_node("FillBackward0")
Constant = _overwrite_node("CopyBackwards")


class _no_record:
    """In-place writes that do not depend on the old value: leaf check, version bump, and on a
    non-leaf a ``node`` (an Overwritten) as its new history."""

    def __init__(self, t, node):
        self.t, self.node = t, node

    def __enter__(self):
        _check_inplace(self.t)

    def __exit__(self, *exc):
        t = self.t
        t._version[0] += 1
        if t._grad_fn is not None and _state.enabled:
            _take_history(t, self.node.apply(t))


def _random_(sample, node_name):
    node = _overwrite_node(node_name)

    def method(self, *args, generator=None, **kwargs):
        from .._random import rng
        from .._storage import from_host
        with _no_record(self, node):
            values = sample(rng(generator), self.shape, *args, **kwargs).astype(self.dtype.np)
            lookup("copy", self._device.type)(from_host(values, self._device), self._data)
        return self
    return method


uniform_ = _random_(lambda r, shape, a=0.0, b=1.0: r.uniform(a, b, shape), "UniformBackward0")
normal_ = _random_(lambda r, shape, mean=0.0, std=1.0: r.normal(mean, std, shape),
                   "NormalBackward0")
bernoulli_ = _random_(lambda r, shape, p=0.5: r.random(shape) < p, "BernoulliBackward0")
exponential_ = _random_(lambda r, shape, lambd=1.0: r.exponential(1.0 / lambd, shape),
                        "ExponentialBackward0")
random_ = _random_(lambda r, shape, low=0, high=2 ** 24: r.integers(low, high, shape),
                   "RandomBackward0")


def bernoulli(input, *, generator=None):
    from .._random import rng
    from .._storage import from_host
    probs = input.detach()._host()
    values = (rng(generator).random(probs.shape) < probs).astype(input.dtype.np)
    return Tensor._wrap(from_host(values, input._device), input._device)


BINARY_METHODS = {"add": add, "sub": sub, "mul": mul, "div": div, "pow": pow,
                  "remainder": remainder, "floor_divide": floor_divide, "maximum": maximum,
                  "minimum": minimum, "clamp": clamp, "clip": clamp, "true_divide": div,
                  "multiply": mul, "subtract": sub, "divide": div}
UNARY_METHODS = {f.__name__: f for f in (neg, abs, exp, log, log1p, expm1, log2, log10, sqrt,
                                         rsqrt, sin, cos, tan, reciprocal, sign, floor, ceil,
                                         round, trunc, square)}

METHODS = {
    **BINARY_METHODS, **UNARY_METHODS, **MATH_METHODS, "logaddexp": logaddexp,
    "logaddexp2": logaddexp2, "signbit": signbit,
    **{name + "_": _inplace_method(fn)
       for name, fn in {**BINARY_METHODS, **UNARY_METHODS, **MATH_METHODS}.items()},
    "negative": neg, "absolute": abs, "fix": trunc,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt, "less": lt,
    "greater_equal": ge, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_not": bitwise_not, "bitwise_and": bitwise_and,
    "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "nan_to_num": nan_to_num,
    "nan_to_num_": _inplace_method(nan_to_num),
    "allclose": allclose, "isclose": isclose, "equal": equal, "lerp": lerp,
    "addcmul": addcmul, "addcdiv": addcdiv, "rsub": rsub,
    "where": lambda self, condition, other: where(condition, self, other),
    "zero_": zero_, "fill_": fill_, "uniform_": uniform_, "normal_": normal_,
    "bernoulli_": bernoulli_, "bernoulli": bernoulli, "exponential_": exponential_,
    "random_": random_,
    "__neg__": neg, "__pos__": lambda self: self, "__abs__": abs, "__invert__": _invert,
    **{name: _operator(fn, name in ("__eq__", "__ne__")) for name, fn in {
        "__add__": add, "__radd__": add, "__iadd__": _inplace_method(add),
        "__sub__": sub, "__rsub__": rsub, "__isub__": _inplace_method(sub),
        "__mul__": mul, "__rmul__": mul, "__imul__": _inplace_method(mul),
        "__truediv__": div, "__rtruediv__": _rtruediv, "__itruediv__": _inplace_method(div),
        "__floordiv__": floor_divide, "__rfloordiv__": _reflected(floor_divide),
        "__ifloordiv__": _inplace_method(floor_divide),
        "__mod__": remainder, "__rmod__": _reflected(remainder),
        "__imod__": _inplace_method(remainder),
        "__pow__": pow, "__rpow__": _reflected(pow), "__ipow__": _inplace_method(pow),
        "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
        "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor,
        "__iand__": _inplace_method(bitwise_and), "__ior__": _inplace_method(bitwise_or),
        "__ixor__": _inplace_method(bitwise_xor),
        "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    }.items()},
}
FUNCTIONS = {name: fn for name, fn in METHODS.items()
             if not name.startswith("__") and not name.endswith("_") and name != "where"}
FUNCTIONS.update(where=where)
