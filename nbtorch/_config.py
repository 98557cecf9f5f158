"""Process-wide switches PyTorch keeps at its top level, and ``compile``. nbtorch's CPU kernels
are deterministic and float32 matmuls compute in float32, so the switches are only remembered (for
scripts that set and read them back); the CUDA kernels that add with atomics (embedding's
backward) do not check the deterministic switch."""
import warnings

_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    if not isinstance(mode, bool):
        raise TypeError("_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _state["matmul_precision"]


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False, **kwargs):
    """``model`` (a Module or a function) unchanged: nbtorch has no graph compiler; its kernels
    are compiled by Numba once per signature already. Takes PyTorch's arguments, and like
    PyTorch works as a decorator with or without them."""
    if model is None:
        return lambda m: m
    return model
