"""``python -m nbtorch.warmup``: compile every CPU kernel the library uses into Numba's on-disk
cache, so that later runs start warm. Optional: without it, each kernel compiles on first use.

Kernels are compiled lazily, per signature, so the way to reach exactly the signatures the
library uses is to use the library: each job below runs one family of ops through the public API
(forward and backward) in float32 and float64, at sizes that reach every path (serial and
parallel, direct and im2col convolution). The jobs run in a pool of processes, one per core;
compiling is single-threaded, so on 2 cores this halves the wall time.

Numba's cache is not safe for concurrent writers; the CPU kernels save under one file lock
(kernels/_cache_lock.py), so the workers can share it.
"""
import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

FLOATS = ("float32", "float64")


def _grad(y):
    """Backward from ``y`` (any shape) through its graph, if it has one."""
    if y.requires_grad:
        (y.sum() if y.dim() else y).backward()


# --- the jobs: job(torch, dtype) runs one family of ops in that float dtype ---
UNARY = ("abs", "neg", "exp", "expm1", "log", "log10", "log1p", "log2", "sqrt", "rsqrt",
         "reciprocal", "sin", "cos", "tan", "sigmoid", "tanh", "relu", "square", "ceil", "floor",
         "round", "trunc", "sign", "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh",
         "atanh", "erf", "erfc", "erfinv", "lgamma", "digamma")
BINARY = ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "floor_divide",
          "atan2", "hypot", "copysign", "fmod")
COMPARE = ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor")


def unary(torch, dt):
    for name in UNARY:
        x = torch.rand(4, 8, dtype=dt).add_(0.5).requires_grad_()
        _grad(getattr(torch, name)(x))
    x = torch.randn(4, 8, dtype=dt)
    for name in ("isfinite", "isinf", "isnan", "logical_not"):
        getattr(torch, name)(x)


def binary(torch, dt):
    for name in BINARY:
        a = torch.rand(4, 8, dtype=dt).add_(0.5).requires_grad_()
        b = torch.rand(8, dtype=dt).add_(0.5).requires_grad_()
        _grad(getattr(torch, name)(a, b))
        if name not in ("maximum", "minimum", "atan2", "hypot"):
            _grad(getattr(torch, name)(a, 2.0))
    a, b = torch.randn(4, 8, dtype=dt), torch.randn(8, dtype=dt)
    for name in COMPARE:
        getattr(torch, name)(a, b)
    a.requires_grad_()
    _grad(torch.where(a > 0, a, b))
    _grad(torch.clamp(a, -0.5, 0.5))
    _grad(torch.lerp(a, b, 0.3))
    _grad(torch.addcmul(a, a, b, value=0.5))
    _grad(torch.addcdiv(a, a, b.abs() + 1, value=0.5))


def integers(torch, dt):
    """The integer and bool kernels that float code reaches (labels, masks, accuracy counts);
    runs once (for the first float dtype)."""
    if dt is not getattr(torch, FLOATS[0]):
        return
    a, b = torch.randint(0, 10, (64,)), torch.randint(0, 10, (64,))
    for name in BINARY[:3] + COMPARE[:6]:
        getattr(torch, name)(a, b)
    (a == b).sum().item()
    (a == b).float().mean()
    a.argmax()
    torch.randn(4, 10).argmax(1)


def reduce(torch, dt):
    x = torch.randn(6, 5, 4, dtype=dt, requires_grad=True)
    for name in ("sum", "mean", "prod", "amax", "amin", "logsumexp"):
        _grad(getattr(torch, name)(x, 1))
    for name in ("sum", "mean", "prod", "max", "min", "norm", "var", "std"):
        _grad(getattr(torch, name)(x))
    for name in ("max", "min", "var", "std", "cumsum", "cumprod"):
        out = getattr(torch, name)(x, 1)
        _grad(out[0] if isinstance(out, tuple) else out)
    _grad(torch.norm(x, p=1, dim=2))
    _grad(torch.sort(x, 2, descending=True)[0])
    _grad(torch.sort(x, 2)[0])
    _grad(torch.topk(x, 2, 1)[0])
    x = x.detach()
    x.argmax(1), x.argmin(1), (x > 0).all(1), (x > 0).any(1), (x > 0).sum()
    torch.histc(x, bins=10)


def matmul(torch, dt):
    a = torch.randn(8, 6, dtype=dt, requires_grad=True)
    b = torch.randn(6, 5, dtype=dt, requires_grad=True)
    v = torch.randn(6, dtype=dt, requires_grad=True)
    _grad(a @ b)
    _grad(a.t().t() @ b.t().t())
    _grad(a @ v)
    _grad(v @ v)
    _grad(torch.addmm(torch.randn(5, dtype=dt), a, b))
    _grad(torch.bmm(a.expand(3, 8, 6), b.expand(3, 6, 5)))
    _grad(torch.nn.functional.linear(a, b.t(), torch.randn(5, dtype=dt)))
    big = torch.randn(256, 128, dtype=dt, requires_grad=True)      # split over the threads
    _grad(torch.nn.functional.linear(big, big[:64], torch.randn(64, dtype=dt)))
    _grad(big.t() @ big)


def conv(torch, dt):
    F = torch.nn.functional
    for cin, cout, k, kw in ((1, 6, 5, {}), (6, 16, 5, {"padding": 2}), (4, 8, 3, {"stride": 2}),
                             (4, 4, 3, {"groups": 4, "padding": 1})):
        for n in (2, 64):                           # one thread and several
            x = torch.randn(n, cin, 16, 16, dtype=dt, requires_grad=True)
            w = torch.randn(cout, cin // kw.get("groups", 1), k, k, dtype=dt, requires_grad=True)
            _grad(F.conv2d(x, w, torch.randn(cout, dtype=dt, requires_grad=True), **kw))
    _grad(F.conv1d(torch.randn(2, 3, 20, dtype=dt, requires_grad=True),
                   torch.randn(4, 3, 3, dtype=dt, requires_grad=True)))


def pool(torch, dt):
    F = torch.nn.functional
    for shape in ((2, 3, 8, 8), (16, 16, 32, 32)):       # serial and parallel
        x = torch.randn(*shape, dtype=dt, requires_grad=True)
        _grad(F.max_pool2d(x, 2))
        _grad(F.max_pool2d(x, 3, 2, 1, dilation=2))
        _grad(F.avg_pool2d(x, 2))
        _grad(F.avg_pool2d(x, 3, 2, 1, count_include_pad=False))
        _grad(F.adaptive_avg_pool2d(x, 3))
        _grad(F.adaptive_max_pool2d(x, 3))
    x = torch.randn(2, 3, 16, dtype=dt, requires_grad=True)
    _grad(F.max_pool1d(x, 2))
    _grad(F.avg_pool1d(x, 2))


def activation(torch, dt):
    F = torch.nn.functional
    x = torch.randn(4, 8, dtype=dt, requires_grad=True)
    for fn in (F.relu, F.relu6, F.leaky_relu, F.elu, F.gelu, F.silu, F.softplus, F.hardtanh,
               F.sigmoid, F.tanh):
        _grad(fn(x))
    _grad(F.gelu(x, approximate="tanh"))


def softmax(torch, dt):
    F = torch.nn.functional
    x = torch.randn(4, 5, 6, dtype=dt, requires_grad=True)
    for dim in (2, 1):
        _grad(F.softmax(x, dim) * x)
        _grad(F.log_softmax(x, dim))


def loss(torch, dt):
    F = torch.nn.functional
    x = torch.randn(8, 5, dtype=dt, requires_grad=True)
    y = torch.randint(0, 5, (8,))
    p = torch.rand(8, 5, dtype=dt)
    for reduction in ("mean", "sum", "none"):
        _grad(F.cross_entropy(x, y, reduction=reduction))
        _grad(F.cross_entropy(x, p.softmax(1), reduction=reduction))
        _grad(F.nll_loss(x, y, reduction=reduction))
    _grad(F.cross_entropy(x, y, weight=torch.rand(5, dtype=dt), label_smoothing=0.1))
    for fn in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss,
               F.binary_cross_entropy_with_logits, F.kl_div):
        _grad(fn(x, p))
    _grad(F.binary_cross_entropy(x.sigmoid(), p))


def norm(torch, dt):
    F = torch.nn.functional
    x = torch.randn(4, 6, 5, 5, dtype=dt, requires_grad=True)
    w = torch.rand(6, dtype=dt, requires_grad=True)
    b = torch.rand(6, dtype=dt, requires_grad=True)
    mean, var = torch.zeros(6, dtype=dt), torch.ones(6, dtype=dt)
    _grad(F.batch_norm(x, mean, var, w, b, training=True))
    _grad(F.batch_norm(x, mean, var, w, b, training=False))
    _grad(F.layer_norm(x, (5, 5)))
    _grad(F.group_norm(x, 3, w, b))
    _grad(F.batch_norm(x.flatten(2).sum(2), mean, var, w, b, training=True))


def optim(torch, dt):
    params = [torch.randn(5, dtype=dt, requires_grad=True) for _ in range(12)]
    for p in params:
        p.grad = torch.randn(5, dtype=dt)
    o = torch.optim
    for opt in (o.SGD(params[:1], lr=0.1), o.SGD(params[1:2], lr=0.1, momentum=0.9),
                o.Adam(params[2:3]), o.AdamW(params[3:4]), o.RMSprop(params[4:5]),
                o.Adagrad(params[5:6]), o.Adamax(params[6:7]), o.NAdam(params[7:8]),
                o.RAdam(params[8:9]), o.Adadelta(params[9:10]), o.Rprop(params[10:11]),
                o.ASGD(params[11:])):
        opt.step()
        opt.step()
        opt.zero_grad()


def index(torch, dt):
    x = torch.randn(6, 5, dtype=dt, requires_grad=True)
    i = torch.tensor([0, 2, 2])
    _grad(x[1:4, ::2])
    _grad(x[i])
    _grad(x[x > 0])
    _grad(torch.index_select(x, 1, i))
    _grad(torch.gather(x, 1, torch.randint(0, 5, (6, 3))))
    _grad(torch.scatter_add(x, 1, torch.randint(0, 5, (6, 3)), torch.rand(6, 3, dtype=dt)))
    _grad(torch.masked_fill(x, x > 1, 0.0))
    _grad(torch.cat([x, x]).flip(0).permute(1, 0).contiguous())
    y = x.detach().clone()
    y[y < 0] = 0
    y[i] = 1.0
    torch.nonzero(y)


def dropout(torch, dt):
    F = torch.nn.functional
    x = torch.randn(4, 3, 5, dtype=dt, requires_grad=True)
    _grad(F.dropout(x, 0.3))
    _grad(F.dropout2d(x.unsqueeze(0), 0.3))


def layers(torch, dt):
    """Embedding (int64 and int32 indices, serial and threaded); padding and upsampling, which
    run on the embedding kernels."""
    F = torch.nn.functional
    for n, itype in ((6, torch.int64), (4096, torch.int32)):
        w = torch.randn(50, 128, dtype=dt, requires_grad=True)
        _grad(F.embedding(torch.randint(0, 50, (n,)).to(itype), w, scale_grad_by_freq=True))
        _grad(F.embedding(torch.randint(0, 50, (n,)).to(itype), w, padding_idx=0))
    x = torch.randn(2, 3, 8, 8, dtype=dt, requires_grad=True)
    _grad(F.pad(x, (1, 2, 2, 1), "reflect"))
    _grad(F.pad(x, (1, 2), value=1.0))
    _grad(F.interpolate(x, scale_factor=2))
    _grad(F.interpolate(x, size=(5, 11), mode="bilinear"))


# longest first, so that the pool's processes finish together
JOBS = {f.__name__: f for f in (binary, conv, loss, reduce, unary, pool, softmax, activation, norm,
                                 matmul, optim, index, dropout, layers, integers)}


# --- running them ---
def run_job(name):
    """Run job ``name`` in both float dtypes in this process; its wall time in seconds."""
    import nbtorch
    start = time.perf_counter()
    for dt in FLOATS:
        JOBS[name](nbtorch, getattr(nbtorch, dt))
    return time.perf_counter() - start


def warmup(names=None, processes=None, progress=True):
    """Run the jobs ``names`` (default: all) in a pool of ``processes`` fresh processes (default:
    one per core), with a progress bar; {job: seconds}."""
    names = list(JOBS if names is None else names)
    processes = max(1, min(processes or os.cpu_count() or 1, len(names)))
    if os.name != "posix":           # no fcntl lock for the cache: one process
        processes = 1
    bar = _bar(len(names), progress)
    times = {}
    # spawn: fresh interpreters (a forked child would inherit Numba's and BLAS's thread state)
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = {pool.submit(run_job, n): n for n in names}
        for job in as_completed(jobs):
            times[jobs[job]] = job.result()
            bar.set_postfix_str(jobs[job])
            bar.update()
    bar.close()
    return times


def _bar(total, enabled):
    try:
        from tqdm import tqdm
    except ImportError:              # tqdm is not a core dependency: a plain counter instead
        return _Counter(total, enabled)
    return tqdm(total=total, desc="compiling kernels", unit="job", disable=not enabled)


class _Counter:
    def __init__(self, total, enabled):
        self.total, self.done, self.enabled = total, 0, enabled

    def set_postfix_str(self, text):
        self.text = text

    def update(self):
        self.done += 1
        if self.enabled:
            print(f"compiling kernels: {self.done}/{self.total} ({self.text})", file=sys.stderr)

    def close(self):
        pass


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m nbtorch.warmup",
                                description=__doc__.splitlines()[0])
    p.add_argument("jobs", nargs="*", metavar="JOB",
                   help=f"families to compile (default: all): {', '.join(JOBS)}")
    p.add_argument("-j", "--processes", type=int, help="worker processes (default: one per core)")
    args = p.parse_args(argv)
    unknown = set(args.jobs) - set(JOBS)
    if unknown:
        p.error(f"unknown job(s): {', '.join(sorted(unknown))}")
    start = time.perf_counter()
    warmup(args.jobs or None, args.processes)
    print(f"kernels compiled and cached in {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
