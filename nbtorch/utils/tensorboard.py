"""``SummaryWriter`` for TensorBoard, backed by the tensorboardX package (the optional extra
``pip install nbtorch[tensorboard]``).

A thin wrapper: every call goes to ``tensorboardX.SummaryWriter`` with nbtorch tensors turned into
NumPy arrays first (``add_scalar``, ``add_scalars``, ``add_histogram``, ``add_image``, ``add_text``, ...).
``add_graph`` needs PyTorch's tracer and is not available.
"""
import numpy as np

try:
    import tensorboardX as _tbx
except ImportError:  # the error is raised when a writer is made, so `import nbtorch.utils` works
    _tbx = None


def _plain(value):
    """``value`` with nbtorch tensors (also inside lists, tuples and dicts) as NumPy arrays or numbers."""
    from .._tensor import Tensor
    if isinstance(value, Tensor):
        arr = value.detach().cpu().numpy()
        return arr.item() if arr.ndim == 0 else np.array(arr)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


class SummaryWriter:
    """Writes TensorBoard event files under ``log_dir`` (default ``runs/<date>_<host>``)."""

    def __init__(self, log_dir=None, *args, **kwargs):
        if _tbx is None:
            raise ImportError("nbtorch.utils.tensorboard.SummaryWriter needs the tensorboardX package: "
                              "pip install nbtorch[tensorboard]")
        self._writer = _tbx.SummaryWriter(log_dir, *args, **kwargs)

    @property
    def log_dir(self):
        return self._writer.logdir

    def add_graph(self, *args, **kwargs):
        raise NotImplementedError("add_graph needs PyTorch's JIT tracer; nbtorch's SummaryWriter does "
                                  "not support it")

    def __getattr__(self, name):  # only called for names not defined here
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self._writer, name)
        if not callable(method):
            return method

        def call(*args, **kwargs):
            return method(*_plain(args), **_plain(kwargs))
        return call

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._writer.close()
