"""Allocation policy for CPU arrays: glibc's malloc keeps freed blocks of up to 32 MiB for reuse.

Every op allocates its outputs (NumPy, through malloc). By default glibc serves large blocks
with fresh mmap()s and returns freed memory to the system, so each step of a training loop
page-faults its activations in again: measured 25% of a LeNet step on this machine. Raising the
mmap and trim thresholds keeps that memory in the process (the resident set stays flat; PyTorch's
CPU allocator reuses memory the same way). Applied once, when the CPU kernels load; other C
libraries are left alone.
"""
import ctypes
import platform

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_blocks(mmap_threshold=32 << 20, trim_threshold=256 << 20):
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL(None)
    libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)
    libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold)


keep_freed_blocks()
