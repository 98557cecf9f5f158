"""The benchmark workloads, written once for both libraries: each ``make(lib)`` takes the module
(``nbtorch`` or ``torch``) and returns the zero-argument callable to time. Used by the
pytest-benchmark files (bench/test_workloads.py) and by bench/compare_torch.py.

Run as a script, it measures workloads for one library in this fresh process (torch's and
nbtorch's thread pools must never meet in one) and prints one JSON line per workload::

    python bench/workloads.py nbtorch conv64_fwd conv64_fwd_bwd

A process-level workload (``make`` is None: import time, peak RSS) must be alone in its process.
"""
import gc
import importlib
import json
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable, Optional

THREADS = 2


@dataclass(frozen=True)
class Workload:
    name: str
    make: Optional[Callable]      # make(lib) -> fn() to time; None for the process-level ones
    ratio: Optional[float]        # target: nbtorch / torch at most this (None: no target) ...
    limit: Optional[float] = None  # ... or nbtorch's value at most this, in ``unit``
    unit: str = "ms"


def set_threads(lib):
    """Both libraries on the same number of threads."""
    lib.set_num_threads(THREADS)


# --- models ---
def lenet(lib):
    """LeNet-5 on 1x32x32 images: conv 1->6 k5, pool, conv 6->16 k5, pool, fc 400-120-84-10."""
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = lib.flatten(x, 1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
    return LeNet()


def lenet_train(lib, batch=64):
    """One training step: zero_grad, forward, cross-entropy, backward, SGD momentum step."""
    lib.manual_seed(0)
    net = lenet(lib)
    opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.randn(batch, 1, 32, 32), lib.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
    return step


def lenet_infer(lib, batch=256):
    lib.manual_seed(0)
    net = lenet(lib).eval()
    x = lib.randn(batch, 1, 32, 32)

    def infer():
        with lib.no_grad():
            net(x)
    return infer


# --- layers ---
def _fwd_bwd(lib, module, x):
    """forward, then backward of a fixed output gradient; gradients reset to None each time."""
    with lib.no_grad():
        g = lib.randn(*module(x).shape)

    def run():
        module.zero_grad()
        x.grad = None
        module(x).backward(g)
    return run


def _fwd(lib, module, x):
    def run():
        module(x)
    return run


def conv(cin, cout, n, k, pad, backward):
    """Conv2d cin->cout, kernel k, padding pad, on (n, cin, 32, 32); a first layer (cin <= 3)
    needs no input gradient."""
    def make(lib):
        lib.manual_seed(0)
        m = lib.nn.Conv2d(cin, cout, k, padding=pad)
        x = lib.randn(n, cin, 32, 32, requires_grad=backward and cin > 3)
        return (_fwd_bwd if backward else _fwd)(lib, m, x)
    return make


def pool(kind, backward):
    def make(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, kind)(2)
        x = lib.randn(64, 64, 32, 32, requires_grad=backward)
        return (_fwd_bwd if backward else _fwd)(lib, m, x)
    return make


def cross_entropy(lib):
    lib.manual_seed(0)
    x = lib.randn(256, 1000, requires_grad=True)
    y = lib.randint(0, 1000, (256,))

    def run():
        x.grad = None
        lib.nn.functional.cross_entropy(x, y).backward()
    return run


def linear(lib):
    lib.manual_seed(0)
    return _fwd_bwd(lib, lib.nn.Linear(1024, 1024), lib.randn(256, 1024, requires_grad=True))


def small_op(lib):
    """One multiply of 1-element tensors, recorded on the tape: the per-op overhead."""
    a = lib.ones(1, requires_grad=True)
    b = lib.ones(1)

    def run():
        a * b
    return run


WORKLOADS = {w.name: w for w in (
    Workload("lenet_train_b64", lenet_train, 1.5),
    Workload("lenet_infer_b256", lenet_infer, 1.2),
    Workload("conv64_fwd", conv(64, 64, 32, 3, 1, False), 1.5),
    Workload("conv64_fwd_bwd", conv(64, 64, 32, 3, 1, True), 1.5),
    Workload("conv3_32_fwd", conv(3, 32, 64, 3, 1, False), None),
    Workload("conv3_32_fwd_bwd", conv(3, 32, 64, 3, 1, True), 1.5),
    Workload("conv1_6_fwd", conv(1, 6, 64, 5, 0, False), None),
    Workload("conv1_6_fwd_bwd", conv(1, 6, 64, 5, 0, True), 1.5),
    Workload("maxpool_fwd", pool("MaxPool2d", False), None),
    Workload("maxpool_fwd_bwd", pool("MaxPool2d", True), 0.3),
    Workload("avgpool_fwd", pool("AvgPool2d", False), None),
    Workload("avgpool_fwd_bwd", pool("AvgPool2d", True), 0.3),
    Workload("cross_entropy_fwd_bwd", cross_entropy, 1.1),
    Workload("linear1024_b256_fwd_bwd", linear, 1.1),
    Workload("small_op_autograd", small_op, None, limit=3.0, unit="us"),
    Workload("import_first_lenet_step", None, None, limit=1.0, unit="s"),
    Workload("lenet_train_peak_rss", None, 1.5, unit="MiB"),
)}


# --- measuring in this process (the script side of compare_torch.py) ---
def time_calls(fn, seconds=0.5, min_samples=7):
    """Median seconds per call: warm up, then samples of enough calls to last ~5 ms each."""
    fn()
    start = time.perf_counter()
    warm = 0
    while warm < 3 or time.perf_counter() - start < seconds / 4:
        fn()
        warm += 1
    per_call = (time.perf_counter() - start) / warm
    number = max(1, int(0.005 / per_call))
    samples = []
    end = time.perf_counter() + seconds
    while len(samples) < min_samples or time.perf_counter() < end:
        t = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t) / number)
    return statistics.median(samples)


def first_step(name):
    """Seconds to import ``name`` and run one LeNet training step (kernels cached)."""
    start = time.perf_counter()
    lib = importlib.import_module(name)
    set_threads(lib)
    lenet_train(lib)()
    return time.perf_counter() - start


def peak_rss(lib, steps=100):
    """Peak resident set (MiB) of this process after ``steps`` LeNet training steps."""
    step = lenet_train(lib)
    for _ in range(steps):
        step()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(lib_name, name, seconds=0.5):
    """The value of workload ``name`` for library ``lib_name``, in the workload's unit."""
    if name == "import_first_lenet_step":
        return first_step(lib_name)
    lib = importlib.import_module(lib_name)
    set_threads(lib)
    if name == "lenet_train_peak_rss":
        return peak_rss(lib)
    gc.collect()
    seconds_per_call = time_calls(WORKLOADS[name].make(lib), seconds)
    return seconds_per_call * (1e6 if WORKLOADS[name].unit == "us" else 1e3)


if __name__ == "__main__":
    lib_name, names = sys.argv[1], sys.argv[2:]
    for name in names:
        print(json.dumps({"lib": lib_name, "workload": name, "value": measure(lib_name, name)}),
              flush=True)
