"""torch.distributions: Categorical, Normal, Bernoulli, Uniform, built from nbtorch ops (so
log_prob, entropy and rsample carry gradients) and drawing from nbtorch's generator."""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform", "constraints"]
