"""einsum tensordot trace kron cross cdist diff cummax cummin logcumsumexp take_along_dim
tensor_split movedim baddbmm addbmm addmv addr and testing.assert_close: NumPy references,
float64 gradchecks, CUDA (simulator) runs, PyTorch's errors (torch as an extra oracle)."""
import warnings

import numpy as np
import pytest

import nbtorch as torch
from nbtorch.autograd import gradcheck

rng = np.random.default_rng(0)
A, B, C = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 3))
V, W = rng.standard_normal(3), rng.standard_normal(4)

EINSUMS = [("bij,jk->bik", (A, B)), ("bij,jk", (A, B)), ("ii->i", (C,)), ("ii", (C,)),
           ("i,i", (V, V)), ("i,j->ij", (V, W)), ("...ij,jk->...ik", (A, B)), ("bij->jb", (A,)),
           ("bij,bij->b", (A, A)), ("ij,jk,kl->il", (C, C, C)), ("...j,j", (A, W)),
           ("bij,bkj->bik", (A, rng.standard_normal((2, 5, 4)))), ("ij,ij->", (C, C)),
           ("i...->...", (A,)), ("ab,cd->", (C, C)), ("bij,jk->bk", (A, B)),
           ("...ij,...jk", (A, rng.standard_normal((1, 4, 2)))), ("Ba,ab", (C, C))]


def t64(a, grad=False, device="cpu"):
    return torch.tensor(a, dtype=torch.float64, device=device, requires_grad=grad)


@pytest.mark.parametrize("equation, operands", EINSUMS)
def test_einsum(equation, operands):
    out = torch.einsum(equation, *map(t64, operands))
    ref = np.einsum(equation, *operands)
    assert tuple(out.shape) == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_einsum_over_an_empty_contracted_dim_is_zero():
    a, b = torch.ones(2, 0), torch.ones(0, 3)
    np.testing.assert_array_equal(torch.einsum("ij,jk->ik", a, b).numpy(), np.zeros((2, 3)))
    assert torch.einsum("bij,bjk->bik", torch.ones(0, 2, 2), torch.ones(1, 2, 2)).shape == (0, 2, 2)


def test_einsum_gradients_and_list_form():
    a, b = t64(A, True), t64(B, True)
    assert gradcheck(lambda x, y: torch.einsum("bij,jk->bk", x, y), (a, b))
    assert gradcheck(lambda x: torch.einsum("ii->i", x), (t64(C, True),))
    assert gradcheck(lambda x, y: torch.einsum("...j,j", x, y), (a, t64(W, True)))
    np.testing.assert_allclose(torch.einsum("ij,jk", [t64(C), t64(C)]).numpy(), C @ C)


def test_einsum_cuda():
    out = torch.einsum("bij,jk->bik", t64(A, device="cuda"), t64(B, device="cuda"))
    assert out.device.type == "cuda"
    np.testing.assert_allclose(out.cpu().numpy(), A @ B, rtol=1e-12)


def test_tensor_algebra():
    D = rng.standard_normal((3, 4, 2))
    np.testing.assert_allclose(torch.tensordot(t64(A), t64(B), 1).numpy(),
                               np.tensordot(A, B, 1), rtol=1e-12)
    np.testing.assert_allclose(torch.tensordot(t64(A), t64(D), ([1, 2], [0, 1])).numpy(),
                               np.tensordot(A, D, ([1, 2], [0, 1])), rtol=1e-12)
    assert torch.trace(t64(C)).item() == pytest.approx(np.trace(C))
    np.testing.assert_allclose(torch.kron(t64(C), t64(D)).numpy(), np.kron(C, D), rtol=1e-12)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    np.testing.assert_allclose(torch.cross(t64(x), t64(y), dim=1).numpy(), np.cross(x, y),
                               rtol=1e-12)
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim"):
        np.testing.assert_allclose(t64(x).cross(t64(x + 1)).numpy(), np.cross(x, x + 1),
                                   rtol=1e-12)


@pytest.mark.parametrize("p", [0, 1, 2, 3, float("inf")])
def test_cdist(p):
    x1, x2 = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3))
    d = np.abs(x1[:, :, None] - x2[:, None])
    ref = (d != 0).sum(-1) if p == 0 else d.max(-1) if p == np.inf else (d ** p).sum(-1) ** (1 / p)
    np.testing.assert_allclose(torch.cdist(t64(x1), t64(x2), p).numpy(), ref, rtol=1e-12)
    if p:
        a = t64(x1, True)
        assert gradcheck(lambda t: torch.cdist(t, t64(x2), p), (a,))


def test_cdist_zero_distance_has_zero_gradient():
    a = t64(rng.standard_normal((3, 2)), True)
    assert gradcheck(lambda t: torch.cdist(t, t), (a,))
    torch.cdist(a, a).sum().backward()
    assert np.isfinite(a.grad.numpy()).all()


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_running_ops(device):
    x = np.array([[1.0, 3, 2, 3, 0, np.nan, 1], [5, 4, 4, 6, -1, 2, 0]])
    for name, ufunc in (("cummax", np.maximum), ("cummin", np.minimum)):
        v, i = getattr(torch, name)(t64(x, device=device), 1)
        ref = ufunc.accumulate(x, 1)                                    # NaN propagates
        np.testing.assert_array_equal(v.cpu().numpy(), ref)
        np.testing.assert_array_equal(np.take_along_axis(x, i.cpu().numpy(), 1), ref)
    np.testing.assert_array_equal(torch.cummax(t64(x), 1).indices.numpy()[1], [0, 0, 0, 3, 3, 3, 3])
    y = np.array([[-1000.0, 0, 5, -3], [1, 2, 3, 4]])
    np.testing.assert_allclose(t64(y, device=device).logcumsumexp(1).cpu().numpy(),
                               np.logaddexp.accumulate(y, 1), rtol=1e-12)


def test_running_gradients():
    a = t64(rng.standard_normal((3, 4)), True)
    assert gradcheck(lambda t: torch.cummax(t, 1).values, (a,))
    assert gradcheck(lambda t: torch.cummin(t, 0).values, (a,))
    assert gradcheck(lambda t: torch.logcumsumexp(t, 1), (a,))
    assert torch.cummax(a, 1).values.grad_fn.name() == "CummaxBackward0"


def test_shape_helpers():
    x = t64(A)
    np.testing.assert_array_equal(torch.movedim(x, 0, -1).numpy(), np.moveaxis(A, 0, -1))
    np.testing.assert_array_equal(x.moveaxis((0, 1), (2, 0)).numpy(),
                                  np.moveaxis(A, (0, 1), (2, 0)))
    for arg in (3, [1, 3], [3, 1, 7]):
        parts = torch.tensor_split(x, arg, 2)
        refs = np.array_split(A, arg, 2)
        assert len(parts) == len(refs)
        for p, r in zip(parts, refs):
            np.testing.assert_array_equal(p.numpy(), r)
    idx = np.argsort(C, 1)
    np.testing.assert_array_equal(torch.take_along_dim(t64(C), torch.tensor(idx), 1).numpy(),
                                  np.take_along_axis(C, idx, 1))
    np.testing.assert_array_equal(torch.take_along_dim(t64(C), torch.tensor([0, 4, 8])).numpy(),
                                  np.diag(C))
    np.testing.assert_array_equal(torch.diff(x, 2, 0).numpy(), np.diff(A, 2, 0))
    np.testing.assert_array_equal(
        torch.diff(t64(C), prepend=t64(V.reshape(3, 1))).numpy(),
        np.diff(C, prepend=V.reshape(3, 1)))
    assert torch.diff(torch.tensor([True, True, False])).tolist() == [False, True]
    a = t64(C, True)
    assert gradcheck(lambda t: torch.diff(t, 1, 0), (a,))
    assert gradcheck(lambda t: torch.take_along_dim(t, torch.tensor(idx), 1), (a,))


def test_add_products():
    b1, b2 = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 5, 4))
    I, m, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    refs = {"baddbmm": (0.5 * I + 2 * b1 @ b2, (I, b1, b2)),
            "addbmm": (0.5 * I + 2 * (b1 @ b2).sum(0), (I, b1, b2)),
            "addmv": (0.5 * V + 2 * m @ v, (V, m, v)),
            "addr": (0.5 * I + 2 * np.outer(V, W), (I, V, W))}
    for name, (ref, args) in refs.items():
        out = getattr(torch, name)(*map(t64, args), beta=0.5, alpha=2)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
        ts = tuple(t64(a, True) for a in args)
        assert gradcheck(lambda *t: getattr(torch, name)(*t, beta=0.5, alpha=2), ts)
    nan = torch.full((2, 3, 4), float("nan"))
    assert not torch.isnan(nan.baddbmm(torch.ones(2, 3, 5), torch.ones(2, 5, 4), beta=0)).any()


ERRORS = [
    (lambda t: t.einsum("ij,jk", t.ones(2, 3)),
     "einsum(): fewer operands were provided than specified in the equation"),
    (lambda t: t.einsum("ij,jk->ik", t.ones(2, 3), t.ones(3, 4), t.ones(3, 4)),
     "einsum(): more operands were provided than specified in the equation"),
    (lambda t: t.einsum("ijk,jk->ik", t.ones(2, 3), t.ones(3, 4)),
     "einsum(): the number of subscripts in the equation (3) does not match the number of "
     "dimensions (2) for operand 0 and no ellipsis was given"),
    (lambda t: t.einsum("ij,jk->il", t.ones(2, 3), t.ones(3, 4)),
     "einsum(): output subscript l does not appear in the equation for any input operand"),
    (lambda t: t.einsum("ij,kk->ik", t.ones(2, 3), t.ones(3, 4)),
     "einsum(): subscript k is repeated for operand 1 but the sizes don't match, 4 != 3"),
    (lambda t: t.einsum("ij,ik->jk", t.ones(2, 3), t.ones(3, 4)),
     "einsum(): subscript i has size 3 for operand 1 which does not broadcast with previously "
     "seen size 2"),
    (lambda t: t.einsum("i1,jk->ik", t.ones(2, 3), t.ones(3, 4)),
     "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in "
     "[a-zA-Z]"),
    (lambda t: t.einsum("ij,jk->iik", t.ones(2, 3), t.ones(3, 4)),
     "einsum(): output subscript i appears more than once in the output"),
    (lambda t: t.trace(t.ones(2, 2, 2)), "trace: expected a matrix, but got tensor with dim 3"),
    (lambda t: t.cross(t.ones(2, 3), t.ones(2, 2), dim=1),
     "linalg.cross: inputs dimension 1 must have length 3. Got 3 and 2"),
    (lambda t: t.cdist(t.ones(2, 3), t.ones(2, 4)),
     "X1 and X2 must have the same number of columns. X1: 3 X2: 4"),
    (lambda t: t.cdist(t.ones(3), t.ones(2, 3)), "cdist only supports at least 2D tensors, X1 "
                                                 "got: 1D"),
    (lambda t: t.cdist(t.ones(2, 3), t.ones(2, 3), p=-1),
     "cdist only supports non-negative p values"),
    (lambda t: t.tensordot(t.ones(2, 3), t.ones(2, 4), dims=1),
     "contracted dimensions need to match, but first has size 3 in dim -1 and second has size "
     "2 in dim 0"),
    (lambda t: t.tensordot(t.ones(2, 3), t.ones(3, 4), dims=-1),
     "tensordot expects dims >= 0, but got dims=-1"),
    (lambda t: t.take_along_dim(t.ones(2, 3), t.ones(2, dtype=t.long), 1),
     "torch.take_along_dim(): input and indices should have the same number of dimensions, but "
     "got 2 dimensions for input, and 1 dimensions for indices"),
    (lambda t: t.diff(t.ones(2, 3), n=-1), "order must be non-negative but got -1"),
    (lambda t: t.diff(t.tensor(1.0)), "diff expects input to be at least one-dimensional"),
    (lambda t: t.tensor_split(t.ones(2, 3), 0), "number of sections must be larger than 0, got 0"),
    (lambda t: t.tensor_split(t.tensor(1.0), 2), "tensor_split expected at least a "
                                                 "1-dimensional tensor, but got a tensor with 0 dims"),
    (lambda t: t.movedim(t.ones(2, 3), (0, 1), (0,)),
     "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same "
     "number of dims as destination ([0] dims)"),
    (lambda t: t.movedim(t.ones(2, 3), (0, 0), (0, 1)), "movedim: repeated dim in `source` ([0, "
                                                        "0])"),
    (lambda t: t.addmv(t.ones(2), t.ones(3, 5), t.ones(5)),
     "size mismatch, got input (2), mat (3x5), vec (5)"),
    (lambda t: t.cross(t.ones(2, 3), t.ones(4, 1, 3), dim=-1),
     "linalg.cross: inputs must have the same number of dimensions."),
    (lambda t: t.cdist(t.ones(2, 3, dtype=t.int64), t.ones(2, 3)),
     "cdist only supports floating-point dtypes, X1 got: Long"),
]


@pytest.mark.parametrize("call, message", ERRORS)
def test_errors(call, message):
    with pytest.raises(RuntimeError) as e:
        call(torch)
    assert str(e.value) == message


@pytest.mark.parametrize("call, message", ERRORS)
def test_errors_match_torch(call, message):
    real = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as e, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(real)
    assert str(e.value) == message


# --- testing.assert_close --------------------------------------------------------------------

CLOSE_CASES = [
    lambda t: t.testing.assert_close(t.tensor([1.0, 2, 3]), t.tensor([1.0, 2.5, 3.1])),
    lambda t: t.testing.assert_close(t.tensor([[1.0, 2], [3, 4]]),
                                     t.tensor([[1.0, 2], [3, 4.001]])),
    lambda t: t.testing.assert_close(t.tensor([1, 2]), t.tensor([1, 3])),
    lambda t: t.testing.assert_close(t.tensor([1.0, 2]), t.tensor([1.0, 2, 3])),
    lambda t: t.testing.assert_close(t.tensor([1.0]), t.tensor([1.0], dtype=t.float64)),
    lambda t: t.testing.assert_close(t.tensor([1.0, float("nan")]), t.tensor([1.0, float("nan")])),
    lambda t: t.testing.assert_close(t.tensor([1.0, float("nan")]), t.tensor([1.0, float("nan")]),
                                     equal_nan=True),
    lambda t: t.testing.assert_close(t.tensor(1.0), t.tensor(2.0)),
    lambda t: t.testing.assert_close(t.tensor(1.0), t.tensor(2.0), msg="custom"),
    lambda t: t.testing.assert_close(t.tensor([1.0]), t.tensor([2.0]), rtol=0.1),
    lambda t: t.testing.assert_close(1.0, 1.0 + 1e-9),
    lambda t: t.testing.assert_close(1.0, 1.1),
    lambda t: t.testing.assert_close([t.tensor([1.0]), t.tensor([2.0])],
                                     [t.tensor([1.0]), t.tensor([3.0])]),
    lambda t: t.testing.assert_close({"a": t.tensor([1.0, 2])}, {"a": t.tensor([1.0, 3])}),
    lambda t: t.testing.assert_close(t.tensor([True]), t.tensor([False])),
    lambda t: t.testing.assert_close(t.tensor([1.0, 2]), t.tensor([1.0, 2.00001], dtype=t.float64),
                                     check_dtype=False),
    lambda t: t.testing.assert_close(t.tensor([0.0, 1e30]), t.tensor([1.0, float("inf")])),
    lambda t: t.testing.assert_close(t.tensor([1.0, 2, 3, 4]), t.tensor([1.0, 2.1, 3, 4.3])),
]


def _outcome(module, call):
    try:
        call(module)
        return "passed"
    except (AssertionError, ValueError) as e:
        return f"{type(e).__name__}: {e}"


def test_assert_close_tolerances():
    torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.0 + 9e-6]))     # atol 1e-5
    with pytest.raises(AssertionError, match="Tensor-likes are not close!"):
        torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.0 + 2e-5]))
    x = torch.tensor([1.0], dtype=torch.float64)
    with pytest.raises(AssertionError, match=r"up to 1e-07 allowed"):
        torch.testing.assert_close(x, x + 1e-6)
    with pytest.raises(AssertionError, match=r"Mismatched elements: 1 / 3 \(33.3%\)"):
        torch.testing.assert_close(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 4]))
    assert _outcome(torch, CLOSE_CASES[6]) == "passed"
    assert "The failure occurred for item [1]" in _outcome(torch, CLOSE_CASES[12])


@pytest.mark.parametrize("call", CLOSE_CASES)
def test_assert_close_matches_torch(call):
    real = pytest.importorskip("torch")
    assert _outcome(torch, call) == _outcome(real, call)


def test_cuda_gradients_equal_cpu():
    a = rng.standard_normal((2, 5))
    grads = []
    for device in ("cpu", "cuda"):
        x = t64(a, True) if device == "cpu" else t64(a, device="cuda").requires_grad_()
        (torch.cummax(x, 1).values.sum() + torch.logcumsumexp(x, 1).sum() +
         torch.einsum("ij,kj->ik", x, x).sum() + torch.cdist(x, x).sum()).backward()
        grads.append(x.grad.cpu().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10)
