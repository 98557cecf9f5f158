"""Every workload of bench/workloads.py as a pytest-benchmark, one group per workload:
``python -m pytest bench/ --benchmark-only``. The process-level ones (import + first step, peak
RSS) run bench/workloads.py in a fresh process per round; the value it reports is kept in the
benchmark's extra_info."""
import json
import pathlib
import subprocess
import sys

import pytest

from workloads import WORKLOADS

SCRIPT = pathlib.Path(__file__).with_name("workloads.py")


@pytest.mark.parametrize("name", [n for n, w in WORKLOADS.items() if w.make])
def test_workload(benchmark, lib, name):
    benchmark.group = name
    benchmark(WORKLOADS[name].make(lib))


@pytest.mark.parametrize("name", [n for n, w in WORKLOADS.items() if not w.make])
def test_process_workload(benchmark, lib, name):
    benchmark.group = name
    values = []

    def run():
        out = subprocess.run([sys.executable, str(SCRIPT), lib.__name__, name], check=True,
                             capture_output=True, text=True).stdout
        values.append(json.loads(out.splitlines()[-1])["value"])
    benchmark.pedantic(run, rounds=3)
    benchmark.extra_info[WORKLOADS[name].unit] = sorted(values)[len(values) // 2]
