"""Shape ops against NumPy: results, views sharing memory (and the version counter) with their
base, gradcheck through every differentiable one, PyTorch's grad_fn names and errors."""
import numpy as np
import pytest

import nbtorch as nt
from nbtorch.autograd import gradcheck

try:  # optional oracle, never required
    import torch as TORCH
except ImportError:
    TORCH = None

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def x_():
    return nt.tensor(A)


def same(t, expected):
    expected = np.asarray(expected)
    assert tuple(t.shape) == expected.shape
    assert t.dtype.np == expected.dtype
    np.testing.assert_array_equal(t.detach().numpy(), expected)


# name -> (nbtorch call, NumPy reference, whether the result is a view of its input)
CASES = {
    "view": (lambda t: t.view(6, 4), lambda a: a.reshape(6, 4), True),
    "view_infer": (lambda t: t.view(-1, 2), lambda a: a.reshape(-1, 2), True),
    "view_tuple": (lambda t: t.view((4, 6)), lambda a: a.reshape(4, 6), True),
    "reshape": (lambda t: t.reshape(3, -1), lambda a: a.reshape(3, -1), True),
    "reshape_noncontig": (lambda t: t.transpose(0, 2).reshape(-1),
                          lambda a: a.transpose(2, 1, 0).reshape(-1), False),
    "flatten": (lambda t: t.flatten(), lambda a: a.reshape(-1), True),
    "flatten_range": (lambda t: t.flatten(1), lambda a: a.reshape(2, 12), True),
    "flatten_mid": (lambda t: nt.flatten(t, 0, 1), lambda a: a.reshape(6, 4), True),
    "unsqueeze": (lambda t: t.unsqueeze(1), lambda a: a[:, None], True),
    "unsqueeze_neg": (lambda t: t.unsqueeze(-1), lambda a: a[..., None], True),
    "squeeze": (lambda t: t.unsqueeze(0).unsqueeze(3).squeeze(), lambda a: a, True),
    "squeeze_dim": (lambda t: t[:, :1].squeeze(1), lambda a: a[:, 0], True),
    "squeeze_noop": (lambda t: t.squeeze(1), lambda a: a, True),
    "transpose": (lambda t: t.transpose(0, 2), lambda a: a.transpose(2, 1, 0), True),
    "transpose_neg": (lambda t: nt.transpose(t, -1, -2), lambda a: a.transpose(0, 2, 1), True),
    "permute": (lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), True),
    "permute_tuple": (lambda t: t.permute((1, 2, 0)), lambda a: a.transpose(1, 2, 0), True),
    "t": (lambda t: t[0].t(), lambda a: a[0].T, True),
    "T": (lambda t: t[0].T, lambda a: a[0].T, True),
    "mT": (lambda t: t.mT, lambda a: a.transpose(0, 2, 1), True),
    "expand": (lambda t: t[:, :1].expand(2, 5, 4), lambda a: np.broadcast_to(a[:, :1], (2, 5, 4)),
               True),
    "expand_new_dim": (lambda t: t[0, 0].expand(3, -1), lambda a: np.broadcast_to(a[0, 0], (3, 4)),
                       True),
    "expand_as": (lambda t: t[0, :, :1].expand_as(t), lambda a: np.broadcast_to(a[0, :, :1],
                                                                                 a.shape), True),
    "repeat": (lambda t: t[0].repeat(2, 3), lambda a: np.tile(a[0], (2, 3)), False),
    "repeat_new_dims": (lambda t: t[0, 0].repeat(2, 1, 2), lambda a: np.tile(a[0, 0], (2, 1, 2)),
                        False),
    "narrow": (lambda t: t.narrow(2, 1, 2), lambda a: a[:, :, 1:3], True),
    "narrow_neg": (lambda t: nt.narrow(t, 1, -2, 2), lambda a: a[:, 1:3], True),
    "select": (lambda t: t.select(1, 2), lambda a: a[:, 2], True),
    "select_neg": (lambda t: nt.select(t, -1, -1), lambda a: a[..., -1], True),
    "flip": (lambda t: nt.flip(t, (0, 2)), lambda a: a[::-1, :, ::-1], False),
    "flip_int": (lambda t: t.flip(1), lambda a: a[:, ::-1], False),
    "cat": (lambda t: nt.cat([t, t[:, :1] * 2], 1), lambda a: np.concatenate([a, a[:, :1] * 2], 1),
            False),
    "cat_neg": (lambda t: nt.cat((t, t), -1), lambda a: np.concatenate([a, a], -1), False),
    "stack": (lambda t: nt.stack([t[0], t[1]]), lambda a: np.stack([a[0], a[1]]), False),
    "stack_dim": (lambda t: nt.stack([t[0], t[1]], dim=2), lambda a: np.stack([a[0], a[1]], 2),
                  False),
    "stack_neg": (lambda t: nt.stack([t, t], -1), lambda a: np.stack([a, a], -1), False),
}


@pytest.mark.parametrize("name", CASES)
def test_shape_op(name):
    op, ref, is_view = CASES[name]
    x = x_()
    y = op(x)
    same(y, ref(A))
    assert (y.data_ptr() >= x.data_ptr() and
            y.data_ptr() < x.data_ptr() + A.nbytes) == is_view or y.numel() == 0


@pytest.mark.parametrize("name", CASES)
def test_shape_op_gradcheck(name):
    op, ref, _ = CASES[name]
    x = nt.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    # a weighting makes every output position count differently
    w = nt.tensor(np.random.default_rng(1).standard_normal(ref(A).shape))
    assert gradcheck(lambda t: op(t) * w, (x,))


def test_views_share_memory_and_version():
    x = nt.zeros(3, 4)
    views = [x.view(12), x.t(), x[1], x.unsqueeze(0), x.narrow(1, 1, 2), x.permute(1, 0),
             x.expand(2, 3, 4), x.select(0, 1), x.reshape(4, 3), x.flatten()]
    x[1, 2] = 5.0
    for v in views:
        assert 5.0 in v.numpy().ravel()
    v = x.view(12)
    v[0] = 7.0
    assert x[0, 0].item() == 7.0
    before = x._version[0]
    x.t().add_(1.0)
    assert x._version[0] == before + 1 and v._version[0] == before + 1
    assert (x.numpy() >= 1).all()
    # reshape of a non-contiguous tensor copies
    r = x.t().reshape(12)
    r[0] = -100.0
    assert x.min().item() >= 1


def test_contiguity_and_strides():
    x = x_()
    assert x.stride() == (12, 4, 1) and x.is_contiguous()
    t = x.transpose(0, 2)
    assert t.stride() == (1, 4, 12) and not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (6, 2, 1)
    same(c, A.transpose(2, 1, 0))
    assert x.contiguous() is x
    assert x.stride(1) == 4 and x.stride(-1) == 1
    e = x[:, :1].expand(2, 5, 4)
    assert e.stride() == (12, 0, 1)
    if TORCH is not None:
        tx = TORCH.from_numpy(A.copy())
        assert tx[:, :1].expand(2, 5, 4).stride() == e.stride()
        assert tx.transpose(0, 2).contiguous().stride() == c.stride()


def test_view_errors():
    x = x_()
    with pytest.raises(RuntimeError, match=r"^shape '\[5, 4\]' is invalid for input of size 24$"):
        x.view(5, 4)
    with pytest.raises(RuntimeError, match=r"^shape '\[-1, 5\]' is invalid for input of size 24$"):
        x.view(-1, 5)
    with pytest.raises(RuntimeError, match="^only one dimension can be inferred$"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match=r"^view size is not compatible with input tensor's size "
                                           r"and stride \(at least one dimension spans across two "
                                           r"contiguous subspaces\)\. Use \.reshape\(\.\.\.\) "
                                           r"instead\.$"):
        x.transpose(0, 1).view(-1)
    with pytest.raises(RuntimeError, match=r"^shape '\[5\]' is invalid for input of size 24$"):
        x.reshape(5)


def test_split_chunk_unbind():
    x = x_()
    parts = x.split(2, dim=2)
    assert len(parts) == 2
    for p, r in zip(parts, np.split(A, 2, axis=2)):
        same(p, r)
    parts = nt.split(x, [1, 3], dim=-1)
    same(parts[0], A[..., :1])
    same(parts[1], A[..., 1:])
    odd = x.split(3, 2)
    assert [p.shape[2] for p in odd] == [3, 1]
    chunks = x.chunk(2, 1)                 # 3 rows into chunks of 2: sizes 2 and 1
    assert [c.shape[1] for c in chunks] == [2, 1]
    assert len(nt.chunk(x, 5, 2)) == 4     # PyTorch may return fewer chunks than asked
    rows = x.unbind(1)
    assert len(rows) == 3
    for r, e in zip(rows, np.moveaxis(A, 1, 0)):
        same(r, e)
    assert all(p.data_ptr() >= x.data_ptr() for p in parts + chunks + rows)
    with pytest.raises(RuntimeError, match=r"^split_with_sizes expects split_sizes to sum exactly "
                                           r"to 4 \(input tensor's size at dimension 2\), but got "
                                           r"split_sizes=\[1, 2\]$"):
        x.split([1, 2], 2)
    if TORCH is not None:
        assert [tuple(c.shape) for c in TORCH.from_numpy(A).chunk(5, 2)] == \
            [tuple(c.shape) for c in nt.chunk(x, 5, 2)]


def test_split_gradcheck():
    x = nt.tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t.split([1, 3], 1), (x,))
    assert gradcheck(lambda t: t.chunk(2, 0), (x,))
    assert gradcheck(lambda t: t.unbind(1), (x,))
    a, b = x.split([1, 3], 1)
    (b * 2).sum().backward()               # an unused piece gets zeros
    same(x.grad, np.hstack([np.zeros((3, 1)), np.full((3, 3), 2.0)]))


def test_cat_stack_promote_and_errors():
    same(nt.cat([nt.tensor([1, 2]), nt.tensor([1.5])]), np.float32([1, 2, 1.5]))
    same(nt.cat([nt.tensor([1.0]), nt.tensor([])]), np.float32([1]))   # legacy empty 1-D skipped
    same(nt.stack([nt.tensor(1.0), nt.tensor(2.0)]), np.float32([1, 2]))
    out = nt.empty(4)
    assert nt.cat([nt.ones(2), nt.zeros(2)], out=out) is out
    same(out, np.float32([1, 1, 0, 0]))
    with pytest.raises(RuntimeError, match=r"^Sizes of tensors must match except in dimension 0\. "
                                           r"Expected size 3 but got size 2 for tensor number 1 in "
                                           r"the list\.$"):
        nt.cat([nt.zeros(1, 3), nt.zeros(1, 2)])
    with pytest.raises(RuntimeError, match=r"^stack expects each tensor to be equal size, but got "
                                           r"\[3\] at entry 0 and \[2\] at entry 1$"):
        nt.stack([nt.zeros(3), nt.zeros(2)])
    with pytest.raises(RuntimeError, match=r"^Tensors must have same number of dimensions: got 2 "
                                           r"and 1$"):
        nt.cat([nt.zeros(1, 3), nt.zeros(3)])


def test_cat_stack_gradcheck():
    a = nt.tensor(np.random.default_rng(3).standard_normal((2, 3)), requires_grad=True)
    b = nt.tensor(np.random.default_rng(4).standard_normal((1, 3)), requires_grad=True)
    assert gradcheck(lambda p, q: nt.cat([p, q * 3, p]), (a, b))
    assert gradcheck(lambda p: nt.stack([p, p * 2], 1), (a,))


def test_expand_repeat_grads_sum():
    x = nt.tensor([[1.0], [2.0]], requires_grad=True)
    x.expand(2, 3).sum().backward()
    same(x.grad, np.float32([[3], [3]]))
    y = nt.tensor([1.0, 2.0], requires_grad=True)
    (y.repeat(3, 2) * nt.arange(12.0).view(3, 4)).sum().backward()
    w = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    same(y.grad, np.float32([w[:, 0::2].sum(), w[:, 1::2].sum()]))


def test_shape_errors():
    x = x_()
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of "
                                         r"\[-3, 2\], but got 3\)$"):
        x.transpose(0, 3)
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of "
                                         r"\[-4, 3\], but got 4\)$"):
        x.unsqueeze(4)
    with pytest.raises(RuntimeError, match=r"^permute\(sparse_coo\): number of dimensions in the "
                                           r"tensor input does not match the length of the desired "
                                           r"ordering of dimensions i\.e\. input\.dim\(\) = 3 is "
                                           r"not equal to len\(dims\) = 2$"):
        x.permute(1, 0)
    with pytest.raises(RuntimeError, match=r"^permute\(\): duplicate dims are not allowed\.$"):
        x.permute(0, 0, 1)
    with pytest.raises(RuntimeError, match=r"^t\(\) expects a tensor with <= 2 dimensions, but self "
                                           r"is 3D$"):
        x.t()
    with pytest.raises(RuntimeError, match=r"^The expanded size of the tensor \(5\) must match the "
                                           r"existing size \(3\) at non-singleton dimension 1\.  "
                                           r"Target sizes: \[2, 5, 4\]\.  Tensor sizes: "
                                           r"\[2, 3, 4\]$"):
        x.expand(2, 5, 4)
    with pytest.raises(RuntimeError, match=r"^Number of dimensions of repeat dims can not be "
                                           r"smaller than number of dimensions of tensor$"):
        x.repeat(2, 2)
    with pytest.raises(RuntimeError, match=r"^start \(2\) \+ length \(2\) exceeds dimension size "
                                           r"\(3\)\.$"):
        x.narrow(1, 2, 2)
    with pytest.raises(IndexError, match=r"^select\(\): index 3 out of range for tensor of size "
                                         r"\[2, 3, 4\] at dimension 1$"):
        x.select(1, 3)
    if TORCH is not None:
        tx = TORCH.from_numpy(A)
        for call in (lambda t: t.transpose(0, 3), lambda t: t.expand(2, 5, 4),
                     lambda t: t.narrow(1, 2, 2), lambda t: t.select(1, 3),
                     lambda t: t.view(5, 4), lambda t: t.repeat(2, 2)):
            with pytest.raises(Exception) as theirs:
                call(tx)
            with pytest.raises(type(theirs.value), match="^" + _escape(str(theirs.value)) + "$"):
                call(x)


def _escape(msg):
    import re
    return re.escape(msg)


GRAD_FN_NAMES = [
    (lambda t: t.view(4), "ViewBackward0"), (lambda t: t.reshape(4), "ViewBackward0"),
    (lambda t: t.t(), "TBackward0"), (lambda t: t.transpose(0, 1), "TransposeBackward0"),
    (lambda t: t.permute(1, 0), "PermuteBackward0"), (lambda t: t.T, "PermuteBackward0"),
    (lambda t: t.mT, "TransposeBackward0"), (lambda t: t.unsqueeze(0), "UnsqueezeBackward0"),
    (lambda t: t[:1].squeeze(), "SqueezeBackward0"), (lambda t: t[:1].squeeze(0),
                                                      "SqueezeBackward1"),
    (lambda t: t[:, :1].expand(2, 3), "ExpandBackward0"), (lambda t: t.repeat(2, 1),
                                                           "RepeatBackward0"),
    (lambda t: t.narrow(0, 0, 1), "SliceBackward0"), (lambda t: t.select(0, 1), "SelectBackward0"),
    (lambda t: nt.cat([t, t]), "CatBackward0"), (lambda t: t.flatten(), "ViewBackward0"),
]


@pytest.mark.parametrize("i", range(len(GRAD_FN_NAMES)))
def test_grad_fn_names(i):
    op, name = GRAD_FN_NAMES[i]
    x = nt.ones(2, 2, requires_grad=True)
    assert op(x).grad_fn.name() == name
    if TORCH is not None:
        tx = TORCH.ones(2, 2, requires_grad=True)
        assert type(_with_torch(op)(tx).grad_fn).__name__ == name


def _with_torch(op):
    """Run a table lambda (written against ``nt``) with ``nt`` standing for torch."""
    def call(t):
        g = op.__globals__
        saved = g["nt"]
        g["nt"] = TORCH
        try:
            return op(t)
        finally:
            g["nt"] = saved
    return call


def test_unbind_is_one_node_stacking_gradients():
    """unbind along any dim records one UnbindBackward0 node; its backward stacks the slices'
    gradients, with zeros for slices that got none."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 3, 4))
    for dim in range(-3, 3):
        x = nt.tensor(a, requires_grad=True)
        pieces = x.unbind(dim)
        assert len({id(p.grad_fn) for p in pieces}) == 1
        assert type(pieces[0].grad_fn).__name__ == "UnbindBackward0"
        assert [p._output_nr for p in pieces] == list(range(len(pieces)))
        w = rng.standard_normal(pieces[0].shape)
        (pieces[-1] * nt.tensor(w)).sum().backward()     # only the last slice is used
        expected = np.zeros_like(a)
        np.moveaxis(expected, dim, 0)[-1] = w
        np.testing.assert_array_equal(x.grad.numpy(), expected)
        assert gradcheck(lambda t, d=dim: t.unbind(d), (nt.tensor(a, requires_grad=True),))
    assert nt.zeros(0, 3).unbind(0) == ()


def test_unbind_grad_graph_is_differentiable():
    a = np.random.default_rng(6).standard_normal((3, 2))
    x = nt.tensor(a, requires_grad=True)
    (g,) = nt.autograd.grad(sum((p ** 3).sum() for p in x.unbind(1)), x, create_graph=True)
    g.sum().backward()                     # d/dx sum(3 x^2) = 6 x, through the stacked gradient
    np.testing.assert_allclose(x.grad.numpy(), 6 * a)
