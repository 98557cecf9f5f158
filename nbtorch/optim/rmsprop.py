"""RMSprop, optionally centered and with momentum."""
from .._creation import zeros_like
from .optimizer import Optimizer, _check_nonnegative


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_nonnegative(("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                           ("weight_decay value", weight_decay), ("alpha value", alpha))
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, group, p):
        state = {"square_avg": zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)
        return state

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group, p, state in self._updates():
            grad_avg = state["grad_avg"]._data if group["centered"] else None
            buf = state["momentum_buffer"]._data if group["momentum"] > 0 else None
            self._launch("rmsprop_step", p, state["square_avg"]._data, grad_avg, buf, group["lr"],
                         group["alpha"], group["eps"], group["weight_decay"], group["momentum"],
                         group["centered"], group["maximize"])
        return loss
