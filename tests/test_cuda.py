"""CUDA device tensors: storage, moves, views, device rules, modules and optimizers on CUDA, and
the dispatch table's completeness. Runs under Numba's simulator when there is no GPU."""
import glob
import importlib
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import nbtorch as torch
from nbtorch.kernels.registry import ops_for

ROOT = pathlib.Path(__file__).resolve().parents[1]
STORAGE_OPS = {"empty", "to_host", "from_host"}     # the parity harness's own tools


def test_every_cpu_op_has_a_cuda_twin():
    assert ops_for("cuda") == ops_for("cpu")


def test_every_op_has_a_parity_case():
    covered = set()
    for path in glob.glob(str(ROOT / "tests" / "test_cuda_*.py")):
        covered |= {op for op, _ in importlib.import_module(pathlib.Path(path).stem).CASES}
    assert set(ops_for("cuda")) - STORAGE_OPS - covered == set()


def test_import_does_not_import_numba_cuda():
    code = "import sys, nbtorch; x = nbtorch.ones(3) * 2; print('numba.cuda' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(os.path.exists("/dev/nvidia0"), reason="this machine has a GPU")
def test_no_gpu_and_no_simulator_is_a_clear_error():
    code = ("import nbtorch\ntry:\n    nbtorch.ones(2).to('cuda')\n"
            "except RuntimeError as e:\n    print(e)")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert "CUDA" in out.stdout and "NUMBA_ENABLE_CUDASIM=1" in out.stdout


def test_moves_and_creation():
    x = torch.arange(6.).reshape(2, 3)
    c = x.to("cuda")
    assert c.device == torch.device("cuda:0") and c.is_cuda and str(c.device) == "cuda:0"
    assert c.cuda() is c and x.cpu() is x and c.to(c) is c
    back = c.cpu()
    assert back.device.type == "cpu" and np.array_equal(back.numpy(), x.numpy())
    assert np.array_equal(x.to(c).cpu().numpy(), x.numpy())
    d = c.to("cpu", torch.float64)
    assert d.dtype is torch.float64 and d.device.type == "cpu"
    for t in (torch.zeros(2, 3, device="cuda"), torch.ones(2, 3, device="cuda"),
              torch.full((2, 3), 7.0, device="cuda"), torch.arange(6, device="cuda"),
              torch.tensor([[1, 2, 3], [4, 5, 6]], device="cuda"), torch.rand(2, 3, device="cuda"),
              torch.empty(2, 3, device="cuda"), torch.zeros_like(c), torch.randn(2, 3, device="cuda")):
        assert t.device.type == "cuda" and tuple(t.shape) in ((2, 3), (6,))
    assert torch.full((2,), 7.0, device="cuda").cpu().tolist() == [7.0, 7.0]
    assert torch.tensor([[1, 2], [3, 4]], device="cuda").cpu().tolist() == [[1, 2], [3, 4]]


def test_host_values_and_repr():
    c = torch.tensor([1.5, -2.0], device="cuda")
    assert c.sum().item() == -0.5 and c.tolist() == [1.5, -2.0] and c[1].item() == -2.0
    assert repr(c) == "tensor([ 1.5000, -2.0000], device='cuda:0')"
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy. Use "
                                        r"Tensor.cpu\(\) to copy the tensor to host memory first."):
        c.numpy()


def test_views_share_memory():
    c = torch.arange(12.).reshape(3, 4).cuda()
    t = c.t()
    t[1, 2] = 100.0                               # c[2, 1]
    c[0, ::2] = -1.0
    e = c[1].expand(2, 4)
    assert e.stride() == (0, 1)
    expected = np.arange(12.).reshape(3, 4)
    expected[2, 1], expected[0, ::2] = 100.0, -1.0
    assert np.array_equal(c.cpu().numpy(), expected)
    assert np.array_equal(t.cpu().numpy(), expected.T)
    assert np.array_equal(e.cpu().numpy(), np.broadcast_to(expected[1], (2, 4)))
    assert np.array_equal(c.permute(1, 0).reshape(-1).cpu().numpy(), expected.T.reshape(-1))
    assert not t.is_contiguous() and t.contiguous().is_contiguous()



def test_basic_indexing_gives_views_that_write_through():
    """x[i], x[:, j], x[None, 1:, ::2] view the same memory on CUDA as on the CPU, so in-place
    ops on them change the base (they once were copies, and the writes were lost)."""
    results = []
    for device in ("cpu", "cuda"):
        c = torch.zeros(3, 4, device=device)
        c[1].fill_(5.0)
        c[:, 2].add_(1.0)
        c.t()[0].mul_(3.0).add_(2.0)
        row = c[None, 1:, ::2]
        row.sub_(0.5)
        assert row.shape == (1, 2, 2) and row.data_ptr() == c[1:].data_ptr()
        results.append(c.cpu().numpy())
    assert np.array_equal(results[0], results[1])
    assert results[1][1, 3] == 5.0 and results[1][1, 2] == 5.5 and results[1][2, 0] == 1.5


def test_data_ptr_is_the_device_address_of_the_first_element():
    c = torch.arange(12.).reshape(3, 4).cuda()
    base = c.data_ptr()
    assert isinstance(base, int) and base > 0
    assert c.t().data_ptr() == base
    for view in (c.select(0, 1), c.unbind(1)[2], c.narrow(1, 1, 2), c.view(-1).narrow(0, 5, 3)):
        assert view.data_ptr() - base == view.storage_offset() * c.element_size() > 0
    assert c.clone().data_ptr() not in (0, base)


def test_mixing_devices_is_pytorch_s_error():
    c, x = torch.ones(2, device="cuda"), torch.ones(2)
    msg = ("Expected all tensors to be on the same device, but found at least two devices, "
           "cuda:0 and cpu!")
    for f in (lambda: c + x, lambda: c * x, lambda: torch.nn.functional.linear(c, x.view(1, 2))):
        with pytest.raises(RuntimeError, match=msg):
            f()
    s = c + torch.tensor(2.0)                     # a 0-dim CPU tensor may join, as in PyTorch
    assert s.device.type == "cuda" and s.cpu().tolist() == [3.0, 3.0]


def test_autograd_on_cuda():
    x = torch.tensor([[1.0, -2.0], [3.0, 0.5]], device="cuda", requires_grad=True)
    y = (x * x + x.exp()).sum()
    y.backward()
    assert x.grad.device.type == "cuda"
    xv = x.detach().cpu().numpy()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * xv + np.exp(xv), rtol=1e-6)
    g = x.cpu()                                   # the move is differentiable
    (g * 2).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * xv + np.exp(xv) + 2, rtol=1e-6)


def _lenet_losses(device, steps=2):
    sys.path.insert(0, str(ROOT / "examples"))
    from train_lenet import LeNet
    torch.manual_seed(0)
    model = LeNet(image_size=8).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(steps):
        x = torch.tensor(rng.standard_normal((2, 1, 8, 8)).astype(np.float32)).to(device)
        y = torch.tensor(rng.integers(0, 10, 2)).to(device)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().cpu().numpy() for p in model.parameters()]


def test_lenet_training_on_cuda_matches_cpu():
    cpu_losses, cpu_params = _lenet_losses("cpu")
    gpu_losses, gpu_params = _lenet_losses("cuda")
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5)
    assert cpu_losses[0] != cpu_losses[-1]
    for c, g in zip(cpu_params, gpu_params):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-6)


def test_module_and_optimizer_state_move():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    net(torch.randn(4, 3)).sum().backward()
    net.to("cuda")
    assert all(p.device.type == "cuda" and p.grad.device.type == "cuda" for p in net.parameters())
    assert all(b.device.type == "cuda" for b in net.buffers())
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    before = [p.detach().cpu().numpy().copy() for p in net.parameters()]
    opt.step()
    state = opt.state[net[0].weight]
    assert state["exp_avg"].device.type == "cuda"
    assert all(not np.array_equal(b, p.detach().cpu().numpy())
               for b, p in zip(before, net.parameters()))
    sd = net.state_dict()
    assert all(v.device.type == "cuda" for v in sd.values())
    net.cpu()
    assert all(p.device.type == "cpu" for p in net.parameters())


def test_save_and_load_cuda_tensors(tmp_path):
    sd = {"w": torch.arange(6.).reshape(2, 3).cuda(), "n": torch.tensor(3, device="cuda")}
    torch.save(sd, tmp_path / "sd.pt")
    back = torch.load(tmp_path / "sd.pt")
    assert back["w"].device.type == "cuda" and back["w"].cpu().tolist() == sd["w"].cpu().tolist()
    on_cpu = torch.load(tmp_path / "sd.pt", map_location="cpu")
    assert on_cpu["w"].device.type == "cpu" and on_cpu["n"].item() == 3
