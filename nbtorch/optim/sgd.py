"""Stochastic gradient descent, optionally with momentum, dampening, Nesterov, weight decay."""
from .._creation import zeros_like
from .optimizer import Optimizer


class SGD(Optimizer):
    """``foreach``, ``differentiable`` and ``fused`` are kept in the param groups for compatibility; the
    update is always one fused kernel per parameter."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                buf = None
                first = False
                if group["momentum"] != 0:
                    state = self.state[p]
                    first = "momentum_buffer" not in state
                    if first:
                        state["momentum_buffer"] = zeros_like(p)
                    buf = state["momentum_buffer"]._data
                self._launch("sgd_step", p, buf, group["lr"], group["momentum"], group["dampening"],
                             group["weight_decay"], group["nesterov"], group["maximize"], first)
        return loss
