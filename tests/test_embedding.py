"""Embedding: the CPU launchers (serial and threaded) against NumPy, F.embedding's gradient by
gradcheck (padding_idx, scale_grad_by_freq, repeated indices), max_norm, PyTorch's errors, and
nn.Embedding's init, repr, from_pretrained and state_dict; PyTorch as an extra oracle."""
import numpy as np
import pytest

import nbtorch
import nbtorch.kernels.cpu.embedding as K
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck


def reference_backward(grad, indices, V, padding_idx=-1, scale_by_freq=False):
    gw = np.zeros((V, grad.shape[-1]))
    counts = np.bincount(indices.reshape(-1), minlength=V)
    for g, i in zip(grad.reshape(-1, grad.shape[-1]), indices.reshape(-1)):
        if i != padding_idx:
            gw[i] += g / (counts[i] if scale_by_freq else 1)
    return gw


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("itype", [np.int64, np.int32])
@pytest.mark.parametrize("threaded", [False, True])
@pytest.mark.parametrize("A,B", [(1, 5), (3, 2), (4, 1)])
def test_launchers_match_numpy(monkeypatch, dtype, itype, threaded, A, B):
    """Layout (A, V, B): A = 1 is an embedding, B = 1 a padding's planes."""
    if threaded:
        monkeypatch.setattr(K, "PARALLEL_ELEMENTS", 1)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((A, 7, B)).astype(dtype)
    idx = rng.integers(0, 7, 40).astype(itype)           # repeats
    out = np.full((A, 40, B), np.nan, dtype)
    K.embedding_forward(w, idx, out)
    np.testing.assert_array_equal(out, w[:, idx])
    grad = rng.standard_normal((A, 40, B)).astype(dtype)
    for padding_idx, freq in ((-1, False), (int(idx[0]), False), (-1, True)):
        gw = np.full((A, 7, B), np.nan, dtype)
        K.embedding_backward(grad, idx, padding_idx, freq, gw)
        for a in range(A):
            np.testing.assert_allclose(gw[a], reference_backward(grad[a], idx, 7, padding_idx,
                                                                 freq),
                                       rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_forward_shape_and_values():
    w = nbtorch.randn(6, 4)
    idx = nbtorch.tensor([[0, 5, 5], [2, 1, 0]])
    y = F.embedding(idx, w)
    assert y.shape == (2, 3, 4) and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), w.numpy()[idx.numpy()])
    assert F.embedding(nbtorch.tensor(3), w).shape == (4,)
    assert F.embedding(nbtorch.tensor([], dtype=nbtorch.int64), w).shape == (0, 4)


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                {"scale_grad_by_freq": True}])
def test_gradient(kw):
    """The true gradient without options (gradcheck); padding_idx and scale_grad_by_freq change
    it on purpose, as PyTorch does: against the NumPy rule."""
    w = nbtorch.randn(5, 3, dtype=nbtorch.float64, requires_grad=True)
    idx = nbtorch.tensor([[2, 4, 2], [0, 2, 1]], dtype=nbtorch.int32)
    if not kw:
        assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    y = F.embedding(idx, w, **kw)
    g = nbtorch.randn(*y.shape, dtype=nbtorch.float64)
    y.backward(g)
    pad = kw.get("padding_idx", -1) % 5 if "padding_idx" in kw else -1
    expected = reference_backward(g.numpy(), idx.numpy(), 5, pad, kw.get("scale_grad_by_freq"))
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)
    assert y.grad_fn.name() == "EmbeddingBackward0"


def test_max_norm_renormalises_looked_up_rows_in_place():
    w = nbtorch.randn(6, 3, dtype=nbtorch.float64) * 3
    before = w.numpy().copy()
    F.embedding(nbtorch.tensor([1, 1, 4]), w, max_norm=1.5, norm_type=1)
    norms = np.abs(before).sum(1)
    for r in range(6):
        if r in (1, 4) and norms[r] > 1.5:
            np.testing.assert_allclose(w.numpy()[r], before[r] * 1.5 / (norms[r] + 1e-7))
        else:
            np.testing.assert_array_equal(w.numpy()[r], before[r])


@pytest.mark.parametrize("call,error,words", [
    (lambda w: F.embedding(nbtorch.tensor([6]), w), IndexError, "index out of range in self"),
    (lambda w: F.embedding(nbtorch.tensor([-1]), w), IndexError, "index out of range in self"),
    (lambda w: F.embedding(nbtorch.tensor([1.0]), w), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
     "Int; but got torch.FloatTensor instead (while checking arguments for embedding)"),
    (lambda w: F.embedding(nbtorch.tensor([1]), w[0]), RuntimeError, "'weight' must be 2-D"),
    (lambda w: F.embedding(nbtorch.tensor([1]), w, padding_idx=6), AssertionError,
     "Padding_idx must be within num_embeddings"),
    (lambda w: F.embedding([1], w), TypeError,
     "embedding(): argument 'indices' (position 2) must be Tensor, not list"),
])
def test_errors(call, error, words):
    w = nbtorch.randn(6, 2)
    with pytest.raises(error) as e:
        call(w)
    assert str(e.value) == words


def test_module_init_repr_and_state_dict():
    nbtorch.manual_seed(0)
    e = nn.Embedding(2000, 8, padding_idx=-2)
    w = e.weight.detach().numpy()
    assert e.padding_idx == 1998 and not w[1998].any()
    assert abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05        # N(0, 1)
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert (repr(nn.Embedding(10, 3, padding_idx=0, max_norm=1.0, norm_type=1.0,
                              scale_grad_by_freq=True, sparse=True))
            == "Embedding(10, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, "
               "scale_grad_by_freq=True, sparse=True)")
    assert list(e.state_dict()) == ["weight"]
    f = nn.Embedding(2000, 8)
    f.load_state_dict(e.state_dict())
    np.testing.assert_array_equal(f.weight.detach().numpy(), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(10, 3, padding_idx=10)


def test_from_pretrained():
    table = nbtorch.randn(4, 2)
    e = nn.Embedding.from_pretrained(table)
    assert not e.weight.requires_grad and repr(e) == "Embedding(4, 2)"
    np.testing.assert_array_equal(e(nbtorch.tensor([3, 0])).numpy(), table.numpy()[[3, 0]])
    e = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    e(nbtorch.tensor([1, 2, 1])).sum().backward()
    np.testing.assert_array_equal(e.weight.grad.numpy(), [[0, 0], [0, 0], [1, 1], [0, 0]])
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dim"):
        nn.Embedding.from_pretrained(nbtorch.randn(4))


def test_torch_oracle():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(1).standard_normal((9, 4))
    idx = np.array([[3, 1, 8, 1], [0, 3, 3, 2]])
    g = np.random.default_rng(2).standard_normal((2, 4, 4))
    for kw in ({}, {"padding_idx": 3}, {"scale_grad_by_freq": True, "padding_idx": 1}):
        ours = nbtorch.tensor(w, requires_grad=True)
        theirs = torch.tensor(w, requires_grad=True)
        y = F.embedding(nbtorch.tensor(idx), ours, **kw)
        t = torch.nn.functional.embedding(torch.tensor(idx), theirs, **kw)
        y.backward(nbtorch.tensor(g))
        t.backward(torch.tensor(g))
        np.testing.assert_array_equal(y.detach().numpy(), t.detach().numpy())
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_max_norm_module_against_torch():
    torch = pytest.importorskip("torch")
    e = nn.Embedding(6, 3, max_norm=1.0)
    t = torch.nn.Embedding(6, 3, max_norm=1.0)
    t.weight.data = torch.tensor(e.weight.detach().numpy().copy())
    idx = [[1, 2, 2], [5, 0, 1]]
    y, z = e(nbtorch.tensor(idx)), t(torch.tensor(idx))
    y.sum().backward()
    z.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(e.weight.grad.numpy(), t.weight.grad.numpy())


def test_cuda_matches_cpu():
    """nn.Embedding on CUDA (the simulator when there is no GPU), tiny shapes."""
    e = nn.Embedding(5, 3, padding_idx=1, dtype=nbtorch.float64)
    idx = nbtorch.tensor([[1, 4, 4], [0, 2, 4]])
    y = e(idx)
    g = nbtorch.randn(*y.shape, dtype=nbtorch.float64)
    y.backward(g)
    c = nn.Embedding(5, 3, padding_idx=1, dtype=nbtorch.float64)
    c.load_state_dict(e.state_dict())
    c = c.to("cuda")
    z = c(idx.to("cuda"))
    z.backward(g.to("cuda"))
    np.testing.assert_array_equal(z.detach().cpu().numpy(), y.detach().numpy())
    np.testing.assert_allclose(c.weight.grad.cpu().numpy(), e.weight.grad.numpy(), rtol=1e-12)
    with pytest.raises(IndexError, match="index out of range in self"):
        c(nbtorch.tensor([5], device="cuda"))
