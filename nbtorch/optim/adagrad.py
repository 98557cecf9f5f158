"""Adagrad: per-element learning rates from the running sum of squared gradients."""
from .._creation import full_like
from .optimizer import Optimizer, _check_nonnegative


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_nonnegative(("learning rate", lr), ("lr_decay value", lr_decay),
                           ("weight_decay value", weight_decay),
                           ("initial_accumulator_value value", initial_accumulator_value),
                           ("epsilon value", eps))
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch fills Adagrad's state at construction
            for p in group["params"]:
                self._start_state(group, p)

    def _init_state(self, group, p):
        return {"sum": full_like(p, group["initial_accumulator_value"])}

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group, p, state in self._updates():
            self._launch("adagrad_step", p, state["sum"]._data, group["lr"], group["lr_decay"],
                         group["eps"], group["weight_decay"], state["step"].item(), group["maximize"])
        return loss
