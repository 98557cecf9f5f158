"""ASGD: SGD with a decaying step size that also keeps ``ax``, the running average of the iterates
from step ``t0`` on."""
from .._creation import ones, tensor, zeros, zeros_like
from .._dtype import get_default_dtype
from .optimizer import Optimizer, _check_nonnegative


class ASGD(Optimizer):
    """``foreach``, ``capturable`` and ``differentiable`` are kept in the param groups for
    compatibility; the update is always one fused kernel per parameter. As PyTorch's, the scalar state
    (``step``, ``eta``, ``mu``) lives on the parameter's device, in the default dtype."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_nonnegative(("learning rate", lr), ("weight_decay value", weight_decay))
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd = group["lr"], group["lambd"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                dtype = get_default_dtype()
                if not state:
                    state["step"] = zeros((), dtype=dtype, device=p.device)
                    state["eta"] = tensor(lr, dtype=dtype, device=p.device)
                    state["mu"] = ones((), dtype=dtype, device=p.device)
                    state["ax"] = zeros_like(p)
                step = state["step"].item() + 1
                self._launch("asgd_step", p, state["ax"]._data, state["eta"].item(),
                             state["mu"].item(), lambd, group["weight_decay"], group["maximize"])
                state["step"].fill_(step)
                state["eta"].fill_(lr / ((1 + lambd * lr * step) ** group["alpha"]))
                state["mu"].fill_(1 / max(1, step - group["t0"]))
        return loss
