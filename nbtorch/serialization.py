"""nbtorch.save / nbtorch.load in PyTorch's zip checkpoint format, without needing PyTorch.

A checkpoint is a zip archive (stored, uncompressed) holding::

    archive/data.pkl      the object, pickled at protocol 2; each tensor is the reduce call
                          torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
                          OrderedDict()), its storage a persistent id
                          ('storage', torch.FloatStorage, key, location, numel)
    archive/data/<key>    each storage's raw little-endian bytes, written once however many views use it
    archive/byteorder     "little"
    archive/version       "3"

so files written here load in PyTorch, and PyTorch's state_dicts load here. The pickle names torch's
globals (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ``torch.float32``, ...); loading
maps them to nbtorch functions. ``weights_only=True`` (the default) allows only those and plain
containers, so a file cannot run code.
"""
import codecs
import importlib
import io
import os
import pickle
import uuid
import zipfile
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._device import as_device, device
from ._size import Size
from ._tensor import Tensor

# nbtorch dtype name <-> PyTorch's legacy storage class name
_STORAGE_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
                  "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
                  "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage"}


class _TorchName:
    """A global of PyTorch's namespace, written into the pickle by name (PyTorch need not exist)."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle reduces only with callables; this one is only ever written
        raise TypeError(f"{self.module}.{self.name} is a PyTorch name, not callable in nbtorch")


_NAMES = {}


def _torch_name(module, name):
    """One object per name, so the pickler's memo writes each global once."""
    return _NAMES.setdefault((module, name), _TorchName(module, name))


class _StorageRef:
    """A storage in the pickle: written as its persistent id, its bytes go to data/<key>."""
    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


class _Pickler(pickle._Pickler):  # the Python pickler: its reducer_override and dispatch are open
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}  # id(root array) -> (key, flat array); the arrays stay alive while saving

    def _save_torch_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    def _save_dtype(self, obj):
        self.save(_torch_name("torch", obj.name))  # through save(): a repeated name is a memo hit

    dispatch[_TorchName] = _save_torch_name
    dispatch[_dtype.dtype] = _save_dtype

    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, _StorageRef) else None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, device):
            return _torch_name("torch", "device"), (str(obj),)
        if isinstance(obj, Size):
            return _torch_name("torch", "Size"), (tuple(obj),)
        return NotImplemented

    def _reduce_tensor(self, t):
        if type(t) is not Tensor and _is_parameter(t):
            plain = Tensor._wrap(t._data, t._device)
            return (_torch_name("torch._utils", "_rebuild_parameter"),
                    (plain, t.requires_grad, OrderedDict()))
        key, numel, offset, strides = self._storage(t)
        location = "cpu" if t.device.type == "cpu" else str(as_device(t.device))
        pid = ("storage", _torch_name("torch", _STORAGE_NAMES[t.dtype.name]), key, location, numel)
        return (_torch_name("torch._utils", "_rebuild_tensor_v2"),
                (_StorageRef(pid), offset, tuple(t.shape), strides, t.requires_grad, OrderedDict()))

    def _storage(self, t):
        """(key, numel, element offset, element strides) of ``t``'s storage. A CPU view is described
        inside the array it views, so the views of one array share one storage record."""
        a = t._data if t.device.type == "cpu" else t.cpu()._data
        root = a
        while isinstance(root.base, np.ndarray):
            root = root.base
        size = a.itemsize
        delta = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        if not (a.size and root.flags.c_contiguous and root.dtype == a.dtype and delta % size == 0
                and all(s >= 0 and s % size == 0 for s in a.strides)):
            root = a = np.ascontiguousarray(a)
            delta = 0
        if id(root) not in self.storages:
            self.storages[id(root)] = (str(len(self.storages)), root)
        return (self.storages[id(root)][0], root.size, delta // size,
                tuple(s // size for s in a.strides))


def _is_parameter(t):
    from .nn.parameter import Parameter
    return isinstance(t, Parameter)


def _write(obj, f, protocol):
    """The whole checkpoint into the binary file object ``f``. The object is pickled in memory first,
    so a pickling error writes nothing."""
    buf = io.BytesIO()
    pickler = _Pickler(buf, protocol)
    pickler.dump(obj)
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(_info("archive/data.pkl"), buf.getvalue())
        zf.writestr(_info("archive/byteorder"), b"little")
        for key, root in pickler.storages.values():
            info = _info(f"archive/data/{key}")
            info.file_size = root.nbytes  # lets zipfile pick ZIP64 for storages over 2 GiB
            with zf.open(info, "w") as out:
                out.write(root.reshape(-1).view(np.uint8))
        zf.writestr(_info("archive/version"), b"3\n")


def _info(name):
    return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))


def save(obj, f, pickle_protocol=2):
    """Save ``obj`` (tensors, state_dicts, nested containers, optimizer state, whole modules) to the
    path or binary file object ``f``. A path is written atomically: into a temporary file in the same
    folder, flushed to disk, then renamed over ``f``, so an exception never leaves a partial file and
    never clobbers the previous one."""
    if not isinstance(f, (str, os.PathLike)):
        _write(obj, f, pickle_protocol)
        return
    path = os.fspath(f)
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)),
                       f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "xb") as out:
            _write(obj, out, pickle_protocol)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- loading ---
class _StorageType:
    """What a ``torch.<X>Storage`` global resolves to: the dtype of the storage's elements."""

    def __init__(self, dtype):
        self.dtype = dtype


_STORAGE_TYPES = {name: _StorageType(_dtype._by_name(d)) for d, name in _STORAGE_NAMES.items()}


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    arr, target = storage
    itemsize = arr.itemsize
    try:
        data = np.ndarray(tuple(size), arr.dtype, buffer=arr, offset=storage_offset * itemsize,
                          strides=tuple(s * itemsize for s in stride))
    except (ValueError, TypeError) as e:
        raise _Corrupt(f"a tensor of size {tuple(size)} does not fit its storage ({e})") from None
    t = Tensor._wrap(data)
    if target.type != "cpu":
        t = t.to(target)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


_TORCH_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch", "Size"): Size,
    ("torch", "device"): device,
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set, ("__builtin__", "set"): set,
    ("builtins", "frozenset"): frozenset, ("__builtin__", "frozenset"): frozenset,
    ("_codecs", "encode"): codecs.encode,  # bytes at protocol 2
    **{("torch", name): st for name, st in _STORAGE_TYPES.items()},
    **{("torch", d.name): d for d in _dtype.ALL},
}


class _Corrupt(Exception):
    pass


class _Refused(pickle.UnpicklingError):
    pass


def _nbtorch_global(module, name):
    """nbtorch's counterpart of a ``torch.nn`` class or function in a whole model pickled by
    PyTorch (so the loaded model computes with nbtorch); None where nbtorch has none.
    ``torch.nn.modules.<file>.<Class>``: the class of the same file of nbtorch.nn.modules, else
    nbtorch.nn's (nbtorch keeps MultiheadAttention in another file). ``torch.nn.functional.<f>``
    (a TransformerEncoderLayer's ``activation``) and ``torch._C._nn.<f>`` (F.gelu is a builtin
    there): nbtorch.nn.functional's function."""
    if module in ("torch.nn.functional", "torch._C._nn"):
        return getattr(importlib.import_module("nbtorch.nn.functional"), name, None)
    if not module.startswith("torch.nn.modules."):
        return None
    try:
        found = getattr(importlib.import_module("nb" + module), name, None)
    except ImportError:
        found = None
    found = found or getattr(importlib.import_module("nbtorch.nn"), name, None)
    return found if isinstance(found, type) else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf, prefix, map_location, weights_only):
        super().__init__(file)
        self._zf, self._prefix = zf, prefix
        self._map_location, self._weights_only = map_location, weights_only
        self._storages = {}

    def find_class(self, module, name):
        if (module, name) in _TORCH_GLOBALS:
            return _TORCH_GLOBALS[(module, name)]
        if self._weights_only:
            raise _Refused(
                "Weights only load failed. Re-running `nbtorch.load` with `weights_only` set to "
                "`False` will likely succeed, but it can result in arbitrary code execution. Do it only "
                "if you got the file from a trusted source.\n\tWeightsUnpickler error: Unsupported "
                f"global: GLOBAL {module}.{name} was not an allowed global by default.")
        return _nbtorch_global(module, name) or super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise _Corrupt(f"unsupported persistent id {pid!r}")
        _, storage_type, key, location, numel = pid
        if key not in self._storages:
            try:
                raw = bytearray(self._zf.read(f"{self._prefix}data/{key}"))
            except KeyError:
                raise _Corrupt(f"storage record data/{key} is missing") from None
            arr = np.frombuffer(raw, storage_type.dtype.np)
            if arr.size != numel:
                raise _Corrupt(f"storage data/{key} holds {arr.size} elements, expected {numel}")
            self._storages[key] = self._place(arr, location)
        return self._storages[key]

    def _place(self, arr, location):
        """(array, target device) of a storage saved at ``location``, after ``map_location``."""
        ml = self._map_location
        if callable(ml):
            moved = ml(Tensor._wrap(arr), location)
            if moved is not None:
                return moved.cpu()._data, moved.device
            ml = None
        if isinstance(ml, dict):
            location = ml.get(location, location)
        elif ml is not None:
            location = ml
        target = as_device(location)
        if target.type == "cuda":
            from .cuda import is_available
            if not is_available():
                raise RuntimeError(
                    "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                    "False. If you are running on a CPU-only machine, please use torch.load with "
                    "map_location=torch.device('cpu') to map your storages to the CPU.")
        return arr, target


def load(f, map_location=None, *, weights_only=True):
    """Load an object saved by ``nbtorch.save`` or ``torch.save`` (zip format) from a path or a binary
    file object. ``map_location``: a device or device string for every tensor, a dict mapping saved
    locations ("cpu", "cuda:0") to new ones, or a callable ``(storage, location)`` returning the storage
    (a 1-D CPU tensor) moved where it should live, or None for the default. ``weights_only=True`` loads
    only tensors, plain containers, numbers and strings; pass ``weights_only=False`` (trusted files only:
    it runs arbitrary pickled code) to load whole modules."""
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))
    fh = open(f, "rb") if isinstance(f, (str, os.PathLike)) else f
    try:
        return _load(fh, name, map_location, True if weights_only is None else weights_only)
    finally:
        if fh is not f:
            fh.close()


def _load(fh, name, map_location, weights_only):
    try:
        with zipfile.ZipFile(fh) as zf:
            pkl = [n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
            if not pkl:
                raise _Corrupt("the zip archive has no data.pkl record")
            prefix = pkl[0][:-len("data.pkl")]
            unpickler = _Unpickler(io.BytesIO(zf.read(pkl[0])), zf, prefix, map_location,
                                   weights_only)
            return unpickler.load()
    except _Refused:
        raise
    except zipfile.BadZipFile as e:
        raise RuntimeError(f"{name} is not a valid checkpoint: PytorchStreamReader failed reading zip "
                           f"archive ({e}); the file is truncated, corrupt, or not a nbtorch/PyTorch "
                           "zip checkpoint (legacy non-zip PyTorch files are not supported)") from None
    except (_Corrupt, pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError,
            IndexError) as e:
        raise RuntimeError(f"{name} is not a valid checkpoint: {e or type(e).__name__}") from e


def _reduce_tensor(t):
    """Tensor.__reduce_ex__ for plain pickling and copy.copy (nbtorch.save uses its own reducer)."""
    return _rebuild_pickled, (type(t), t.detach().cpu()._data, str(t.device), t.requires_grad)


def _rebuild_pickled(cls, data, location, requires_grad):
    t = Tensor._wrap(data)
    if location != "cpu":
        t = t.to(location)
    if cls is not Tensor:
        return cls(t, requires_grad)
    return t.requires_grad_(True) if requires_grad else t
