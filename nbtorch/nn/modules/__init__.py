"""One class per concept, as in torch.nn.modules. Each helper appends its own imports below."""
from .module import Module  # noqa: F401
from .container import ModuleDict, ModuleList, ParameterList, Sequential  # noqa: F401
from .linear import Identity, Linear  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
