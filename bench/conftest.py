"""pytest-benchmark setup: ``lib`` is nbtorch, and torch as a second benchmark in the same group
when it is installed. Both share this process here, so their thread pools can interfere; the
authoritative side-by-side numbers come from bench/compare_torch.py (one process per side)."""
import importlib
import importlib.util

import pytest

from workloads import set_threads

LIBS = ["nbtorch"] + (["torch"] if importlib.util.find_spec("torch") else [])


@pytest.fixture(params=LIBS)
def lib(request):
    module = importlib.import_module(request.param)
    set_threads(module)
    return module
