"""Matrix products: mm, bmm, addmm, mv and dot as Functions over the BLAS launchers, and matmul,
outer and linear composed from them with PyTorch's dimension rules (and its grad_fn names)."""
import math

from .._tensor import Tensor
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import broadcast_shapes, new
from .elementwise import _type_name, _write_out
from .shape import Squeeze, View

_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char"}


# --- operand layout ---
def _mat(t):
    """``t``'s data as a C-contiguous array, and whether that array holds t's (batched) transpose:
    BLAS reads a transposed view in place, anything else strided is copied first."""
    if t.is_contiguous():
        return t._data, False
    d = t._data.swapaxes(-1, -2)
    if d.flags.c_contiguous:
        return d, True
    return t.contiguous()._data, False


def _vec(t, shape):
    """``t``'s elements as a matrix of ``shape``, its -1 resolved (CUDA arrays take no -1)."""
    return t.contiguous()._data.reshape(tuple(t.numel() if n == -1 else n for n in shape))


def _like(prod, x, y, transposed):
    """``prod(x, y)``, computed as ``prod(y.mT, x.mT).mT`` for an input that is a transposed view,
    so its gradient comes out in the input's memory layout (as PyTorch's mm backward does)."""
    return prod(y.mT, x.mT).mT if transposed else prod(x, y)


def _scaled(g, s):
    return g if s == 1 else g * s


# --- Functions ---
class _MatProduct(Function):
    """mm (2-D) and bmm (3-D): out = a @ b through BLAS, transposed views passed as flags."""

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        out = new(a.shape[:-1] + b.shape[-1:], a.dtype, a._device)
        (da, ta), (db, tb) = _mat(a), _mat(b)
        ctx.transposed = ta, tb
        lookup(cls.op, a._device.type)(da, db, out._data, ta, tb)
        return out

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        ta, tb = ctx.transposed
        return (_like(cls.apply, g, b.mT, ta) if ctx.needs_input_grad[0] else None,
                _like(cls.apply, a.mT, g, tb) if ctx.needs_input_grad[1] else None)


class Mm(_MatProduct):
    node_name = "MmBackward0"
    op = "mm_forward"


class Bmm(_MatProduct):
    node_name = "BmmBackward0"
    op = "bmm_forward"


class Addmm(Function):
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, bias, a, b, beta, alpha):
        ctx.save_for_backward(a if ctx.needs_input_grad[2] else None,
                              b if ctx.needs_input_grad[1] else None)
        ctx.beta, ctx.alpha = beta, alpha
        m, n = a.shape[0], b.shape[1]
        rows = 1 if bias.dim() < 2 or bias.shape[0] == 1 else m
        if bias.numel() != rows * n:
            bias = bias.expand(rows, n)
        out = new((m, n), a.dtype, a._device)
        (da, ta), (db, tb) = _mat(a), _mat(b)
        ctx.transposed = ta, tb
        lookup("addmm_forward", a._device.type)(_vec(bias, (rows, n)), da, db, out._data, beta,
                                                 alpha, ta, tb)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ta, tb = ctx.transposed
        return (_scaled(g, ctx.beta) if need[0] else None,
                _scaled(_like(Mm.apply, g, b.mT, ta), ctx.alpha) if need[1] else None,
                _scaled(_like(Mm.apply, a.mT, g, tb), ctx.alpha) if need[2] else None,
                None, None)


class Mv(Function):
    node_name = "MvBackward0"

    @staticmethod
    def forward(ctx, m, v):
        ctx.save_for_backward(m if ctx.needs_input_grad[1] else None,
                              v if ctx.needs_input_grad[0] else None)
        out = new((m.shape[0],), m.dtype, m._device)
        dm, tm = _mat(m)
        lookup("mm_forward", m._device.type)(dm, _vec(v, (-1, 1)), _vec(out, (-1, 1)), tm,
                                              False)
        return out

    @staticmethod
    def backward(ctx, g):
        m, v = ctx.saved_tensors
        return (outer(g, v) if ctx.needs_input_grad[0] else None,
                Mv.apply(m.mT, g) if ctx.needs_input_grad[1] else None)


class Dot(Function):
    node_name = "DotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        out = new((), a.dtype, a._device)
        lookup("mm_forward", a._device.type)(_vec(a, (1, -1)), _vec(b, (-1, 1)),
                                              out._data.reshape(1, 1), False, False)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class UnsafeView(View):
    node_name = "UnsafeViewBackward0"


class SqueezeInplace(Squeeze):
    node_name = "SqueezeBackward4"


# --- checks (PyTorch's words) ---
def _supported(op, *tensors):
    if tensors[0].dtype.name == "bool":
        raise NotImplementedError(f'"{op}" not implemented for \'Bool\'')


def _check_mm(a, b):
    if a.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if b.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {b.shape[0]}x{b.shape[1]})")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP_NAMES.get(a.dtype.name, a.dtype.name)} != "
                           f"{_CPP_NAMES.get(b.dtype.name, b.dtype.name)}")
    _supported("addmm_impl_cpu_", a)


def _tensor_arg(x, name, pos, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


# --- public functions ---
def mm(input, mat2, *, out=None):
    _tensor_arg(mat2, "mat2", 2, "mm")
    _check_mm(input, mat2)
    result = Mm.apply(input, mat2)
    return result if out is None else _write_out(result, out, "mm")


def bmm(input, mat2):
    _tensor_arg(mat2, "mat2", 2, "bmm")
    if input.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    expect = [input.shape[0], input.shape[2]]
    if list(mat2.shape[:2]) != expect:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"{expect} but got: {list(mat2.shape[:2])}.")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input.dtype)} but found "
                           f"{_type_name(mat2.dtype)}")
    _supported("bmm", input)
    return Bmm.apply(input, mat2)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    for i, (x, name) in enumerate(((mat1, "mat1"), (mat2, "mat2"))):
        _tensor_arg(x, name, i + 2, "addmm")
        if x.dim() != 2:
            raise RuntimeError(f"{name} must be a matrix, got {x.dim()}-D tensor")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_type_name(input.dtype)} and {_type_name(mat2.dtype)}")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_type_name(mat1.dtype)} and {_type_name(mat2.dtype)}")
    _check_mm(mat1, mat2)
    m, n = mat1.shape[0], mat2.shape[1]
    if input.dim() > 2 or any(s not in (1, full) for s, full in zip(input.shape[::-1], (n, m))):
        input.expand(m, n)  # raises PyTorch's error for a bias of the wrong size
    return Addmm.apply(input, mat1, mat2, beta, alpha)


def mv(input, vec):
    _tensor_arg(vec, "vec", 2, "mv")
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.dim()}, {vec.dim()}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat "
                           f"({input.shape[0]}x{input.shape[1]}), vec ({vec.shape[0]})")
    if input.dtype is not vec.dtype:
        v, m = _type_name(vec.dtype), _type_name(input.dtype)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {v}, {m}, and "
                           f"{v}")
    _supported("addmv_impl_cpu", input)
    return Mv.apply(input, vec)


def dot(input, tensor):
    _tensor_arg(tensor, "tensor", 2, "dot")
    if input.dim() != 1 or tensor.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {tensor.dim()}D "
                           "tensors")
    if input.dtype is not tensor.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_type_name(input.dtype)} and {_type_name(tensor.dtype)}")
    if input.shape[0] != tensor.shape[0]:
        n, m = input.shape[0], tensor.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have "
                           f"the same number of elements, but got {n} and {m} elements "
                           "respectively")
    _supported("dot", input)
    return Dot.apply(input, tensor)


def outer(input, vec2):
    _tensor_arg(vec2, "vec2", 2, "outer")
    for x, name in ((input, "self"), (vec2, "vec2")):
        if x.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {x.dim()}-D")
    return input.reshape(input.shape[0], 1) * vec2


def matmul(input, other, *, out=None):
    result = _matmul(input, other)
    return result if out is None else _write_out(result, out, "matmul")


def _matmul(input, other):
    """PyTorch's rules: 1-D x 1-D dot, 2-D x 1-D mv, matrices mm; an N-D operand against a 1-D or
    2-D one is folded into one mm/mv; otherwise batch dimensions broadcast into one bmm."""
    _tensor_arg(input, "input", 1, "matmul")
    _tensor_arg(other, "other", 2, "matmul")
    da, db = input.dim(), other.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D "
                           f"and {db}D")
    if da <= 2 and db <= 2:
        if db == 1:
            return dot(input, other) if da == 1 else mv(input, other)
        if da == 1:
            out = mm(input.unsqueeze(0), other)
            return SqueezeInplace.apply(out, out.shape[1:])
        return mm(input, other)
    if da <= 2 or db <= 2:
        return _folded(input, other, da, db)
    return _batched(input, other)


def _folded(a, b, da, db):
    """An N-D operand against a matrix or vector: one mm (or mv) over the flattened batch."""
    transpose = db > da
    t1 = b.mT if transpose else a
    t2 = (a.t() if da == 2 else a) if transpose else b
    shape = t1.shape[:-1]
    flat = t1.reshape(math.prod(shape), t1.shape[-1])
    if t2.dim() == 1:
        return UnsafeView.apply(mv(flat, t2), shape)
    out = UnsafeView.apply(mm(flat, t2), shape + (t2.shape[1],))
    return out.mT.contiguous() if transpose else out


def _batched(a, b):
    """Both operands N-D: broadcast the batch dimensions and run one bmm."""
    (n, k), (k2, p) = a.shape[-2:], b.shape[-2:]
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    size = math.prod(batch)
    a = a if math.prod(a.shape[:-2]) == size else a.expand(batch + (n, k))
    b = b if math.prod(b.shape[:-2]) == size else b.expand(batch + (k2, p))
    out = bmm(a.reshape(size, n, k), b.reshape(size, k2, p))
    return UnsafeView.apply(out, batch + (n, p))


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias: addmm on 2-D input (AddmmBackward0), else flattened to 2-D and
    viewed back; without a bias, matmul (as PyTorch)."""
    _tensor_arg(input, "input", 1, "linear")
    _tensor_arg(weight, "weight", 2, "linear")
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    wt = weight.t()
    if bias is None:
        return matmul(input, wt)
    if input.dim() == 2:
        return addmm(bias, input, wt)
    out = addmm(bias, input.reshape(-1, input.shape[-1]), wt)
    return out.view(input.shape[:-1] + (wt.shape[-1],))


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = input1 @ weight[o] @ input2 + bias[o], as one GEMM against weight viewed
    (out * in1, in2) and a reduction over in1."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    for i, (s1, s2) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if s1 != s2:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{s1} and {s2}")
    out, in1, in2 = weight.shape
    for k, (got, want) in enumerate(((input1.shape[-1], in1), (input2.shape[-1], in2))):
        if got != want:
            raise RuntimeError(f"bilinear(): input{k + 1} size does not match weight size: got "
                               f"{got} but expected {want}")
    if bias is not None and bias.shape[0] != out:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {out}")
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    u = mm(x2, weight.reshape(out * in1, in2).t()).view(-1, out, in1)
    y = (u * x1.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.view(input1.shape[:-1] + (out,))


def _accumulate(input, product, beta, alpha):
    """beta * input + alpha * product, input expanded to the product's shape (PyTorch's error
    otherwise); beta == 0 ignores input, NaN included."""
    bias = input.expand(product.shape)
    product = _scaled(product, alpha)
    return product if beta == 0 else product + _scaled(bias, beta)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _accumulate(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _accumulate(input, bmm(batch1, batch2).sum(0), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    if input.dim() > 1 or input.numel() not in (1, mat.shape[0] if mat.dim() else -1):
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.dim() else 1}), "
                           f"mat ({'x'.join(map(str, mat.shape))}), vec "
                           f"({vec.shape[0] if vec.dim() else 1})")
    return _accumulate(input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    return _accumulate(input, outer(vec1, vec2), beta, alpha)


def _matmul_method(self, other):
    return matmul(self, other) if isinstance(other, Tensor) else NotImplemented


def _rmatmul_method(self, other):
    return matmul(other, self) if isinstance(other, Tensor) else NotImplemented


def _addmm_method(self, mat1, mat2, *, beta=1, alpha=1):
    return addmm(self, mat1, mat2, beta=beta, alpha=alpha)


METHODS = {"mm": mm, "bmm": bmm, "addmm": _addmm_method, "mv": mv, "dot": dot, "outer": outer,
           "ger": outer, "matmul": matmul, "__matmul__": _matmul_method,
           "__rmatmul__": _rmatmul_method, "baddbmm": baddbmm, "addbmm": addbmm, "addmv": addmv,
           "addr": addr}
FUNCTIONS = {"mm": mm, "bmm": bmm, "addmm": addmm, "mv": mv, "dot": dot, "outer": outer,
             "ger": outer, "matmul": matmul, "baddbmm": baddbmm, "addbmm": addbmm, "addmv": addmv,
             "addr": addr}
