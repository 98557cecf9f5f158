"""Adadelta: steps scaled by the ratio of running RMS of past updates and of gradients."""
from .._creation import zeros_like
from .optimizer import Optimizer, _check_nonnegative


class Adadelta(Optimizer):
    """``foreach``, ``capturable`` and ``differentiable`` are kept in the param groups for
    compatibility; the update is always one fused kernel per parameter."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_nonnegative(("learning rate", lr))
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(("epsilon value", eps), ("weight_decay value", weight_decay))
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, group, p):
        return {"square_avg": zeros_like(p), "acc_delta": zeros_like(p)}

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group, p, state in self._updates():
            self._launch("adadelta_step", p, state["square_avg"]._data, state["acc_delta"]._data,
                         group["lr"], group["rho"], group["eps"], group["weight_decay"],
                         group["maximize"])
        return loss
