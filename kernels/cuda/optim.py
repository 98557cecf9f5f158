"""Fused optimizer updates on CUDA: one grid-stride launch per parameter tensor, in place on the
parameter and its state, with the launchers and update formulas of kernels/cpu/optim.py (PyTorch's
single-tensor updates; one element's arithmetic in float64, stored values rounded to the array's
dtype). The per-step constants (bias corrections, decayed learning rate) are computed on the host.
A state array an option does not use is passed as an empty view and never touched."""
import math

from numba import cuda

from ..registry import register
from ._array import flat, grid


@cuda.jit
def _sgd(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
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


@cuda.jit
def _adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
          step_size, bias_correction2_sqrt, amsgrad, maximize, decoupled):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
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


@cuda.jit
def _rmsprop(param, grad, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay, momentum,
             centered, maximize):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
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


@cuda.jit
def _adagrad(param, grad, state_sum, clr, eps, weight_decay, maximize):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0.0:
            g = g + weight_decay * param[i]
        state_sum[i] += g * g
        param[i] -= clr * g / (math.sqrt(state_sum[i]) + eps)


def _flat(a, like):
    """``a``'s elements as a 1-D device array, or an empty one for an unused state array."""
    return flat(like)[:0] if a is None else flat(a)


@register("sgd_step", "cuda")
def sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov,
             maximize, first_step):
    if param.size:
        _sgd[grid(param.size)](flat(param), flat(grad), _flat(momentum_buffer, param), float(lr),
                               float(momentum), float(dampening), float(weight_decay),
                               bool(nesterov), bool(maximize), bool(first_step))


@register("adam_step", "cuda")
def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
              weight_decay, step, amsgrad, maximize, decoupled_weight_decay):
    if param.size:
        lr, beta1, beta2, step = float(lr), float(beta1), float(beta2), float(step)
        _adam[grid(param.size)](flat(param), flat(grad), flat(exp_avg), flat(exp_avg_sq),
                                _flat(max_exp_avg_sq, param), lr, beta1, beta2, float(eps),
                                float(weight_decay), lr / (1.0 - beta1 ** step),
                                math.sqrt(1.0 - beta2 ** step), bool(amsgrad), bool(maximize),
                                bool(decoupled_weight_decay))


@register("rmsprop_step", "cuda")
def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay,
                 momentum, centered, maximize):
    if param.size:
        _rmsprop[grid(param.size)](flat(param), flat(grad), flat(square_avg),
                                   _flat(grad_avg, param), _flat(momentum_buffer, param),
                                   float(lr), float(alpha), float(eps), float(weight_decay),
                                   float(momentum), bool(centered), bool(maximize))


@register("adagrad_step", "cuda")
def adagrad_step(param, grad, state_sum, lr, lr_decay, eps, weight_decay, step, maximize):
    if param.size:
        clr = float(lr) / (1.0 + (float(step) - 1.0) * float(lr_decay))
        _adagrad[grid(param.size)](flat(param), flat(grad), flat(state_sum), clr, float(eps),
                                   float(weight_decay), bool(maximize))
