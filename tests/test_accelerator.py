"""torch.accelerator (the device-agnostic queries of recent tutorials) and torch.__version__."""
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
