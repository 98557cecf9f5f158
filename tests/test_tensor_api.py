"""Tensor-API gaps tutorials hit: NumPy keyword names, Python types as dtypes, legacy tensor
types, grad_fn classes, triangle/diagonal/stacking/roll/repeat_interleave/nan_to_num/index_add,
in-place view ops and resize_, out=, and top-level switches. References are NumPy formulas;
PyTorch is an extra oracle when installed."""
import math
import warnings

import numpy as np
import pytest

import nbtorch as nt
import nbtorch.nn.functional as F
from nbtorch.autograd import gradcheck

RNG = np.random.default_rng(0)
M = RNG.standard_normal((3, 4))
V = RNG.standard_normal(3)
B = RNG.standard_normal((2, 3, 4))


def t64(a, grad=True):
    return nt.tensor(a, dtype=nt.float64, requires_grad=grad)


def as_torch(fn, torch):
    """The test's lambda ``fn`` with ``nt`` and ``F`` meaning PyTorch's (the lambdas only use
    names both libraries share)."""
    scope = dict(fn.__globals__, nt=torch, F=torch.nn.functional)
    return type(fn)(fn.__code__, scope, None, fn.__defaults__, fn.__closure__)


# --- 1. NumPy keyword names ---------------------------------------------------------------------

# (call with NumPy names, the same call with PyTorch's names)
ALIASES = {
    "sum": (lambda x: x.sum(axis=1, keepdims=True), lambda x: x.sum(dim=1, keepdim=True)),
    "torch.sum": (lambda x: nt.sum(x, axis=0), lambda x: nt.sum(x, dim=0)),
    "mean": (lambda x: x.mean(axis=(0, 1)), lambda x: x.mean(dim=(0, 1))),
    "max": (lambda x: x.max(axis=1, keepdims=True).values, lambda x: x.max(1, True).values),
    "torch.min": (lambda x: nt.min(x, axis=1).indices, lambda x: nt.min(x, 1).indices),
    "amax": (lambda x: x.amax(axis=1), lambda x: x.amax(dim=1)),
    "amin": (lambda x: x.amin(axis=0, keepdims=True), lambda x: x.amin(0, True)),
    "prod": (lambda x: x.prod(axis=1), lambda x: x.prod(1)),
    "std": (lambda x: x.std(axis=1), lambda x: x.std(1)),
    "var": (lambda x: x.var(axis=1, keepdims=True), lambda x: x.var(1, keepdim=True)),
    "argmax": (lambda x: x.argmax(axis=1), lambda x: x.argmax(1)),
    "argmin": (lambda x: x.argmin(axis=0, keepdims=True), lambda x: x.argmin(0, True)),
    "all": (lambda x: (x > 0).all(axis=1), lambda x: (x > 0).all(1)),
    "any": (lambda x: (x > 0).any(axis=1, keepdims=True), lambda x: (x > 0).any(1, True)),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda x: x.logsumexp(1)),
    "cumsum": (lambda x: x.cumsum(axis=1), lambda x: x.cumsum(1)),
    "cumprod": (lambda x: nt.cumprod(x, axis=0), lambda x: nt.cumprod(x, 0)),
    "cat": (lambda x: nt.cat([x, x], axis=1), lambda x: nt.cat([x, x], 1)),
    "concatenate": (lambda x: nt.concatenate([x, x], axis=1), lambda x: nt.cat([x, x], 1)),
    "stack": (lambda x: nt.stack([x, x], axis=2), lambda x: nt.stack([x, x], 2)),
    "squeeze": (lambda x: x[:1].squeeze(axis=0), lambda x: x[:1].squeeze(0)),
    "unsqueeze": (lambda x: x.unsqueeze(axis=1), lambda x: x.unsqueeze(1)),
    "softmax": (lambda x: x.softmax(axis=1), lambda x: x.softmax(1)),
    "sort": (lambda x: x.sort(axis=0).values, lambda x: x.sort(0).values),
    "topk": (lambda x: x.topk(2, axis=0).values, lambda x: x.topk(2, 0).values),
    "index_select": (lambda x: x.index_select(axis=1, index=nt.tensor([2, 0])),
                     lambda x: x.index_select(1, nt.tensor([2, 0]))),
    "gather": (lambda x: x.gather(axis=1, index=nt.tensor([[1], [0], [3]])),
               lambda x: x.gather(1, nt.tensor([[1], [0], [3]]))),
    "count_nonzero": (lambda x: (x > 0).count_nonzero(axis=1),
                      lambda x: (x > 0).count_nonzero(1)),
    "var_mean": (lambda x: nt.var_mean(x, axis=1)[0], lambda x: nt.var_mean(x, 1)[0]),
    "repeat_interleave": (lambda x: x.repeat_interleave(2, axis=1),
                          lambda x: x.repeat_interleave(2, dim=1)),
    "unflatten": (lambda x: nt.unflatten(x, axis=1, sizes=(2, 2)),
                  lambda x: nt.unflatten(x, 1, (2, 2))),
    "cosine_similarity": (lambda x: nt.cosine_similarity(x, x + 1, axis=0),
                          lambda x: nt.cosine_similarity(x, x + 1, 0)),
}


@pytest.mark.parametrize("name", ALIASES)
def test_numpy_keyword_names(name):
    numpy_names, torch_names = ALIASES[name]
    x = nt.tensor(M)
    a, b = numpy_names(x), torch_names(x)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", ALIASES)
def test_torch_takes_the_same_numpy_names(name):
    torch = pytest.importorskip("torch")
    numpy_names, _ = ALIASES[name]
    expected = as_torch(numpy_names, torch)(torch.tensor(M))
    np.testing.assert_allclose(numpy_names(nt.tensor(M)).numpy(), expected.numpy(), rtol=1e-12)


def test_numpy_and_torch_names_together_are_refused():
    with pytest.raises(TypeError, match=r"sum\(\) got an unexpected keyword argument 'axis'"):
        nt.ones(2, 2).sum(dim=1, axis=1)
    with pytest.raises(TypeError, match="flip"):      # flip has no dim (PyTorch's error too)
        nt.ones(2).flip(axis=0)


# --- 2. Python types as dtypes -------------------------------------------------------------------

CREATORS = {
    "zeros": lambda d: nt.zeros(2, dtype=d), "ones": lambda d: nt.ones(2, dtype=d),
    "empty": lambda d: nt.empty(2, dtype=d), "full": lambda d: nt.full((2,), 1, dtype=d),
    "arange": lambda d: nt.arange(2, dtype=d), "tensor": lambda d: nt.tensor([1, 0], dtype=d),
    "as_tensor": lambda d: nt.as_tensor([1, 0], dtype=d),
    "zeros_like": lambda d: nt.zeros_like(nt.ones(2), dtype=d),
    "full_like": lambda d: nt.full_like(nt.ones(2), 1, dtype=d),
    "eye": lambda d: nt.eye(2, dtype=d), "new_zeros": lambda d: nt.ones(2).new_zeros(2, dtype=d),
    "to": lambda d: nt.ones(2).to(d), "to_kw": lambda d: nt.ones(2).to(dtype=d),
    "to_device": lambda d: nt.ones(2).to("cpu", d),
}


@pytest.mark.parametrize("name", CREATORS)
@pytest.mark.parametrize("py, dtype", [(int, nt.int64), (float, nt.float64), (bool, nt.bool)])
def test_python_types_as_dtypes(name, py, dtype):
    assert CREATORS[name](py).dtype is dtype


def test_python_types_in_float_only_creators_and_reductions():
    assert nt.rand(2, dtype=float).dtype is nt.float64
    assert nt.randn(2, dtype=float).dtype is nt.float64
    assert nt.linspace(0, 1, 3, dtype=float).dtype is nt.float64
    assert nt.ones(2).sum(dtype=float).dtype is nt.float64
    assert nt.ones(2).cumsum(0, dtype=int).dtype is nt.int64
    assert nt.ones(2).view(float).tolist() == [np.ones(2, np.float32).view(np.float64).item()]
    assert nt.nn.Linear(2, 2).to(float).weight.dtype is nt.float64
    with pytest.raises(TypeError, match=r"zeros\(\): argument 'dtype' must be torch.dtype, not "
                                        "type"):
        nt.zeros(2, dtype=str)


def test_tensor_type_conversions():
    x = nt.ones(2)
    assert x.type(nt.DoubleTensor).dtype is nt.float64
    assert x.type("torch.LongTensor").dtype is nt.int64
    assert x.type(nt.int32).dtype is nt.int32 and x.type() == "torch.FloatTensor"
    for bad, name in ((int, "int"), ("foo", "foo")):
        with pytest.raises(ValueError, match=f"invalid type: '{name}'"):
            x.type(bad)


# --- 6. legacy tensor types ----------------------------------------------------------------------

@pytest.mark.parametrize("legacy, dtype", [
    ("FloatTensor", nt.float32), ("DoubleTensor", nt.float64), ("LongTensor", nt.int64),
    ("IntTensor", nt.int32), ("BoolTensor", nt.bool), ("ByteTensor", nt.uint8)])
def test_legacy_types(legacy, dtype):
    cls = getattr(nt, legacy)
    assert isinstance(nt.zeros(2, dtype=dtype), cls)
    others = [d for d in (nt.float32, nt.float64, nt.int64, nt.int32, nt.bool, nt.uint8)
              if d is not dtype]
    assert not any(isinstance(nt.zeros(2, dtype=d), cls) for d in others)
    assert not isinstance(3, cls) and not isinstance(np.zeros(2), cls)
    built = cls([1, 0])
    assert type(built) is nt.Tensor and built.dtype is dtype and built.tolist() == [1, 0]
    assert cls(2, 3).shape == (2, 3) and repr(cls) == f"<class 'torch.{legacy}'>"


# --- 7. grad_fn classes --------------------------------------------------------------------------

def test_grad_fn_classes_carry_pytorch_names():
    x = nt.ones(2, 3, requires_grad=True)
    for y, name in ((x * 2, "MulBackward0"), (x.sum(), "SumBackward0"), (x + x, "AddBackward0"),
                    (x.t(), "TBackward0"), (x.tril(), "TrilBackward0"),
                    (x.roll(1, 0), "RollBackward0")):
        assert type(y.grad_fn).__name__ == name
        assert y.grad_fn.name() == name and repr(y.grad_fn).startswith(f"<{name} object")
        assert isinstance(y.grad_fn, nt.autograd.function.Node)
    assert type(x.sum().grad_fn) is type(x.mean().sum().grad_fn)   # one class per op

    class Twice(nt.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    assert type(Twice.apply(x).grad_fn).__name__ == "TwiceBackward"


# --- 3. new differentiable ops: NumPy reference, float64 gradcheck -------------------------------

def _meshgrid(indexing):
    return lambda x: nt.meshgrid(x[:, 0], x[0], indexing=indexing)[0] * 1 + \
        nt.meshgrid(x[:, 0], x[0], indexing=indexing)[1] * 2


# name -> (op on a float64 tensor made from the input, NumPy reference, input)
OPS = {
    "tril": (lambda x: nt.tril(x), lambda a: np.tril(a), M),
    "tril_k": (lambda x: x.tril(diagonal=1), lambda a: np.tril(a, 1), M),
    "triu_batched": (lambda x: nt.triu(x, -1), lambda a: np.triu(a, -1), B),
    "diag_vector": (lambda x: nt.diag(x), lambda a: np.diag(a), V),
    "diag_vector_k": (lambda x: nt.diag(x, -2), lambda a: np.diag(a, -2), V),
    "diag_matrix": (lambda x: nt.diag(x, 1), lambda a: np.diag(a, 1), M),
    "diagonal": (lambda x: x.diagonal(), lambda a: np.diagonal(a).copy(), M),
    "diagonal_dims": (lambda x: nt.diagonal(x, offset=-1, dim1=2, dim2=0),
                      lambda a: np.diagonal(a, -1, 2, 0).copy(), B),
    "diag_embed": (lambda x: nt.diag_embed(x), lambda a: np.stack([np.diag(r) for r in a]), M),
    "diag_embed_dims": (lambda x: nt.diag_embed(x, 1, 0, 2),
                        lambda a: np.stack([np.diag(r, 1) for r in a], 1), M),
    "hstack": (lambda x: nt.hstack([x, x[:, :1]]), lambda a: np.hstack([a, a[:, :1]]), M),
    "hstack_1d": (lambda x: nt.hstack((x, x)), lambda a: np.hstack([a, a]), V),
    "vstack": (lambda x: nt.vstack([x, x[0]]), lambda a: np.vstack([a, a[0]]), M),
    "row_stack": (lambda x: nt.row_stack([x, x]), lambda a: np.vstack([a, a]), V),
    "dstack": (lambda x: nt.dstack([x, x]), lambda a: np.dstack([a, a]), M),
    "column_stack": (lambda x: nt.column_stack([x[:, 0], x]),
                     lambda a: np.column_stack([a[:, 0], a]), M),
    "meshgrid_ij": (_meshgrid("ij"), lambda a: sum(k * g for k, g in zip(
        (1, 2), np.meshgrid(a[:, 0], a[0], indexing="ij"))), M),
    "meshgrid_xy": (_meshgrid("xy"), lambda a: sum(k * g for k, g in zip(
        (1, 2), np.meshgrid(a[:, 0], a[0], indexing="xy"))), M),
    "roll": (lambda x: nt.roll(x, 1, 0), lambda a: np.roll(a, 1, 0), M),
    "roll_flat": (lambda x: x.roll(-5), lambda a: np.roll(a, -5), M),
    "roll_dims": (lambda x: nt.roll(x, (2, -1), (2, 0)), lambda a: np.roll(a, (2, -1), (2, 0)),
                  B),
    "repeat_interleave": (lambda x: x.repeat_interleave(2),
                          lambda a: np.repeat(a, 2), M),
    "repeat_interleave_dim": (lambda x: nt.repeat_interleave(x, 3, dim=1),
                              lambda a: np.repeat(a, 3, axis=1), M),
    "repeat_interleave_tensor": (lambda x: nt.repeat_interleave(x, nt.tensor([0, 2, 1]), dim=0),
                                 lambda a: np.repeat(a, [0, 2, 1], axis=0), M),
    "nan_to_num": (lambda x: nt.nan_to_num(x), lambda a: np.nan_to_num(a), M),
    "index_add": (lambda x: x.index_add(0, nt.tensor([2, 0, 2]), x * 3, alpha=2),
                  lambda a: _index_add(a, [2, 0, 2], a * 3 * 2), M),
    "normalize": (lambda x: F.normalize(x), lambda a: a / np.maximum(
        np.linalg.norm(a, axis=1, keepdims=True), 1e-12), M),
    "normalize_p1": (lambda x: F.normalize(x, p=1, dim=0), lambda a: a / np.maximum(
        np.abs(a).sum(0, keepdims=True), 1e-12), M),
    "cosine_similarity": (lambda x: F.cosine_similarity(x, x.flip(0) + 1), lambda a: _cosine(
        a, a[::-1] + 1, 1), M),
}


def _index_add(a, index, src):
    out = a.copy()
    np.add.at(out, index, src)
    return out


def _cosine(a, b, axis):
    na = np.maximum(np.linalg.norm(a, axis=axis, keepdims=True), 1e-8)
    nb = np.maximum(np.linalg.norm(b, axis=axis, keepdims=True), 1e-8)
    return (a / na * b / nb).sum(axis)


@pytest.mark.parametrize("name", OPS)
def test_op_matches_numpy_and_gradchecks(name):
    op, reference, a = OPS[name]
    y = op(t64(a, grad=False))
    np.testing.assert_allclose(y.numpy(), reference(a), rtol=1e-12, atol=1e-12)
    assert gradcheck(op, (t64(a),))


@pytest.mark.parametrize("name", OPS)
def test_op_matches_torch(name):
    torch = pytest.importorskip("torch")
    op, _, a = OPS[name]
    x = t64(a)
    y = op(x)
    y.backward(nt.tensor(np.cos(np.arange(y.numel())).reshape(y.shape)))
    torch_op = as_torch(op, torch)
    tx = torch.tensor(a, requires_grad=True)
    ty = torch_op(tx)
    ty.backward(torch.tensor(np.cos(np.arange(ty.numel())).reshape(ty.shape)))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    if type(ty.grad_fn).__name__ not in ("IndexSelectBackward0", "ViewBackward0",
                                         "UnsafeViewBackward0"):    # repeat_interleave's path
        assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__


def test_nan_to_num_values_and_gradient():
    a = np.array([np.nan, np.inf, -np.inf, 1.5])
    x = t64(a)
    y = nt.nan_to_num(x, nan=2.0, neginf=-3.0)
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, np.finfo(np.float64).max, -3.0, 1.5])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 1])     # flows where x is finite
    f32 = nt.nan_to_num(nt.tensor([np.inf]))
    assert f32.item() == float(np.finfo(np.float32).max)
    ints = nt.tensor([1, 2])
    assert nt.nan_to_num(ints).tolist() == [1, 2] and nt.nan_to_num(ints) is not ints
    z = nt.tensor([np.nan, 1.0])
    assert z.nan_to_num_() is z and z.tolist() == [0.0, 1.0]


def test_index_add_gradients_and_in_place():
    x, src = t64(np.zeros((3, 2))), t64(np.ones((2, 2)))
    y = x.index_add(0, nt.tensor([0, 0]), src, alpha=3)
    assert type(y.grad_fn).__name__ == "IndexAddBackward0"
    y.backward(nt.tensor(np.arange(6.0).reshape(3, 2)))
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(src.grad.numpy(), 3 * np.array([[0, 1], [0, 1.0]]))
    z = nt.zeros(2, 3)
    assert z.index_add_(1, nt.tensor([2, 2]), nt.ones(2, 2)) is z
    assert z.tolist() == [[0, 0, 2], [0, 0, 2]]
    assert gradcheck(lambda a, s: a.index_add(1, nt.tensor([1, 1, 0]), s),
                     (t64(M[:, :2]), t64(M[:, :3])))


def test_diagonal_is_a_view():
    m = nt.tensor(np.arange(12.0).reshape(3, 4))
    d = m.diagonal(1)
    assert d.storage_offset() == 1 and d.stride() == (5,)
    d[0] = 100
    assert m[0, 1].item() == 100
    assert nt.diag(m)._base is None        # torch.diag of a matrix copies


def test_tril_triu_in_place():
    x = nt.tensor(M)
    assert x.tril_(-1) is x
    np.testing.assert_array_equal(x.numpy(), np.tril(M, -1))
    assert nt.tensor(M).triu_().tolist() == np.triu(M).tolist()


def test_count_nonzero():
    a = np.array([[0, 1, 2], [0, 0, 3]])
    assert nt.count_nonzero(nt.tensor(a)).item() == 3
    assert nt.tensor(a).count_nonzero(0).tolist() == [0, 1, 2]
    assert nt.count_nonzero(nt.tensor(a), dim=(0, 1)).dtype is nt.int64


def test_repeat_interleave_of_counts():
    assert nt.repeat_interleave(nt.tensor([2, 0, 1])).tolist() == [0, 0, 2]


def test_meshgrid_views_and_default_warning():
    a, b = nt.arange(2), nt.arange(3)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        gx, gy = nt.meshgrid(a, b)
    assert gx.shape == (2, 3) and gx.stride() == (1, 0) and gy.tolist() == [[0, 1, 2]] * 2
    assert [g.shape for g in nt.meshgrid([a, b], indexing="xy")] == [(3, 2), (3, 2)]


def test_atleast():
    assert nt.atleast_1d(nt.tensor(1.0)).shape == (1,)
    a, b = nt.atleast_2d(nt.ones(3), nt.ones(2, 2))
    assert a.shape == (1, 3) and b.shape == (2, 2)
    assert [t.shape for t in nt.atleast_3d([nt.ones(3), nt.ones(2, 2)])] == [(1, 3, 1), (2, 2, 1)]


# --- 4. tensor metadata, in-place view ops, resize_ ----------------------------------------------

def test_storage_offset_nbytes_itemsize():
    m = nt.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    assert m.storage_offset() == 0 and m[1:].storage_offset() == 4
    assert m.t()[1].storage_offset() == 1 and m[1:].detach().storage_offset() == 4
    assert m.nbytes == 48 and m[:, :2].nbytes == 24 and m.itemsize == 4
    assert nt.ones(2, dtype=nt.int64).itemsize == 8


def test_inplace_view_ops_keep_data_and_history():
    x = nt.zeros(2, 1)
    version = x._version[0]
    data = x.data_ptr()
    assert x.squeeze_() is x and x.shape == (2,) and x._version[0] == version + 1
    assert x.unsqueeze_(axis=0).shape == (1, 2) and x.data_ptr() == data
    y = nt.zeros(2, 3)
    assert y.t_() is y and y.shape == (3, 2) and y.stride() == (1, 3) and y.data_ptr() != 0
    assert y.transpose_(0, 1).stride() == (3, 1)
    leaf = t64(M)
    h = leaf * 2
    h.transpose_(0, 1)
    assert h.shape == (4, 3) and h.grad_fn is not None
    (h * nt.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), 2 * np.arange(12.0).reshape(4, 3).T)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation."):
        t64(M).squeeze_()
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions, but "
                                           "self is 3D"):
        nt.ones(1, 1, 1).t_()


INPLACE_VIEWS = ["squeeze_()", "squeeze_(1)", "squeeze_((1,))", "unsqueeze_(0)",
                 "transpose_(0, 2)", "swapaxes_(2, 0)", "t_()", "squeeze_(axis=1)"]


@pytest.mark.parametrize("call", INPLACE_VIEWS)
def test_inplace_view_ops_match_torch(call):
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((2, 1, 3))
    results = []
    for lib in (nt, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x[:, 0] * 1 if call == "t_()" else x * 1
        assert eval(f"y.{call}") is y
        g = np.cos(np.arange(y.numel())).reshape(tuple(y.shape))
        y.backward(lib.tensor(g))
        results.append((type(y.grad_fn).__name__, tuple(y.shape), y.stride(), x.grad.numpy()))
    (name, shape, stride, grad), (t_name, t_shape, t_stride, t_grad) = results
    assert (name, shape, stride) == (t_name, t_shape, t_stride)
    np.testing.assert_array_equal(grad, t_grad)


def test_resize_():
    a = nt.arange(6.0)
    version = a._version[0]
    assert a.resize_(2, 2) is a and a.tolist() == [[0, 1], [2, 3]]
    assert a._version[0] == version + 1
    a.resize_(6)
    assert a.tolist() == [0, 1, 2, 3, 4, 5]     # shrinking kept the storage
    a.resize_((2, 4))
    assert a.shape == (2, 4) and a[0].tolist() == [0, 1, 2, 3] and a[1, :2].tolist() == [4, 5]
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        t64(V).resize_(2)


# --- 5. out= -------------------------------------------------------------------------------------

def test_out_arguments():
    x = nt.tensor(M, dtype=nt.float32)
    for fn, ref in ((nt.sigmoid, lambda a: 1 / (1 + np.exp(-a))), (nt.tanh, np.tanh),
                    (nt.square, np.square)):
        out = nt.empty(1)
        assert fn(x, out=out) is out
        np.testing.assert_allclose(out.numpy(), ref(M), rtol=1e-6)
    out = nt.empty(0, dtype=nt.bool)
    assert nt.logical_not(x > 0, out=out) is out and out.tolist() == (x <= 0).tolist()
    out = nt.empty(3)
    assert nt.sum(x, 1, out=out) is out
    np.testing.assert_allclose(out.numpy(), M.sum(1), rtol=1e-6)
    values, indices = nt.empty(3), nt.empty(3, dtype=nt.int64)
    result = nt.max(x, dim=1, out=(values, indices))
    assert result.values is values and indices.tolist() == M.argmax(1).tolist()
    assert nt.mean(x, out=nt.empty(())).item() == pytest.approx(M.mean(), rel=1e-6)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        nt.sigmoid(t64(M), out=nt.empty(3, 4, dtype=nt.float64))


# --- errors in PyTorch's words -------------------------------------------------------------------

ERRORS = [
    (lambda: nt.tril(nt.ones(3)), RuntimeError, "tril: input tensor must have at least 2 "
                                                "dimensions"),
    (lambda: nt.diag(nt.ones(2, 2, 2)), RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got "
                                                      "3D"),
    (lambda: nt.diagonal(nt.ones(3)), IndexError, "Dimension out of range"),
    (lambda: nt.diagonal(nt.ones(3, 3), 0, 1, -1), RuntimeError, "diagonal dimensions cannot be "
                                                                 "identical 1, -1"),
    (lambda: nt.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda: nt.meshgrid(nt.ones(2), indexing="foo"), RuntimeError,
     'torch.meshgrid: indexing must be one of "xy" or "ij", but received: foo'),
    (lambda: nt.roll(nt.ones(2, 2), (1, 2), 0), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda: nt.repeat_interleave(nt.ones(2), -1), RuntimeError, "Repeats must be non-negative"),
    (lambda: nt.repeat_interleave(nt.ones(2, 2), nt.tensor([1, 2, 3]), dim=0), RuntimeError,
     r"repeats must have the same size as input along dim, but got repeats.size\(0\) = 3 and "
     r"input.size\(0\) = 2"),
    (lambda: nt.repeat_interleave(nt.ones(2), nt.tensor([[1]])), RuntimeError,
     "repeats must be 0-dim or 1-dim tensor"),
    (lambda: nt.repeat_interleave(nt.ones(2), nt.tensor([-1, 1])), RuntimeError,
     "repeats can not be negative"),
    (lambda: nt.repeat_interleave(nt.tensor([[1, 2]])), RuntimeError,
     "repeat_interleave only accept 1D vector as repeat"),
    (lambda: nt.repeat_interleave(nt.ones(2), nt.tensor([1.0, 2.0])), NotImplementedError,
     "\"repeat_interleave_cpu\" not implemented for 'Float'"),
    (lambda: nt.zeros(3, 2).index_add_(0, nt.tensor([0.0, 2.0]), nt.ones(2, 2)), RuntimeError,
     r"index_add_\(\): Expected dtype int32/int64 for index but got: Float"),
    (lambda: nt.zeros(3, 2).index_add_(0, nt.tensor([0, 2]), nt.ones(3, 2)), RuntimeError,
     r"index_add_\(\): Number of indices \(2\) should be equal to source.size\(dim\): \(3\), for "
     "dim: 0"),
    (lambda: nt.zeros(3, 2).index_add_(0, nt.tensor([0, 2]), nt.ones(2, 3)), RuntimeError,
     r"source tensor shape must match self tensor shape, excluding the specified dimension. Got "
     r"self.shape = \[3, 2\] source.shape = \[2, 3\]"),
    (lambda: nt.zeros(3, 2).index_add_(0, nt.tensor([0, 3]), nt.ones(2, 2)), RuntimeError,
     "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda: nt.zeros(3, 2).index_add_(0, nt.tensor([-1, 0]), nt.ones(2, 2)), RuntimeError,
     "index -1 is out of bounds for dimension 0 with size 3"),
    (lambda: nt.zeros(3).index_add_(0, nt.tensor([3]), nt.ones(1)), IndexError,
     "index out of range in self"),
    (lambda: nt.zeros(3, 2).index_add_(0, nt.tensor([[0, 1]]), nt.ones(2, 2)), IndexError,
     r"index_add_\(\): Index is supposed to be a vector, but got dim: 2 with type: Long and size: "
     r"\[1, 2\]"),
    (lambda: nt.zeros(3, 2).index_add_(0, nt.tensor([0, 1]), nt.ones(2, 2, dtype=nt.float64)),
     RuntimeError, r"index_add_\(\): self \(Float\) and source \(Double\) must have the same "
                   "scalar type"),
    (lambda: F.one_hot(nt.tensor([0, -1])), RuntimeError, "Class values must be non-negative."),
    (lambda: F.one_hot(nt.tensor([0, 2]), 2), RuntimeError,
     "Class values must be smaller than num_classes."),
    (lambda: F.cosine_similarity(nt.ones(2, 3), nt.ones(3, 3)), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton "
     "dimension 0"),
    (lambda: nt.use_deterministic_algorithms(1), TypeError, "must be bool, not int"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    call, exc, message = ERRORS[i]
    with pytest.raises(exc, match=message):
        call()


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    torch = pytest.importorskip("torch")
    call, exc, message = ERRORS[i]
    with pytest.raises(exc, match=message):
        as_torch(call, torch)()


# --- 8. namespace --------------------------------------------------------------------------------

def test_top_level_switches_and_compile():
    assert nt.cuda.empty_cache() is None
    assert nt.are_deterministic_algorithms_enabled() is False
    nt.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert nt.are_deterministic_algorithms_enabled()
        assert nt.is_deterministic_algorithms_warn_only_enabled()
    finally:
        nt.use_deterministic_algorithms(False)
    assert nt.get_float32_matmul_precision() == "highest"
    nt.set_float32_matmul_precision("high")
    try:
        assert nt.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="foo is not one of 'highest', 'high', or 'medium'"):
            nt.set_float32_matmul_precision("foo")
        assert nt.get_float32_matmul_precision() == "high"
    finally:
        nt.set_float32_matmul_precision("highest")
    model = nt.nn.Linear(2, 2)
    assert nt.compile(model) is model
    assert nt.compile(model, mode="max-autotune", fullgraph=True, dynamic=False) is model
    assert nt.compile(mode="reduce-overhead")(len) is len
    assert "no graph compiler" in nt.compile.__doc__


def test_one_hot_and_cosine_similarity_module():
    y = F.one_hot(nt.tensor([0, 2]))
    assert y.dtype is nt.int64 and y.tolist() == [[1, 0, 0], [0, 0, 1]]
    cos = nt.nn.CosineSimilarity(dim=0)
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    expected = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    assert cos(t64(a, False), t64(b, False)).item() == pytest.approx(expected, rel=1e-12)
    assert nt.cosine_similarity(t64(a, False), t64(b, False), dim=0).item() == \
        pytest.approx(expected, rel=1e-12)
    assert F.cosine_similarity(nt.zeros(3), nt.ones(3), dim=0).item() == 0.0
    assert not math.isnan(F.normalize(nt.zeros(2, 2)).sum().item())


# --- the new ops on CUDA (Numba's simulator here: tiny shapes) -----------------------------------

CUDA_OPS = {
    "tril": lambda x: nt.tril(x, 1), "triu": lambda x: x.triu(),
    "diagonal": lambda x: x.diagonal(-1), "diag": lambda x: nt.diag(x[0]),
    "diag_embed": lambda x: nt.diag_embed(x), "roll": lambda x: nt.roll(x, (1, 2), (0, 1)),
    "repeat_interleave": lambda x: x.repeat_interleave(nt.tensor([1, 0, 2], device=x.device), 0),
    "nan_to_num": lambda x: nt.nan_to_num(nt.where(x > 1, math.inf, nt.where(x < -1, math.nan,
                                                                                x))),
    "index_add": lambda x: x.index_add(1, nt.tensor([0, 0, 3, 1], device=x.device), x * 2),
    "hstack": lambda x: nt.hstack([x, x]), "normalize": lambda x: F.normalize(x),
}


@pytest.mark.parametrize("name", CUDA_OPS)
def test_cuda_matches_cpu(name):
    if not nt.cuda.is_available():
        pytest.skip("no CUDA device and no simulator")
    op = CUDA_OPS[name]
    a = RNG.standard_normal((3, 4)) * 2
    cpu, dev = t64(a), t64(a).detach().to("cuda").requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y_cpu, y_dev = op(cpu), op(dev)
    assert y_dev.device.type == "cuda"
    np.testing.assert_allclose(y_dev.detach().cpu().numpy(), y_cpu.detach().numpy(), rtol=1e-12)
    g = np.cos(np.arange(y_cpu.numel())).reshape(y_cpu.shape)
    y_cpu.backward(nt.tensor(g))
    y_dev.backward(nt.tensor(g).to("cuda"))
    np.testing.assert_allclose(dev.grad.cpu().numpy(), cpu.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_cuda_inplace_views_and_resize():
    if not nt.cuda.is_available():
        pytest.skip("no CUDA device and no simulator")
    x = nt.tensor(np.arange(6.0).reshape(2, 3)).to("cuda")
    assert x.t_().shape == (3, 2) and x.cpu().tolist() == np.arange(6.0).reshape(2, 3).T.tolist()
    assert x.narrow(0, 1, 2).storage_offset() == 1 and x.nbytes == 48
    y = nt.arange(6.0).to("cuda")
    y.resize_(2, 2)
    assert y.cpu().tolist() == [[0, 1], [2, 3]]
    y.resize_(7)
    assert y.shape == (7,) and y[:4].cpu().tolist() == [0, 1, 2, 3]


def test_an_empty_ndarray_keeps_its_dtype():
    """tensor([]) is of the default dtype, but an empty float64 ndarray stays float64."""
    assert nt.tensor([]).dtype == nt.float32
    assert nt.tensor(np.zeros((0, 3))).dtype == nt.float64
    assert nt.tensor(np.zeros(0, np.int32)).dtype == nt.int32
