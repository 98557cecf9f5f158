"""class Tensor: an array of one device plus autograd state. Every computation is an op in
nbtorch/ops; the methods here only route to them."""
import numbers


from . import _dtype
from ._device import CPU, as_device
from ._size import Size


_LEAF_ONLY = "you can only change requires_grad flags of leaf variables."
_USE_DETACH = (" If you want to use a computed variable in a subgraph that doesn't require "
               "differentiation use var_no_grad = var.detach().")


class Tensor:
    """``torch.Tensor(2, 3)`` / ``torch.Tensor([1, 2])`` build float32 tensors, as in PyTorch."""
    __array_priority__ = 1000   # NumPy defers to us: ``np.float64(2) * t`` is a Tensor, as in PyTorch

    def __new__(cls, *args, device=None):
        from ._creation import empty, tensor
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            return tensor(args[0], dtype=_dtype.get_default_dtype(), device=device)
        return empty(*(args or (0,)), device=device)    # Tensor(): a 1-D tensor of size 0

    @classmethod
    def _wrap(cls, data, device=None, requires_grad=False):
        """A tensor around ``data`` (an array of ``device``), sharing it."""
        t = object.__new__(cls)
        t._data = data
        t._device = CPU if device is None else device
        t._requires_grad = requires_grad
        t._grad = None
        t._grad_fn = None
        t._output_nr = 0
        t._version = [0]
        t._base = None
        t._hooks = None
        t._accumulator = None
        return t

    def _view_of(self, data):
        """A tensor sharing this one's data and version counter (a view)."""
        v = Tensor._wrap(data, self._device)
        v._version = self._version
        v._base = self if self._base is None else self._base
        return v

    # --- metadata ---
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    def _dim(self, dim, ndim=None):
        """``dim`` wrapped into range, with PyTorch's IndexError."""
        n = self._data.ndim if ndim is None else ndim
        lo, hi = (-n, n - 1) if n else (-1, 0)
        if not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but "
                             f"got {dim})")
        return dim % n if n else 0

    @property
    def dtype(self):
        return _dtype._FROM_NP[self._data.dtype]

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    def get_device(self):
        """-1 on the CPU, else the CUDA device's index, as in PyTorch."""
        return -1 if self._device.type == "cpu" else (self._device.index or 0)

    def is_pinned(self):
        """False: nbtorch has no page-locked host memory."""
        return False

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.dtype.itemsize

    @property
    def itemsize(self):
        return self._data.dtype.itemsize

    @property
    def nbytes(self):
        return self._data.size * self._data.dtype.itemsize

    def storage_offset(self):
        """Elements from the start of the memory this tensor views: on the CPU that of its base
        tensor, or of the NumPy array owning the data (a detached view has no base tensor); on
        CUDA the array's offset into its buffer."""
        if self._device.type != "cpu":
            return self._data.offset // self._data.dtype.itemsize
        root = self if self._base is None else self._base
        start = _owner(root._data).__array_interface__["data"][0]
        return (self.data_ptr() - start) // self._data.dtype.itemsize

    def stride(self, dim=None):
        strides = tuple(s // self._data.dtype.itemsize for s in self._data.strides)
        return strides if dim is None else strides[self._dim(dim)]

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def data_ptr(self):
        """The address of the first element. On CUDA, the storage buffer's device address (the
        host address of the simulator's fake buffer) plus the view's byte offset."""
        if self._device.type == "cpu":
            return self._data.__array_interface__["data"][0]
        buf = self._data.buf
        iface = getattr(buf, "__cuda_array_interface__", None) or buf.__array_interface__
        return iface["data"][0] + self._data.offset

    def type(self, dtype=None, non_blocking=False):
        """The type's name, or a copy as a dtype, a legacy type (torch.DoubleTensor) or its name."""
        if dtype is None:
            prefix = "torch.cuda." if self.is_cuda else "torch."
            return f"{prefix}{_dtype.scalar_name(self.dtype)}Tensor"
        if isinstance(dtype, str):
            cuda, _, name = dtype.replace("torch.", "", 1).rpartition(".")
            found = [d for d, n in _dtype.SCALAR_NAMES.items() if f"{n}Tensor" == name]
            if cuda not in ("", "cuda") or not found:
                raise ValueError(f"invalid type: '{dtype}'")
            return self.to(_dtype._NAMES[found[0]], device="cuda" if cuda else self._device)
        if not isinstance(getattr(dtype, "dtype", dtype), _dtype.dtype):
            raise ValueError(f"invalid type: '{getattr(dtype, '__name__', dtype)}'")
        return self.to(getattr(dtype, "dtype", dtype))

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __hash__(self):
        return id(self)

    # --- autograd state ---
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self._grad_fn is not None:
            raise RuntimeError(_LEAF_ONLY if value else _LEAF_ONLY + _USE_DETACH)
        if value and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(_LEAF_ONLY + _USE_DETACH)
            return self
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def grad(self):
        if self._grad_fn is not None and not self.retains_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you "
                "access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
                "more information.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._grad = value

    @property
    def data(self):
        """The same values, detached from autograd (and from the version counter), as PyTorch."""
        return Tensor._wrap(self._data, self._device)

    @data.setter
    def data(self, value):
        self._data = value._data
        self._device = value._device

    def detach(self):
        t = Tensor._wrap(self._data, self._device)
        t._version = self._version
        return t

    def detach_(self):
        self._grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        if self._grad_fn is None:
            return
        if not getattr(self, "_retains_grad", False):
            self._retains_grad = True

            def keep(grad, t=self):
                t._grad = grad.detach() if t._grad is None else t._grad + grad
            self._grad_fn._add_pre_hook(self._output_nr, keep)

    @property
    def retains_grad(self):
        return getattr(self, "_retains_grad", False)

    def register_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_pre_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        from .autograd.function import _Handle
        return _Handle(self._hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward([self], None if gradient is None else [gradient], retain_graph, create_graph,
                 inputs)

    # --- host values ---
    def numpy(self, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            if not force:
                raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use "
                                "Tensor.cpu() to copy the tensor to host memory first.")
            return self.cpu()._data
        return self._data

    def _host(self):
        from ._storage import to_host
        return to_host(self._data, self._device)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to "
                               "Scalar")
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def __array__(self, dtype=None, copy=None):
        a = self.detach().numpy(force=True)
        return a if dtype is None else a.astype(dtype)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """A NumPy ufunc's result on a tensor is a tensor (``t * a``, ``np.exp(t)``), as in
        PyTorch, which makes a bool result uint8."""
        from ._creation import from_numpy
        return from_numpy(array.astype("uint8") if array.dtype == bool else array)

    def _scalar(self, kind):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return kind(self.item())

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __repr__(self, *, tensor_contents=None):
        from ._printing import format_tensor
        suffixes = []
        if self._grad_fn is not None:
            suffixes.append(f"grad_fn=<{self._grad_fn.name()}>")
        elif self._requires_grad:
            suffixes.append("requires_grad=True")
        d = self.dtype
        return format_tensor(self._host(), dtype_name=d.name,
                             is_default_dtype=d in (_dtype.get_default_dtype(), _dtype.int64,
                                                    _dtype.bool_),
                             device_str=str(self._device) if self.is_cuda else None,
                             suffixes=suffixes)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __reduce_ex__(self, proto):
        from .serialization import _reduce_tensor
        return _reduce_tensor(self)

    def __deepcopy__(self, memo):
        t = Tensor._wrap(self.detach().clone()._data, self._device, self._requires_grad)
        if type(self) is not Tensor:
            t = type(self)(t, requires_grad=self._requires_grad)
        if self._grad is not None:
            t._grad = self._grad.clone()
        memo[id(self)] = t
        return t

    # --- device and dtype moves ---
    def to(self, *args, **kwargs):
        from .ops.copy import to
        return to(self, *args, **kwargs)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(as_device("cuda" if device is None else device))

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def clone(self, memory_format=None):
        from .ops.copy import clone
        return clone(self)

    def contiguous(self, memory_format=None):
        return self if self._data.flags.c_contiguous else self.clone()

    def copy_(self, src, non_blocking=False):
        from .ops.copy import copy_
        return copy_(self, src)

    # --- creation helpers on an existing tensor ---
    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import empty
        return empty(*size, dtype=dtype or self.dtype, device=device or self._device,
                     requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device or self._device,
                     requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=device or self._device,
                    requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self._device,
                    requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self._device,
                      requires_grad=requires_grad)


def _owner(array):
    """The NumPy array owning the memory ``array`` views (the end of its chain of bases)."""
    while True:     # as_strided views (diagonal) hold their base one step further
        base = array.base if isinstance(array.base, type(array)) else \
            getattr(array.base, "base", None)
        if not isinstance(base, type(array)):
            return array
        array = base


def _zero_grads(params, set_to_none=True):
    """Reset the ``.grad`` of each tensor: to None, or detached and zeroed in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()


def _install_methods():
    """Bind the op functions as Tensor methods (one table instead of hundreds of wrappers)."""
    from . import ops
    for name, fn in ops.TENSOR_METHODS.items():
        setattr(Tensor, name, fn)
