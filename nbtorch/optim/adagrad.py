"""Adagrad: per-element learning rates from the running sum of squared gradients."""
from .._creation import full_like
from .optimizer import Optimizer


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch fills Adagrad's state at construction
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        self.state[p]["step"] = self._new_step()
        self.state[p]["sum"] = full_like(p, group["initial_accumulator_value"])

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                if not self.state[p]:  # a parameter added by add_param_group
                    self._init_state(p, group)
                state = self.state[p]
                step = state["step"]._data
                step += 1
                self._launch("adagrad_step", p, state["sum"]._data, group["lr"], group["lr_decay"],
                             group["eps"], group["weight_decay"], float(step), group["maximize"])
        return loss
