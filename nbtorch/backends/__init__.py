"""nbtorch.backends: the ``torch.backends`` flags and queries training scripts use. nbtorch's
kernels are its own Numba code: there is no cuDNN and no Apple MPS, so the queries say so and the
cuDNN flags, which PyTorch also accepts on builds without cuDNN, change nothing."""
from . import cudnn, mps  # noqa: F401
