"""Bad input gets PyTorch's exception type and exact words, raised before any kernel runs: every
message listed in issue 3 in the situation that produces it, then the other common mistakes with
the core API. Each case is a line of PyTorch code run on nbtorch and, when installed, on PyTorch."""
import re

import numpy as np
import pytest

import nbtorch as nt

try:  # optional oracle, never required
    import torch as TORCH
except ImportError:
    TORCH = None


def _second_backward(torch):
    x = torch.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _modified_saved_tensor(torch):
    a = torch.ones(2, requires_grad=True)
    b = a.exp()
    b.mul_(2)
    b.sum().backward()


def _unused_input(torch):
    x, u = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    torch.autograd.grad((x * 2).sum(), [x, u])


FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
         "after they have already been freed). Saved intermediate values of the graph are freed "
         "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
         "backward through the graph a second time or if you need to access saved tensors after "
         "calling backward.")

# (code or function of the torch module, exception type, PyTorch's message)
ISSUE_3 = [
    ("torch.arange(15).view(5, 4)", RuntimeError, "shape '[5, 4]' is invalid for input of size 15"),
    ("torch.ones(2, 3) + torch.ones(2, 4)", RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("(torch.ones(3, requires_grad=True) * 2).backward()", RuntimeError,
     "grad can be implicitly created only for scalar outputs"),
    ("torch.ones(15).item()", RuntimeError, "a Tensor with 15 elements cannot be converted to Scalar"),
    (_second_backward, RuntimeError, FREED),
    ("torch.ones(2, requires_grad=True).add_(1)", RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    ("torch.ones(2, requires_grad=True).numpy()", RuntimeError,
     "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
]

OTHERS = [
    # shapes and broadcasting
    ("torch.ones(5, 3).view(-1, 4)", RuntimeError, "shape '[-1, 4]' is invalid for input of size 15"),
    ("torch.ones(2, 3).t().view(6)", RuntimeError,
     "view size is not compatible with input tensor's size and stride (at least one dimension "
     "spans across two contiguous subspaces). Use .reshape(...) instead."),
    ("torch.ones(3) * torch.ones(4)", RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"),
    ("torch.ones(3).add_(torch.ones(2, 3))", RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    ("torch.ones(2, 3).sum(2)", IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    # autograd
    ("torch.ones(2).sum().backward()", RuntimeError,
     "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("(torch.ones(3, requires_grad=True) * 2).backward(torch.ones(2))", RuntimeError,
     "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape "
     "of torch.Size([3])."),
    (_modified_saved_tensor, RuntimeError,
     "one of the variables needed for gradient computation has been modified by an inplace "
     "operation: [torch.FloatTensor [2]], which is output 0 of Exp, is at version 1; expected "
     "version 0 instead. Hint: enable anomaly detection to find the operation that failed to "
     "compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."),
    ("torch.ones(3, requires_grad=True)[:2].mul_(2)", RuntimeError,
     "a view of a leaf Variable that requires grad is being used in an in-place operation."),
    ("(torch.ones(2, requires_grad=True) * 2).requires_grad_(False)", RuntimeError,
     "you can only change requires_grad flags of leaf variables. If you want to use a computed "
     "variable in a subgraph that doesn't require differentiation use var_no_grad = "
     "var.detach()."),
    ("torch.tensor([1, 2]).requires_grad_()", RuntimeError,
     "only Tensors of floating point dtype can require gradients"),
    ("torch.zeros(2, dtype=torch.long, requires_grad=True)", RuntimeError,
     "Only Tensors of floating point and complex dtype can require gradients"),
    ("torch.ones(2).register_hook(lambda g: g)", RuntimeError,
     "cannot register a hook on a tensor that doesn't require gradient"),
    (_unused_input, RuntimeError,
     "The differentiated Tensor at index 1 appears to not have been used in the graph. Set "
     "allow_unused=True if this is the desired behavior."),
    ("torch.autograd.grad(torch.ones(2, requires_grad=True).sum(), [torch.ones(2)])",
     RuntimeError, "One of the differentiated Tensors does not require grad"),
    # values and dtypes
    ("float(torch.ones(3))", ValueError, "only one element tensors can be converted to Python "
                                         "scalars"),
    ("bool(torch.ones(3))", RuntimeError,
     "Boolean value of Tensor with more than one value is ambiguous"),
    ("-torch.tensor([True])", RuntimeError,
     "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert "
     "a mask, use the `~` or `logical_not()` operator instead."),
    ("torch.tensor([True]) - torch.tensor([False])", RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
     "`logical_xor()` operator instead."),
    ("1 - torch.tensor([True])", RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
     "invert a mask, use the `~` or `logical_not()` operator instead."),
    ("torch.tensor([2, 3]) ** -1", RuntimeError, "Integers to negative integer powers are not "
                                                 "allowed."),
    ("torch.tensor([5]) // 0", RuntimeError, "ZeroDivisionError"),
    ("torch.tensor([1, 2]).add_(1.5)", RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    ("torch.add(torch.tensor([1]), torch.tensor([2]), alpha=0.5)", RuntimeError,
     "For integral input tensors, argument alpha must not be a floating point number."),
    ("torch.ones(2) & torch.ones(2)", NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Float'"),
    ("~torch.ones(2)", TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
    ("abs(torch.tensor([True]))", NotImplementedError, "\"abs_cpu\" not implemented for 'Bool'"),
    ("torch.clamp(torch.ones(2))", RuntimeError,
     "torch.clamp: At least one of 'min' or 'max' must not be None"),
    ("torch.where(torch.ones(2), torch.ones(2), torch.zeros(2))", RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
    ("torch.div(torch.ones(2), 2, rounding_mode='round')", RuntimeError,
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"),
    ("torch.isclose(torch.ones(2), torch.ones(2, dtype=torch.float64))", RuntimeError,
     "Float did not match Double"),
    ("torch.maximum(torch.ones(2), 1.5)", TypeError,
     "maximum(): argument 'other' (position 2) must be Tensor, not float"),
    ("torch.add(torch.ones(2), 'a')", TypeError,
     "add(): argument 'other' (position 2) must be Tensor, not str"),
    ("torch.ones(2) + None", TypeError, "unsupported operand type(s) for +: 'Tensor' and 'NoneType'"),
    ("torch.ones(3).view(torch.float64)", RuntimeError,
     "self.size(-1) must be divisible by 2 to view Float as Double (different element sizes), "
     "but got 3"),
    ("torch.ones(2).fill_(torch.ones(2))", RuntimeError,
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
    # creation
    ("torch.tensor([[1, 2], [3]])", ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
    ("torch.ones(2, -1)", RuntimeError, "Trying to create tensor with negative dimension -1: "
                                        "[2, -1]"),
    ("torch.from_numpy([1, 2])", TypeError, "expected np.ndarray (got list)"),
    ("torch.device('gpu:0')", RuntimeError,
     "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, "
     "xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device "
     "string: gpu"),
]


def _run(case, module):
    code = case[0]
    return code(module) if callable(code) else eval(code, {"torch": module, "np": np})


def _ids(cases):
    return [c[0] if isinstance(c[0], str) else c[0].__name__ for c in cases]


@pytest.mark.parametrize("case", ISSUE_3 + OTHERS, ids=_ids(ISSUE_3 + OTHERS))
def test_error(case):
    _, kind, message = case
    with pytest.raises(kind, match="^" + re.escape(message) + "$"):
        _run(case, nt)
    if TORCH is not None and "mtia" not in message:   # PyTorch's device list grows over time
        with pytest.raises(kind, match="^" + re.escape(message) + "$"):
            _run(case, TORCH)


def test_errors_leave_operands_untouched():
    """A rejected in-place op changes neither the data nor the version counter."""
    x = nt.tensor([1, 2])
    with pytest.raises(RuntimeError):
        x.add_(1.5)
    with pytest.raises(RuntimeError):
        x.add_(nt.ones(2, 2, dtype=nt.long))
    assert x.tolist() == [1, 2] and x._version[0] == 0
    leaf = nt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        leaf.mul_(3)
    assert leaf.tolist() == [1.0, 1.0] and leaf._version[0] == 0


def test_half_computes_instead_of_a_numba_error():
    h = nt.ones(2, dtype=nt.float16)
    assert repr(h + 1) == "tensor([2., 2.], dtype=torch.float16)"
    assert repr(h.exp()) == "tensor([2.7188, 2.7188], dtype=torch.float16)"
    assert (h < 2).dtype is nt.bool
