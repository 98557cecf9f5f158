"""nbtorch: PyTorch's API over Numba kernels. ``import nbtorch as torch``."""
__version__ = "0.1.0"

import builtins
import numbers
import operator

from . import _dtype
from ._device import device  # noqa: F401
from ._dtype import (bool_ as bool, float16, float32, float64, get_default_dtype, int8, int16,  # noqa: F401
                     int32, int64, promote_types, set_default_dtype, uint8)
from ._dtype import dtype  # noqa: F401
from ._size import Size  # noqa: F401
from ._tensor import Tensor, _install_methods
from ._random import (Generator, default_generator, get_rng_state, initial_seed,  # noqa: F401
                      manual_seed, seed, set_rng_state)
from ._creation import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,  # noqa: F401
                        HalfTensor, IntTensor, LongTensor, ShortTensor, arange, as_tensor, empty,
                        empty_like, eye, from_numpy, full, full_like, linspace, logspace, normal,
                        ones, ones_like, rand, rand_like, randint, randint_like, randn,
                        randn_like, randperm, range_ as range, tensor, zeros, zeros_like)
from .autograd import (enable_grad, inference_mode, is_grad_enabled, no_grad,  # noqa: F401
                       set_grad_enabled)
from . import autograd, ops  # noqa: F401

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

_install_methods()
globals().update(ops.FUNCTIONS)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    return _dtype.result_type((tensor1, tensor2))


def can_cast(from_, to):
    return from_.category <= to.category


def is_floating_point(input):
    return input.dtype.is_floating_point


def set_num_threads(n):
    """The number of threads the CPU kernels use, the caller's included; at most Numba's
    NUMBA_NUM_THREADS (the number of cores unless set), as Numba's pool has that many."""
    if isinstance(n, builtins.bool) or not isinstance(n, numbers.Integral):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    import numba
    numba.set_num_threads(builtins.min(operator.index(n), numba.config.NUMBA_NUM_THREADS))


def get_num_threads():
    import numba
    return numba.get_num_threads()


def set_printoptions(**kwargs):
    from ._printing import set_printoptions as _set
    _set(**kwargs)


from . import accelerator, backends, cuda, nn, optim, utils  # noqa: E402,F401
from . import amp, cpu  # noqa: E402,F401
from . import distributions, testing  # noqa: E402,F401
from .amp import autocast  # noqa: E402,F401
from .amp.autocast_mode import is_autocast_enabled  # noqa: E402,F401
from ._config import (are_deterministic_algorithms_enabled, compile,  # noqa: E402,F401
                      get_float32_matmul_precision, is_deterministic_algorithms_warn_only_enabled,
                      set_float32_matmul_precision, use_deterministic_algorithms)

# --- serialization ---
from .serialization import load, save  # noqa: E402,F401
