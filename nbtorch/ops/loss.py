"""Losses and their nn.functional forms, with PyTorch's argument checks and words.

- cross_entropy (class indices or probabilities) and nll_loss: autograd Functions over the fused
  kernels of kernels/cpu/loss.py.
- mse, smooth L1, Huber, BCE, BCE with logits: Functions written with Tensor ops, so that the
  result's grad_fn carries PyTorch's name (MseLossBackward0, ...) and they run on any device.
- l1_loss, kl_div and the ``weight=`` forms of mse/l1/huber: composed from Tensor ops, as
  PyTorch composes them (so their grad_fn is MeanBackward0, SubBackward0, ... as in PyTorch).
- margin ranking, triplet, cosine/hinge embedding, (multi-label) soft margin, multi margin,
  Poisson and Gaussian NLL, and pairwise_distance: composed from Tensor ops as ATen composes them.
"""
import functools
import math
import warnings

from .. import _dtype
from .._creation import arange, ones
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..kernels.registry import lookup
from ._util import broadcast_shapes, cast, new
from .elementwise import _type_name, clamp, minimum, where
from .shape import expand
from .softmax import log_softmax

_REDUCTIONS = ("none", "mean", "sum")


# --- reductions and PyTorch's legacy size_average/reduce ---
def legacy_reduction(reduction, size_average=None, reduce=None):
    """``reduction``, or what PyTorch's deprecated size_average/reduce flags ask for (warning)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.")
    return reduction


def _reduction(reduction, size_average=None, reduce=None):
    """The reduction to use; PyTorch's ValueError for an unknown one."""
    reduction = legacy_reduction(reduction, size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(t, reduction):
    return t.mean() if reduction == "mean" else t.sum() if reduction == "sum" else t


def _per_element(grad, reduction, n):
    """The gradient each element of an unreduced loss gets from ``grad`` of the reduced one."""
    return grad / n if reduction == "mean" else grad


# --- cross-entropy and NLL over the fused kernels ---
def _out_shape(target_shape, reduction):
    return tuple(target_shape) if reduction == "none" else ()


class NllLoss(Function):
    node_name = "NllLossBackward0"
    hidden_edges = (1, 2)            # target and weight

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, out_shape):
        x = x.contiguous()
        out = new(out_shape, x.dtype, x._device)
        lookup("nll_loss_forward", x._device.type)(x._data, target._data, weight._data, out._data,
                                                   ignore_index, reduction)
        ctx.save_for_backward(target, weight)
        ctx.args = (x._data.shape, ignore_index, reduction)
        return out

    @staticmethod
    def backward(ctx, grad):
        target, weight = ctx.saved_tensors
        shape, ignore_index, reduction = ctx.args
        gx = new(shape, grad.dtype, grad._device)
        lookup("nll_loss_backward", grad._device.type)(grad.contiguous()._data, target._data,
                                                       weight._data, gx._data, ignore_index,
                                                       reduction)
        return gx, None, None, None, None, None


class CrossEntropy(Function):
    """log_softmax + NLL in one kernel; ``label_smoothing`` mixes in the mean over classes."""
    node_name = "NllLossBackward0"
    hidden_edges = (1, 2)

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, label_smoothing, reduction, out_shape):
        x = x.contiguous()
        out = new(out_shape, x.dtype, x._device)
        probs = new(x.shape, x.dtype, x._device)     # softmax over classes, for the backward
        lookup("cross_entropy_forward", x._device.type)(
            x._data, target._data, weight._data, out._data, probs._data, ignore_index,
            label_smoothing, reduction)
        ctx.save_for_backward(probs, target, weight)
        ctx.args = (ignore_index, label_smoothing, reduction)
        return out

    @staticmethod
    def backward(ctx, grad):
        probs, target, weight = ctx.saved_tensors
        gx = new(probs._data.shape, probs.dtype, probs._device)
        lookup("cross_entropy_backward", probs._device.type)(
            grad.contiguous()._data, probs._data, target._data, weight._data, gx._data,
            *ctx.args)
        return gx, None, None, None, None, None, None


class CrossEntropySmoothed(CrossEntropy):
    node_name = "AddBackward0"      # PyTorch adds the NLL and smoothing terms


class CrossEntropyProb(Function):
    """Cross-entropy against class probabilities (``target`` shaped like ``x``)."""
    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, label_smoothing, reduction, out_shape):
        x, target = x.contiguous(), target.contiguous()
        out = new(out_shape, x.dtype, x._device)
        lookup("cross_entropy_prob_forward", x._device.type)(
            x._data, target._data, weight._data, out._data, label_smoothing, reduction)
        ctx.save_for_backward(x, target, weight)
        ctx.args = (label_smoothing, reduction)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, target, weight = ctx.saved_tensors
        label_smoothing, reduction = ctx.args
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = new(x._data.shape, x.dtype, x._device)
            lookup("cross_entropy_prob_backward", x._device.type)(
                grad.contiguous()._data, x._data, target._data, weight._data, gx._data,
                label_smoothing, reduction)
        if ctx.needs_input_grad[1]:
            class_dim = 0 if x.ndim == 1 else 1
            rows = x.numel() // max(x.shape[class_dim], 1)
            g = _per_element(grad, reduction, rows)
            if reduction == "none" and x.ndim > 1:
                g = g.unsqueeze(1)
            gt = log_softmax(x, class_dim) * _class_view(weight, x) * g * -(1 - label_smoothing)
        return gx, gt, None, None, None, None


class CrossEntropyProbMean(CrossEntropyProb):
    node_name = "DivBackward1"


def _class_view(weight, x):
    """(C,) weight shaped to broadcast along the class dim of x."""
    return weight.reshape((-1,) + (1,) * (x.ndim - 2)) if x.ndim > 2 else weight


def _check_weight(weight, n_classes, prefix=""):
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"[{', '.join(map(str, weight.shape))}]")


def _check_nll(input, target, weight, kernel_name):
    """PyTorch's checks of nll_loss_nd, in its order; returns the int64 target."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim != 1 and input.shape[0] != (target.shape[0] if target.ndim else 0):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.ndim else 0}).")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif input.ndim == 4 and target.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.ndim}")
    elif input.ndim == 4 and tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"size mismatch (got input: {_list(input.shape)} , target: "
                           f"{_list(target.shape)}")
    elif tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {_list((input.shape[0],) + input.shape[2:])}, "
                           f"got {_list(target.shape)}")
    if target.dtype not in (_dtype.int64, _dtype.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_type_name(target.dtype)}")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    _check_weight(weight, n_classes)
    if not input.dtype.is_floating_point:
        name = kernel_name if input.ndim <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(f"\"{name}\" not implemented for '{_type_name(input.dtype)}'")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input.dtype)} but found "
                           f"{_type_name(weight.dtype)}")
    return cast(target, _dtype.int64).contiguous()


def _list(shape):
    return f"[{', '.join(map(str, shape))}]"


def _check_targets(target, n_classes, ignore_index):
    """IndexError naming the first target outside [0, n_classes) that is not ignore_index."""
    t = target._host().reshape(-1)
    if not t.size or (t.min() >= 0 and t.max() < n_classes):     # the usual case, in two passes
        return
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {t[bad.argmax()]} is out of bounds.")


def _weight_or_ones(weight, input):
    if weight is None:
        return _ones(input.shape[0 if input.ndim == 1 else 1], input.dtype, input.device)
    return weight.contiguous()


@functools.lru_cache(maxsize=16)
def _ones(n, dtype, device):
    """The weights of an unweighted loss, made once per size (the kernels only read them)."""
    return ones(n, dtype=dtype, device=device)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    target = _check_nll(input, target, weight, "nll_loss_out_frame")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    _check_targets(target, n_classes, ignore_index)
    out_shape = () if input.ndim == 1 else _out_shape(target.shape, reduction)
    return NllLoss.apply(input, target, _weight_or_ones(weight, input), ignore_index, reduction,
                         out_shape)


def _check_float(input, name):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}\" not implemented for '{_type_name(input.dtype)}'")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _reduction(reduction, size_average, reduce)
    class_dim = 0 if input.ndim == 1 else 1
    if input.shape == target.shape:
        return _cross_entropy_prob(input, target, weight, ignore_index, reduction,
                                   label_smoothing, class_dim)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    last = class_dim == max(input.ndim - 1, 0)
    _check_float(input, f"log_softmax{'_lastdim' if last else ''}_kernel_impl")
    target = _check_nll(input, target, weight, "nll_loss_out_frame")
    _check_targets(target, input.shape[class_dim], ignore_index)
    smoothing = max(float(label_smoothing), 0.0)
    fn = CrossEntropySmoothed if smoothing > 0 else CrossEntropy
    out_shape = () if input.ndim == 1 else _out_shape(target.shape, reduction)
    return fn.apply(input, target, _weight_or_ones(weight, input), ignore_index, smoothing,
                    reduction, out_shape)


def _cross_entropy_prob(input, target, weight, ignore_index, reduction, label_smoothing,
                        class_dim):
    if not target.dtype.is_floating_point:
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {_type_name(target.dtype)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    n_classes = input.shape[class_dim] if input.ndim else 1
    _check_weight(weight, n_classes, "cross_entropy: ")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    _check_float(input, f"log_softmax{'_lastdim' if class_dim == input.ndim - 1 else ''}"
                        "_kernel_impl")
    dtype = _dtype.result_type([input, target] + ([weight] if weight is not None else []))
    input, target = cast(input, dtype), cast(target, dtype)
    weight = cast(_weight_or_ones(weight, input), dtype)
    out_shape = () if reduction != "none" or input.ndim == 1 else \
        (input.shape[0],) + tuple(input.shape[2:])
    fn = CrossEntropyProbMean if reduction == "mean" else CrossEntropyProb
    return fn.apply(input, target, weight, float(label_smoothing), reduction, out_shape)


# --- pointwise losses: Functions written with Tensor ops ---
class MseLoss(Function):
    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction):
        d = x - y
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        g = _per_element(grad, ctx.reduction, d.numel()) * 2 * d
        return g, -g if ctx.needs_input_grad[1] else None, None


class SmoothL1Loss(Function):
    """0.5 d**2 / beta where |d| < beta, else |d| - beta / 2; Huber is ``beta`` times this."""
    node_name = "SmoothL1LossBackward0"
    huber = False

    @classmethod
    def forward(cls, ctx, x, y, reduction, beta):
        d = x - y
        a = d.abs()
        loss = where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
        ctx.save_for_backward(d)
        ctx.args = (reduction, beta)
        return _reduce(loss * beta if cls.huber else loss, reduction)

    @classmethod
    def backward(cls, ctx, grad):
        (d,) = ctx.saved_tensors
        reduction, beta = ctx.args
        slope = clamp(d, -beta, beta)
        g = _per_element(grad, reduction, d.numel()) * (slope if cls.huber else slope / beta)
        return g, -g if ctx.needs_input_grad[1] else None, None, None


class HuberLoss(SmoothL1Loss):
    node_name = "HuberLossBackward0"
    huber = True


class BinaryCrossEntropy(Function):
    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, reduction):
        log_x = clamp(x.log(), min=-100)
        log_1mx = clamp((-x).log1p(), min=-100)
        loss = (y - 1) * log_1mx - y * log_x
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(x, y, weight)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y, weight = ctx.saved_tensors
        g = _per_element(grad, ctx.reduction, x.numel())
        if weight is not None:
            g = g * weight
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - y) / clamp((1 - x) * x, min=1e-12)
        if ctx.needs_input_grad[1]:
            gy = g * (clamp((-x).log1p(), min=-100) - clamp(x.log(), min=-100))
        return gx, gy, None, None


def _log_sigmoid(x):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), without overflow."""
    return clamp(x, max=0) - (-x.abs()).exp().log1p()


class BinaryCrossEntropyWithLogits(Function):
    """(1 - y) x - (1 + (pos_weight - 1) y) log(sigmoid(x)), times weight."""
    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight, reduction):
        log_sig = _log_sigmoid(x)
        if pos_weight is not None:
            log_sig = log_sig * ((pos_weight - 1) * y + 1)
        loss = (1 - y) * x - log_sig
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(x, y, weight, pos_weight)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y, weight, pos_weight = ctx.saved_tensors
        g = _per_element(grad, ctx.reduction, x.numel())
        if weight is not None:
            g = g * weight
        gx = gy = None
        if ctx.needs_input_grad[0]:
            if pos_weight is None:
                gx = g * (x.sigmoid() - y)
            else:
                py = pos_weight * y
                gx = g * ((py + 1 - y) * x.sigmoid() - py)
        if ctx.needs_input_grad[1]:
            gy = -x if pos_weight is None else -x - (pos_weight - 1) * _log_sigmoid(x)
            gy = g * gy
        return gx, gy, None, None, None


# --- nn.functional forms of the pointwise losses ---
def _warn_broadcast(input, target):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _expanded(input, target):
    """Both broadcast to one shape; a tensor already of that shape is itself (no ExpandBackward0
    between the loss and its input, as in PyTorch)."""
    shape = broadcast_shapes(tuple(input.shape), tuple(target.shape))
    return tuple(t if t.shape == shape else expand(t, shape) for t in (input, target))


def _weighted(loss, weight, input, reduction, by_weight_sum):
    """PyTorch's composed ``weight=`` forms of mse/l1/huber."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and by_weight_sum:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_broadcast(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    x, y = _expanded(input, target)
    if weight is not None:
        return _weighted((x - y).pow(2), weight, input, reduction, True)
    _check_float(x, "mse_cpu")
    return MseLoss.apply(x, y, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_broadcast(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    x, y = _expanded(input, target)
    if weight is not None:
        return _weighted((x - y).abs(), weight, input, reduction, True)
    return _reduce((x - y).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _warn_broadcast(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    x, y = _expanded(input, target)
    if beta == 0.0:
        return _reduce((x - y).abs(), reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _check_float(x, "smooth_l1_cpu")
    return SmoothL1Loss.apply(x, y, reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _warn_broadcast(input, target)
    reduction = _reduction(reduction)
    x, y = _expanded(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _check_float(x, "huber_cpu")
    if weight is not None:
        return _weighted(HuberLoss.apply(x, y, "none", float(delta)), weight, input, reduction,
                         False)
    return HuberLoss.apply(x, y, reduction, float(delta))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        weight = expand(weight, _broadcast_to(weight.shape, target.shape))
    _check_float(input, "binary_cross_entropy")
    if ((input < 0) | (input > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if ((target < 0) | (target > 1)).any():
        raise RuntimeError("all elements of target should be between 0 and 1")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def _broadcast_to(shape, target_shape):
    """PyTorch's torch.broadcast_shapes(target, weight) as used by binary_cross_entropy."""
    n = max(len(shape), len(target_shape))
    for i in range(1, len(shape) + 1):
        size, want = shape[-i], (target_shape[-i] if i <= len(target_shape) else 1)
        if size != 1 and want != 1 and size != want:
            raise RuntimeError(f"Attempting to broadcast a dimension of length {size} at {-i}! "
                               f"Mismatching argument at index 1 had {shape}; but expected shape "
                               f"should be broadcastable to {_list(target_shape)}")
    return broadcast_shapes(tuple(target_shape), tuple(shape)) if n else ()


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    if pos_weight is not None:
        broadcast_shapes(tuple(pos_weight.shape), tuple(target.shape))
    if weight is not None:
        broadcast_shapes(tuple(weight.shape), tuple(target.shape))
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(reduction, size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction != "batchmean":
        _reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:       # xlogy(target, target) - target * input: 0 where target is 0
        loss = target * where(target == 0, target.new_ones(()), target).log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


# --- margin, embedding and likelihood losses: composed from Tensor ops as ATen composes them ---
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps over the last dimension."""
    return (x1 - x2 + eps).norm(p, max(x1.dim(), x2.dim()) - 1, keepdim)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but "
                           f"got sizes: input1: {input1.size()}, input2: {input2.size()}, target: "
                           f"{target.size()} ")
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input where target is 1, max(0, margin - input) where it is -1 (both for other values)."""
    reduction = _reduction(reduction, size_average, reduce)
    zeros = input.new_zeros(())
    loss = (where(target != 1, clamp(margin - input, min=0), zeros)
            + where(target != -1, input, zeros))
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce((-input * target).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(reduction, size_average, reduce)
    loss = -(target * _log_sigmoid(input) + (1 - target) * _log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.size(class_dim)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos - margin) where it is -1."""
    reduction = _reduction(reduction, size_average, reduce)
    tdim = target.dim()
    if tdim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != tdim + 1 or input2.dim() != tdim + 1:
        raise RuntimeError(f"{tdim}D target tensor expects {tdim + 1}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod = (input1 * input2).sum(tdim)
    cos = prod / (((input1 * input1).sum(tdim) + eps) * ((input2 * input2).sum(tdim) + eps)).sqrt()
    zeros = cos.new_zeros(())
    loss = (where(target == 1, 1 - cos, zeros)
            + where(target == -1, clamp(cos - margin, min=0), zeros))
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(margin + dist_pos - dist_neg, min=0), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Per sample: sum over classes j != y of max(0, margin - x[y] + x[j]) ** p (times
    weight[y]) / C."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    shape = list(input.shape)
    if not ((input.dim() == 2 and shape[1]) or (input.dim() == 1 and shape[0])
            or input.dim() == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {shape}")
    frames, classes = (shape[0], shape[1]) if input.dim() == 2 else (1, input.numel())
    if target.dim() > 1 or target.numel() != frames:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the "
                           "number of input samples (batch size). Expected target size "
                           f"[{frames}], but got {list(target.shape)}. Input has shape {shape}.")
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got "
                           f"{list(weight.shape)}")
    if target.dtype is not _dtype.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_name(target.dtype)}")
    y = target.reshape(frames, 1)
    if frames and bool(((y < 0) | (y >= classes)).any()):
        raise RuntimeError("target out of range")
    x = input.reshape(frames, classes)
    z = clamp(x - x.gather(1, y) + margin, min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.gather(0, y.reshape(-1)).reshape(frames, 1)
    classes_row = arange(classes, device=y.device).reshape(1, classes)
    others = (y != expand(classes_row, (frames, classes))).to(x.dtype)
    loss = (z * others).sum(1) / classes
    return _reduce(loss if input.dim() == 2 else loss.reshape(target.shape), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(x) - y x (log_input) or x - y log(x + eps); ``full`` adds Stirling's term where y > 1."""
    reduction = _reduction(reduction, size_average, reduce)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + where(target <= 1, stirling.new_zeros(()), stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log(var) + (x - y)² / var) with var clamped to eps (the clamp is outside autograd, as
    in PyTorch); var may be one dimension short or broadcast along one."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ones(tuple(input.shape), dtype=input.dtype, device=input.device) * var
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim()
                  and sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


FUNCTIONS = {"pairwise_distance": pairwise_distance}          # torch.pairwise_distance
