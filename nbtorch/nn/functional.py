"""nbtorch.nn.functional: argument checking with PyTorch's error words, then one autograd op."""
from .. import ops  # noqa: F401

# --- linear (module/matmul helper) ---
from ..ops.matmul import bilinear, linear  # noqa: E402,F401

# --- convolution (conv helper) ---
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: E402,F401

# --- pooling (pool helper) ---
from ..ops.pool import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d,  # noqa: E402,F401
                        avg_pool2d, max_pool1d, max_pool2d)
from ..ops.pool import (adaptive_avg_pool1d, adaptive_max_pool1d,  # noqa: E402,F401
                        max_unpool2d)

# --- activations, normalization, dropout (norm/activation helper) ---
from ..ops.activation import (elu, gelu, hardtanh, leaky_relu, relu, relu6, sigmoid,  # noqa: E402,F401
                              silu, softplus, tanh)
from ..ops.activation import (celu, celu_, glu, hardshrink, hardsigmoid,  # noqa: E402,F401
                              hardswish, logsigmoid, mish, rrelu, rrelu_, selu, selu_, softmin,
                              softshrink, softsign, tanhshrink, threshold, threshold_)
from ..ops.dropout import dropout, dropout1d, dropout2d  # noqa: E402,F401
from ..ops.norm import batch_norm, group_norm, layer_norm  # noqa: E402,F401
from ..ops.norm import (instance_norm, local_response_norm,  # noqa: E402,F401
                       rms_norm)

# --- softmax and losses (softmax/loss helper) ---
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: E402,F401
                        cross_entropy, huber_loss, kl_div, l1_loss, mse_loss, nll_loss,
                        smooth_l1_loss)
from ..ops.loss import (cosine_embedding_loss, gaussian_nll_loss,  # noqa: E402,F401
                        hinge_embedding_loss, margin_ranking_loss, multi_margin_loss,
                        multilabel_soft_margin_loss, pairwise_distance, poisson_nll_loss,
                        soft_margin_loss, triplet_margin_loss)
from ..ops.softmax import functional_log_softmax as log_softmax  # noqa: E402,F401
from ..ops.softmax import functional_softmax as softmax  # noqa: E402,F401

# --- distances, one-hot (tensor-API helper) ---
from ..ops.index import one_hot  # noqa: E402,F401
from ..ops.reduce import cosine_similarity, normalize  # noqa: E402,F401

# --- embedding, padding, upsampling (layers helper) ---
from ..ops.embedding import embedding  # noqa: E402,F401
from ..ops.pad import pad  # noqa: E402,F401
from ..ops.prelu import prelu  # noqa: E402,F401
from ..ops.fold import fold, pixel_shuffle, pixel_unshuffle, unfold  # noqa: E402,F401
from ..ops.upsample import interpolate  # noqa: E402,F401

# --- attention (recurrent/attention helper) ---
from ._attention import (_canonical_mask, _none_or_dtype,  # noqa: E402,F401
                         multi_head_attention_forward, scaled_dot_product_attention)
