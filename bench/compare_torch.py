"""nbtorch against PyTorch, side by side: every workload of bench/workloads.py measured for each
library in fresh processes (their thread pools slow each other down 2-3x when they share one):
per round, one process per side runs the timed workloads, and each process-level workload
(import time, peak RSS) gets a process of its own; the sides alternate which goes first. The
table shows the medians over the rounds and the ratio nbtorch / torch.

    python bench/compare_torch.py                    # every workload, 5 rounds
    python bench/compare_torch.py --only conv --rounds 3

Without PyTorch installed, only nbtorch's column is filled in.
"""
import argparse
import importlib.util
import json
import os
import pathlib
import statistics
import subprocess
import sys

from workloads import WORKLOADS

SCRIPT = pathlib.Path(__file__).with_name("workloads.py")
UNITS = {"ms": "ms", "us": "µs", "s": "s", "MiB": "MiB"}


def measure(lib, names):
    """{workload: value} from one fresh process of ``lib``. Python may write its bytecode cache
    (a warm start has it, as Numba's cache)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_ENABLE_CUDASIM", "PYTHONDONTWRITEBYTECODE")}
    out = subprocess.run([sys.executable, str(SCRIPT), lib, *names], check=True, env=env,
                         capture_output=True, text=True).stdout
    return {r["workload"]: r["value"] for r in map(json.loads, out.splitlines())}


def run(names, rounds, libs):
    timed = [n for n in names if WORKLOADS[n].make]
    batches = ([timed] if timed else []) + [[n] for n in names if not WORKLOADS[n].make]
    values = {(lib, n): [] for lib in libs for n in names}
    for r in range(rounds):
        for batch in batches:
            for lib in (libs if r % 2 == 0 else libs[::-1]):
                for n, v in measure(lib, batch).items():
                    values[lib, n].append(v)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return {key: statistics.median(v) for key, v in values.items()}


def fmt(value, unit):
    return "-" if value is None else f"{value:.3g} {UNITS[unit]}"


def table(names, medians):
    lines = ["| workload | torch | nbtorch | ratio | target | met |", "|---|---|---|---|---|---|"]
    for n in names:
        w = WORKLOADS[n]
        ours, theirs = medians[("nbtorch", n)], medians.get(("torch", n))
        ratio = ours / theirs if theirs else None
        if w.limit is not None:
            target, met = f"≤ {fmt(w.limit, w.unit)}", ours <= w.limit
        elif w.ratio is not None:
            target, met = f"≤ {w.ratio}x", None if ratio is None else ratio <= w.ratio
        else:
            target, met = "-", None
        lines.append(f"| {n} | {fmt(theirs, w.unit)} | {fmt(ours, w.unit)} | "
                     f"{'-' if ratio is None else f'{ratio:.2f}x'} | {target} | "
                     f"{'-' if met is None else 'yes' if met else '**no**'} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--only", nargs="*", default=(),
                   help="workloads whose name contains any of these")
    args = p.parse_args(argv)
    names = [n for n in WORKLOADS if not args.only or any(s in n for s in args.only)]
    libs = ["torch", "nbtorch"] if importlib.util.find_spec("torch") else ["nbtorch"]
    print(table(names, run(names, args.rounds, libs)))


if __name__ == "__main__":
    main()
