"""Rprop: per-element step sizes that grow while the gradient keeps its sign and shrink when it flips;
only the gradient's sign moves the parameters."""
from .._creation import full_like, zeros_like
from .optimizer import Optimizer, _check_nonnegative


class Rprop(Optimizer):
    """``foreach``, ``capturable`` and ``differentiable`` are kept in the param groups for
    compatibility; the update is always one fused kernel per parameter."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        _check_nonnegative(("learning rate", lr))
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, group, p):
        return {"prev": zeros_like(p), "step_size": full_like(p.grad, group["lr"])}

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group, p, state in self._updates():
            self._launch("rprop_step", p, state["prev"]._data, state["step_size"]._data,
                         *group["etas"], *group["step_sizes"], group["maximize"])
        return loss
