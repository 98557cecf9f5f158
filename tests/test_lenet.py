"""LeNet-5 end to end: forward, cross-entropy and backward at batch 64 give the same loss and
gradients as PyTorch fed the same weights and data (float32, 1e-5 relative), when PyTorch is
installed; and without it, the gradients of the nbtorch net pass a float64 finite-difference check
on a few parameter entries."""
import numpy as np
import pytest

import nbtorch
import nbtorch.nn as nn
import nbtorch.nn.functional as F

try:
    import torch
except ImportError:
    torch = None


def lenet(lib):
    class LeNet(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 6, 5)
            self.conv2 = lib.nn.Conv2d(6, 16, 5)
            self.fc1 = lib.nn.Linear(16 * 5 * 5, 120)
            self.fc2 = lib.nn.Linear(120, 84)
            self.fc3 = lib.nn.Linear(84, 10)

        def forward(self, x):
            f = lib.nn.functional
            x = f.max_pool2d(f.relu(self.conv1(x)), (2, 2))
            x = f.max_pool2d(f.relu(self.conv2(x)), 2)
            x = x.view(-1, 16 * 5 * 5)
            return self.fc3(f.relu(self.fc2(f.relu(self.fc1(x)))))
    return LeNet()


def _data(dtype=np.float32):
    rng = np.random.default_rng(0)
    return rng.standard_normal((64, 1, 32, 32)).astype(dtype), rng.integers(0, 10, 64)


def _loss_and_grads(net, x, y):
    net.zero_grad()
    loss = F.cross_entropy(net(nbtorch.from_numpy(x)), nbtorch.from_numpy(y))
    loss.backward()
    return loss.item(), {n: p.grad.numpy().copy() for n, p in net.named_parameters()}


@pytest.mark.skipif(torch is None, reason="PyTorch (optional oracle) is not installed")
def test_lenet_gradients_equal_pytorch():
    x, y = _data()
    ours = lenet(nbtorch)
    theirs = lenet(torch)
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(dict(ours.named_parameters())[name].detach().numpy()))
    loss, grads = _loss_and_grads(ours, x, y)
    ref = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-5)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-5,
                                   atol=1e-5 * np.abs(p.grad.numpy()).max())


def test_lenet_gradients_match_finite_differences_float64():
    x, y = _data(np.float64)
    x, y = x[:4], y[:4]
    nbtorch.manual_seed(0)  # fixed weights: a step across a ReLU/max-pool kink would be flaky
    net = lenet(nbtorch).double()
    _, grads = _loss_and_grads(net, x, y)
    rng = np.random.default_rng(1)
    for name, p in net.named_parameters():
        data = p.detach().numpy()
        for flat in rng.choice(data.size, 2, replace=False):
            idx = np.unravel_index(flat, data.shape)
            orig = data[idx]
            with nbtorch.no_grad():
                data[idx] = orig + 1e-6
                plus = F.cross_entropy(net(nbtorch.from_numpy(x)), nbtorch.from_numpy(y)).item()
                data[idx] = orig - 1e-6
                minus = F.cross_entropy(net(nbtorch.from_numpy(x)), nbtorch.from_numpy(y)).item()
            data[idx] = orig
            assert grads[name][idx] == pytest.approx((plus - minus) / 2e-6, rel=1e-4, abs=1e-7)


def test_lenet_repr_is_pytorchs():
    assert repr(lenet(nbtorch)).splitlines()[1:] == [
        "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))",
        "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))",
        "  (fc1): Linear(in_features=400, out_features=120, bias=True)",
        "  (fc2): Linear(in_features=120, out_features=84, bias=True)",
        "  (fc3): Linear(in_features=84, out_features=10, bias=True)",
        ")"]
