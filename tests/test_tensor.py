"""Tensor basics: creation and dtype inference, attributes, conversions, the NumPy bridge
(shared memory), item/tolist, dtypes, devices, torch.Size, and the reprs PyTorch prints
(including the requires_grad=True and grad_fn=<...> suffixes). Expected reprs are PyTorch 2.13's
output; PyTorch, when installed, re-checks them."""
import re
import warnings

import numpy as np
import pytest

import nbtorch as nt

try:  # optional oracle, never required
    import torch as TORCH
except ImportError:
    TORCH = None


def _on(module, code):
    """Evaluate ``code`` with ``torch`` and ``np`` bound (nbtorch, or PyTorch as the oracle)."""
    return eval(code, {"torch": module, "np": np})


# --- creation: (code, PyTorch's repr of the result) ---
CREATION = [
    ("torch.tensor([1, 2])", "tensor([1, 2])"),
    ("torch.tensor([1., 2])", "tensor([1., 2.])"),
    ("torch.tensor([True, False])", "tensor([ True, False])"),
    ("torch.tensor(3)", "tensor(3)"),
    ("torch.tensor(3.5)", "tensor(3.5000)"),
    ("torch.tensor([])", "tensor([])"),
    ("torch.tensor([[]])", "tensor([], size=(1, 0))"),
    ("torch.tensor([1, True])", "tensor([1, 1])"),
    ("torch.tensor([1.5, True])", "tensor([1.5000, 1.0000])"),
    ("torch.tensor([[1, 2], [3, 4]], dtype=torch.float64)",
     "tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64)"),
    ("torch.tensor([1, 2.5], dtype=torch.int32)", "tensor([1, 2], dtype=torch.int32)"),
    ("torch.tensor(np.array([1, 2], dtype=np.int32))", "tensor([1, 2], dtype=torch.int32)"),
    ("torch.tensor(np.float64(2.5))", "tensor(2.5000, dtype=torch.float64)"),
    ("torch.tensor([np.float32(1.5)])", "tensor([1.5000])"),
    ("torch.zeros(2, 3)", "tensor([[0., 0., 0.],\n        [0., 0., 0.]])"),
    ("torch.zeros((2, 1), dtype=torch.int64)", "tensor([[0],\n        [0]])"),
    ("torch.ones([2])", "tensor([1., 1.])"),
    ("torch.full((2,), 7)", "tensor([7, 7])"),
    ("torch.full((2,), 7.)", "tensor([7., 7.])"),
    ("torch.full((2,), True)", "tensor([True, True])"),
    ("torch.full((1,), 2, dtype=torch.float64)", "tensor([2.], dtype=torch.float64)"),
    ("torch.arange(5)", "tensor([0, 1, 2, 3, 4])"),
    ("torch.arange(1, 6)", "tensor([1, 2, 3, 4, 5])"),
    ("torch.arange(0, 1, 0.25)", "tensor([0.0000, 0.2500, 0.5000, 0.7500])"),
    ("torch.arange(5.)", "tensor([0., 1., 2., 3., 4.])"),
    ("torch.arange(1, 2.5, 0.5)", "tensor([1.0000, 1.5000, 2.0000])"),
    ("torch.linspace(0, 1, 5)", "tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])"),
    ("torch.linspace(-1, 1, steps=3, dtype=torch.float64)",
     "tensor([-1.,  0.,  1.], dtype=torch.float64)"),
    ("torch.eye(2, 3)", "tensor([[1., 0., 0.],\n        [0., 1., 0.]])"),
    ("torch.zeros_like(torch.tensor([1, 2]))", "tensor([0, 0])"),
    ("torch.ones_like(torch.tensor([1., 2]), dtype=torch.float64)",
     "tensor([1., 1.], dtype=torch.float64)"),
    ("torch.full_like(torch.tensor([1, 2]), 2.7)", "tensor([2, 2])"),
    ("torch.tensor([1, 2]).new_ones(3)", "tensor([1, 1, 1])"),
    ("torch.tensor([1., 2]).new_zeros((1, 2))", "tensor([[0., 0.]])"),
    ("torch.tensor([1, 2]).new_full((2,), 5)", "tensor([5, 5])"),
    ("torch.tensor([1., 2], dtype=torch.float64).new_tensor([3, 4])",
     "tensor([3., 4.], dtype=torch.float64)"),
    ("torch.FloatTensor([1, 2])", "tensor([1., 2.])"),
    ("torch.LongTensor([1.7, 2])", "tensor([1, 2])"),
    ("torch.Tensor([1, 2])", "tensor([1., 2.])"),
    ("torch.as_tensor([1, 2])", "tensor([1, 2])"),
    ("torch.as_tensor(np.array([1., 2.]))", "tensor([1., 2.], dtype=torch.float64)"),
    ("torch.from_numpy(np.array([1, 2], dtype=np.int32))", "tensor([1, 2], dtype=torch.int32)"),
    ("torch.from_numpy(np.zeros(2, np.uint8))", "tensor([0, 0], dtype=torch.uint8)"),
    ("torch.tensor([torch.tensor(1.), torch.tensor(2.)])", "tensor([1., 2.])"),
]


@pytest.mark.parametrize("code,expected", CREATION, ids=[c for c, _ in CREATION])
def test_creation(code, expected):
    assert repr(_on(nt, code)) == expected
    if TORCH is not None:
        assert repr(_on(TORCH, code)) == expected


def test_creation_shapes_and_dtypes():
    assert nt.empty(0, 3).shape == (0, 3)
    assert nt.FloatTensor(2, 3).shape == (2, 3) and nt.Tensor(2).shape == (2,)
    assert nt.Tensor().shape == (0,) and nt.LongTensor().shape == (0,)   # not 0-dim
    assert nt.empty(2, 3).new_empty(1).dtype is nt.float32
    assert nt.randint(3, 10, (2, 3)).dtype is nt.int64
    assert nt.randint(10, (3,)).shape == (3,)
    assert nt.rand(2, 3).dtype is nt.float32
    assert nt.randn(2, dtype=nt.float64).dtype is nt.float64
    assert nt.rand(2, requires_grad=True).requires_grad
    assert sorted(nt.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    r = nt.randint(3, 10, (200,)).numpy()
    assert r.min() >= 3 and r.max() < 10
    u = nt.rand(500).numpy()
    assert u.min() >= 0 and u.max() < 1
    np.testing.assert_allclose(nt.eye(3).numpy(), np.eye(3))
    np.testing.assert_allclose(nt.linspace(2, 3, 7).numpy(), np.linspace(2, 3, 7, dtype=np.float32))
    np.testing.assert_allclose(nt.arange(0, 1, 0.1).numpy(), np.arange(0, 1, 0.1).astype(np.float32))


def test_manual_seed_reproduces():
    nt.manual_seed(3)
    a = (nt.rand(4), nt.randn(3), nt.randint(0, 9, (5,)), nt.randperm(6))
    nt.manual_seed(3)
    b = (nt.rand(4), nt.randn(3), nt.randint(0, 9, (5,)), nt.randperm(6))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert not np.array_equal(nt.rand(4).numpy(), a[0].numpy())
    g = nt.Generator().manual_seed(7)
    h = nt.Generator().manual_seed(7)
    np.testing.assert_array_equal(nt.rand(3, generator=g).numpy(), nt.rand(3, generator=h).numpy())


def test_randn_statistics():
    nt.manual_seed(0)
    x = nt.randn(20000).numpy()
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05


# --- attributes ---
def test_attributes():
    x = nt.zeros(2, 3)
    assert x.size() == nt.Size([2, 3]) and x.shape == (2, 3)
    assert x.size(1) == 3 and x.size(-1) == 3 and x.shape[0] == 2
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6 and len(x) == 2
    assert x.dtype is nt.float32 and x.device == nt.device("cpu") and not x.is_cuda
    assert x.is_leaf and not x.requires_grad and x.grad is None and x.grad_fn is None
    assert x.element_size() == 4 and nt.zeros(1, dtype=nt.float64).element_size() == 8
    assert x.stride() == (3, 1) and x.is_contiguous() and not x.t().is_contiguous()
    assert x.T.shape == (3, 2) and nt.zeros(4, 2, 3).mT.shape == (4, 3, 2)
    assert x.is_floating_point() and not nt.tensor([1]).is_floating_point()
    assert nt.is_tensor(x) and not nt.is_tensor([1]) and nt.numel(x) == 6
    assert x.type() == "torch.FloatTensor" and nt.tensor([1]).type() == "torch.LongTensor"
    assert x.data_ptr() > 0


def test_T_warns_off_two_dims():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nt.zeros(2, 3).T
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        assert nt.zeros(2, 3, 4).T.shape == (4, 3, 2)
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        nt.tensor(1.0).T


# --- conversions ---
CONVERSIONS = [
    ("torch.tensor([1.7, -1.7]).long()", "tensor([ 1, -1])"),
    ("torch.tensor([1.7, -1.7]).int()", "tensor([ 1, -1], dtype=torch.int32)"),
    ("torch.tensor([0., 2]).bool()", "tensor([False,  True])"),
    ("torch.tensor([1, 2]).float()", "tensor([1., 2.])"),
    ("torch.tensor([1, 2]).double()", "tensor([1., 2.], dtype=torch.float64)"),
    ("torch.tensor([[1]], dtype=torch.bool).int()", "tensor([[1]], dtype=torch.int32)"),
    ("torch.tensor([1.5]).to(torch.int64)", "tensor([1])"),
    ("torch.tensor([1.5]).to('cpu', torch.float64)", "tensor([1.5000], dtype=torch.float64)"),
    ("torch.tensor([1.5]).to(torch.tensor([1]))", "tensor([1])"),
    ("torch.tensor([1.5]).to(dtype=torch.float64, device='cpu')",
     "tensor([1.5000], dtype=torch.float64)"),
    ("torch.tensor([1.5]).type_as(torch.tensor([1], dtype=torch.int32))",
     "tensor([1], dtype=torch.int32)"),
    ("torch.tensor([1.5]).type(torch.float64)", "tensor([1.5000], dtype=torch.float64)"),
    ("torch.tensor([300]).byte()", "tensor([44], dtype=torch.uint8)"),
]


@pytest.mark.parametrize("code,expected", CONVERSIONS, ids=[c for c, _ in CONVERSIONS])
def test_conversions(code, expected):
    assert repr(_on(nt, code)) == expected
    if TORCH is not None:
        assert repr(_on(TORCH, code)) == expected


def test_to_returns_self_when_nothing_changes():
    x = nt.ones(2)
    assert x.to(nt.float32) is x and x.to("cpu") is x and x.cpu() is x and x.float() is x
    assert x.contiguous() is x
    assert x.to(nt.float32, copy=True) is not x
    y = x.double()
    assert y.dtype is nt.float64 and y.data_ptr() != x.data_ptr()
    g = nt.ones(2, requires_grad=True)
    h = g.double()
    assert h.grad_fn.name() == "ToCopyBackward0"
    h.sum().backward()
    assert g.grad.dtype is nt.float32


def test_clone_is_a_copy_with_history():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.data_ptr() != x.data_ptr() and c.grad_fn.name() == "CloneBackward0"
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


# --- NumPy bridge ---
def test_numpy_shares_memory_both_ways():
    a = nt.ones(5)
    b = a.numpy()
    a.add_(1)
    np.testing.assert_array_equal(b, np.full(5, 2, np.float32))
    b[0] = 7
    assert a[0].item() == 7
    n = np.ones(5)
    t = nt.from_numpy(n)
    np.add(n, 1, out=n)
    assert repr(t) == "tensor([2., 2., 2., 2., 2.], dtype=torch.float64)"
    t.mul_(2)
    np.testing.assert_array_equal(n, np.full(5, 4.0))
    assert nt.as_tensor(n).data_ptr() == t.data_ptr()
    assert nt.tensor(n).data_ptr() != t.data_ptr()          # tensor() copies
    v = nt.arange(6.0).view(2, 3).t()
    assert np.shares_memory(v.numpy(), v._base.numpy())
    np.testing.assert_array_equal(np.asarray(nt.tensor([[1, 2]])), [[1, 2]])


def test_numpy_of_requires_grad():
    x = nt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
            "instead.")):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_from_numpy_rejects():
    with pytest.raises(TypeError, match=r"^expected np\.ndarray \(got list\)$"):
        nt.from_numpy([1, 2])
    with pytest.raises(TypeError, match=r"^can't convert np\.ndarray of type numpy\.str_\. The "
                                        r"only supported types are: float64, float32, float16, "
                                        r"complex64, complex128, int64, int32, int16, int8, "
                                        r"uint64, uint32, uint16, uint8, and bool\.$"):
        nt.from_numpy(np.array(["a"]))
    with pytest.raises(ValueError, match=r"^At least one stride in the given numpy array is "
                                         r"negative, and tensors with negative strides are not "
                                         r"currently supported\."):
        nt.from_numpy(np.arange(3.0)[::-1])


def test_numpy_operands():
    """As in PyTorch: NumPy scalars are numbers on either side, a ufunc over a tensor gives a
    tensor (``t * a``, ``np.exp(t)``), ``t == a`` compares elementwise, ``a * t`` is refused."""
    t = nt.ones(2)
    for r in (np.float64(2) * t, np.float32(2) * t, t * np.float32(2), np.int32(2) * t,
              np.bool_(True) * (2 * t), t / np.float32(0.5)):
        assert type(r) is nt.Tensor and r.dtype is nt.float32 and r.tolist() == [2.0, 2.0]
    r = t * np.full(2, 3.0)
    assert type(r) is nt.Tensor and r.dtype is nt.float64 and r.tolist() == [3.0, 3.0]
    assert type(np.exp(t)) is nt.Tensor
    eq = t == np.array([1.0, 0.0])
    assert eq.dtype is nt.bool and eq.tolist() == [True, False]
    with pytest.raises(TypeError):
        np.ones(2) * t


# --- item, tolist, Python numbers ---
def test_item_and_tolist():
    assert nt.tensor([2.5]).item() == 2.5 and isinstance(nt.tensor([2.5]).item(), float)
    assert nt.tensor([[3]]).item() == 3 and isinstance(nt.tensor([3]).item(), int)
    assert nt.tensor([True]).item() is True
    assert nt.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert nt.tensor(3).tolist() == 3
    assert nt.tensor([1.5, 2]).tolist() == [1.5, 2.0]
    assert float(nt.tensor([2.5])) == 2.5 and int(nt.tensor(2.9)) == 2
    assert bool(nt.tensor([0.0])) is False and bool(nt.tensor(3))
    assert [1, 2, 3][nt.tensor(1)] == 2
    assert "{:.2f}".format(nt.tensor(2.345)) == "2.35"
    x = nt.randn(1)
    assert x.item() == float(np.float32(x.numpy()[0]))
    with pytest.raises(RuntimeError, match="^a Tensor with 15 elements cannot be converted to "
                                           "Scalar$"):
        nt.ones(15).item()
    with pytest.raises(ValueError, match="^only one element tensors can be converted to Python "
                                         "scalars$"):
        float(nt.ones(3))
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with more than one value is "
                                           "ambiguous$"):
        bool(nt.ones(3))
    with pytest.raises(TypeError, match="^only integer tensors of a single element can be "
                                        "converted to an index$"):
        [1, 2][nt.tensor(1.0)]
    with pytest.raises(TypeError, match="^len\\(\\) of a 0-d tensor$"):
        len(nt.tensor(1.0))
    with pytest.raises(TypeError, match="^iteration over a 0-d tensor$"):
        iter(nt.tensor(1.0))


def test_iteration_yields_rows():
    rows = list(nt.arange(6).view(3, 2))
    assert len(rows) == 3 and rows[1].tolist() == [2, 3]


# --- dtypes and promotion helpers ---
def test_dtypes():
    assert repr(nt.float32) == "torch.float32" and str(nt.int64) == "torch.int64"
    assert nt.float is nt.float32 and nt.double is nt.float64 and nt.long is nt.int64
    assert nt.int is nt.int32 and repr(nt.bool) == "torch.bool" and repr(nt.uint8) == "torch.uint8"
    assert nt.float32.is_floating_point and not nt.int64.is_floating_point
    assert nt.float32.itemsize == 4 and nt.get_default_dtype() is nt.float32
    assert nt.promote_types(nt.int32, nt.int64) is nt.int64
    assert nt.promote_types(nt.bool, nt.float64) is nt.float64
    assert nt.promote_types(nt.uint8, nt.int32) is nt.int32
    assert nt.result_type(nt.tensor([1]), 1.0) is nt.float32
    assert nt.result_type(nt.tensor([1], dtype=nt.int32), nt.tensor(1)) is nt.int32
    assert nt.can_cast(nt.int64, nt.float32) and not nt.can_cast(nt.float32, nt.int64)


def test_set_default_dtype():
    try:
        nt.set_default_dtype(nt.float64)
        assert nt.tensor([1.5]).dtype is nt.float64 and nt.zeros(1).dtype is nt.float64
        assert (nt.tensor([1]) * 0.5).dtype is nt.float64
        assert repr(nt.tensor([1.5])) == "tensor([1.5000])"
    finally:
        nt.set_default_dtype(nt.float32)
    with pytest.raises(TypeError, match="^only floating-point types are supported as the default "
                                        "type$"):
        nt.set_default_dtype(nt.int64)


# --- devices and Size ---
def test_devices():
    assert repr(nt.device("cpu")) == "device(type='cpu')"
    assert repr(nt.device("cuda")) == "device(type='cuda')"
    assert repr(nt.device("cuda:0")) == "device(type='cuda', index=0)"
    assert repr(nt.device("cuda", 1)) == "device(type='cuda', index=1)"
    assert str(nt.device("cuda:1")) == "cuda:1" and str(nt.device("cpu")) == "cpu"
    assert nt.device("cpu") == nt.device("cpu") and nt.device("cpu") != nt.device("cuda")
    assert nt.device("cuda:1").type == "cuda" and nt.device("cuda:1").index == 1
    assert nt.device("cpu").index is None
    assert len({nt.device("cpu"), nt.device("cpu")}) == 1
    with pytest.raises(RuntimeError, match="^Expected one of cpu, cuda, .* device type at start of "
                                           "device string: gpu$"):
        nt.device("gpu")
    with pytest.raises(RuntimeError, match="^Invalid device string: 'cuda:x'$"):
        nt.device("cuda:x")
    if TORCH is not None:
        for code in ("torch.device('cuda', 1)", "torch.device('cuda:0')", "torch.device('cpu')"):
            assert repr(_on(TORCH, code)) == repr(_on(nt, code))


def test_size():
    s = nt.Size([5, 3])
    assert repr(s) == "torch.Size([5, 3])" and str(s) == "torch.Size([5, 3])"
    assert repr(nt.Size([])) == "torch.Size([])"
    assert s == (5, 3) and isinstance(s, tuple) and s.numel() == 15
    assert repr(s[1:]) == "torch.Size([3])" and s[0] == 5
    assert repr(nt.zeros(4, 4).view(16).size()) == "torch.Size([16])"
    assert repr(nt.zeros(2, 3).shape + (4,)) == "torch.Size([2, 3, 4])"


# --- reprs with autograd suffixes ---
REPRS = [
    ("x", "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"),
    ("x + 2", "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"),
    ("(x + 2) * (x + 2) * 3", "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)"),
    ("((x + 2) * (x + 2) * 3).mean()", "tensor(27., grad_fn=<MeanBackward0>)"),
    ("x.sum()", "tensor(4., grad_fn=<SumBackward0>)"),
    ("x[0]", "tensor([1., 1.], grad_fn=<SelectBackward0>)"),
    ("x.t()", "tensor([[1., 1.],\n        [1., 1.]], grad_fn=<TBackward0>)"),
    ("x.view(4)", "tensor([1., 1., 1., 1.], grad_fn=<ViewBackward0>)"),
    ("x.detach()", "tensor([[1., 1.],\n        [1., 1.]])"),
    ("torch.ones(2, dtype=torch.float64, requires_grad=True)",
     "tensor([1., 1.], dtype=torch.float64, requires_grad=True)"),
    ("torch.ones(2, dtype=torch.float64, requires_grad=True) * 2",
     "tensor([2., 2.], dtype=torch.float64, grad_fn=<MulBackward0>)"),
    ("torch.tensor(3., requires_grad=True)", "tensor(3., requires_grad=True)"),
    ("torch.tensor([[1.5]], dtype=torch.float64, requires_grad=True)",
     "tensor([[1.5000]], dtype=torch.float64, requires_grad=True)"),
    ("torch.tensor([1e-5, 1e5])", "tensor([1.0000e-05, 1.0000e+05])"),
    ("torch.tensor([1, -100000000000])", "tensor([            1, -100000000000])"),
    ("torch.tensor([float('nan'), float('inf'), -float('inf'), 1.])",
     "tensor([nan, inf, -inf, 1.])"),
    ("torch.zeros(0, 3)", "tensor([], size=(0, 3))"),
    ("torch.tensor([], dtype=torch.int64)", "tensor([], dtype=torch.int64)"),
    ("torch.arange(1001.)", "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])"),
    ("torch.arange(12).view(3, 4)",
     "tensor([[ 0,  1,  2,  3],\n        [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]])"),
    ("torch.tensor([[0.1, -2.0], [300.0, 4.25]])",
     "tensor([[ 1.0000e-01, -2.0000e+00],\n        [ 3.0000e+02,  4.2500e+00]])"),
]


@pytest.mark.parametrize("code,expected", REPRS, ids=[c for c, _ in REPRS])
def test_repr(code, expected):
    for module in (nt, TORCH):
        if module is None:
            continue
        scope = {"torch": module, "x": module.ones(2, 2, requires_grad=True)}
        assert repr(eval(code, scope)) == expected
        assert str(eval(code, scope)) == expected


# --- creation errors ---
CREATION_ERRORS = [
    ("torch.tensor([[1, 2], [3]])", ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
    ("torch.tensor([[[1], [2]], [[3]]])", ValueError,
     "expected sequence of length 2 at dim 1 (got 1)"),
    ("torch.tensor('a')", TypeError, "new(): invalid data type 'str'"),
    ("torch.tensor(None)", RuntimeError, "Could not infer dtype of NoneType"),
    ("torch.tensor([None])", RuntimeError, "Could not infer dtype of NoneType"),
    ("torch.zeros(-1)", RuntimeError, "zeros: Dimension size must be non-negative."),
    ("torch.ones(2, -3)", RuntimeError, "Trying to create tensor with negative dimension -3: "
                                        "[2, -3]"),
    ("torch.empty(-1)", RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
    ("torch.arange(0, 5, 0)", RuntimeError, "step must be nonzero"),
    ("torch.arange(5, 0)", RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ("torch.linspace(0, 1, -1)", RuntimeError, "number of steps must be non-negative"),
    ("torch.tensor([1, 2], requires_grad=True)", RuntimeError,
     "Only Tensors of floating point and complex dtype can require gradients"),
    ("torch.ones(2).size(2)", IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 2)"),
    ("torch.empty(2, 3).fill_(torch.ones(2))", RuntimeError,
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
]


@pytest.mark.parametrize("code,kind,message", CREATION_ERRORS,
                         ids=[c for c, _, _ in CREATION_ERRORS])
def test_creation_errors(code, kind, message):
    for module in (nt, TORCH):
        if module is None:
            continue
        with pytest.raises(kind, match="^" + re.escape(message) + "$"):
            _on(module, code)
