"""nbtorch.optim: optimizers whose updates are fused Numba kernels, ``lr_scheduler`` and ``swa_utils``."""
from . import lr_scheduler, swa_utils  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .sgd import SGD  # noqa: F401
