"""Fused optimizer updates: one launch per parameter tensor, in place on the parameter and its state.

Each kernel follows PyTorch's single-tensor update formulas (torch/optim/*.py, foreach=False), with the
arithmetic of one element done in float64 and every stored value rounded to the array's dtype where
PyTorch stores it. Arrays are C-contiguous and flattened by the launcher; a state array an option does
not use (no momentum, not centered, no amsgrad) is passed as an empty slice and never touched.
The per-step constants (bias corrections, decayed learning rate) are computed by the launchers.

Each update is written once, as a loop over the elements ``first, first + stride, ...``
(``_sgd_loop`` ...): the kernels here inline it with (0, 1), a constant stride, so that it
vectorizes (an inline function per element instead puts reference counting into the loop, measured
up to 17x slower), and kernels/cuda/optim.py compiles it as the body of its grid-stride kernels.
``error_model="numpy"``: a division by zero gives inf/nan as in PyTorch instead of raising, and without
the per-element zero check LLVM vectorizes the loops (measured 5x faster for Adam).
"""
import math

from numba import njit

from ..registry import register

_inline = njit(cache=True, inline="always")


@_inline
def _sgd_loop(first, stride, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
              maximize, first_step):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0.0:
            g = g + weight_decay * param[i]
        if momentum != 0.0:
            if first_step:
                buf[i] = g
            else:
                buf[i] = momentum * buf[i] + (1.0 - dampening) * g
            g = g + momentum * buf[i] if nesterov else buf[i]
        param[i] -= lr * g


@_inline
def _adam_loop(first, stride, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2,
               eps, weight_decay, step_size, bias_correction2_sqrt, amsgrad, maximize, decoupled):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0.0:
            if decoupled:
                param[i] *= 1.0 - lr * weight_decay
            else:
                g = g + weight_decay * param[i]
        exp_avg[i] += (1.0 - beta1) * (g - exp_avg[i])
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0 - beta2) * g * g
        v = exp_avg_sq[i]
        if amsgrad:
            max_exp_avg_sq[i] = max(max_exp_avg_sq[i], v)
            v = max_exp_avg_sq[i]
        param[i] -= step_size * exp_avg[i] / (math.sqrt(v) / bias_correction2_sqrt + eps)


@_inline
def _rmsprop_loop(first, stride, param, grad, square_avg, grad_avg, buf, lr, alpha, eps,
                  weight_decay, momentum, centered, maximize):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0.0:
            g = g + weight_decay * param[i]
        square_avg[i] = alpha * square_avg[i] + (1.0 - alpha) * g * g
        if centered:
            grad_avg[i] += (1.0 - alpha) * (g - grad_avg[i])
            avg = math.sqrt(square_avg[i] - grad_avg[i] * grad_avg[i]) + eps
        else:
            avg = math.sqrt(square_avg[i]) + eps
        if momentum > 0.0:
            buf[i] = momentum * buf[i] + g / avg
            param[i] -= lr * buf[i]
        else:
            param[i] -= lr * g / avg


@_inline
def _adagrad_loop(first, stride, param, grad, state_sum, clr, eps, weight_decay, maximize):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0.0:
            g = g + weight_decay * param[i]
        state_sum[i] += g * g
        param[i] -= clr * g / (math.sqrt(state_sum[i]) + eps)


@njit(cache=True, error_model="numpy")
def _sgd(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    _sgd_loop(0, 1, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize,
              first_step)


@njit(cache=True, error_model="numpy")
def _adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
          step_size, bias_correction2_sqrt, amsgrad, maximize, decoupled):
    _adam_loop(0, 1, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
               weight_decay, step_size, bias_correction2_sqrt, amsgrad, maximize, decoupled)


@njit(cache=True, error_model="numpy")
def _rmsprop(param, grad, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay, momentum, centered,
             maximize):
    _rmsprop_loop(0, 1, param, grad, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay,
                  momentum, centered, maximize)


@njit(cache=True, error_model="numpy")
def _adagrad(param, grad, state_sum, clr, eps, weight_decay, maximize):
    _adagrad_loop(0, 1, param, grad, state_sum, clr, eps, weight_decay, maximize)


def adam_constants(lr, beta1, beta2, step):
    """Adam's step size and the square root of its second bias correction at ``step``."""
    return lr / (1.0 - beta1 ** step), math.sqrt(1.0 - beta2 ** step)


def adagrad_lr(lr, lr_decay, step):
    """Adagrad's decayed learning rate at ``step``."""
    return lr / (1.0 + (step - 1.0) * lr_decay)


def _flat(a, like):
    """``a`` as a flat view, or an empty slice of ``like`` for an unused state array."""
    return like.reshape(-1)[:0] if a is None else a.reshape(-1)


@register("sgd_step", "cpu")
def sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
             first_step):
    _sgd(param.reshape(-1), grad.reshape(-1), _flat(momentum_buffer, param), float(lr), float(momentum),
         float(dampening), float(weight_decay), bool(nesterov), bool(maximize), bool(first_step))


@register("adam_step", "cpu")
def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step,
              amsgrad, maximize, decoupled_weight_decay):
    lr, beta1, beta2 = float(lr), float(beta1), float(beta2)
    _adam(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
          _flat(max_exp_avg_sq, param), lr, beta1, beta2, float(eps), float(weight_decay),
          *adam_constants(lr, beta1, beta2, float(step)), bool(amsgrad), bool(maximize),
          bool(decoupled_weight_decay))


@register("rmsprop_step", "cpu")
def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum,
                 centered, maximize):
    _rmsprop(param.reshape(-1), grad.reshape(-1), square_avg.reshape(-1), _flat(grad_avg, param),
             _flat(momentum_buffer, param), float(lr), float(alpha), float(eps), float(weight_decay),
             float(momentum), bool(centered), bool(maximize))


@register("adagrad_step", "cpu")
def adagrad_step(param, grad, state_sum, lr, lr_decay, eps, weight_decay, step, maximize):
    _adagrad(param.reshape(-1), grad.reshape(-1), state_sum.reshape(-1),
             adagrad_lr(float(lr), float(lr_decay), float(step)), float(eps), float(weight_decay),
             bool(maximize))
