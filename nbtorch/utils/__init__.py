"""nbtorch.utils: ``data`` (datasets and DataLoader) and ``tensorboard`` (imported on use: it needs the
optional tensorboardX package)."""
from . import data  # noqa: F401
