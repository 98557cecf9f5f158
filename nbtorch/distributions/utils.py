"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits."""
import numbers

import nbtorch as torch
from nbtorch.nn import functional as F


def broadcast_all(*values):
    """Tensors (numbers become tensors of the default dtype, or of the tensors' dtype) broadcast
    to one shape."""
    ref = next((v for v in values if isinstance(v, torch.Tensor)), None)
    if not all(isinstance(v, (torch.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    kw = {"dtype": torch.get_default_dtype()} if ref is None else \
        {"dtype": ref.dtype, "device": ref.device}
    values = [v if isinstance(v, torch.Tensor) else torch.tensor(v, **kw) for v in values]
    return torch.broadcast_tensors(*values)


def clamp_probs(probs):
    eps = 1.1920928955078125e-07 if probs.dtype is torch.float32 else 2.220446049250313e-16
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    p = clamp_probs(probs)
    return torch.log(p) - torch.log1p(-p) if is_binary else torch.log(p)


def logits_to_probs(logits, is_binary=False):
    return torch.sigmoid(logits) if is_binary else F.softmax(logits, dim=-1)
