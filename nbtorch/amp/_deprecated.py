"""torch.cuda.amp and torch.cpu.amp: PyTorch's deprecated aliases of torch.amp's classes, each
warning with PyTorch's FutureWarning when made. nbtorch.cuda.amp and nbtorch.cpu.amp name the two
namespaces below."""
import types
import warnings

from .autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler


def _deprecated(old, new):
    warnings.warn(f"`{old}(args...)` is deprecated. Please use `{new}` instead.", FutureWarning,
                  stacklevel=3)


class _CudaAutocast(_autocast):
    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        _deprecated("torch.cuda.amp.autocast", "torch.amp.autocast('cuda', args...)")
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class _CpuAutocast(_autocast):
    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        _deprecated("torch.cpu.amp.autocast", "torch.amp.autocast('cpu', args...)")
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class _CudaGradScaler(_GradScaler):
    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        _deprecated("torch.cuda.amp.GradScaler", "torch.amp.GradScaler('cuda', args...)")
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


for _cls, _module in ((_CudaAutocast, "cuda"), (_CpuAutocast, "cpu"), (_CudaGradScaler, "cuda")):
    _cls.__name__ = _cls.__qualname__ = _cls.__base__.__name__
    _cls.__module__ = f"nbtorch.{_module}.amp"

cuda_amp = types.ModuleType("nbtorch.cuda.amp", "torch.cuda.amp (deprecated): use torch.amp.")
cuda_amp.autocast, cuda_amp.GradScaler = _CudaAutocast, _CudaGradScaler
cpu_amp = types.ModuleType("nbtorch.cpu.amp", "torch.cpu.amp (deprecated): use torch.amp.")
cpu_amp.autocast = _CpuAutocast
