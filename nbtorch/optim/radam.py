"""RAdam: Adam whose adaptive step is rectified by its variance, and plain momentum SGD while that
variance is intractable (the first steps)."""
from .._creation import zeros_like
from .optimizer import Optimizer, _check_betas


class RAdam(Optimizer):
    """``foreach``, ``capturable`` and ``differentiable`` are kept in the param groups for
    compatibility; the update is always one fused kernel per parameter."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_betas(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, group, p):
        return {"exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group, p, state in self._updates():
            self._launch("radam_step", p, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                         group["lr"], *group["betas"], group["eps"], group["weight_decay"],
                         state["step"].item(), group["decoupled_weight_decay"], group["maximize"])
        return loss
