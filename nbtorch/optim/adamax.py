"""Adamax: Adam with the infinity norm of past gradients in place of the second moment."""
from .._creation import zeros_like
from .optimizer import Optimizer, _check_betas


class Adamax(Optimizer):
    """``foreach``, ``differentiable`` and ``capturable`` are kept in the param groups for
    compatibility; the update is always one fused kernel per parameter."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_betas(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, group, p):
        return {"exp_avg": zeros_like(p), "exp_inf": zeros_like(p)}

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group, p, state in self._updates():
            self._launch("adamax_step", p, state["exp_avg"]._data, state["exp_inf"]._data,
                         group["lr"], *group["betas"], group["eps"], group["weight_decay"],
                         state["step"].item(), group["maximize"])
        return loss
