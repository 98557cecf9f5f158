"""Adam and AdamW (Adam with decoupled weight decay)."""
from .._creation import zeros_like
from .optimizer import Optimizer, _check_betas


class Adam(Optimizer):
    """``foreach``, ``capturable``, ``differentiable`` and ``fused`` are kept in the param groups for
    compatibility; the update is always one fused kernel per parameter."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_betas(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, group, p):
        state = {"exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)
        return state

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group, p, state in self._updates():
            max_sq = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
            self._launch("adam_step", p, state["exp_avg"]._data, state["exp_avg_sq"]._data, max_sq,
                         group["lr"], *group["betas"], group["eps"], group["weight_decay"],
                         state["step"].item(), group["amsgrad"], group["maximize"],
                         group["decoupled_weight_decay"])
        return loss


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameters directly (``p *= 1 - lr * weight_decay``)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 *, maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
