"""Module full backward hooks, as PyTorch's ``torch.utils.hooks.BackwardHook``: an identity autograd
Function around a module's tensor inputs and one around its outputs see the gradients flowing through;
the outputs' side records grad_output (and runs the pre-hooks), the inputs' side calls
``hook(module, grad_input, grad_output)``, whose result may replace grad_input."""
import os
import sys
import warnings

from ..._tensor import Tensor
from ...autograd import Function, is_grad_enabled


class BackwardHookFunction(Function):
    """Identity on ``tensors`` (new tensors sharing their data; those that did not require grad stay
    so); backward passes the incoming gradients through ``on_backward``."""

    @staticmethod
    def forward(ctx, on_backward, materialize, *tensors):
        ctx.on_backward = on_backward
        ctx.set_materialize_grads(materialize)
        outs = tuple(t.detach() for t in tensors)
        ctx.mark_non_differentiable(*[o for o, t in zip(outs, tensors) if not t.requires_grad])
        return outs

    @staticmethod
    def backward(ctx, *grads):
        return (None, None, *ctx.on_backward(grads))


_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _user_stacklevel():
    """The stacklevel of the first caller outside nbtorch (the user's ``backward()``), for warnings
    raised from inside the backward pass."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _pack(index, values, size):
    """``values`` at positions ``index`` of a ``size``-tuple of Nones."""
    packed = [None] * size
    for i, v in zip(index, values):
        packed[i] = v
    return tuple(packed)


class BackwardHook:
    """The backward hooks of one module call."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    @staticmethod
    def _wrap(args, on_backward, materialize):
        """``args`` with its tensors through one BackwardHookFunction, and their positions; ``args``
        and None when no tensor needs a gradient."""
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (is_grad_enabled() and any(args[i].requires_grad for i in index)):
            return args, None
        wrapped = BackwardHookFunction.apply(on_backward, materialize, *[args[i] for i in index])
        out = list(args)
        for i, t in zip(index, wrapped):
            out[i] = t
        return (tuple(out) if type(args) is tuple else type(args)(*out)), index

    def setup_input_hook(self, args):
        wrapped, self.input_index = self._wrap(args, self._on_input_grads, True)
        self.n_inputs = len(args)
        return wrapped

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        outs, self.output_index = self._wrap(outs, self._on_output_grads, False)
        self.n_outputs = len(outs)
        return outs[0] if single else outs

    def _on_output_grads(self, grads):
        self.grad_outputs = _pack(self.output_index, grads, self.n_outputs)
        for hook in list(self.pre_hooks.values()):
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, got "
                                   f"{len(new)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = new
        grad_outputs = self.grad_outputs
        if self.input_index is None:
            warnings.warn("Full backward hook is firing when gradients are computed with respect to "
                          "module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=_user_stacklevel())
            grad_inputs = (None,) * self.n_inputs
            for hook in list(self.hooks.values()):
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient "
                                       "should always return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(grad_outputs[i] for i in self.output_index)

    def _on_input_grads(self, grads):
        if self.grad_outputs is None:
            return grads
        res = _pack(self.input_index, grads, self.n_inputs)
        for hook in list(self.hooks.values()):
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got "
                                   f"{len(out)}, but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_index)
