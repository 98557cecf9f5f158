"""dtype objects printing like PyTorch's (``torch.float32``) and PyTorch's type promotion."""
import numpy as np

_BOOL, _INT, _FLOAT = 0, 1, 2  # promotion categories


class dtype:
    __slots__ = ("name", "np", "category", "itemsize")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize

    @property
    def is_floating_point(self):
        return self.category == _FLOAT

    @property
    def is_signed(self):
        return self.name not in ("uint8", "bool")

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)
float16 = dtype("float16", np.float16, _FLOAT)
int64 = dtype("int64", np.int64, _INT)
int32 = dtype("int32", np.int32, _INT)
int16 = dtype("int16", np.int16, _INT)
int8 = dtype("int8", np.int8, _INT)
uint8 = dtype("uint8", np.uint8, _INT)
bool_ = dtype("bool", np.bool_, _BOOL)

ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}

_default = [float32]


def _by_name(name):
    return _NAMES[name]


_PYTHON_TYPES = {bool: bool_, int: int64, float: float64}

# PyTorch's C++ scalar type names, which its messages ("not implemented for 'Long'") and its
# legacy type names (torch.LongTensor) use
SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def scalar_name(d):
    return SCALAR_NAMES[d.name]


def as_dtype(d, name="tensor"):
    """``d`` as a dtype: None stays None, and the Python types bool, int and float mean what they
    do in PyTorch (bool, int64, float64)."""
    if d is None or isinstance(d, dtype):
        return d
    if isinstance(d, type) and d in _PYTHON_TYPES:
        return _PYTHON_TYPES[d]
    raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type(d).__name__}")


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if d not in (float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def from_numpy_dtype(np_dtype):
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only supported "
            "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint64, uint32, uint16, uint8, and bool.") from None


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` convert to without changing category."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == _INT and (a is uint8) != (b is uint8):
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize >= b.itemsize else b


def scalar_dtype(value):
    """The dtype PyTorch gives a Python number: bool, int64, or the default float dtype."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return _default[0]


def result_type(operands):
    """PyTorch's promotion: dimensioned tensors, then zero-dim tensors, then Python scalars; a
    later class only wins when its category is higher."""
    from ._tensor import Tensor
    dims = zeros = scalars = None
    for o in operands:
        if isinstance(o, Tensor):
            if o._data.ndim:
                dims = o.dtype if dims is None else promote_types(dims, o.dtype)
            else:
                zeros = o.dtype if zeros is None else promote_types(zeros, o.dtype)
        else:
            d = scalar_dtype(o)
            scalars = d if scalars is None else promote_types(scalars, d)
    result = dims
    for cls in (zeros, scalars):
        if cls is not None and (result is None or cls.category > result.category):
            result = cls
    return result
