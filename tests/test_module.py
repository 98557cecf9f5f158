"""nn.Module, Parameter, containers, Linear, Identity and Flatten: registration and naming, hooks,
modes, moves, state_dict / load_state_dict (and its errors), and reprs exactly as PyTorch's."""
from collections import OrderedDict

import numpy as np
import pytest

import nbtorch as torch
import nbtorch.nn as nn
import nbtorch.nn.functional as F


class Conv2d(nn.Module):
    """A stand-in with Conv2d's parameters and extra_repr: these tests exercise Module alone."""

    def __init__(self, cin, cout, k):
        super().__init__()
        self.cin, self.cout, self.k = cin, cout, k
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.randn(cout))

    def extra_repr(self):
        return f"{self.cin}, {self.cout}, kernel_size=({self.k}, {self.k}), stride=(1, 1)"


class ReLU(nn.Module):
    def forward(self, x):
        return x


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = Conv2d(1, 6, 5)
        self.conv2 = Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        return self.fc3(self.fc2(self.fc1(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.body = nn.Sequential(nn.Linear(3, 3), ReLU(), nn.Linear(3, 2))
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.body(self.fc(x))


# --- reprs (PyTorch's output) ---
def test_lenet_repr():
    assert repr(LeNet()) == """LeNet(
  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
  (fc1): Linear(in_features=400, out_features=120, bias=True)
  (fc2): Linear(in_features=120, out_features=84, bias=True)
  (fc3): Linear(in_features=84, out_features=10, bias=True)
)"""


def test_nested_reprs():
    class Net_1D(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(Conv2d(16, 16, 3), ReLU())
    assert repr(Net_1D()) == """Net_1D(
  (layers): Sequential(
    (0): Conv2d(16, 16, kernel_size=(3, 3), stride=(1, 1))
    (1): ReLU()
  )
)"""
    m = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.Identity(), nn.Flatten(0)])
    assert repr(m) == """ModuleList(
  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
  (3): Identity()
  (4): Flatten(start_dim=0, end_dim=-1)
)"""
    d = nn.ModuleDict({"a": nn.Unflatten(1, (2, 2)), "b": nn.Sequential()})
    assert repr(d) == ("ModuleDict(\n  (a): Unflatten(dim=1, unflattened_size=(2, 2))\n"
                       "  (b): Sequential()\n)")
    assert repr(nn.Linear(3, 4, bias=False)) == "Linear(in_features=3, out_features=4, bias=False)"
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.Bilinear(20, 30, 40)) == \
        "Bilinear(in1_features=20, in2_features=30, out_features=40, bias=True)"
    p = nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), torch.zeros(3)])
    assert repr(p) == ("ParameterList(\n"
                       "    (0): Parameter containing: [torch.float32 of size 2x3]\n"
                       "    (1): Parameter containing: [torch.float32 of size 3]\n)")


def test_parameter():
    data = torch.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, torch.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == str(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert repr(nn.Parameter(data, requires_grad=False)) == \
        "Parameter containing:\ntensor([1., 2.])"
    data[0] = 5.0  # shares memory
    assert p[0].item() == 5.0
    assert nn.Parameter().shape == (0,)
    assert type(p * 2) is torch.Tensor and type(p.detach()) is torch.Tensor
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype can "
                                           "require gradients$"):
        nn.Parameter(torch.tensor([1, 2]))
    import copy
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q.data_ptr() != p.data_ptr()


# --- registration and naming ---
def test_registration_and_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "fc.weight", "fc.bias", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc", "body"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "body", "body.0", "body.1", "body.2"]
    assert [n for n, _ in net.named_parameters(prefix="m", recurse=False)] == []
    assert [n for n, _ in net.body.named_parameters(prefix="body")][0] == "body.0.weight"
    assert len(list(net.parameters())) == 6 and len(list(net.buffers())) == 2
    assert net.get_submodule("body.2") is net.body[2] and net.get_submodule("") is net
    assert net.get_parameter("body.0.bias") is net.body[0].bias
    assert net.get_buffer("steps") is net.steps
    assert "fc" in dir(net) and "steps" in dir(net) and "0" not in dir(net.body)


def test_shared_modules_and_parameters():
    net = nn.Module()
    net.a = nn.Linear(2, 2)
    net.b = net.a
    net.c = nn.Sequential(net.a)
    assert [n for n, _ in net.named_parameters()] == ["a.weight", "a.bias"]
    assert len(list(net.named_parameters(remove_duplicate=False))) == 6
    assert [n for n, _ in net.named_modules()] == ["", "a", "c"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "a", "b", "c", "c.0"]
    assert list(net.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias", "c.0.weight",
                                      "c.0.bias"]


def test_setattr_moves_between_registries():
    m = nn.Module()
    m.x = nn.Parameter(torch.ones(1))
    m.x = None
    assert "x" in m._parameters and m.x is None
    m.register_buffer("b", torch.ones(1))
    m.b = torch.zeros(2)
    assert m._buffers["b"].shape == (2,)
    m.plain = torch.ones(1)  # a plain tensor attribute is neither parameter nor buffer
    assert "plain" in m.__dict__ and list(m.state_dict()) == ["b"]
    m.sub = nn.Linear(1, 1)
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="^'Module' object has no attribute 'sub'$"):
        m.sub


REGISTRATION_ERRORS = [
    (lambda m: setattr(m, "fc", 3), TypeError,
     "cannot assign 'int' as child module 'fc' (torch.nn.Module or None expected)"),
    (lambda m: setattr(m.fc, "weight", torch.ones(2)), TypeError,
     "cannot assign 'torch.FloatTensor' as parameter 'weight' (torch.nn.Parameter or None "
     "expected)"),
    (lambda m: setattr(m, "steps", 3), TypeError,
     "cannot assign 'int' as buffer 'steps' (torch.nn.Buffer, torch.Tensor or None expected)"),
    (lambda m: m.register_parameter("a.b", None), KeyError,
     "'parameter name can\\'t contain \".\"'"),
    (lambda m: m.register_parameter("", None), KeyError,
     "'parameter name can\\'t be empty string \"\"'"),
    (lambda m: m.register_parameter("fc", None), KeyError, "\"attribute 'fc' already exists\""),
    (lambda m: m.register_parameter(1, None), TypeError,
     "parameter name should be a string. Got int"),
    (lambda m: m.register_parameter("q", torch.ones(1)), TypeError,
     "cannot assign 'torch.FloatTensor' object to parameter 'q' (torch.nn.Parameter or None "
     "required)"),
    (lambda m: m.register_parameter("q", nn.Parameter(torch.ones(1), requires_grad=False).add_(
        torch.ones(1, requires_grad=True))), ValueError,
     "Cannot assign non-leaf Tensor to parameter 'q'. Model parameters must be created explicitly. "
     "To express 'q' as a function of another Tensor, compute the value in the forward() method."),
    (lambda m: m.register_buffer("q", 1), TypeError,
     "cannot assign 'int' object to buffer 'q' (torch Tensor or None required)"),
    (lambda m: m.add_module("a.b", None), KeyError,
     "'module name can\\'t contain \".\", got: a.b'"),
    (lambda m: m.add_module("q", 1), TypeError, "int is not a Module subclass"),
    (lambda m: m.add_module("training", None), KeyError, "\"attribute 'training' already exists\""),
    (lambda m: m.get_submodule("body.5"), AttributeError, "Sequential has no attribute `5`"),
    (lambda m: m.get_submodule("fc.weight"), AttributeError, "`weight` is not an nn.Module"),
    (lambda m: m.get_parameter("body"), AttributeError, "`body` is not an nn.Parameter"),
    (lambda m: m.train(1), ValueError, "training mode is expected to be boolean"),
    (lambda m: m.to(torch.int64), TypeError,
     "nn.Module.to only accepts floating point or complex dtypes, but got desired "
     "dtype=torch.int64"),
    (lambda m: nn.ModuleList()(1), NotImplementedError,
     'Module [ModuleList] is missing the required "forward" function'),
    (lambda m: nn.Module(3), TypeError, "Module.__init__() takes 1 positional argument but 2 were "
                                        "given"),
    (lambda m: nn.ModuleList(3), TypeError,
     "ModuleList.extend should be called with an iterable, but got int"),
    (lambda m: nn.ModuleDict([(1, 2, 3)]), ValueError,
     "ModuleDict update sequence element #0 has length 3; 2 is required"),
    (lambda m: nn.Unflatten(1, 3), TypeError,
     "unflattened_size must be a tuple of ints, but found type int"),
    (lambda m: nn.Unflatten(1, (2, 2.0)), TypeError,
     "unflattened_size must be tuple of ints, but found element of type float at pos 1"),
    (lambda m: m.body[3], IndexError, "index 3 is out of range"),
    (lambda m: nn.ModuleList()[-1], IndexError, "index -1 is out of range"),
    (lambda m: m.body + 1, ValueError,
     "add operator supports only objects of Sequential class, but <class 'int'> is given."),
]


@pytest.mark.parametrize("call,exc,message", REGISTRATION_ERRORS)
def test_registration_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call(Net())
    assert str(info.value) == message


def test_assignment_before_init():
    class Early(nn.Module):
        def __init__(self, value):
            self.w = value

    for value, what in [(nn.Parameter(torch.ones(1)), "parameters"), (nn.Linear(1, 1), "module")]:
        with pytest.raises(AttributeError, match=f"^cannot assign {what} before Module.__init__"):
            Early(value)


# --- containers ---
def test_sequential():
    a, b, c = nn.Linear(2, 3), ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and list(s) == [a, b, c] and s[-1] is c and s[0] is a
    assert isinstance(s[1:], nn.Sequential) and list(s[1:]) == [b, c]
    x = torch.randn(4, 2)
    np.testing.assert_allclose(s(x).detach().numpy(), c(b(a(x))).detach().numpy())
    named = nn.Sequential(OrderedDict([("first", a), ("second", c)]))
    assert list(named._modules) == ["first", "second"] and named.first is a
    assert list(named[1:]._modules) == ["second"]
    s.append(nn.Identity())
    s.insert(0, nn.Flatten())
    s.insert(-1, nn.Identity())
    assert [type(m).__name__ for m in s] == ["Flatten", "Linear", "ReLU", "Linear", "Identity",
                                             "Identity"]
    del s[0]
    assert list(s._modules) == ["0", "1", "2", "3", "4"] and s[0] is a
    del s[-2:]
    s.extend([nn.Flatten()])
    s[1] = nn.Identity()
    assert [type(m).__name__ for m in s] == ["Linear", "Identity", "Linear", "Flatten"]
    assert s.pop(0) is a and len(s) == 3 and len(s + s) == 6


def test_module_list_and_dict():
    layers = [nn.Linear(1, 1) for _ in range(3)]
    ml = nn.ModuleList(layers[:2])
    ml += [layers[2]]
    ml.insert(0, nn.Identity())
    assert len(ml) == 4 and ml[1] is layers[0] and ml[-1] is layers[2]
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 3
    del ml[0]
    assert list(ml) == layers and len(list(ml.parameters())) == 6
    holder = nn.Module()
    holder.layers = ml
    assert [n for n, _ in holder.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    md = nn.ModuleDict({"a": layers[0]})
    md["b"] = layers[1]
    md.update([("c", layers[2])])
    assert list(md) == ["a", "b", "c"] and "b" in md and md["c"] is layers[2]
    assert md.pop("a") is layers[0] and list(md.keys()) == ["b", "c"] and len(md) == 2
    pl = nn.ParameterList([torch.ones(2)])
    pl.append(nn.Parameter(torch.zeros(1)))
    assert isinstance(pl[0], nn.Parameter) and len(list(pl.parameters())) == 2


def test_parameter_dict():
    pd = nn.ParameterDict({"b": nn.Parameter(torch.zeros(2, 3)), "a": torch.ones(1, dtype=torch.float64)})
    assert list(pd) == ["a", "b"]  # a plain dict is added in sorted key order, as PyTorch
    assert isinstance(pd["a"], nn.Parameter) and "a" in pd and len(pd) == 2
    pd["c"] = 3
    pd.update([("d", torch.zeros(2)), ("e", None)])
    assert repr(pd) == ("ParameterDict(\n"
                        "    (a): Parameter containing: [torch.DoubleTensor of size 1]\n"
                        "    (b): Parameter containing: [torch.FloatTensor of size 2x3]\n"
                        "    (c): Object of type: int\n"
                        "    (d): Parameter containing: [torch.FloatTensor of size 2]\n"
                        "    (e): Object of type: NoneType\n)")
    assert [n for n, _ in pd.named_parameters()] == list(pd.state_dict()) == ["a", "b", "d"]
    assert pd.pop("d").shape == (2,) and pd.popitem()[0] == "e" and pd.get("zz", 5) == 5
    assert pd.setdefault("f", torch.zeros(1)) is pd["f"] and list(pd.keys()) == ["a", "b", "c", "f"]
    merged = pd | nn.ParameterDict({"z": torch.zeros(1)})
    assert type(merged) is nn.ParameterDict and list(merged) == ["a", "b", "c", "f", "z"]
    assert list(pd.copy()) == list(pd) and list(pd.fromkeys(["x", "y"], torch.zeros(1))) == ["x", "y"]
    holder = nn.Module()
    holder.params = nn.ParameterDict({"left": nn.Parameter(torch.randn(5, 10))})
    assert [n for n, _ in holder.named_parameters()] == ["params.left"]
    assert holder.params["left"].mm(torch.randn(10, 1)).shape == (5, 1)
    with pytest.raises(TypeError, match="^Index given to ParameterDict cannot be used as a key as it is "
                       "not a string \\(type is 'int'\\)"):
        pd[1]
    with pytest.raises(RuntimeError, match="^ParameterDict should not be called.$"):
        pd(1)
    with pytest.raises(TypeError, match="^ParametersDict.update should be called with an iterable of "
                       "key/value pairs, but got int$"):
        pd.update(3)
    with pytest.raises(ValueError, match="^ParameterDict update sequence element #0 has length 3; 2 is "
                       "required$"):
        pd.update([(1, 2, 3)])
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []

def test_identity_flatten_unflatten():
    x = torch.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused=True)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    np.testing.assert_array_equal(nn.Flatten()(x).numpy(), x.numpy().reshape(2, 60))


# --- forward, hooks ---
def test_forward_hooks():
    net = Net()
    calls = []
    h1 = net.register_forward_pre_hook(lambda m, args: calls.append(("pre", len(args))))
    h2 = net.register_forward_hook(lambda m, args, out: calls.append(("post", tuple(out.shape))))
    h3 = net.register_forward_pre_hook(lambda m, args: (args[0] * 0,), prepend=True)
    h4 = net.register_forward_hook(lambda m, args, kwargs, out: out * 0 + 5, with_kwargs=True)
    y = net(torch.ones(4, 4))
    assert calls == [("pre", 1), ("post", (4, 2))] and y.sum().item() == 40
    h3.remove()
    h4.remove()
    h4.remove()
    y = net(torch.ones(4, 4))
    assert y.shape == (4, 2) and y.sum().item() != 40
    h1.remove()
    h2.remove()
    with net.register_forward_hook(lambda m, args, out: out * 0):
        assert net(torch.ones(1, 4)).sum().item() == 0
    assert not net._forward_hooks and not net._forward_pre_hooks
    net.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] * 0,), kwargs),
                                  with_kwargs=True)
    np.testing.assert_array_equal(net(torch.ones(1, 4)).detach().numpy(),
                                  net.forward(torch.zeros(1, 4)).detach().numpy())
    seen = []
    lin = nn.Linear(2, 2)
    lin.register_forward_pre_hook(lambda m, args: torch.zeros(1, 2))  # a single value -> (value,)
    lin.register_forward_hook(lambda m, args, out: seen.append(args[0].sum().item()))
    lin(torch.ones(1, 2))
    assert seen == [0.0]



def _grads(values):
    return [None if g is None else g.numpy().copy() for g in values]


def test_full_backward_hooks_see_and_replace_gradients():
    lin = nn.Linear(3, 2)
    w = lin.weight.detach().numpy().astype(np.float64)
    log = []
    lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre", _grads(go))))
    handle = lin.register_full_backward_hook(
        lambda m, gi, go: log.append(("hook", m, _grads(gi), _grads(go))))
    x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = lin(x)
    assert y.grad_fn.name() == "BackwardHookFunctionBackward"
    upstream = np.array([[1.0, 3.0]], dtype=np.float32)
    (y * torch.tensor(upstream)).sum().backward()
    (kind, grad_out), (_, module, grad_in, grad_out2) = log
    assert kind == "pre" and module is lin
    np.testing.assert_array_equal(grad_out[0], upstream)
    np.testing.assert_array_equal(grad_out2[0], upstream)
    np.testing.assert_allclose(grad_in[0], upstream @ w, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), upstream @ w, rtol=1e-6)
    handle.remove()
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 10,))
    x.grad = None
    lin.zero_grad()
    lin(x).sum().backward()
    assert not x.grad.numpy().any()
    np.testing.assert_allclose(lin.weight.grad.numpy(), 10 * np.ones((2, 1)) * [[1.0, 2.0, 3.0]])
    with torch.no_grad():
        assert not lin(x).requires_grad


def test_full_backward_hook_inputs_without_grad_and_non_tensor_args():
    class Two(nn.Module):
        def forward(self, a, b, k=2.0):
            return a * b * k, a + 1

    log = []
    two = Two()
    two.register_full_backward_hook(lambda m, gi, go: log.append((_grads(gi), _grads(go))))
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0])
    o1, o2 = two(a, b, 3.0)
    (o1.sum() + 2 * o2.sum()).backward()
    (grad_in, grad_out), = log
    assert grad_in[2] is None and len(grad_in) == 3
    np.testing.assert_array_equal(grad_in[0], [11.0, 14.0])  # 3 * b + 2
    np.testing.assert_array_equal(grad_in[1], [0.0, 0.0])    # b needs no gradient: zeros
    np.testing.assert_array_equal(grad_out[1], [2.0, 2.0])
    log.clear()
    o1, _ = two(a, b)
    o1.sum().backward()
    assert len(log[0][0]) == 2 and log[0][1][1] is None      # an unused output: None
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: log.append(gi))
    with pytest.warns(UserWarning, match="^Full backward hook is firing when gradients are computed with "
                      "respect to module outputs since no inputs require gradients.") as caught:
        lin(torch.ones(1, 2)).sum().backward()
    assert caught[0].filename == __file__ and log[-1] == (None,)
    lin.register_full_backward_hook(lambda m, gi, go: (torch.ones(1, 2),))
    with pytest.raises(RuntimeError, match="^Backward hook for Modules where no input requires gradient "
                       "should always return None or None for all gradients.$"):
        with pytest.warns(UserWarning):
            lin(torch.ones(1, 2)).sum().backward()
    bad = nn.Linear(2, 2)
    bad.register_full_backward_hook(lambda m, gi, go: (None, None))
    with pytest.raises(RuntimeError, match="^Backward hook returned an invalid number of grad_input, got "
                       "2, but expected 1$"):
        bad(torch.ones(1, 2, requires_grad=True)).sum().backward()

# --- modes, gradients, moves ---
def test_train_eval_zero_grad_requires_grad_apply():
    net = Net()
    assert net.training and net.eval() is net and not net.body[1].training
    assert net.train().body[2].training
    net(torch.randn(3, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert not any(p.requires_grad for p in net.requires_grad_(False).parameters())
    names = []
    assert net.apply(lambda m: names.append(type(m).__name__)) is net
    assert names == ["Linear", "Linear", "ReLU", "Linear", "Sequential", "Net"]


def test_dtype_moves_keep_parameter_objects():
    net = Net()
    params = list(net.parameters())
    net(torch.randn(3, 4)).sum().backward()
    assert net.double() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == torch.float64 and p.grad.dtype == torch.float64 for p in params)
    assert net.steps.dtype == torch.float64
    assert net.to(torch.float32).fc.weight.dtype == torch.float32
    assert net.to("cpu", torch.float64).fc.bias.dtype == torch.float64
    assert net.to(torch.zeros(1)).fc.weight.dtype == torch.float32
    assert net.float().cpu() is net and net(torch.randn(2, 4)).dtype == torch.float32
    counter = nn.Module()
    counter.register_buffer("n", torch.zeros(1, dtype=torch.int64))
    assert counter.double().n.dtype == torch.int64  # only floating point tensors change dtype


# --- state_dict ---
def test_state_dict():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["steps", "fc.weight", "fc.bias", "body.0.weight", "body.0.bias",
                        "body.2.weight", "body.2.bias"]  # non-persistent "scratch" left out
    assert not sd["fc.weight"].requires_grad and sd["fc.weight"].data_ptr() == \
        net.fc.weight.data_ptr()
    assert net.state_dict(keep_vars=True)["fc.weight"] is net.fc.weight
    assert list(net.state_dict(prefix="model."))[0] == "model.steps"
    assert list(sd._metadata) == ["", "fc", "body", "body.0", "body.1", "body.2"]


def test_load_state_dict_roundtrip():
    src, dst = Net(), Net()
    src.steps.fill_(3)
    result = dst.load_state_dict(src.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, a), b in zip(src.state_dict().items(), dst.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert dst.load_state_dict(dict(src.state_dict())).missing_keys == []
    weight = dst.fc.weight
    dst.load_state_dict(src.state_dict(), assign=True)
    assert dst.fc.weight is not weight and isinstance(dst.fc.weight, nn.Parameter)


def snapshot(net):
    return {k: v.numpy().copy() for k, v in net.state_dict().items()}


def test_load_state_dict_errors_leave_module_unchanged():
    net = Net()
    before = snapshot(net)
    sd = Net().state_dict()
    del sd["fc.bias"]
    sd["extra"] = torch.zeros(1)
    sd["body.7.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == (
        'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc.bias". \n\t'
        'Unexpected key(s) in state_dict: "extra", "body.7.weight". ')
    sd = Net().state_dict()
    sd["fc.weight"] = torch.zeros(2, 4)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Net:\n\tsize mismatch for fc.weight: copying a param "
        "with shape torch.Size([2, 4]) from checkpoint, the shape in current model is "
        "torch.Size([3, 4]).")
    with pytest.raises(RuntimeError, match="size mismatch for fc.weight"):
        net.load_state_dict(sd, strict=False)  # shape errors are errors even when not strict
    for key, value in snapshot(net).items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    with pytest.raises(TypeError, match="^Expected state_dict to be dict-like, got <class 'list'>"):
        net.load_state_dict([1])


def test_load_state_dict_not_strict():
    net = Net()
    sd = Net().state_dict()
    del sd["fc.bias"]
    sd["extra"] = torch.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc.bias"] and result.unexpected_keys == ["extra"]
    assert repr(result) == "_IncompatibleKeys(missing_keys=['fc.bias'], unexpected_keys=['extra'])"
    np.testing.assert_array_equal(net.fc.weight.detach().numpy(), sd["fc.weight"].numpy())


# --- Linear ---
def test_linear_forward_backward():
    lin = nn.Linear(4, 3)
    assert lin.weight.shape == (3, 4) and lin.bias.shape == (3,)
    x = torch.randn(5, 4)
    y = lin(x)
    assert y.grad_fn.name() == "AddmmBackward0"
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ w.T + b, rtol=1e-5, atol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.tile(x.numpy().sum(0), (3, 1)),
                               rtol=1e-5)
    np.testing.assert_allclose(lin.bias.grad.numpy(), np.full(3, 5.0))
    assert nn.Linear(4, 3, bias=False).bias is None
    assert nn.Linear(2, 2, dtype=torch.float64).weight.dtype == torch.float64
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied "
                                           r"\(5x4 and 3x3\)$"):
        nn.Linear(3, 3)(x)


def test_linear_init_bounds():
    torch.manual_seed(0)
    lin = nn.Linear(400, 120)
    bound = 1 / np.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives the same bound as the bias
    for p in (lin.weight, lin.bias):
        v = p.detach().numpy()
        assert np.abs(v).max() <= bound and np.abs(v).max() > 0.95 * bound
    assert abs(lin.weight.detach().numpy().std() - bound / np.sqrt(3)) < 0.02 * bound


def test_module_call_uses_forward_arguments():
    class Scale(nn.Module):
        def forward(self, x, factor=2):
            return x * factor
    x = torch.ones(2)
    assert Scale()(x, factor=3).sum().item() == 6 and F.linear is torch.nn.functional.linear


def test_deepcopy_copies_parameters():
    import copy
    net = Net()
    clone = copy.deepcopy(net)
    assert repr(clone) == repr(net)
    for (name, a), b in zip(net.named_parameters(), clone.parameters()):
        assert type(b) is nn.Parameter and b.requires_grad and b is not a, name
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    x = torch.randn(2, 4)
    np.testing.assert_array_equal(clone(x).detach().numpy(), net(x).detach().numpy())
