"""Device queries of the tutorials and training scripts: torch.accelerator, torch.backends,
Tensor.get_device, and torch.__version__."""
import importlib.metadata

import nbtorch
from nbtorch import accelerator


def test_the_tutorials_device_line_picks_cuda_when_kernels_can_run():
    # the tests run CUDA under Numba's simulator when there is no GPU, so CUDA is available here
    assert accelerator.is_available() == nbtorch.cuda.is_available()
    device = accelerator.current_accelerator().type if accelerator.is_available() else "cpu"
    assert device == "cuda"
    assert accelerator.current_accelerator() == nbtorch.device("cuda")
    assert accelerator.device_count() == nbtorch.cuda.device_count() >= 1
    assert accelerator.current_device_index() == nbtorch.cuda.current_device() == 0


def test_without_cuda_the_tutorials_device_is_cpu(monkeypatch):
    monkeypatch.setattr(nbtorch.cuda, "is_available", lambda: False)
    assert not accelerator.is_available()
    assert accelerator.current_accelerator() is None
    assert accelerator.device_count() == 0
    device = accelerator.current_accelerator().type if accelerator.is_available() else "cpu"
    assert nbtorch.zeros(2, device=device).device.type == "cpu"


def test_version_is_the_installed_packages():
    assert nbtorch.__version__ == importlib.metadata.version("nbtorch")


def test_the_older_tutorials_device_line_and_cudnn_flags(monkeypatch):
    monkeypatch.setattr(nbtorch.cuda, "is_available", lambda: False)
    device = "cuda" if nbtorch.cuda.is_available() else \
        "mps" if nbtorch.backends.mps.is_available() else "cpu"
    assert device == "cpu" and not nbtorch.backends.mps.is_built()
    assert not nbtorch.backends.cudnn.is_available() and nbtorch.backends.cudnn.version() is None
    monkeypatch.setattr(nbtorch.backends.cudnn, "benchmark", True)     # scripts set it freely
    assert nbtorch.backends.cudnn.benchmark is True


def test_get_device_and_is_pinned():
    assert nbtorch.ones(2).get_device() == -1
    assert nbtorch.ones(2, device="cuda").get_device() == 0     # the simulator's device
    assert nbtorch.ones(2).is_pinned() is False
