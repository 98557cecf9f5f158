"""The code blocks of the seed notes (/work/shared/seeds) that use only the core (tensors,
autograd, no_grad, view, the NumPy bridge) run on nbtorch and print what PyTorch prints. Each
block is the notes' code (``import torch`` lines dropped: ``torch`` is bound to the module under
test). Deterministic output is compared with PyTorch's literal output from the notes (and with
PyTorch itself when installed); random blocks are checked against NumPy formulas."""
import contextlib
import io
import re

import numpy as np
import pytest

import nbtorch as nt

try:  # optional oracle, never required
    import torch as TORCH
except ImportError:
    TORCH = None

MODULES = [nt] + ([TORCH] if TORCH is not None else [])
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def run(code, module):
    """Execute a notes block with ``torch`` bound to ``module``: its namespace and what it printed
    (object addresses normalised)."""
    scope = {"torch": module, "np": np}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, scope)
    return scope, ADDRESS.sub(" at 0x>", out.getvalue())


def printed_by_all(code):
    """What ``code`` prints on nbtorch, asserting PyTorch (when installed) prints the same."""
    texts = [run(code, m)[1] for m in MODULES]
    assert all(t == texts[0] for t in texts), texts
    return texts[0]


# --- 000: autograd notes ---
def test_000_norm_loop():
    code = """
x = torch.randn(3, requires_grad=True)
y = x*2
print(y.data.norm())
print(torch.sqrt(torch.sum(torch.pow(y,2))))
i=0
while y.data.norm()<1000:
  y = y*2
  i+=1
print(y)
print(i)
"""
    scope, text = run(code, nt)
    lines = text.splitlines()
    x, y, i = scope["x"].detach().numpy(), scope["y"].detach().numpy(), scope["i"]
    norm0 = np.linalg.norm(2 * x.astype(np.float64))
    assert lines[0] == repr(nt.tensor(norm0, dtype=nt.float32))
    assert lines[1] == lines[0][:-1] + ", grad_fn=<SqrtBackward0>)"
    np.testing.assert_allclose(y, x * 2.0 ** (i + 1), rtol=1e-6)
    assert np.linalg.norm(y) >= 1000 > np.linalg.norm(y) / 2
    assert lines[2].endswith("grad_fn=<MulBackward0>)") and lines[3] == str(i)


def test_000_no_grad():
    code = """
x = torch.randn(10, 5, requires_grad = True)
y = torch.randn(10, 5, requires_grad = True)
z = torch.randn(10, 5, requires_grad = True)
with torch.no_grad():
    w = x + y + z
    print(w.requires_grad)
    print(w.grad_fn)
print(w.requires_grad)
"""
    assert printed_by_all(code) == "False\nNone\nFalse\n"


# --- 001: getting started ---
def test_001_creation_lines():
    """The notes' creation block, line by line: the lines that are valid PyTorch give PyTorch's
    results; ``torch.linespace``/``torch.new_ones`` do not exist (AttributeError, as in PyTorch)."""
    x = nt.empty(5, 3)
    assert x.shape == (5, 3) and x.dtype is nt.float32
    assert nt.rand(5, 3).shape == (5, 3) and nt.randn(5, 3).shape == (5, 3)
    assert repr(nt.arange(1, 6)) == "tensor([1, 2, 3, 4, 5])"
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        assert repr(nt.range(1, 6)) == "tensor([1., 2., 3., 4., 5., 6.])"
    assert repr(nt.zeros(5, 3, dtype=nt.long)[0]) == "tensor([0, 0, 0])"
    y = nt.randn_like(nt.zeros(5, 3, dtype=nt.long), dtype=nt.float)
    assert y.dtype is nt.float32 and y.shape == (5, 3)
    assert repr(nt.tensor([5.5, 3])) == "tensor([5.5000, 3.0000])"
    for name in ("linespace", "new_ones"):
        for m in MODULES:
            with pytest.raises(AttributeError):
                getattr(m, name)


def test_001_arithmetic():
    code = """
x = torch.rand(5,3)
y = torch.rand(5,3)
y0 = y.clone()
z = x+y
z2 = torch.add(x,y)
result = torch.empty(5,3)
torch.add(x,y,out=result)
y.add_(x)
"""
    scope, _ = run(code, nt)
    expected = scope["x"].numpy() + scope["y0"].numpy()
    for name in ("z", "z2", "result", "y"):
        np.testing.assert_array_equal(scope[name].numpy(), expected)


def test_001_view_and_size():
    code = """
x = torch.rand(5,3)
print(x.size())
print(x.size(0))
q = x.transpose(0,1)
print(q.shape)
x = torch.randn(1)
v = x.item()
"""
    assert printed_by_all(code) == "torch.Size([5, 3])\n5\ntorch.Size([3, 5])\n"
    scope, _ = run(code, nt)
    assert isinstance(scope["v"], float) and scope["v"] == float(scope["x"].numpy()[0])
    # the notes then view 15 elements as 16: PyTorch refuses
    for m in MODULES:
        with pytest.raises(RuntimeError, match=r"^shape '\[16\]' is invalid for input of size "
                                               r"15$"):
            m.rand(5, 3).view(16)
        with pytest.raises(RuntimeError, match=r"^shape '\[2, 8\]' is invalid for input of size "
                                               r"15$"):
            m.rand(5, 3).view(2, 8)


def test_001_view_minus_one():
    code = """
x = torch.arange(6)
y = x.view(3,-1) # 6 / 3 = 2
z = x.view(-1,6) # 6 / 6 = 1
q = x.view(1,-1,2) # 6 / (1 * 2) = 3
print(y)
print(z)
print(q)
"""
    text = printed_by_all(code)
    scope, _ = run(code, nt)
    for name, shape in (("y", (3, 2)), ("z", (1, 6)), ("q", (1, 3, 2))):
        np.testing.assert_array_equal(scope[name].numpy(), np.arange(6).reshape(shape))
    assert text == ("tensor([[0, 1],\n        [2, 3],\n        [4, 5]])\n"
                    "tensor([[0, 1, 2, 3, 4, 5]])\n"
                    "tensor([[[0, 1],\n         [2, 3],\n         [4, 5]]])\n")


def test_001_numpy_bridge():
    code = """
t = torch.ones(5)
print(t)
n = t.numpy()
print(n)
n2 = np.ones(5)
t2 = torch.from_numpy(n2)
"""
    assert printed_by_all(code) == "tensor([1., 1., 1., 1., 1.])\n[1. 1. 1. 1. 1.]\n"
    scope, _ = run(code, nt)
    scope["n2"][0] = 3
    assert scope["t2"][0].item() == 3 and scope["t2"].dtype is nt.float64


def test_001_cuda_block():
    code = """
x = torch.rand(5,3)
if torch.cuda.is_available():
    device = torch.device("cuda")
    y = torch.ones_like(x, device=device)
    x = x.to(device)
    z = x+y
    print(z)
    print(z.to("cpu",torch.double))
"""
    assert nt.cuda.is_available()       # a GPU, or Numba's simulator (tests/conftest.py)
    scope, text = run(code, nt)
    lines = text.split("tensor(")
    assert "device='cuda:0'" in lines[1] and "dtype=torch.float64" in lines[2]
    np.testing.assert_allclose(scope["z"].cpu().numpy(), scope["x"].cpu().numpy() + 1)


def test_001_autograd_example():
    code = """
x = torch.ones(2,2,requires_grad=True)
y = x + 2
print(y)
z = y * y * 3
print(z)
out = z.mean()
print(out)
out.backward()
print(x.grad)
"""
    assert printed_by_all(code) == (
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
        "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)\n"
        "tensor(27., grad_fn=<MeanBackward0>)\n"
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n")


def test_001_vector_backward_then_no_grad_and_detach():
    code = """
x = torch.randn(3, requires_grad=True)
y = x * 2
k = 1
while y.data.norm() < 1000:
    y = y * 2
    k += 1
v = torch.tensor([0.1,1.0,0.0001],dtype=torch.float)
y.backward(v)
print(x.requires_grad)
print((x ** 2).requires_grad)
with torch.no_grad():
    print((x ** 2).requires_grad)
print(x.requires_grad)
y = x.detach()
print(y.requires_grad)
"""
    scope, text = run(code, nt)
    assert text == "True\nTrue\nFalse\nTrue\nFalse\n"
    k = scope["k"]
    np.testing.assert_allclose(scope["x"].grad.numpy(),
                               np.float32([0.1, 1.0, 0.0001]) * 2.0 ** k, rtol=1e-6)
    # the notes' printout, for the run where the loop doubled ten times
    assert repr(nt.tensor([0.1, 1.0, 0.0001]) * 2 ** 10) == \
        "tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])"


# --- 003: vectors, matrices, tensors ---
def test_003_creation():
    code = """
vector = torch.tensor([1,2,3,4])
matrix = torch.tensor([[1,2],[3,4]])
tensor = torch.tensor([[[1,2],[3,4]],[[1,2],[3,4]]])
print(vector)
print(matrix)
print(tensor.shape, tensor.dtype)
"""
    assert printed_by_all(code) == ("tensor([1, 2, 3, 4])\ntensor([[1, 2],\n        [3, 4]])\n"
                                    "torch.Size([2, 2, 2]) torch.int64\n")


# --- 004: the 60-minute blitz ---
def test_004_tensors():
    code = """
x = torch.empty(5, 3)
x = torch.zeros(5, 3, dtype=torch.long)
print(x)
x = torch.tensor([5.5, 3])
print(x)
x = x.new_ones(5, 3, dtype=torch.double)      # new_* methods take in sizes
print(x)
x = torch.randn_like(x, dtype=torch.float)    # override dtype!
print(x.size())
"""
    assert printed_by_all(code) == (
        "tensor([[0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n"
        "        [0, 0, 0]])\n"
        "tensor([5.5000, 3.0000])\n"
        "tensor([[1., 1., 1.],\n        [1., 1., 1.],\n        [1., 1., 1.],\n"
        "        [1., 1., 1.],\n        [1., 1., 1.]], dtype=torch.float64)\n"
        "torch.Size([5, 3])\n")


def test_004_operations_and_indexing():
    code = """
x = torch.randn(5, 3)
y = torch.rand(5, 3)
y0 = y.clone()
s1 = x + y
s2 = torch.add(x, y)
result = torch.empty(5, 3)
torch.add(x, y, out=result)
y.add_(x)
col = x[:, 1]
"""
    scope, _ = run(code, nt)
    x = scope["x"].numpy()
    for name in ("s1", "s2", "result", "y"):
        np.testing.assert_array_equal(scope[name].numpy(), x + scope["y0"].numpy())
    np.testing.assert_array_equal(scope["col"].numpy(), x[:, 1])


def test_004_view_and_item():
    code = """
x = torch.randn(4, 4)
y = x.view(16)
z = x.view(-1, 8)  # the size -1 is inferred from other dimensions
print(x.size(), y.size(), z.size())
x = torch.randn(1)
v = x.item()
"""
    assert printed_by_all(code) == "torch.Size([4, 4]) torch.Size([16]) torch.Size([2, 8])\n"
    scope, _ = run(code, nt)
    assert scope["v"] == float(scope["x"].numpy()[0])


def test_004_numpy_bridge():
    code = """
a = torch.ones(5)
print(a)
b = a.numpy()
print(b)
a.add_(1)
print(a)
print(b)
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
print(b)
"""
    assert printed_by_all(code) == (
        "tensor([1., 1., 1., 1., 1.])\n[1. 1. 1. 1. 1.]\n"
        "tensor([2., 2., 2., 2., 2.])\n[2. 2. 2. 2. 2.]\n"
        "[2. 2. 2. 2. 2.]\ntensor([2., 2., 2., 2., 2.], dtype=torch.float64)\n")


def test_004_autograd():
    code = """
x = torch.ones(2,2,requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn)
z = y * y * 3
out = z.mean()
print(z, out)
a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)
out.backward()
print(x.grad)
"""
    assert printed_by_all(code) == (
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
        "<AddBackward0 object at 0x>\n"
        "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) "
        "tensor(27., grad_fn=<MeanBackward0>)\n"
        "False\nTrue\n<SumBackward0 object at 0x>\n"
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n")
