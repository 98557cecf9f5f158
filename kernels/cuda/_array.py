"""CUDA storage for tensors, and what every CUDA launcher needs to run a kernel on it.

A ``CudaArray`` is a view: a byte buffer in GPU memory plus a byte offset, a shape, byte strides and a
dtype, like PyTorch's storage + TensorImpl. Numba's own device array can only express some views
(reshape of a contiguous array, 2-D transpose), so permute, expand (stride 0) and strided slices live
here as metadata and never copy. It answers the NumPy attributes the ops layer reads (shape, strides,
dtype, ndim, size, flags.c_contiguous, reshape, transpose, view, indexing), so nbtorch's ops treat CPU
and CUDA arrays alike; only launchers in ``kernels/cuda`` look inside, through:

- ``dev(a)``: a numba device array over the same memory, with ``a``'s shape and strides (for kernels
  that index ``x[n, c, i, j]``);
- ``flat(a)`` and ``elem_strides(a, shape)``: the memory from ``a``'s first element as a 1-D device
  array, and ``a``'s element strides broadcast to ``shape`` (0 where broadcast), for kernels that
  compute offsets themselves;
- ``contiguous(a)``: ``a`` itself when C-contiguous, else a contiguous copy;
- ``grid(n)``: (blocks, threads) for a grid-stride loop over ``n`` items.

Under Numba's simulator (``NUMBA_ENABLE_CUDASIM=1``) the buffer is a fake device array over NumPy
memory and launches use few threads, since each simulated thread is a Python thread.
"""
import math

import numpy as np
from numba import config, cuda

SIMULATOR = bool(config.ENABLE_CUDASIM)
config.CUDA_LOW_OCCUPANCY_WARNINGS = False     # small launches are normal here (a LeNet step)
THREADS = 32 if SIMULATOR else 256          # threads per block of a grid-stride loop
MAX_BLOCKS = 2 if SIMULATOR else 4096


def grid(n, threads=THREADS):
    """(blocks, threads) covering ``n`` items with a grid-stride loop."""
    return max(1, min(-(-n // threads), MAX_BLOCKS)), threads


class _Flags:
    __slots__ = ("c_contiguous",)

    def __init__(self, c_contiguous):
        self.c_contiguous = c_contiguous


def _contiguous_strides(shape, itemsize):
    strides, acc = [], itemsize
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


class CudaArray:
    __slots__ = ("buf", "offset", "shape", "strides", "dtype", "_dev")

    def __init__(self, buf, offset, shape, strides, dtype):
        self.buf = buf                      # 1-D uint8 device array: the storage
        self.offset = offset                # bytes from the start of buf to element [0, ..., 0]
        self.shape = tuple(int(n) for n in shape)
        self.strides = tuple(int(s) for s in strides)
        self.dtype = np.dtype(dtype)
        self._dev = None

    # --- what the ops layer reads, as on a NumPy array ---
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))
    itemsize = property(lambda self: self.dtype.itemsize)
    nbytes = property(lambda self: self.size * self.dtype.itemsize)

    @property
    def flags(self):
        expected = _contiguous_strides(self.shape, self.itemsize)
        return _Flags(all(n == 1 or s == e for n, s, e in zip(self.shape, self.strides, expected)))

    def _view(self, shape, strides, offset=None, dtype=None):
        return CudaArray(self.buf, self.offset if offset is None else offset, shape, strides,
                         self.dtype if dtype is None else dtype)

    def reshape(self, *shape):
        """A view with ``shape`` (no -1); NotImplementedError when the memory layout can't give one."""
        shape = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape
        if self.flags.c_contiguous:
            return self._view(shape, _contiguous_strides(shape, self.itemsize))
        strides = _reshaped_strides(self.shape, self.strides, shape)
        if strides is None:
            raise NotImplementedError("incompatible shape for a non-contiguous array")
        return self._view(shape, strides)

    def transpose(self, *axes):
        axes = tuple(axes[0]) if len(axes) == 1 and not isinstance(axes[0], int) else axes
        axes = axes or tuple(reversed(range(self.ndim)))
        return self._view([self.shape[a] for a in axes], [self.strides[a] for a in axes])

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def view(self, dtype):
        """The same bytes read as ``dtype``; with another item size the (unit-stride) last dim
        rescales."""
        dtype = np.dtype(dtype)
        if dtype.itemsize == self.itemsize or self.ndim == 0:
            return self._view(self.shape, self.strides, dtype=dtype)
        last = self.shape[-1] * self.itemsize // dtype.itemsize
        return self._view(self.shape[:-1] + (last,), self.strides[:-1] + (dtype.itemsize,),
                          dtype=dtype)

    def broadcast_to(self, shape):
        lead = len(shape) - self.ndim
        strides = [0] * lead + [0 if n == 1 and m != 1 else s
                                for n, m, s in zip(self.shape, shape[lead:], self.strides)]
        return self._view(shape, strides)

    def __getitem__(self, index):
        """Basic indexing (ints, slices with positive steps, None, Ellipsis) as a view."""
        if not isinstance(index, tuple):
            index = (index,)
        if any(i is Ellipsis for i in index):
            at = next(k for k, i in enumerate(index) if i is Ellipsis)
            fill = self.ndim - sum(1 for i in index if i is not None and i is not Ellipsis)
            index = index[:at] + (slice(None),) * fill + index[at + 1:]
        shape, strides, offset, d = [], [], self.offset, 0
        for i in index:
            if i is None:
                shape.append(1)
                strides.append(0)
                continue
            n, s = self.shape[d], self.strides[d]
            if isinstance(i, slice):
                start, stop, step = i.indices(n)
                if step <= 0:
                    raise ValueError("step must be greater than zero")
                shape.append(len(range(start, stop, step)))
                strides.append(s * step)
                offset += start * s if shape[-1] else 0
            else:
                i = int(i)
                if not -n <= i < n:
                    raise IndexError(f"index {i} is out of bounds for axis {d} with size {n}")
                offset += (i % n) * s
            d += 1
        shape += self.shape[d:]
        strides += self.strides[d:]
        return self._view(shape, strides, offset=offset)

    def __repr__(self):
        return f"CudaArray(shape={self.shape}, dtype={self.dtype})"


def _reshaped_strides(old_shape, old_strides, new_shape):
    """Strides that view memory laid out as (``old_shape``, ``old_strides``) with ``new_shape``
    without copying, or None. Old dims split into chunks that are contiguous among themselves;
    each chunk must map onto a run of new dims of the same size (PyTorch's rule for ``view``)."""
    if math.prod(old_shape) == 0 or not old_shape:
        return None
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base = old_strides[-1]
    tensor_numel = view_numel = 1
    for d in reversed(range(len(old_shape))):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base = old_strides[d - 1]
                tensor_numel = view_numel = 1
    return tuple(new_strides) if view_d == -1 else None


# --- allocation and host transfers ---
def empty(shape, dtype):
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    buf = cuda.device_array(max(nbytes, 1), np.uint8)
    return CudaArray(buf, 0, shape, _contiguous_strides(shape, dtype.itemsize), dtype)


def dev(a):
    """A numba device array over ``a``'s memory with its shape and strides."""
    if a._dev is None:
        if SIMULATOR:
            host = a.buf._ary
            extent = _extent(a)
            mem = host[a.offset:a.offset + extent] if a.size else host[:0]
            a._dev = cuda.simulator.cudadrv.devicearray.FakeCUDAArray(
                np.ndarray(a.shape, a.dtype, buffer=mem, strides=a.strides))
        else:
            from numba.cuda.cudadrv.devicearray import DeviceNDArray
            data = a.buf.gpu_data if a.offset == 0 else a.buf.gpu_data.view(a.offset)
            a._dev = DeviceNDArray(a.shape, a.strides, a.dtype, gpu_data=data)
    return a._dev


def _extent(a):
    """Bytes from ``a``'s first element to the end of its last."""
    if a.size == 0:
        return 0
    return sum((n - 1) * s for n, s in zip(a.shape, a.strides)) + a.itemsize


def flat(a):
    """``a``'s memory from its first element as a 1-D device array of its dtype."""
    n = _extent(a) // a.itemsize if a.size else 0
    return dev(CudaArray(a.buf, a.offset, (n,), (a.itemsize,), a.dtype))


def elem_strides(a, shape):
    """``a``'s strides in elements, broadcast to ``shape`` (0 on broadcast dims)."""
    lead = len(shape) - a.ndim
    return (0,) * lead + tuple(0 if n == 1 else s // a.itemsize
                               for n, s in zip(a.shape, a.strides))


def contiguous(a):
    """``a`` when C-contiguous, else a C-contiguous copy made by the strided copy kernel."""
    if a.flags.c_contiguous:
        return a
    from .copy import copy
    out = empty(a.shape, a.dtype)
    copy(a, out)
    return out


def to_host(a):
    a = contiguous(a)
    host = np.empty(a.shape, a.dtype)
    if a.size:
        a.buf[a.offset:a.offset + a.nbytes].copy_to_host(host.reshape(-1).view(np.uint8))
    return host


def from_host(host):
    host = np.asarray(host, order="C")
    a = empty(host.shape, host.dtype)
    if a.size:
        a.buf.copy_to_device(host.reshape(-1).view(np.uint8))
    return a


def layout(shape, arrays):
    """The coalesced loop shape and each array's element strides in it, for ``offset``: size-1 dims
    dropped, neighbouring dims merged where every array steps through them as one."""
    strides = [elem_strides(a, shape) for a in arrays]
    dims = []
    for d, n in enumerate(shape):
        if n == 1:
            continue
        st = [s[d] for s in strides]
        if dims and all(p == c * n for p, c in zip(dims[-1][1], st)):
            dims[-1] = (dims[-1][0] * n, st)
        else:
            dims.append((n, st))
    dims = dims or [(1, [0] * len(arrays))]
    return (tuple(n for n, _ in dims),
            tuple(tuple(st[k] for _, st in dims) for k in range(len(arrays))))


@cuda.jit(device=True)
def offset(i, shape, st):
    """Element offset of the ``i``-th item (C order over ``shape``) for element strides ``st``."""
    off = 0
    for d in range(len(shape) - 1, -1, -1):
        off += (i % shape[d]) * st[d]
        i //= shape[d]
    return off
