"""The tape: backward with and without a gradient, accumulation, retain_graph, autograd.grad, grad
modes, detach, requires_grad, hooks, retain_grad, the version counter, custom Functions, grad_fn
names and next_functions, and broadcasting reduced back to input shapes. Expected gradients are
worked out by hand or with NumPy."""
import re

import numpy as np
import pytest

import nbtorch as nt
from nbtorch.autograd import Function, gradcheck

try:  # optional oracle, never required
    import torch as TORCH
except ImportError:
    TORCH = None


def same(t, expected):
    np.testing.assert_allclose(t.detach().numpy(), np.asarray(expected, np.float32), rtol=1e-6)


def test_backward_of_a_scalar():
    x = nt.ones(2, 2, requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    out.backward()
    same(x.grad, np.full((2, 2), 4.5))            # d/dx mean(3 (x+2)^2) = 6 (x+2) / 4
    assert x.grad.requires_grad is False and x.grad.grad_fn is None


def test_backward_with_a_gradient():
    a = np.float32([0.5, -1.0, 2.0])
    x = nt.tensor(a, requires_grad=True)
    y = x * x * 2
    v = nt.tensor([0.1, 1.0, 0.0001])
    y.backward(v)
    same(x.grad, 4 * a * v.numpy())
    z = nt.tensor(3.0, requires_grad=True)
    (z * z).backward(nt.tensor(2.0))
    same(z.grad, 12.0)


def test_gradients_accumulate_until_zeroed():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    same(x.grad, [3 + 2, 3 + 4])
    grad = x.grad
    (x * 1).sum().backward()
    assert x.grad is grad                          # accumulated in place
    x.grad.zero_()
    (x * 2).sum().backward()
    same(x.grad, [2, 2])
    x.grad = None
    (x * 5).sum().backward()
    same(x.grad, [5, 5])


def test_shared_inputs_sum_their_paths():
    x = nt.tensor([2.0], requires_grad=True)
    y = x * x                                     # dy/dx = 2x
    z = y * x + y + x                             # dz/dx = 3x^2 + 2x + 1
    z.backward()
    same(x.grad, [3 * 4 + 4 + 1])
    assert x.grad_fn is None and x.is_leaf and not y.is_leaf


def test_retain_graph_and_second_backward_error():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    same(x.grad, [4, 8])
    with pytest.raises(RuntimeError, match=r"^Trying to backward through the graph a second time "
                                           r"\(or directly access saved tensors after they have "
                                           r"already been freed\)\. Saved intermediate values of "
                                           r"the graph are freed when you call \.backward\(\) or "
                                           r"autograd\.grad\(\)\. Specify retain_graph=True if you "
                                           r"need to backward through the graph a second time or "
                                           r"if you need to access saved tensors after calling "
                                           r"backward\.$"):
        y.backward()
    z = (x + 1).sum()                             # nothing saved: a second backward works
    z.backward()
    z.backward()


def test_autograd_grad():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    w = nt.tensor([3.0, -1.0], requires_grad=True)
    y = (x * x * w).sum()
    gx, gw = nt.autograd.grad(y, [x, w])
    same(gx, [6.0, -4.0])
    same(gw, [1.0, 4.0])
    assert x.grad is None and w.grad is None       # nothing accumulated
    (g,) = nt.autograd.grad(x * 2, x, grad_outputs=nt.tensor([1.0, 0.5]))
    same(g, [2.0, 1.0])
    u = nt.tensor([1.0], requires_grad=True)
    gx, gu = nt.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    assert gu is None
    with pytest.raises(RuntimeError, match=r"^The differentiated Tensor at index 1 appears to not "
                                           r"have been used in the graph\. Set allow_unused=True "
                                           r"if this is the desired behavior\.$"):
        nt.autograd.grad((x * 2).sum(), [x, u])
    with pytest.raises(RuntimeError, match="^One of the differentiated Tensors does not require "
                                           "grad$"):
        nt.autograd.grad((x * 2).sum(), [nt.ones(2)])


def test_grad_of_intermediate_and_create_graph():
    x = nt.tensor([3.0], requires_grad=True)
    y = x * x
    z = y * 2
    (gy,) = nt.autograd.grad(z, y)
    same(gy, [2.0])
    (gx,) = nt.autograd.grad((x * x * x).sum(), x, create_graph=True)   # 3x^2, differentiable
    same(gx, [27.0])
    assert gx.requires_grad
    gx.sum().backward()
    same(x.grad, [18.0])                          # d(3x^2)/dx = 6x


@pytest.mark.parametrize("mode", ["context", "decorator"])
def test_no_grad_enable_grad_set_grad_enabled(mode):
    x = nt.ones(2, requires_grad=True)
    if mode == "context":
        with nt.no_grad():
            y = x * 2
            with nt.enable_grad():
                z = x * 2
            assert not nt.is_grad_enabled()
        with nt.set_grad_enabled(False):
            w = x * 2
        assert nt.is_grad_enabled()
    else:
        @nt.no_grad()
        def f(t):
            @nt.enable_grad()
            def g(s):
                return s * 2
            return t * 2, g(t)

        @nt.set_grad_enabled(False)
        def h(t):
            return t * 2
        y, z = f(x)
        w = h(x)
        assert nt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn.name() == "MulBackward0"
    assert not w.requires_grad
    nt.set_grad_enabled(False)                     # also works as a plain call
    try:
        assert not (x * 2).requires_grad
    finally:
        nt.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_mode_restored_after_an_exception():
    with pytest.raises(ValueError):
        with nt.no_grad():
            raise ValueError
    assert nt.is_grad_enabled()


def test_detach():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 10.0                                   # shares memory with y
    assert y[0].item() == 10.0
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert x.detach().data_ptr() == x.data_ptr()
    assert x.data.data_ptr() == x.data_ptr() and not x.data.requires_grad


def test_requires_grad_and_its_errors():
    a = nt.randn(2, 2)
    assert not a.requires_grad
    assert a.requires_grad_() is a and a.requires_grad
    a.requires_grad_(False)
    assert not a.requires_grad
    b = (nt.ones(2, requires_grad=True) * 2)
    assert b.requires_grad and not b.is_leaf
    b.requires_grad_(True)                          # setting True on a non-leaf is allowed
    with pytest.raises(RuntimeError, match=re.escape(
            "you can only change requires_grad flags of leaf variables. If you want to use a "
            "computed variable in a subgraph that doesn't require differentiation use var_no_grad "
            "= var.detach().")):
        b.requires_grad_(False)
    with pytest.raises(RuntimeError, match="^only Tensors of floating point dtype can require "
                                           "gradients$"):
        nt.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="^only Tensors of floating point and complex dtype can "
                                           "require gradients$"):
        nt.tensor([1, 2]).requires_grad = True
    for make in (lambda: nt.tensor([1, 2], requires_grad=True),
                 lambda: nt.zeros(2, dtype=nt.long, requires_grad=True),
                 lambda: nt.arange(3, requires_grad=True)):
        with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype "
                                               "can require gradients$"):
            make()


def test_hooks():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: g * 2)
    y = x * 3
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    (y * y).sum().backward()
    np.testing.assert_allclose(seen[0], [6.0, 12.0])     # d/dy sum(y^2) = 2y
    same(x.grad, [36.0, 72.0])                            # 2y * 3, doubled by the leaf's hook
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    same(x.grad, [3.0, 3.0])
    with pytest.raises(RuntimeError, match="^cannot register a hook on a tensor that doesn't "
                                           "require gradient$"):
        nt.ones(2).register_hook(lambda g: g)


def test_retain_grad():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = (y * y).sum()
    assert y.retains_grad and not x.retains_grad
    z.backward()
    same(y.grad, [6.0, 12.0])
    same(x.grad, [18.0, 36.0])


def test_version_counter_error():
    a = nt.ones(2, requires_grad=True)
    b = a.exp()                                   # exp saves its output
    b.mul_(2)
    assert b._version[0] == 1
    with pytest.raises(RuntimeError, match=re.escape(
            "one of the variables needed for gradient computation has been modified by an "
            "inplace operation: [torch.FloatTensor [2]], which is output 0 of Exp, is at version "
            "1; expected version 0 instead. Hint: enable anomaly detection to find the operation "
            "that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
            "check_nan=False).")):
        b.sum().backward()
    x = nt.ones(3, requires_grad=True)
    x2 = x * 1
    y = x2 * x2                                   # mul saves its inputs
    x2.add_(1)
    with pytest.raises(RuntimeError, match=r"\[torch\.FloatTensor \[3\]\], which is output 0 of "
                                           r"Add, is at version 1; expected version 0 instead"):
        y.sum().backward()
    leaf = nt.ones(3, requires_grad=True)
    s = leaf.sin()                                # sin saves its input, a leaf
    with nt.no_grad():
        leaf.add_(1)
    with pytest.raises(RuntimeError, match=r"inplace operation: \[torch\.FloatTensor \[3\]\] is at "
                                           r"version 1; expected version 0 instead"):
        s.sum().backward()


def test_inplace_on_non_leaf_is_differentiable():
    x = nt.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * 2
    y.mul_(3)
    y.add_(x)                                    # y = 7x
    assert y.grad_fn.name() == "AddBackward0"
    y.sum().backward()
    same(x.grad, [7, 7, 7])
    w = nt.tensor([1.0, 2.0], dtype=nt.float64, requires_grad=True)
    assert gradcheck(lambda t: (t * 1).sin_().mul_(t).add_(t), (w,))


def test_leaf_inplace_errors():
    x = nt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^a leaf Variable that requires grad is being used in "
                                           r"an in-place operation\.$"):
        x.add_(1)
    with pytest.raises(RuntimeError, match=r"^a view of a leaf Variable that requires grad is being "
                                           r"used in an in-place operation\.$"):
        x[:2].mul_(2)
    with nt.no_grad():                           # allowed without grad, as an optimizer does
        x.mul_(2)
    same(x, [2, 2, 2])
    assert x.is_leaf and x.grad_fn is None and x.requires_grad


class MyReLU(Function):
    """The classic tutorial example."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class ScaleAdd(Function):
    """Two inputs, a non-tensor argument, needs_input_grad and ctx state."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.scale = scale
        ctx.save_for_backward(a, b)
        return a * scale + b * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * ctx.scale if ctx.needs_input_grad[0] else None
        gb = g * 2 * b if ctx.needs_input_grad[1] else None
        return ga, gb, None


def test_custom_function():
    x = nt.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    y = MyReLU.apply(x)
    same(y, [0, 2, 0, 4])
    assert y.grad_fn.name() == "MyReLUBackward"
    assert repr(y) == "tensor([0., 2., 0., 4.], grad_fn=<MyReLUBackward>)"
    (y * nt.arange(4.0)).sum().backward()
    same(x.grad, [0, 1, 0, 3])
    a = nt.tensor([1.0, 2.0], dtype=nt.float64, requires_grad=True)
    b = nt.tensor([0.5, -1.0], dtype=nt.float64, requires_grad=True)
    assert gradcheck(lambda p, q: ScaleAdd.apply(p, q, 3.0), (a, b))
    assert gradcheck(MyReLU.apply, (nt.tensor([-1.0, 0.5], dtype=nt.float64,
                                              requires_grad=True),))
    out = ScaleAdd.apply(a.detach(), b, 3.0)     # only b needs a gradient
    out.sum().backward()
    assert a.grad is None
    np.testing.assert_allclose(b.grad.numpy(), [1.0, -2.0])
    with nt.no_grad():
        assert MyReLU.apply(x).grad_fn is None


def test_custom_function_in_no_grad_forward():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, t):
            seen.append(nt.is_grad_enabled())
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = nt.ones(2, requires_grad=True)
    y = Probe.apply(x)
    assert seen == [False] and y.grad_fn.name() == "ProbeBackward"
    y.sum().backward()
    same(x.grad, [2, 2])


def test_grad_fn_names_and_next_functions():
    x = nt.ones(2, requires_grad=True)
    y = x * 2 + x
    add = y.grad_fn
    assert add.name() == "AddBackward0"
    (mul, mul_nr), (acc, acc_nr) = add.next_functions
    assert mul.name() == "MulBackward0" and mul_nr == 0
    assert acc.name() == "AccumulateGrad" and acc.variable is x
    assert mul.next_functions[0][0] is acc               # one accumulator per leaf
    assert mul.next_functions[1] == (None, 0)            # the number 2
    assert (x + x).grad_fn.next_functions == ((acc, 0), (acc, 0))
    m = (x * 2).mean()
    assert m.grad_fn.name() == "MeanBackward0"
    assert (x * 2).sum().grad_fn.name() == "SumBackward0"
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr(add))
    if TORCH is not None:
        tx = TORCH.ones(2, requires_grad=True)
        ty = tx * 2 + tx
        assert [type(f).__name__ for f, _ in ty.grad_fn.next_functions] == \
            [f.name() for f, _ in add.next_functions]


def test_next_functions_list_only_tensor_arguments():
    """PyTorch lists one entry per differentiable tensor argument: no dims, exponents or bounds,
    no where-condition or class-index target; numbers only where it wraps them (x * 2)."""
    import nbtorch.nn.functional as F
    x = nt.ones(2, 3, requires_grad=True)
    y = nt.ones(2, 3)
    acc = (x * 1).grad_fn.next_functions[0][0]
    alone = ((acc, 0),)
    for out in (x.view(6), x.t(), x.sum(1), x.clamp(0, 1), x ** 2, 1 - x, x.softmax(1), x[0],
                x.to(nt.float64), x.gather(1, nt.zeros(2, 1, dtype=nt.int64)),
                F.nll_loss(x, nt.tensor([0, 1]))):
        assert out.grad_fn.next_functions == alone, out.grad_fn.name()
    with_none = ((acc, 0), (None, 0))
    for out in (x * y, x / 2, nt.where(x > 0, x, y), nt.where(x > 0, x, 0.0), nt.cat([x, y]),
                F.mse_loss(x, y), F.binary_cross_entropy_with_logits(x, y)):
        assert out.grad_fn.next_functions == with_none, out.grad_fn.name()
    assert nt.stack([x, x]).grad_fn.next_functions == ((acc, 0), (acc, 0))

    class Scale(Function):
        @staticmethod
        def forward(ctx, t, k):
            return t * k

        @staticmethod
        def backward(ctx, g):
            return g * 3, None

    assert Scale.apply(x, 3).grad_fn.next_functions == alone
    assert re.fullmatch(r"<torch\.autograd\.function\.ScaleBackward object at 0x[0-9a-f]+>",
                        repr(Scale.apply(x, 3).grad_fn))


def test_backward_inputs_accumulates_only_into_them():
    a, b = nt.tensor([1.0, 2.0], requires_grad=True), nt.tensor([3.0, 4.0], requires_grad=True)
    h = a * b
    (h * h).sum().backward(inputs=[b, h], retain_graph=True)
    assert a.grad is None
    same(b.grad, [2 * 1 * 3, 2 * 4 * 4])              # d/db (ab)^2 = 2 a^2 b
    same(h.grad, [6, 16])                             # a non-leaf input gets .grad, no warning
    nt.autograd.backward([(a * b).sum()], inputs=b)
    same(b.grad, [6 + 1, 32 + 2])                     # accumulated: + a
    with pytest.raises(RuntimeError, match="^`inputs` argument to `backward\\(\\)` cannot be "
                                           "empty\\.$"):
        (a * b).sum().backward(inputs=[])


def test_is_leaf():
    assert nt.ones(2).is_leaf
    assert nt.ones(2, requires_grad=True).is_leaf
    assert not (nt.ones(2, requires_grad=True) * 2).is_leaf
    assert (nt.ones(2) * 2).is_leaf                      # no grad needed: a leaf
    with nt.no_grad():
        assert (nt.ones(2, requires_grad=True) * 2).is_leaf


def test_backward_errors():
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad and does "
                                           "not have a grad_fn$"):
        nt.ones(2).sum().backward()
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar "
                                           "outputs$"):
        (nt.ones(2, requires_grad=True) * 2).backward()
    with pytest.raises(RuntimeError, match=re.escape(
            "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a "
            "shape of torch.Size([3]).")):
        (nt.ones(3, requires_grad=True) * 2).backward(nt.ones(2))


def test_broadcast_gradients_reduce_to_input_shapes():
    a = np.random.default_rng(0).standard_normal((2, 1, 3))
    b = np.random.default_rng(1).standard_normal((4, 1))
    x = nt.tensor(a, requires_grad=True)
    y = nt.tensor(b, requires_grad=True)
    s = nt.tensor(2.0, dtype=nt.float64, requires_grad=True)
    (x * y + s).sum().backward()
    assert x.grad.shape == x.shape and y.grad.shape == y.shape and s.grad.shape == ()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(b.sum(), (2, 1, 3)))
    np.testing.assert_allclose(y.grad.numpy(), np.broadcast_to(a.sum(), (4, 1)))
    np.testing.assert_allclose(s.grad.numpy(), 2 * 4 * 3)
    assert gradcheck(lambda p, q: p * q - q, (x, y))


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, t):
            return t * t

        @staticmethod
        def backward(ctx, g):
            return g                              # should be 2 t g

    x = nt.tensor([1.5, 2.0], dtype=nt.float64, requires_grad=True)
    assert gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(Wrong.apply, (x,))


# in-place writes into views of non-leaves: the base's history becomes CopySlices
W = np.arange(1.0, 7.0).reshape(3, 2)          # the loss is sum(y * W)
X = np.arange(1.0, 7.0).reshape(3, 2)


def _row_scale(scales):
    return np.asarray(scales, np.float64).reshape(3, 1)


VIEW_WRITES = [
    ("y[0].mul_(3)", lambda y, x: y[0].mul_(3), 2 * W * _row_scale([3, 1, 1])),
    ("y[0].fill_(5.)", lambda y, x: y[0].fill_(5.0), 2 * W * _row_scale([0, 1, 1])),
    ("y.view(-1)[1:3].zero_()", lambda y, x: y.view(-1)[1:3].zero_(),
     2 * W * np.array([[1, 0], [0, 1], [1, 1]])),
    ("y.copy_(ones)", lambda y, x: y.copy_(nt.ones(3, 2, dtype=nt.float64)), 0 * W),
    ("y[1].copy_(ones)", lambda y, x: y[1].copy_(nt.ones(2, dtype=nt.float64)),
     2 * W * _row_scale([1, 0, 1])),
    ("y[0] += x[1]", lambda y, x: y.__setitem__(0, y[0] + x[1]),
     2 * W + np.array([[0, 0], W[0], [0, 0]])),
    ("y.t()[1].add_(x[:, 0])", lambda y, x: y.t()[1].add_(x[:, 0]),
     2 * W + np.stack([W[:, 1], np.zeros(3)], 1)),
]


@pytest.mark.parametrize("name,write,expected", VIEW_WRITES, ids=[v[0] for v in VIEW_WRITES])
def test_inplace_through_views_of_non_leaves(name, write, expected):
    x = nt.tensor(X, requires_grad=True)
    y = x * 2
    write(y, x)
    assert y.grad_fn.name() in ("CopySlices", "CopyBackwards")
    (y * nt.tensor(W)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected)
    assert gradcheck(lambda t: _written(write, t), (nt.tensor(X, requires_grad=True),))


def _written(write, t):
    y = t * 2
    write(y, t)
    return y


def test_write_into_a_view_of_a_plain_tensor_records_the_value():
    x = nt.tensor(X, requires_grad=True)
    y = nt.zeros(3, 2, dtype=nt.float64)
    y[1].copy_(x[0] * x[1])
    assert y.requires_grad and y.grad_fn.name() == "CopySlices"
    (y * nt.tensor(W)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[W[1, 0] * X[1, 0], W[1, 1] * X[1, 1]],
                                                [W[1, 0] * X[0, 0], W[1, 1] * X[0, 1]], [0, 0]])


def test_bare_decorators():
    @nt.no_grad
    def f(t):
        return t * 2

    @nt.enable_grad
    def g(t):
        return t * 2

    x = nt.ones(1, requires_grad=True)
    assert not f(x).requires_grad
    with nt.no_grad():
        assert g(x).requires_grad
    assert f.__name__ == "f"


def test_grad_of_a_non_leaf_warns():
    x = nt.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match=r"^The \.grad attribute of a Tensor that is not a leaf "
                                         r"Tensor is being accessed\."):
        assert y.grad is None
    y.retain_grad()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None and x.grad is None
