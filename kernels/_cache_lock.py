"""Numba's on-disk cache shared by several processes at once (the warmup's pool, pytest-xdist's
workers, two scripts started together): each save holds one file lock. Applied when the CPU
kernels load.

Numba's cache is not safe for concurrent writers: two processes saving overloads of one function
at once can both pick the same data file for different signatures, and one index entry then points
at the other's machine code. A save (read the index, add the entry, write both files) under one
lock per user makes them take turns; loads need no lock (Numba replaces the files atomically).
"""
import os
import tempfile


def lock_path():
    return os.path.join(tempfile.gettempdir(), f"nbtorch-numba-cache-{os.getuid()}.lock")


def lock_cache_saves(path=None):
    """Make this process's Numba cache saves hold the file lock ``path`` (default: lock_path());
    a no-op where there is no fcntl."""
    try:
        import fcntl
    except ImportError:
        return
    from numba.core.caching import IndexDataCacheFile
    save = IndexDataCacheFile.save
    if getattr(save, "locked", False):
        return
    path = path or lock_path()

    def locked_save(self, key, data):
        with open(path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            save(self, key, data)
    locked_save.locked = True
    IndexDataCacheFile.save = locked_save
