"""Autograd ops, one module per family. Each module may export ``METHODS`` (bound onto Tensor) and
``FUNCTIONS`` (exported as ``nbtorch.<name>``); this package collects them."""
from importlib import import_module

FAMILIES = ("copy", "elementwise", "shape", "index", "reduce", "stats", "matmul", "linalg", "conv",
            "pool", "activation", "softmax", "loss", "norm", "dropout")
TENSOR_METHODS = {}
FUNCTIONS = {}

for _family in FAMILIES:
    try:
        _module = import_module(f".{_family}", __name__)
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{_family}":
            raise
        continue
    TENSOR_METHODS.update(getattr(_module, "METHODS", {}))
    FUNCTIONS.update(getattr(_module, "FUNCTIONS", {}))
