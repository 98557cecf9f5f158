"""nbtorch.nn: modules, parameters, init and the functional API."""
from .modules import *  # noqa: F401,F403
from . import functional, init, utils  # noqa: F401
from .parameter import Parameter  # noqa: F401
