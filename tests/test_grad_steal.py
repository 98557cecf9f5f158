"""A leaf's first gradient becomes its .grad without a copy when nothing else holds it (as in
PyTorch), and is copied whenever something does: the user's gradient, the same gradient going to
two leaves, a gradient a Function keeps."""
import numpy as np

import nbtorch
from nbtorch.autograd import Function

KEPT = []


class Fresh(Function):
    """Identity whose backward returns a new tensor and notes its array's id (or keeps it)."""
    @staticmethod
    def forward(ctx, x, keep):
        ctx.keep = keep
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        out = g * 1
        KEPT.append(out if ctx.keep else id(out._data))
        return out, None


def test_unshared_gradient_is_kept_as_is():
    x = nbtorch.zeros(4, requires_grad=True)
    Fresh.apply(x, False).sum().backward()
    assert id(x.grad._data) == KEPT.pop()


def test_gradient_held_elsewhere_is_copied():
    x = nbtorch.zeros(4, requires_grad=True)
    Fresh.apply(x, True).sum().backward()
    kept = KEPT.pop()
    x.grad.add_(1)
    assert (kept.numpy() == 1).all() and (x.grad.numpy() == 2).all()


def test_user_gradient_and_shared_gradient_are_copied():
    g = nbtorch.ones(3)
    leaf = nbtorch.zeros(3, requires_grad=True)
    leaf.backward(g)
    g.add_(1)
    np.testing.assert_array_equal(leaf.grad.numpy(), 1)
    a, b = nbtorch.zeros(3, requires_grad=True), nbtorch.zeros(3, requires_grad=True)
    (a + b).backward(nbtorch.ones(3) * 3)
    a.grad.add_(1)
    np.testing.assert_array_equal(a.grad.numpy(), 4)
    np.testing.assert_array_equal(b.grad.numpy(), 3)


def test_transposed_weight_gradient_is_kept_as_a_plain_tensor():
    """Linear's weight gradient arrives as a transpose of a transpose (a view); kept without a
    copy, it is a plain contiguous tensor that later backward passes add into."""
    nbtorch.manual_seed(0)
    net = nbtorch.nn.Linear(5, 3)
    x = nbtorch.randn(4, 5)
    net(x).sum().backward()
    first = net.weight.grad.numpy().copy()
    assert net.weight.grad._base is None and net.weight.grad.is_contiguous()
    np.testing.assert_allclose(first, np.ones((3, 4)) @ x.numpy(), rtol=1e-6)
    net(x).sum().backward()
    np.testing.assert_allclose(net.weight.grad.numpy(), 2 * first, rtol=1e-6)


def test_broadcast_gradient_is_copied_so_grad_is_writable():
    """A one-element leaf's gradient can arrive as a read-only broadcast view (sum's backward
    after a scalar product); kept as is, grad.mul_ (GradScaler.unscale_) failed."""
    for shape in [(1,), (1, 1)]:
        p = nbtorch.ones(*shape, requires_grad=True)
        (p.sum() * 4.0).backward()
        p.grad.mul_(0.5)
        np.testing.assert_array_equal(p.grad.numpy(), np.full(shape, 2.0))
