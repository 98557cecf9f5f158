"""Matrix products: the BLAS launchers, the ops (values against NumPy on contiguous, transposed and
strided operands, with PyTorch's broadcasting), gradcheck, grad_fn names and error words."""
import numpy as np
import pytest

import nbtorch as torch
import nbtorch.kernels.cpu.matmul  # noqa: F401  (registers the launchers under test)
import nbtorch.nn.functional as F
from nbtorch.autograd import gradcheck
from nbtorch.kernels.registry import lookup

FLOATS = [np.float32, np.float64]
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def sample(shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(-4, 5, shape).astype(dtype)


def operand(shape, dtype, seed, layout):
    """(numpy value, nbtorch tensor) of ``shape``: C-contiguous, a transposed view, or strided."""
    if layout == "T":
        a = sample(shape[:-2] + shape[-2:][::-1], dtype, seed)
        return np.swapaxes(a, -1, -2), torch.from_numpy(a).mT
    if layout == "strided":
        a = sample(shape[:-1] + (2 * shape[-1],), dtype, seed)
        return a[..., ::2], torch.from_numpy(a)[..., ::2]
    a = sample(shape, dtype, seed)
    return a, torch.from_numpy(a)


# --- launchers ---
@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("m,k,n", [(3, 5, 4), (1, 7, 1), (6, 1, 2), (1, 3, 5), (4, 2, 1),
                                   (2, 0, 3)])
def test_mm_launcher(m, k, n, tb, ta, dtype):
    a, b = sample((m, k), dtype, 1), sample((k, n), dtype, 2)
    out = np.full((m, n), 7, dtype)
    lookup("mm_forward", "cpu")(np.ascontiguousarray(a.T) if ta else a,
                                np.ascontiguousarray(b.T) if tb else b, out, ta, tb)
    np.testing.assert_allclose(out, a @ b, rtol=TOL.get(dtype, 0), atol=TOL.get(dtype, 0))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("ta,tb", [(False, False), (True, True)])
def test_bmm_launcher(dtype, ta, tb):
    a, b = sample((3, 4, 5), dtype, 1), sample((3, 5, 2), dtype, 2)
    out = np.empty((3, 4, 2), dtype)
    lookup("bmm_forward", "cpu")(np.ascontiguousarray(np.swapaxes(a, 1, 2)) if ta else a,
                                 np.ascontiguousarray(np.swapaxes(b, 1, 2)) if tb else b, out,
                                 ta, tb)
    np.testing.assert_allclose(out, a @ b, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("rows", [1, 4])
@pytest.mark.parametrize("beta,alpha", [(1.0, 1.0), (0.5, -2.0), (0.0, 3.0)])
def test_addmm_launcher(beta, alpha, rows, dtype):
    a, w, bias = sample((4, 3), dtype, 1), sample((5, 3), dtype, 2), sample((rows, 5), dtype, 3)
    if beta == 0:
        bias[:] = np.nan  # ignored, as in PyTorch
    out = np.empty((4, 5), dtype)
    lookup("addmm_forward", "cpu")(bias, a, w, out, beta, alpha, False, True)
    ref = alpha * (a @ w.T) + (beta * bias if beta else 0)
    np.testing.assert_allclose(out, ref, rtol=TOL[dtype], atol=TOL[dtype])


# --- ops: values ---
MATMUL_SHAPES = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)),
                 ((2, 3, 4), (4,)), ((2, 3, 4), (4, 5)), ((4,), (2, 4, 5)), ((3, 4), (2, 4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (2, 4, 5)),
                 ((2, 3, 0), (0, 5)), ((0, 3), (3, 2))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_values(sa, sb, dtype):
    for la, lb in [("C", "C"), ("T" if len(sa) > 1 else "C", "T" if len(sb) > 1 else "C"),
                   ("strided", "strided")]:
        a, ta = operand(sa, dtype, 1, la)
        b, tb = operand(sb, dtype, 2, lb)
        out = ta @ tb
        assert out.dtype == ta.dtype and out.shape == np.matmul(a, b).shape
        np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=TOL[dtype], atol=TOL[dtype])
        np.testing.assert_allclose(torch.matmul(ta, tb).numpy(), np.matmul(a, b), rtol=TOL[dtype],
                                   atol=TOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
def test_products_values(dtype):
    (a, ta), (b, tb) = operand((3, 4), dtype, 1, "T"), operand((4, 5), dtype, 2, "strided")
    tol = dict(rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_allclose(torch.mm(ta, tb).numpy(), a @ b, **tol)
    np.testing.assert_allclose(ta.mm(tb).numpy(), a @ b, **tol)
    (x, tx), (y, ty) = operand((2, 3, 4), dtype, 3, "T"), operand((2, 4, 5), dtype, 4, "C")
    np.testing.assert_allclose(torch.bmm(tx, ty).numpy(), x @ y, **tol)
    bias = sample((5,), dtype, 5)
    np.testing.assert_allclose(torch.addmm(torch.from_numpy(bias), ta, tb).numpy(), a @ b + bias,
                               **tol)
    col = sample((3, 1), dtype, 6)
    np.testing.assert_allclose(
        torch.from_numpy(col).addmm(ta, tb, beta=0.5, alpha=2).numpy(), 0.5 * col + 2 * (a @ b),
        **tol)
    np.testing.assert_allclose(torch.addmm(torch.tensor(1.5, dtype=ta.dtype), ta, tb).numpy(),
                               1.5 + a @ b, **tol)
    u, v = sample((4,), dtype, 7), sample((6,), dtype, 8)
    tu, tv = torch.from_numpy(u), torch.from_numpy(v)
    np.testing.assert_allclose(torch.dot(tu, torch.from_numpy(b[:, 0].copy())).numpy(),
                               u @ b[:, 0], **tol)
    np.testing.assert_allclose(tu.outer(tv).numpy(), np.outer(u, v), **tol)
    np.testing.assert_allclose(torch.mv(ta, tu).numpy(), a @ u, **tol)


def test_integer_matmul():
    a, b = sample((3, 4), np.int64, 1), sample((4, 2), np.int64, 2)
    out = torch.from_numpy(a) @ torch.from_numpy(b)
    assert out.dtype == torch.int64
    np.testing.assert_array_equal(out.numpy(), a @ b)
    np.testing.assert_array_equal(torch.tensor([1, 2, 3]).dot(torch.tensor([4, 5, 6])).item(), 32)


def test_matmul_and_mm_out():
    """The Tensors tutorial's ``torch.matmul(tensor, tensor.T, out=y3)``: written into out."""
    a, b = sample((3, 4), np.float32, 1), sample((4, 2), np.float32, 2)
    for fn in (torch.matmul, torch.mm):
        out = torch.zeros(3, 2)
        assert fn(torch.from_numpy(a), torch.from_numpy(b), out=out) is out
        np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-5)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_values(bias, shape, dtype):
    x, w, b = sample(shape, dtype, 1), sample((5, 3), dtype, 2), sample((5,), dtype, 3)
    out = F.linear(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b) if bias else None)
    ref = x @ w.T + (b if bias else 0)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("lead", [(), (5,), (2, 3)])
def test_bilinear_values(lead, dtype):
    x1, x2 = sample(lead + (3,), dtype, 1), sample(lead + (4,), dtype, 2)
    w, b = sample((2, 3, 4), dtype, 3), sample((2,), dtype, 4)
    out = F.bilinear(*map(torch.from_numpy, (x1, x2, w, b)))
    ref = np.einsum("...i,oij,...j->...o", x1, w, x2) + b
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)


# --- gradients ---
def leaf(shape, seed):
    return torch.from_numpy(sample(shape, seed=seed)).requires_grad_()


GRAD_CASES = {
    "mm": (torch.mm, [(3, 4), (4, 2)]),
    "bmm": (torch.bmm, [(2, 3, 4), (2, 4, 2)]),
    "addmm_row": (lambda b, x, y: torch.addmm(b, x, y, beta=0.5, alpha=2.0),
                  [(2,), (3, 4), (4, 2)]),
    "addmm_full": (torch.addmm, [(3, 2), (3, 4), (4, 2)]),
    "dot": (torch.dot, [(4,), (4,)]),
    "mv": (torch.mv, [(3, 4), (4,)]),
    "outer": (torch.outer, [(3,), (2,)]),
    "matmul_1_2": (torch.matmul, [(4,), (4, 2)]),
    "matmul_3_2": (torch.matmul, [(2, 3, 4), (4, 2)]),
    "matmul_2_3": (torch.matmul, [(3, 4), (2, 4, 2)]),
    "matmul_1_3": (torch.matmul, [(4,), (2, 4, 2)]),
    "matmul_3_1": (torch.matmul, [(2, 3, 4), (4,)]),
    "matmul_bcast": (torch.matmul, [(2, 1, 2, 3), (3, 3, 2)]),
    "linear": (F.linear, [(3, 4), (2, 4), (2,)]),
    "linear_3d": (F.linear, [(2, 3, 4), (2, 4), (2,)]),
    "linear_nobias": (F.linear, [(2, 3, 4), (2, 4)]),
    "bilinear": (F.bilinear, [(2, 3), (2, 2), (4, 3, 2), (4,)]),
    "bilinear_nobias": (F.bilinear, [(2, 2, 3), (2, 2, 2), (2, 3, 2)]),
}


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradcheck(name):
    fn, shapes = GRAD_CASES[name]
    assert gradcheck(fn, tuple(leaf(s, i) for i, s in enumerate(shapes)))


@pytest.mark.parametrize("fn", [torch.mm, lambda a, b: torch.addmm(torch.zeros(3, 2, dtype=a.dtype,
                                                                                requires_grad=True),
                                                                    a, b)])
def test_gradcheck_transposed_operands(fn):
    """Transposed views go to BLAS in place; their gradients must still be right."""
    a = torch.from_numpy(sample((4, 3), seed=1)).requires_grad_()
    b = torch.from_numpy(sample((2, 4), seed=2)).requires_grad_()
    assert gradcheck(lambda a, b: fn(a.t(), b.t()), (a, b))


def test_linear_weight_grad_is_contiguous():
    w = torch.randn(5, 4, requires_grad=True)
    F.linear(torch.randn(3, 4), w, torch.randn(5)).sum().backward()
    assert w.grad.is_contiguous() and w.grad.shape == (5, 4)


GRAD_FN_NAMES = [
    (lambda: torch.randn(3, requires_grad=True) @ torch.randn(3), "DotBackward0"),
    (lambda: torch.randn(2, 3, requires_grad=True) @ torch.randn(3), "MvBackward0"),
    (lambda: torch.randn(3, requires_grad=True) @ torch.randn(3, 4), "SqueezeBackward4"),
    (lambda: torch.randn(2, 3, requires_grad=True) @ torch.randn(3, 4), "MmBackward0"),
    (lambda: torch.randn(5, 2, 3, requires_grad=True) @ torch.randn(3), "UnsafeViewBackward0"),
    (lambda: torch.randn(5, 2, 3, requires_grad=True) @ torch.randn(3, 4), "UnsafeViewBackward0"),
    (lambda: torch.randn(2, 3, requires_grad=True) @ torch.randn(5, 3, 4), "CloneBackward0"),
    (lambda: torch.randn(5, 2, 3, requires_grad=True) @ torch.randn(5, 3, 4),
     "UnsafeViewBackward0"),
    (lambda: torch.randn(3, requires_grad=True).outer(torch.randn(4)), "MulBackward0"),
    (lambda: F.linear(torch.randn(4, 3, requires_grad=True), torch.randn(5, 3), torch.randn(5)),
     "AddmmBackward0"),
    (lambda: F.linear(torch.randn(4, 3, requires_grad=True), torch.randn(5, 3)), "MmBackward0"),
    (lambda: F.linear(torch.randn(2, 4, 3, requires_grad=True), torch.randn(5, 3), torch.randn(5)),
     "ViewBackward0"),
    (lambda: F.linear(torch.randn(2, 4, 3, requires_grad=True), torch.randn(5, 3)),
     "UnsafeViewBackward0"),
    (lambda: torch.bmm(torch.randn(2, 2, 3, requires_grad=True), torch.randn(2, 3, 1)),
     "BmmBackward0"),
]


@pytest.mark.parametrize("make,name", GRAD_FN_NAMES)
def test_grad_fn_names(make, name):
    assert make().grad_fn.name() == name


# --- errors ---
def t(*shape, dtype=torch.float32):
    return torch.zeros(*shape, dtype=dtype)


ERRORS = [
    (lambda: torch.mm(t(4, 256), t(400, 120)),
     RuntimeError, "mat1 and mat2 shapes cannot be multiplied (4x256 and 400x120)"),
    (lambda: F.linear(t(4, 256), t(120, 400), t(120)),
     RuntimeError, "mat1 and mat2 shapes cannot be multiplied (4x256 and 400x120)"),
    (lambda: F.linear(t(2, 4, 256), t(120, 400)),
     RuntimeError, "mat1 and mat2 shapes cannot be multiplied (8x256 and 400x120)"),
    (lambda: F.linear(t(4, 3), t(5, 3), t(4)), RuntimeError,
     "The expanded size of the tensor (5) must match the existing size (4) at non-singleton "
     "dimension 1.  Target sizes: [4, 5].  Tensor sizes: [4]"),
    (lambda: F.linear(torch.tensor(1.), t(5, 3)), RuntimeError,
     "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    (lambda: F.linear(t(4, 3), t(5, 3, dtype=torch.float64)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: F.linear(t(4, 3), t(5, 3), t(5, dtype=torch.float64)), RuntimeError,
     "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda: torch.mm(t(4), t(4, 3)), RuntimeError, "self must be a matrix"),
    (lambda: torch.mm(t(4, 3), t(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda: torch.mm(torch.ones(2, 3, dtype=torch.int64), t(3, 2)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: long int != float"),
    (lambda: torch.mm(torch.ones(2, 3, dtype=torch.bool), torch.ones(3, 2, dtype=torch.bool)),
     NotImplementedError, "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda: torch.bmm(t(2, 4, 3), t(2, 4, 3)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    (lambda: torch.bmm(t(4, 3), t(3, 3)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: torch.bmm(t(2, 4, 3), t(3, 3)), RuntimeError, "batch2 must be a 3D tensor"),
    (lambda: torch.bmm(t(2, 4, 3), t(2, 3, 3, dtype=torch.float64)), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: torch.dot(t(3), t(4)), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
     "elements, but got 3 and 4 elements respectively"),
    (lambda: torch.dot(t(3, 1), t(3)), RuntimeError,
     "1D tensors expected, but got 2D and 1D tensors"),
    (lambda: torch.dot(t(3), t(3, dtype=torch.float64)), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda: torch.outer(t(3, 1), t(3)), RuntimeError,
     "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: torch.matmul(torch.tensor(1.), t(3)), RuntimeError,
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (lambda: t(2, 3) @ t(4), RuntimeError, "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: t(3) @ t(2, 4), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (1x3 and 2x4)"),
    (lambda: t(5, 2, 3) @ t(4, 4), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (10x3 and 4x4)"),
    (lambda: t(5, 2, 3) @ t(5, 4, 4), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [5, 4]."),
    (lambda: t(5, 2, 3) @ t(4, 3, 4), RuntimeError,
     "The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 0"),
    (lambda: t(3, 3) @ t(3, dtype=torch.float64), RuntimeError,
     "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    (lambda: torch.addmm(t(5), t(4, 3), t(3, 5, dtype=torch.float64)), RuntimeError,
     "self and mat2 must have the same dtype, but got Float and Double"),
    (lambda: torch.addmm(t(5), t(4, 3, dtype=torch.float64), t(3, 5)), RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Double and Float"),
    (lambda: torch.addmm(t(5), t(3), t(3, 5)), RuntimeError,
     "mat1 must be a matrix, got 1-D tensor"),
    (lambda: t(2, 3) @ 2, TypeError, "unsupported operand type(s) for @: 'Tensor' and 'int'"),
    (lambda: torch.matmul(2, t(3)), TypeError,
     "matmul(): argument 'input' (position 1) must be Tensor, not int"),
]


ERRORS += [
    (lambda: F.bilinear(t(5, 2), t(4, 3), t(4, 2, 3)), RuntimeError,
     "bilinear(): input batch dimensions do not match at dim 0: got 5 and 4"),
    (lambda: F.bilinear(t(5, 2), t(5, 4), t(4, 2, 3)), RuntimeError,
     "bilinear(): input2 size does not match weight size: got 4 but expected 3"),
    (lambda: F.bilinear(t(5, 2), t(5, 1, 3), t(4, 2, 3)), RuntimeError,
     "bilinear(): input dimensions do not match: got 2 and 3"),
    (lambda: F.bilinear(t(5, 2), t(5, 3), t(4, 2, 3), t(3)), RuntimeError,
     "bilinear(): bias size does not match weight size: got 3 but expected 4"),
]


@pytest.mark.parametrize("call,exc,message", ERRORS)
def test_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message
