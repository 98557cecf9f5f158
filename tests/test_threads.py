"""nbtorch.set_num_threads / get_num_threads: PyTorch's API over the CPU kernels' thread count."""
import numba
import numpy as np
import pytest

import nbtorch


@pytest.fixture
def restore_threads():
    before = nbtorch.get_num_threads()
    yield
    nbtorch.set_num_threads(before)


def test_one_thread_and_all_give_the_same_results(restore_threads):
    nbtorch.manual_seed(0)
    conv = nbtorch.nn.Conv2d(8, 16, 3, padding=1)
    x = nbtorch.randn(32, 8, 16, 16, requires_grad=True)      # big enough to be split

    def step():
        x.grad = None
        conv.zero_grad()
        y = conv(x)
        y.square().sum().backward()
        return y.detach().numpy(), x.grad.numpy(), conv.weight.grad.numpy()
    nbtorch.set_num_threads(1)
    assert nbtorch.get_num_threads() == 1
    serial = step()
    nbtorch.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert nbtorch.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    for got, expect in zip(step(), serial):
        np.testing.assert_allclose(got, expect, rtol=1e-5, atol=1e-4)


def test_more_threads_than_cores_is_capped(restore_threads):
    nbtorch.set_num_threads(numba.config.NUMBA_NUM_THREADS + 7)
    assert nbtorch.get_num_threads() == numba.config.NUMBA_NUM_THREADS


@pytest.mark.parametrize("bad, message", [
    (0, "set_num_threads expects a positive integer"),
    (-1, "set_num_threads expects a positive integer"),
    (2.5, "set_num_threads expects an int, but got float"),
    ("2", "set_num_threads expects an int, but got str"),
    (True, "set_num_threads expects an int, but got bool"),
])
def test_bad_counts_raise_pytorchs_errors(bad, message, restore_threads):
    with pytest.raises(RuntimeError, match=message):
        nbtorch.set_num_threads(bad)
