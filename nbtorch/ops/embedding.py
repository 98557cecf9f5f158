"""Embedding: the autograd Function over the embedding kernels (a row gather, a row scatter-add
backward) and F.embedding with PyTorch's argument rules and error words, checked before any
kernel runs."""
import numpy as np

from .._storage import to_host
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..kernels.registry import lookup
from ._util import device_of, new
from .elementwise import where


class Embedding(Function):
    """out[..., :] = weight[indices[...], :]; weight's gradient sums the rows of grad into the
    rows the indices name (padding_idx's left at zero)."""
    node_name = "EmbeddingBackward0"
    hidden_edges = (1,)

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        V, D = weight.shape
        flat = _flat(indices)
        ctx.save_for_backward(indices)
        ctx.params = V, padding_idx, scale_grad_by_freq
        out = new(tuple(indices.shape) + (D,), weight.dtype, weight._device)
        lookup("embedding_forward", weight._device.type)(
            weight.contiguous()._data.reshape(1, V, D), flat, out._data.reshape(1, flat.size, D))
        return out

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        V, padding_idx, scale = ctx.params
        D, flat = grad.shape[-1], _flat(indices)
        gw = new((V, D), grad.dtype, grad._device)
        lookup("embedding_backward", grad._device.type)(
            grad.contiguous()._data.reshape(1, flat.size, D), flat, padding_idx, scale,
            gw._data.reshape(1, V, D))
        return gw, None, None, None


def _flat(indices):
    a = indices.contiguous()._data
    return a.reshape(a.size)


def _check(input, weight, padding_idx):
    """PyTorch's checks, in its order; padding_idx as a row number, or -1 for none."""
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding(): argument 'indices' (position 2) must be Tensor, not "
                        f"{type(input).__name__}")
    V = weight.shape[0] if weight.dim() else 0
    if padding_idx is None:
        padding_idx = -1
    elif not -V <= padding_idx < V:
        raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        padding_idx += V
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype.name not in ("int64", "int32"):
        got = (f"{input.device.type.upper()}BoolType" if input.dtype.name == "bool"
               else input.type())
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {got} instead (while checking "
                           "arguments for embedding)")
    device_of(input, weight)
    if input.numel() and (int(input.min()) < 0 or int(input.max()) >= V):
        raise IndexError("index out of range in self")
    return padding_idx


def _renorm_(weight, input, max_norm, norm_type):
    """PyTorch's embedding_renorm_: each row ``input`` names whose norm exceeds max_norm is scaled
    in place to max_norm (over 1e-7 more, as PyTorch), outside autograd."""
    rows = np.unique(to_host(input.contiguous()._data, input._device))
    with no_grad():
        u = Tensor._wrap(np.ascontiguousarray(rows)).to(weight.device)
        w = weight.index_select(0, u)
        n = w.norm(p=norm_type, dim=1, keepdim=True)
        weight[u] = w * where(n > max_norm, max_norm / (n + 1e-7), 1.0)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (V, D) looked up by the integer tensor ``input`` (any shape): the result
    has shape input.shape + (D,)."""
    padding_idx = _check(input, weight, padding_idx)
    if sparse:
        raise NotImplementedError("embedding(sparse=True) is not supported by nbtorch: sparse "
                                  "gradients are not implemented")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq))

