"""CPU vs CUDA, side by side: each workload runs on both devices from the same inputs; the script
checks that they agree and times them.

    python bench/compare_devices.py [--only conv,pool] [--repeat 20] [--plot devices.png] [--cases]

Columns: CPU ms; CUDA ms (inputs already on the GPU, synchronized, no transfers); CUDA ms with the
transfers (inputs to the GPU and results back); the speed-up (CPU / CUDA); the largest absolute
difference between the two devices' results. ``--cases`` also runs every registered op's parity
case from tests/test_cuda_*.py (tiny shapes) and reports the ops that disagree.

Without a GPU, run it under Numba's simulator (``NUMBA_ENABLE_CUDASIM=1``): shapes shrink to tiny ones
so that it still checks agreement, and its timings mean nothing (each simulated thread is a Python
thread).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

import nbtorch as torch
import nbtorch.nn as nn
import nbtorch.nn.functional as F

SIM = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


def _grads(loss, *leaves):
    loss.backward()
    return [loss] + [t.grad for t in leaves]


def _leaf(t):
    return t.detach().requires_grad_(True)


def _stateless(run):
    return lambda device: run


# Each workload: name, shape label, host inputs (NumPy), and ``make(device)`` giving the step to
# time: ``step(*tensors on that device)`` returning the tensors to compare. Full shapes on a GPU;
# tiny ones under the simulator.
def _conv(n, cin, cout, hw, k, pad, backward):
    def run(x, w, b):
        x, w, b = map(_leaf, (x, w, b))
        y = F.conv2d(x, w, b, padding=pad)
        return _grads(y.square().sum(), x, w, b) if backward else [y]
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((n, cin, hw, hw), np.float32),
              rng.standard_normal((cout, cin, k, k), np.float32) * 0.1,
              rng.standard_normal(cout, np.float32)]
    name = f"conv2d {cin}->{cout}" + (" fwd+bwd" if backward else " fwd")
    return name, f"N={n} {hw}x{hw} k{k}", inputs, _stateless(run)


def _unary(name, fn, shape):
    def run(x):
        x = _leaf(x)
        return _grads(fn(x).square().sum(), x)
    return name + " fwd+bwd", "x".join(map(str, shape)), \
        [np.random.default_rng(1).standard_normal(shape, np.float32)], _stateless(run)


def _linear(b, fin, fout):
    def run(x, w, bias):
        x, w, bias = map(_leaf, (x, w, bias))
        return _grads(F.linear(x, w, bias).square().sum(), x, w, bias)
    rng = np.random.default_rng(2)
    return "linear fwd+bwd", f"{b}x{fin}->{fout}", [
        rng.standard_normal((b, fin), np.float32), rng.standard_normal((fout, fin), np.float32) * 0.03,
        rng.standard_normal(fout, np.float32)], _stateless(run)


def _cross_entropy(b, c):
    def run(x, t):
        x = _leaf(x)
        return _grads(F.cross_entropy(x, t), x)
    rng = np.random.default_rng(3)
    return "cross_entropy fwd+bwd", f"{b}x{c}", [rng.standard_normal((b, c), np.float32),
                                                 rng.integers(0, c, b)], _stateless(run)


def _batch_norm(n, c, hw):
    def make(device):
        bn = nn.BatchNorm2d(c).to(device)

        def run(x):
            x = _leaf(x)
            bn.weight.grad = None
            return _grads(bn(x).square().sum(), x, bn.weight)
        return run
    return "batch_norm2d fwd+bwd", f"{n}x{c}x{hw}x{hw}", \
        [np.random.default_rng(4).standard_normal((n, c, hw, hw), np.float32)], make


def _lenet_step(batch):
    """One training step of examples/train_lenet.py's network: forward, loss, backward, SGD."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
    from train_lenet import LeNet

    def make(device):
        torch.manual_seed(0)
        net = LeNet().to(device)
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

        def run(x, t):
            loss = F.cross_entropy(net(x), t)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return [loss] + [p.grad for p in net.parameters()]
        return run
    rng = np.random.default_rng(5)
    return "LeNet-5 training step", f"batch {batch}", [
        rng.standard_normal((batch, 1, 32, 32), np.float32), rng.integers(0, 10, batch)], make


def workloads():
    if SIM:
        return [_conv(2, 3, 4, 6, 3, 1, False), _conv(2, 3, 4, 6, 3, 1, True),
                _unary("max_pool2d", lambda x: F.max_pool2d(x, 2), (2, 3, 4, 4)),
                _unary("relu", F.relu, (4, 33)), _unary("softmax", lambda x: F.softmax(x, 1), (4, 9)),
                _linear(4, 9, 5), _cross_entropy(4, 7), _batch_norm(2, 3, 3), _lenet_step(1)]
    return [_conv(32, 64, 64, 32, 3, 1, False), _conv(32, 64, 64, 32, 3, 1, True),
            _conv(64, 3, 32, 32, 3, 1, True), _conv(64, 1, 6, 32, 5, 0, True),
            _unary("max_pool2d", lambda x: F.max_pool2d(x, 2), (64, 64, 32, 32)),
            _unary("avg_pool2d", lambda x: F.avg_pool2d(x, 2), (64, 64, 32, 32)),
            _unary("relu", F.relu, (64, 64, 32, 32)), _unary("exp", torch.exp, (64, 64, 32, 32)),
            _unary("softmax", lambda x: F.softmax(x, 1), (256, 1000)),
            _linear(256, 1024, 1024), _cross_entropy(256, 1000), _batch_norm(32, 64, 32),
            _lenet_step(64)]


def _timed(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def compare(workload, repeat):
    """The first step of each device from the same state is compared; then each is timed."""
    name, shape, host, make = workload
    cpu_step, gpu_step = make("cpu"), make("cuda")
    cpu_in = [torch.tensor(a) for a in host]
    gpu_in = [t.to("cuda") for t in cpu_in]
    diff = max(float(np.max(np.abs(c.detach().numpy() - g.detach().cpu().numpy()), initial=0))
               for c, g in zip(cpu_step(*cpu_in), gpu_step(*gpu_in)))

    def with_transfers():
        return [t.detach().cpu() for t in gpu_step(*[t.to("cuda") for t in cpu_in])]
    return dict(name=name, shape=shape, cpu=_timed(lambda: cpu_step(*cpu_in), repeat),
                cuda=_timed(lambda: gpu_step(*gpu_in), repeat),
                cuda_xfer=_timed(with_transfers, repeat), diff=diff)


def parity_cases():
    """Every registered op's parity case (tests/test_cuda_*.py): the ops whose devices disagree."""
    import glob
    import importlib
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "tests"))
    from cuda_parity import run_case
    failed, ops = [], set()
    for path in sorted(glob.glob(os.path.join(here, "..", "tests", "test_cuda_*.py"))):
        module = importlib.import_module(os.path.basename(path)[:-3])
        for op, make in module.CASES:
            ops.add(op)
            try:
                run_case(op, make)
            except AssertionError as e:
                failed.append(f"{op}: {str(e).splitlines()[0]}")
    return ops, failed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", help="comma-separated substrings of workload names")
    p.add_argument("--repeat", type=int, default=3 if SIM else 20)
    p.add_argument("--plot", help="write a bar chart of the speed-ups to this PNG")
    p.add_argument("--cases", action="store_true", help="also check every op's parity case")
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        sys.exit("CUDA is not available: run on a GPU, or set NUMBA_ENABLE_CUDASIM=1 to check "
                 "agreement under Numba's simulator.")
    gpu = "Numba's CUDA simulator: its timings mean nothing" if SIM else torch.cuda.get_device_name()
    print(f"CUDA device: {gpu}; CPU cores: {os.cpu_count()}\n")
    chosen = [w for w in workloads()
              if not args.only or any(s in w[0] for s in args.only.split(","))]
    rows = [compare(w, args.repeat) for w in chosen]
    print("| op | shape | CPU ms | CUDA ms | CUDA ms incl. transfers | speed-up | max abs diff |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['shape']} | {r['cpu']:.3f} | {r['cuda']:.3f} | "
              f"{r['cuda_xfer']:.3f} | {r['cpu'] / r['cuda']:.1f}x | {r['diff']:.2e} |")
    if args.cases:
        ops, failed = parity_cases()
        print(f"\nparity cases: {len(ops)} ops checked, {len(failed)} disagree")
        for f in failed:
            print("  " + f)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 0.4 * len(rows) + 1.5))
        ax.barh([r["name"] for r in rows], [r["cpu"] / r["cuda"] for r in rows])
        ax.set_xscale("log")
        ax.set_xlabel("speed-up of CUDA over CPU (x, log scale)")
        ax.invert_yaxis()
        fig.tight_layout()
        fig.savefig(args.plot)
        print(f"\nwrote {args.plot}")


if __name__ == "__main__":
    main()
