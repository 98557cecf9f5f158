"""torch.amp: autocast (which nbtorch always runs in full precision) and GradScaler."""
from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler, OptState

__all__ = ["autocast", "is_autocast_available", "GradScaler", "OptState"]
