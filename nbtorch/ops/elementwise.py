"""Elementwise ops with broadcasting and PyTorch's type promotion, their gradients, the in-place
forms and ``out=``."""
from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..kernels.registry import lookup
from ._util import broadcast_shapes, cast, device_of, float_dtype, new, operand


def _shape(x):
    return x._data.shape if isinstance(x, Tensor) else ()


def run(op, operands, dtype, out_dtype=None):
    """Launch the kernel ``op`` over broadcast operands computed in ``dtype``."""
    dev = device_of(*operands)
    shape = broadcast_shapes(*map(_shape, operands))
    arrays = [operand(x, dtype, dev) for x in operands]
    out = new(shape, out_dtype or dtype, dev)
    lookup(op, dev.type)(*arrays, out._data)
    return out


def _promoted(a, b):
    return _dtype.result_type((a, b))


# --- binary arithmetic ---
class Add(Function):
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return run("add", (a, b), _promoted(a, b))

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return run("sub", (a, b), _promoted(a, b))

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    node_name = "MulBackward0"

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
        if ctx.needs_input_grad[0]:
            ga = where(b == 0, 0.0, g * b * a ** (b - 1))
        if ctx.needs_input_grad[1]:
            gb = where((a == 0) & (b >= 0), 0.0, g * out * log(a))
        return ga, gb


class Remainder(Function):
    node_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(*(x if isinstance(x, Tensor) else None for x in (a, b)))
        ctx.scalars = (a, b)
        return run("remainder", (a, b), _promoted(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = (t if t is not None else s for t, s in zip(ctx.saved_tensors, ctx.scalars))
        return g, (-g * floor_divide(a, b) if ctx.needs_input_grad[1] else None)


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
    if not isinstance(x, (Tensor, int, float, bool)) and not hasattr(x, "__index__"):
        raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not "
                        f"{type(x).__name__}")


def _write_out(result, out):
    """Copy ``result`` into the user's ``out=`` tensor (PyTorch resizes an out of another shape)."""
    if not _dtype.promote_types(result.dtype, out.dtype) is out.dtype and \
            result.dtype.category > out.dtype.category:
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired "
                           f"output type {_type_name(out.dtype)}")
    if out.shape != result.shape:
        out._data = new(result.shape, out.dtype, out._device)._data
    lookup("copy", out._device.type)(result._data, out._data)
    out._version[0] += 1
    return out


def _type_name(d):
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "bool": "Bool", "uint8": "Byte", "float16": "Half", "int16": "Short",
            "int8": "Char"}[d.name]


def _binary(fn_cls, name):
    def op(input, other, *, out=None):
        _check_number(other, name)
        result = fn_cls.apply(input, other)
        return result if out is None else _write_out(result, out)
    op.__name__ = name
    return op


def add(input, other, *, alpha=1, out=None):
    _check_number(other, "add")
    if alpha != 1:
        other = other * alpha
    result = Add.apply(input, other)
    return result if out is None else _write_out(result, out)


def sub(input, other, *, alpha=1, out=None):
    if isinstance(input, Tensor) and input.dtype is _dtype.bool_ and \
            (not isinstance(other, Tensor) or other.dtype is _dtype.bool_):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        other = other * alpha
    result = Sub.apply(input, other)
    return result if out is None else _write_out(result, out)


mul = _binary(Mul, "mul")
pow = _binary(Pow, "pow")
remainder = _binary(Remainder, "remainder")
maximum = _binary(Maximum, "maximum")
minimum = _binary(Minimum, "minimum")


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        result = Div.apply(input, other)
    elif rounding_mode == "floor":
        result = floor_divide(input, other)
    elif rounding_mode == "trunc":
        result = trunc(Div.apply(input, other))
        if not _promoted(input, other).is_floating_point:
            result = cast(result, _promoted(input, other))
    else:
        raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    return result if out is None else _write_out(result, out)


def floor_divide(input, other, *, out=None):
    """Not differentiable in PyTorch: the result carries no grad_fn."""
    result = run("floor_divide", (input, other), _promoted(input, other))
    return result if out is None else _write_out(result, out)


# --- comparisons and logic (no gradient; bool results) ---
def _compare(op):
    def fn(input, other, *, out=None):
        _check_number(other, op)
        result = run(op, (input, other), _promoted(input, other), _dtype.bool_)
        return result if out is None else _write_out(result, out)
    fn.__name__ = op
    return fn


eq, ne, lt, le, gt, ge = map(_compare, ("eq", "ne", "lt", "le", "gt", "ge"))
logical_and, logical_or, logical_xor = map(_compare, ("logical_and", "logical_or", "logical_xor"))


def _bitwise(op):
    def fn(input, other):
        dtype = _promoted(input, other)
        if dtype.is_floating_point:
            raise RuntimeError(f"\"{op}_cpu\" not implemented for '{_type_name(dtype)}'")
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


def _unary(name, node_name, grad, float_only=True):
    cls = type(name.capitalize(), (_Unary,), {
        "op": name, "node_name": node_name, "float_only": float_only,
        "grad": staticmethod(grad)})

    def fn(input, *, out=None):
        result = cls.apply(input)
        return result if out is None else _write_out(result, out)
    fn.__name__ = name
    return fn


def _zero(x, out, g):
    return g * 0


neg = _unary("neg", "NegBackward0", lambda x, y, g: -g, float_only=False)
abs = _unary("abs", "AbsBackward0", lambda x, y, g: g * sign(x), float_only=False)
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
        return result if out is None else _write_out(result, out)
    op.__name__ = fn.__name__
    return op


floor, ceil, round, trunc = map(_identity_on_ints, (_floor, _ceil, _round, _trunc))


def square(input):
    return mul(input, input)


def _predicate(op):
    def fn(input):
        if not input.dtype.is_floating_point and op != "logical_not":
            return run("eq", (input, input), input.dtype, _dtype.bool_) if op == "isfinite" \
                else run("ne", (input, input), input.dtype, _dtype.bool_)
        return run(op, (input,), input.dtype, _dtype.bool_)
    fn.__name__ = op
    return fn


isnan, isinf, isfinite, logical_not = map(_predicate, ("isnan", "isinf", "isfinite",
                                                       "logical_not"))


def bitwise_not(input):
    if input.dtype.is_floating_point:
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{_type_name(input.dtype)}'")
    if input.dtype is _dtype.bool_:
        return logical_not(input)
    return run("bitwise_not", (input,), input.dtype)


# --- ternary: where and clamp ---
class Where(Function):
    node_name = "WhereBackward0"

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
            condition = cast(condition, _dtype.bool_)
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                               f"with dtype {_type_name(condition.dtype)}")
    result = Where.apply(condition, input, other)
    return result if out is None else _write_out(result, out)


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        dtype = _dtype.result_type([x] + [v for v in (lo, hi) if isinstance(v, Tensor)])
        if dtype.is_floating_point:
            inf = float("inf")
        else:
            import numpy as np
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
        return where(inside, g, zero), None, None


class ClampScalar(Clamp):
    node_name = "ClampBackward1"


class ClampTensor(Clamp):
    node_name = "ClampBackward0"


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    fn = ClampTensor if isinstance(min, Tensor) or isinstance(max, Tensor) else ClampScalar
    result = fn.apply(input, min, max)
    return result if out is None else _write_out(result, out)


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


# --- in-place forms ---
def inplace(self, compute):
    """Run ``compute(self)`` out of place, then write the result into ``self`` and take over its
    history. When autograd records, ``compute`` sees a copy of ``self``, so gradients that need the
    old value still get it after ``self`` changes."""
    recording = _state.enabled and self._requires_grad
    if recording and self._grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = self._base
    if _state.enabled and base is not None and base._requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    result = compute(self.clone() if recording else self)
    if result.dtype.category > self.dtype.category:
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired "
                           f"output type {_type_name(self.dtype)}")
    if result.shape != self.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    lookup("copy", self._device.type)(result._data, self._data)
    self._version[0] += 1
    if result._grad_fn is not None:
        self._grad_fn, self._output_nr = result._grad_fn, result._output_nr
        self._requires_grad = True
    return self


def _inplace_method(fn):
    def method(self, *args, **kwargs):
        return inplace(self, lambda s: fn(s, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


def _reflected(fn):
    def method(self, other):
        return fn(other if isinstance(other, Tensor) else _scalar_like(other, self), self)
    return method


def _scalar_like(value, ref):
    from .._creation import full
    return full((), value, dtype=_dtype.result_type([value]), device=ref._device)


def zero_(self):
    with _no_record(self):
        lookup("fill", self._device.type)(self._data, 0)
    return self


def fill_(self, value):
    if isinstance(value, Tensor):
        value = value.item()
    with _no_record(self):
        lookup("fill", self._device.type)(self._data, value)
    return self


class _no_record:
    """In-place writes that do not depend on the old value: leaf check, version bump."""

    def __init__(self, t):
        self.t = t

    def __enter__(self):
        t = self.t
        if _state.enabled and t._requires_grad and t._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")

    def __exit__(self, *exc):
        self.t._version[0] += 1
        if self.t._grad_fn is not None:
            self.t._grad_fn = None


def _random_(sample):
    def method(self, *args, generator=None, **kwargs):
        from .._random import rng
        from .._storage import from_host
        with _no_record(self):
            values = sample(rng(generator), self.shape, *args, **kwargs).astype(self.dtype.np)
            lookup("copy", self._device.type)(from_host(values, self._device), self._data)
        return self
    return method


uniform_ = _random_(lambda r, shape, a=0.0, b=1.0: r.uniform(a, b, shape))
normal_ = _random_(lambda r, shape, mean=0.0, std=1.0: r.normal(mean, std, shape))
bernoulli_ = _random_(lambda r, shape, p=0.5: r.random(shape) < p)
exponential_ = _random_(lambda r, shape, lambd=1.0: r.exponential(1.0 / lambd, shape))
random_ = _random_(lambda r, shape, low=0, high=2 ** 24: r.integers(low, high, shape))


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
    **BINARY_METHODS, **UNARY_METHODS,
    **{name + "_": _inplace_method(fn) for name, fn in {**BINARY_METHODS, **UNARY_METHODS}.items()},
    "negative": neg, "absolute": abs, "fix": trunc,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt, "less": lt,
    "greater_equal": ge, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_not": bitwise_not, "bitwise_and": bitwise_and,
    "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite,
    "allclose": allclose, "isclose": isclose, "equal": equal, "lerp": lerp,
    "addcmul": addcmul, "addcdiv": addcdiv,
    "where": lambda self, condition, other: where(condition, self, other),
    "zero_": zero_, "fill_": fill_, "uniform_": uniform_, "normal_": normal_,
    "bernoulli_": bernoulli_, "bernoulli": bernoulli, "exponential_": exponential_,
    "random_": random_,
    "__add__": add, "__radd__": add, "__iadd__": _inplace_method(add),
    "__sub__": sub, "__rsub__": _reflected(sub), "__isub__": _inplace_method(sub),
    "__mul__": mul, "__rmul__": mul, "__imul__": _inplace_method(mul),
    "__truediv__": div, "__rtruediv__": _reflected(div), "__itruediv__": _inplace_method(div),
    "__floordiv__": floor_divide, "__rfloordiv__": _reflected(floor_divide),
    "__ifloordiv__": _inplace_method(floor_divide),
    "__mod__": remainder, "__rmod__": _reflected(remainder),
    "__imod__": _inplace_method(remainder),
    "__pow__": pow, "__rpow__": _reflected(pow), "__ipow__": _inplace_method(pow),
    "__neg__": neg, "__pos__": lambda self: self, "__abs__": abs, "__invert__": bitwise_not,
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor,
    "__iand__": _inplace_method(bitwise_and), "__ior__": _inplace_method(bitwise_or),
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
}
FUNCTIONS = {name: fn for name, fn in METHODS.items()
             if not name.startswith("__") and not name.endswith("_") and name != "where"}
FUNCTIONS.update(where=where)
