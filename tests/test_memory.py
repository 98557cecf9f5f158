"""1000 LeNet training steps keep the resident set flat: each step's tape (graph nodes and saved
tensors) is freed after backward, nothing accumulates."""
import importlib.util
import os
import pathlib

import pytest

import nbtorch
import nbtorch.nn.functional as F

STATM = "/proc/self/statm"


def _rss_mib():
    with open(STATM) as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


@pytest.mark.skipif(not os.path.exists(STATM), reason="needs Linux /proc to read the RSS")
def test_thousand_lenet_steps_keep_rss_flat():
    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / "train_lenet.py"
    spec = importlib.util.spec_from_file_location("train_lenet", path)
    lenet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lenet)
    nbtorch.manual_seed(0)
    model = lenet.LeNet(image_size=8)
    opt = nbtorch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = nbtorch.randn(16, 1, 8, 8), nbtorch.randint(0, 10, (16,))
    rss = []
    for step in range(1000):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if step in (199, 999):
            rss.append(_rss_mib())
    assert rss[1] - rss[0] < 8, f"RSS grew {rss[1] - rss[0]:.1f} MiB over 800 steps ({rss})"
