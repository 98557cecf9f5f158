"""Indexing against NumPy: getitem (ints, slices, None, Ellipsis, bool and long index tensors,
negative indices), setitem, gather/scatter/index_select/masked_fill/nonzero, gradcheck through
all of them, PyTorch's grad_fn names and errors."""
import re

import numpy as np
import pytest

import nbtorch as nt
from nbtorch.autograd import gradcheck

try:  # optional oracle, never required
    import torch as TORCH
except ImportError:
    TORCH = None

A = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
MASK = A[:, :, 0] % 3 == 1                     # (3, 4) boolean
ROWS = np.array([2, 0, -1])


def same(t, expected):
    expected = np.asarray(expected)
    assert tuple(t.shape) == expected.shape
    assert t.dtype.np == expected.dtype
    np.testing.assert_array_equal(t.detach().numpy(), expected)


# (nbtorch key, NumPy key, whether the result is a view, PyTorch's grad_fn name)
KEYS = [
    (1, 1, True, "SelectBackward0"),
    (-1, -1, True, "SelectBackward0"),
    ((0, 2), (0, 2), True, "SelectBackward0"),
    ((-1, -2, -3), (-1, -2, -3), True, "SelectBackward0"),
    (slice(1, None), slice(1, None), True, "SliceBackward0"),
    (slice(None, None, 2), slice(None, None, 2), True, "SliceBackward0"),
    ((slice(None), slice(1, 3)), (slice(None), slice(1, 3)), True, "SliceBackward0"),
    ((slice(0, 2), 1), (slice(0, 2), 1), True, "SelectBackward0"),
    ((1, slice(None), slice(-3, -1)), (1, slice(None), slice(-3, -1)), True, "SliceBackward0"),
    (None, None, True, "UnsqueezeBackward0"),
    ((0, None), (0, None), True, "UnsqueezeBackward0"),
    ((Ellipsis, 1), (Ellipsis, 1), True, "SelectBackward0"),
    ((1, Ellipsis), (1, Ellipsis), True, "SelectBackward0"),
    ((Ellipsis, None, slice(2)), (Ellipsis, None, slice(2)), True, "SliceBackward0"),
    (Ellipsis, Ellipsis, True, "AliasBackward0"),
    ((slice(None), slice(None)), (slice(None), slice(None)), True, "AliasBackward0"),
    (lambda: nt.tensor(ROWS), ROWS, False, "IndexBackward0"),
    (lambda: nt.tensor(MASK), MASK, False, "IndexBackward0"),
    (lambda: (slice(None), nt.tensor(MASK[0])), (slice(None), MASK[0]), False, "IndexBackward0"),
    (lambda: (nt.tensor([0, 2]), slice(None), nt.tensor([1, -1])),
     (np.array([0, 2]), slice(None), np.array([1, -1])), False, "IndexBackward0"),
    (lambda: (Ellipsis, nt.tensor([[0, 1], [2, 3]])), (Ellipsis, np.array([[0, 1], [2, 3]])),
     False, "IndexBackward0"),
    ([0, 2], np.array([0, 2]), False, "IndexBackward0"),
    ((1, [0, 3]), (1, np.array([0, 3])), False, "IndexBackward0"),
    (range(1, 3), np.array([1, 2]), False, "IndexBackward0"),     # a range is its list
    (lambda: (range(3), nt.tensor([1, 3, 0])), (np.arange(3), np.array([1, 3, 0])), False,
     "IndexBackward0"),                                          # nll by hand, "nn really"
]


def _key(k):
    return k() if callable(k) else k


@pytest.mark.parametrize("i", range(len(KEYS)))
def test_getitem(i):
    key, np_key, is_view, _ = KEYS[i]
    x = nt.tensor(A)
    y = x[_key(key)]
    same(y, A[np_key])
    if is_view:
        y_np = y.numpy()
        assert y_np.size == 0 or np.shares_memory(y_np, x.numpy())
        assert y._version is x._version


@pytest.mark.parametrize("i", range(len(KEYS)))
def test_getitem_gradcheck_and_names(i):
    key, np_key, _, name = KEYS[i]
    x = nt.tensor(np.random.default_rng(i).standard_normal(A.shape), requires_grad=True)
    w = nt.tensor(np.random.default_rng(99).standard_normal(A[np_key].shape))
    assert gradcheck(lambda t: t[_key(key)] * w, (x,))
    assert x[_key(key)].grad_fn.name() == name
    if TORCH is not None and not (isinstance(key, list) and len(key) > 1):
        tkey = _torch_key(_key(key))
        assert type(TORCH.ones(3, 4, 5, requires_grad=True)[tkey].grad_fn).__name__ == name


def _torch_key(key):
    if isinstance(key, tuple):
        return tuple(_torch_key(k) for k in key)
    if isinstance(key, nt.Tensor):
        return TORCH.from_numpy(key.numpy().copy())
    return key


def test_full_integer_index_is_a_0dim_view():
    x = nt.arange(6.0).view(2, 3)
    v = x[1, 2]
    assert v.shape == () and v.item() == 5.0
    v.add_(10)                            # writes through, as in PyTorch
    assert x[1, 2].item() == 15.0
    for row in x:
        row.mul_(2)
    same(x, np.float32([[0, 2, 4], [6, 8, 30]]))
    s = nt.arange(3.0).select(0, 1)
    assert s.shape == () and s.item() == 1.0


def test_zero_dim_index_tensor_acts_as_an_integer():
    x = nt.tensor(A)
    same(x[nt.tensor(1)], A[1])
    same(x[nt.tensor(1), nt.tensor(2)], A[1, 2])
    same(x[nt.tensor([1]), nt.tensor([2])], A[[1], [2]])


def test_repeated_index_gradient_accumulates():
    x = nt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[nt.tensor([0, 0, 2, 0])].sum().backward()
    same(x.grad, np.float32([3, 0, 1]))


# --- setitem ---
SETS = [
    (1, 5.0),
    ((0, slice(1, 3)), lambda: nt.arange(10.0).view(2, 5)),
    ((slice(None), 0), lambda: nt.tensor([1.0, 2.0, 3.0, 4.0, 5.0])),   # broadcast over rows
    ((Ellipsis, -1), lambda: nt.ones(1, 1, 4) * 7),                         # leading 1s dropped
    (lambda: nt.tensor(MASK), -1.0),
    (lambda: nt.tensor(MASK), lambda: nt.arange(5.0)),
    (lambda: nt.tensor([2, 0]), lambda: nt.zeros(2, 4, 5)),
    (lambda: (nt.tensor([0, 1]), nt.tensor([3, 3])), lambda: nt.tensor([[9.0], [8.0]])),
    (lambda: nt.tensor(A > 30), 0.0),
    (lambda: 0, lambda: nt.tensor([1, 2, 3, 4, 5])),                        # int value into float
]


def _value(v):
    return v() if callable(v) else v


def _np_key(key):
    if isinstance(key, tuple):
        return tuple(_np_key(k) for k in key)
    return key.numpy() if isinstance(key, nt.Tensor) else key


@pytest.mark.parametrize("i", range(len(SETS)))
def test_setitem(i):
    key, value = _key(SETS[i][0]), _value(SETS[i][1])
    x = nt.tensor(A)
    ptr, version = x.data_ptr(), x._version[0]
    expected = A.copy()
    expected[_np_key(key)] = value.numpy() if isinstance(value, nt.Tensor) else value
    x[key] = value
    same(x, expected)
    assert x.data_ptr() == ptr and x._version[0] > version
    if TORCH is not None:
        t = TORCH.from_numpy(A.copy())
        t[_torch_key(key)] = _torch_key(value) if isinstance(value, nt.Tensor) else value
        np.testing.assert_array_equal(t.numpy(), expected)


@pytest.mark.parametrize("i", range(len(SETS)))
def test_setitem_gradcheck(i):
    key, value = _key(SETS[i][0]), _value(SETS[i][1])
    x = nt.tensor(np.random.default_rng(i).standard_normal(A.shape), requires_grad=True)
    inputs = (x,)
    if isinstance(value, nt.Tensor):
        inputs += (value.double().requires_grad_(),)

    def fn(t, v=value):
        y = t * 1                          # setitem on a leaf that requires grad is an error
        y[key] = v
        return y
    assert gradcheck(fn, inputs)
    y = x * 1
    y[key] = inputs[1] if len(inputs) > 1 else value
    assert y.grad_fn.name() == "CopySlices"


def test_setitem_through_a_view_writes_base():
    x = nt.zeros(3, 4)
    x[1][2] = 5.0
    x.t()[3, 0] = 6.0
    row = x[2]
    row[:] = 1.0
    expected = np.zeros((3, 4), np.float32)
    expected[1, 2], expected[0, 3], expected[2] = 5, 6, 1
    same(x, expected)


def test_setitem_errors():
    x = nt.zeros(3, 4)
    with pytest.raises(IndexError, match=r"^index 5 is out of bounds for dimension 0 with size 3$"):
        x[5] = 1.0
    with pytest.raises(RuntimeError, match=re.escape(
            "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
            "dimension 0.  Target sizes: [4].  Tensor sizes: [3]")):
        x[0] = nt.ones(3)
    with pytest.raises(RuntimeError, match=re.escape(
            "shape mismatch: value tensor of shape [3, 4] cannot be broadcast to indexing result "
            "of shape [2, 4]")):
        x[nt.tensor([True, False, True])] = nt.ones(3, 4)
    leaf = nt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^a leaf Variable that requires grad is being used in "
                                           r"an in-place operation\.$"):
        leaf[0] = 1.0


# --- getitem errors ---
ERRORS = [
    (lambda x: x[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda x: x[-4], IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda x: x[0, 4], IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda x: x[1, 2, 3], IndexError, "too many indices for tensor of dimension 2"),
    (lambda x: x[nt.tensor([0.5])], IndexError,
     "tensors used as indices must be long, int, byte or bool tensors"),
    (lambda x: x[nt.tensor([3])], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x[nt.tensor([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] "
     "at index 0"),
    (lambda x: x[:, nt.tensor([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] "
     "at index 1"),
    (lambda x: x[::-1], ValueError, "step must be greater than zero"),
    (lambda x: x[::0], ValueError, "slice step cannot be zero"),
    (lambda x: x[1.5], IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long "
                                   "or byte Variables are valid indices (got float)"),
    (lambda x: x[nt.tensor([1, 2]), nt.tensor([0, 1, 2])], IndexError,
     "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"),
    (lambda x: x.index_select(0, nt.tensor([[0]])), IndexError,
     "index_select(): Index is supposed to be a vector"),
    (lambda x: x.index_select(0, nt.tensor([0, 3])), IndexError, "index out of range in self"),
    (lambda x: x.index_select(0, nt.tensor([0.0])), RuntimeError,
     "index_select(): Expected dtype int32 or int64 for index"),
    (lambda x: x.gather(1, nt.tensor([[0], [1], [9]])), RuntimeError,
     "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(1, nt.tensor([[0], [-1], [0]])), RuntimeError,
     "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.gather(1, nt.tensor([0])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda x: x.gather(1, nt.zeros(3, 1)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    (lambda x: x.gather(1, nt.zeros(4, 1, dtype=nt.long)), RuntimeError,
     "Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 4] "
     "apart from dimension 1"),
    (lambda x: x.scatter(1, nt.tensor([[0], [1], [9]]), 1.0), RuntimeError,
     "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.scatter(1, nt.zeros(3, 1), 1.0), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda x: x.scatter(1, nt.tensor([[0], [1], [0]]), nt.ones(2, 1)), RuntimeError,
     "Expected index [3, 1] to be no larger than self [3, 4] apart from dimension 1 and to be no "
     "larger size than src [2, 1]"),
    (lambda x: x.scatter(1, nt.tensor([[0], [1], [0]]), nt.ones(3, 1, dtype=nt.float64)),
     RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda x: x.scatter(1, nt.tensor([[0], [1], [0]]), 2.0, reduce="mean"), RuntimeError,
     "reduce argument must be either add or multiply."),
    (lambda x: x.masked_fill(nt.tensor([1, 0, 0, 0]), 0.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    (lambda x: x.masked_fill(nt.tensor([True, False]), 0.0), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 1"),
    (lambda x: x.masked_fill(nt.tensor([True, False, False, False]), nt.tensor([1.0, 2.0])),
     RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
                   "dimension(s)."),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_index_errors(i):
    call, kind, message = ERRORS[i]
    with pytest.raises(kind, match="^" + re.escape(message) + "$"):
        call(nt.arange(12.0).view(3, 4))
    if TORCH is not None:
        g = call.__globals__
        saved, g["nt"] = g["nt"], TORCH
        try:
            with pytest.raises(kind, match="^" + re.escape(message)):
                call(TORCH.arange(12.0).view(3, 4))
        finally:
            g["nt"] = saved


# --- gather, scatter, index_select, masked_fill, nonzero ---
def test_index_select():
    x = nt.tensor(A)
    same(x.index_select(1, nt.tensor([3, 0, 3])), A[:, [3, 0, 3]])
    same(nt.index_select(x, -1, nt.tensor([4], dtype=nt.int32)), A[..., [4]])
    w = nt.tensor(np.random.default_rng(5).standard_normal((3, 3, 5)))
    assert gradcheck(lambda t: t.index_select(1, nt.tensor([3, 0, 3])) * w,
                     (nt.tensor(A.astype(np.float64), requires_grad=True),))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(dim):
    rng = np.random.default_rng(6)
    a = rng.standard_normal((3, 4))
    shape = (2, 3)                         # smaller than the input, as PyTorch allows
    index = rng.integers(0, a.shape[dim], shape)
    corner = a[:, :3] if dim == 0 else a[:2, :]   # the part of the input the index spans
    expected = np.take_along_axis(corner, index, axis=dim)
    same(nt.gather(nt.tensor(a), dim, nt.tensor(index)), expected)
    x = nt.tensor(a, requires_grad=True)
    assert gradcheck(lambda t: nt.gather(t, dim, nt.tensor(index)), (x,))
    assert x.gather(dim, nt.tensor(index)).grad_fn.name() == "GatherBackward0"
    if TORCH is not None:
        np.testing.assert_array_equal(
            TORCH.gather(TORCH.from_numpy(a), dim, TORCH.from_numpy(index)).numpy(), expected)


def _scatter_ref(a, dim, index, src, reduce=None):
    out = a.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        v = src[pos] if isinstance(src, np.ndarray) else src
        if reduce == "add":
            out[tuple(target)] += v
        else:
            out[tuple(target)] = v
    return out


def test_scatter():
    rng = np.random.default_rng(7)
    a, src = rng.standard_normal((3, 5)), rng.standard_normal((3, 4))
    index = np.array([[0, 4, 2], [1, 3, 0], [2, 1, 4]])    # distinct per row for plain scatter
    x, s, i = nt.tensor(a), nt.tensor(src), nt.tensor(index)
    same(x.scatter(1, i, s), _scatter_ref(a, 1, index, src))
    same(nt.scatter(x, 1, i, 2.5), _scatter_ref(a, 1, index, 2.5))
    same(x.scatter_add(1, i, s), _scatter_ref(a, 1, index, src, "add"))
    same(x.scatter(1, i, s, reduce="add"), _scatter_ref(a, 1, index, src, "add"))
    dup = nt.tensor([[0, 0, 0]])                            # repeated targets add up
    same(x.scatter_add(1, dup, s), _scatter_ref(a, 1, dup.numpy(), src, "add"))
    y = nt.tensor(a)
    assert y.scatter_(1, i, s) is y
    same(y, _scatter_ref(a, 1, index, src))
    xg = nt.tensor(a, requires_grad=True)
    sg = nt.tensor(src, requires_grad=True)
    assert gradcheck(lambda t, u: t.scatter(1, i, u), (xg, sg))
    assert gradcheck(lambda t, u: t.scatter_add(1, dup, u), (xg, sg))
    assert gradcheck(lambda t: t.scatter(1, i, 2.5), (xg,))
    assert xg.scatter(1, i, sg).grad_fn.name() == "ScatterBackward0"
    assert xg.scatter(1, i, 2.5).grad_fn.name() == "ScatterBackward1"
    assert xg.scatter_add(1, i, sg).grad_fn.name() == "ScatterAddBackward0"


def test_zero_dim_index_is_one_position():
    """PyTorch counts a 0-dim index as 1-dim: Learn the Basics' one-hot target transform."""
    assert nt.zeros(5).scatter_(0, nt.tensor(2), value=1).tolist() == [0, 0, 1, 0, 0]
    same(nt.zeros(4).scatter_add(0, nt.tensor(3), nt.tensor(7.0)), np.float32([0, 0, 0, 7]))
    same(nt.zeros(4).scatter(0, nt.tensor(1), nt.tensor([5.0, 6.0])), np.float32([0, 5, 0, 0]))
    g = nt.arange(5.0).gather(0, nt.tensor(3))
    assert g.shape == () and g.item() == 3.0
    x = nt.tensor(np.arange(5.0), requires_grad=True)
    src = nt.tensor(2.0, dtype=nt.float64, requires_grad=True)
    assert gradcheck(lambda t: t.gather(0, nt.tensor(1)), (x,))
    assert gradcheck(lambda t, u: t.scatter(0, nt.tensor(4), u), (x, src))
    with pytest.raises(NotImplementedError, match="0-dim tensor"):
        nt.tensor(5.0).scatter(0, nt.tensor(0), 2.0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        nt.zeros(2, 3).gather(0, nt.tensor(1))


def test_masked_fill():
    a = np.random.default_rng(8).standard_normal((3, 4)).astype(np.float32)
    mask = a > 0
    x = nt.tensor(a)
    same(x.masked_fill(nt.tensor(mask), -1.0), np.where(mask, np.float32(-1), a))
    same(x.masked_fill(nt.tensor(mask[0]), nt.tensor(2.0)), np.where(mask[0], np.float32(2), a))
    same(nt.tensor([1, 2, 3]).masked_fill(nt.tensor([True, False, True]), 2.5),
         np.int64([2, 2, 2]))
    y = nt.tensor(a)
    assert y.masked_fill_(nt.tensor(mask), 0.0) is y
    same(y, np.where(mask, 0, a))
    xg = nt.tensor(a.astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: t.masked_fill(nt.tensor(mask), 3.0), (xg,))
    assert xg.masked_fill(nt.tensor(mask), 3.0).grad_fn.name() == "MaskedFillBackward0"


def test_nonzero_and_where():
    a = np.array([[0, 1, 0], [2, 0, 3]])
    x = nt.tensor(a)
    same(x.nonzero(), np.argwhere(a))
    same(nt.nonzero(x), np.argwhere(a))
    rows, cols = nt.nonzero(x, as_tuple=True)
    same(rows, np.nonzero(a)[0])
    same(cols, np.nonzero(a)[1])
    same(nt.nonzero(nt.tensor(0)), np.zeros((0, 0), np.int64))
    same(nt.nonzero(nt.tensor(3)), np.zeros((1, 0), np.int64))
    same(nt.nonzero(nt.tensor([False, True, True])), np.int64([[1], [2]]))
    same(x.masked_select(x > 1), np.int64([2, 3]))
