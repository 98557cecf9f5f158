"""nbtorch.nn.functional: argument checking with PyTorch's error words, then one autograd op."""
from .. import ops  # noqa: F401

# --- linear (module/matmul helper) ---
from ..ops.matmul import linear  # noqa: E402,F401

# --- convolution (conv helper) ---

# --- pooling (pool helper) ---

# --- activations, normalization, dropout (norm/activation helper) ---

# --- softmax and losses (softmax/loss helper) ---
