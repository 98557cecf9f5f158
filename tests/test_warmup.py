"""nbtorch.warmup: a job run by the warmup's process pool leaves its kernels in Numba's on-disk
cache, so that a fresh process running the same ops compiles nothing. One small job, into a
private cache folder (NUMBA_CACHE_DIR is read by the spawned workers when they import numba)."""
import os
import subprocess
import sys

import pytest

from nbtorch import warmup

COMPILES = """
from numba.core import event
compiled = []
class Count(event.Listener):
    def on_start(self, ev): pass
    def on_end(self, ev): compiled.append(ev.data["dispatcher"].py_func.__qualname__)
event.register("numba:compile", Count())
from nbtorch import warmup
warmup.run_job("optim")
print(compiled)
"""


def test_warmup_job_fills_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    times = warmup.warmup(["optim"], processes=2, progress=False)
    assert list(times) == ["optim"]
    cached = {p.name.split(".")[1].split("-")[0] for p in tmp_path.rglob("optim.*.nbi")}
    assert {"_sgd", "_adam"} <= cached
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", COMPILES], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_unknown_job_is_an_error(capsys):
    with pytest.raises(SystemExit):
        warmup.main(["no_such_job"])
    assert "unknown job(s): no_such_job" in capsys.readouterr().err


def test_integer_job_compiles_integer_kernels():
    """The integers job runs once, for the first float dtype (it once compared a dtype with a
    string and never ran)."""
    from nbtorch.kernels.cpu import elementwise
    warmup.run_job("integers")
    assert any(sig[0].dtype.name == "int64" for sig in elementwise.eq_k.signatures)
