"""NAdam: Adam with Nesterov momentum, its momentum coefficient warmed up by ``momentum_decay``."""
from .._creation import tensor, zeros_like
from .._dtype import get_default_dtype
from .optimizer import Optimizer, _check_betas


class NAdam(Optimizer):
    """``foreach``, ``capturable`` and ``differentiable`` are kept in the param groups for
    compatibility; the update is always one fused kernel per parameter."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_betas(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, group, p):
        return {"mu_product": tensor(1.0, dtype=get_default_dtype()), "exp_avg": zeros_like(p),
                "exp_avg_sq": zeros_like(p)}

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group, p, state in self._updates():
            beta1, beta2 = group["betas"]
            step = state["step"].item()
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
            mu_product = state["mu_product"].mul_(mu).item()  # rounded to its dtype, as PyTorch's
            self._launch("nadam_step", p, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                         group["lr"], beta1, beta2, group["eps"], group["weight_decay"], step, mu,
                         mu_next, mu_product, group["decoupled_weight_decay"], group["maximize"])
        return loss
