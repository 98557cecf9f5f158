"""Numba cache saves take turns between processes once the CPU kernels are loaded."""
import fcntl
import os
import subprocess
import sys
import textwrap
import time

CHILD = textwrap.dedent("""
    import pathlib, sys
    import numpy as np
    import nbtorch.kernels.cpu                   # applies the lock
    from numba.core.caching import IndexDataCacheFile
    locked_save = IndexDataCacheFile.save

    def announced_save(self, key, data):         # says it got to the save, then saves
        pathlib.Path(sys.argv[1], "saving").touch()
        locked_save(self, key, data)
    IndexDataCacheFile.save = announced_save
    sys.path.insert(0, sys.argv[1])
    from cached import twice
    print(twice(np.arange(3.0)).sum())
""")


def test_a_save_waits_for_the_lock(tmp_path):
    (tmp_path / "cached.py").write_text(
        "from numba import njit\n\n@njit(cache=True)\ndef twice(x):\n    return 2 * x\n")
    env = dict(os.environ, TMPDIR=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    with open(tmp_path / f"nbtorch-numba-cache-{os.getuid()}.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not (tmp_path / "saving").exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never got to saving"
            time.sleep(0.1)
        time.sleep(1.0)
        assert child.poll() is None and not list(tmp_path.glob("cache/**/*.nbi")), \
            "the child saved while another process held the lock"
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert float(out) == 6.0
    assert list(tmp_path.glob("cache/**/*.nbi"))
