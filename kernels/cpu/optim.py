"""Fused optimizer updates: one launch per parameter tensor, in place on the parameter and its state.

Each kernel follows PyTorch's single-tensor update formulas (torch/optim/*.py, foreach=False), with the
arithmetic of one element done in float64 and every stored value rounded to the array's dtype where
PyTorch stores it. Arrays are C-contiguous and flattened by the launcher; a state array an option does
not use (no momentum, not centered, no amsgrad) is passed as an empty slice and never touched.
The per-step constants (bias corrections, decayed learning rate) are computed on the host by the
``*_args`` functions, which kernels/cuda/optim.py's launchers share.

Each update is written once, as a loop over the elements ``first, first + stride, ...``
(``_sgd_loop`` ...): the kernels here inline it with (0, 1), a constant stride, so that it
vectorizes (an inline function per element instead puts reference counting into the loop, measured
up to 17x slower), and kernels/cuda/optim.py compiles it as the body of its grid-stride kernels.
``error_model="numpy"``: a division by zero gives inf/nan as in PyTorch instead of raising, and without
the per-element zero check LLVM vectorizes the loops (measured 5x faster for Adam).

The later kernels (Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD) instead take their scalars in the
array's dtype (``_scalars``) and use no float literals, so each operation rounds to float32 as
PyTorch's tensor ops do, in the order of PyTorch's single-tensor code.
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


@_inline
def _adamax_loop(first, stride, param, grad, exp_avg, exp_inf, neg_clr, one_minus_beta1, beta2,
                 eps, weight_decay, maximize):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        exp_avg[i] += one_minus_beta1 * (g - exp_avg[i])
        exp_inf[i] = max(exp_inf[i] * beta2, abs(g) + eps)
        param[i] += neg_clr * exp_avg[i] / exp_inf[i]


@_inline
def _nadam_loop(first, stride, param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2,
                one_minus_beta2, bias_correction2, eps, weight_decay, decay, grad_coef, avg_coef,
                maximize):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        param[i] *= decay
        exp_avg[i] += one_minus_beta1 * (g - exp_avg[i])
        exp_avg_sq[i] = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        denom = math.sqrt(exp_avg_sq[i] / bias_correction2) + eps
        param[i] += grad_coef * g / denom
        param[i] += avg_coef * exp_avg[i] / denom


@_inline
def _radam_loop(first, stride, param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2,
                one_minus_beta2, bias_correction1, bias_correction2_sqrt, lr, eps, weight_decay,
                decay, rect, rectified, maximize):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        param[i] *= decay
        exp_avg[i] += one_minus_beta1 * (g - exp_avg[i])
        exp_avg_sq[i] = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        update = exp_avg[i] / bias_correction1 * lr
        if rectified:
            update = update * (bias_correction2_sqrt / (math.sqrt(exp_avg_sq[i]) + eps)) * rect
        param[i] -= update


@_inline
def _adadelta_loop(first, stride, param, grad, square_avg, acc_delta, neg_lr, rho, one_minus_rho,
                   eps, weight_decay, maximize):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        square_avg[i] = square_avg[i] * rho + one_minus_rho * g * g
        delta = math.sqrt(acc_delta[i] + eps) / math.sqrt(square_avg[i] + eps) * g
        acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta
        param[i] += neg_lr * delta


@_inline
def _rprop_loop(first, stride, param, grad, prev, step_size, etaminus, etaplus, step_size_min,
                step_size_max, maximize):
    """Where the gradient changed sign the step size shrinks and the step is skipped (prev = 0)."""
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        product = g * prev[i]
        size = step_size[i]
        if product > 0:
            size = size * etaplus
        elif product < 0:
            size = size * etaminus
        step_size[i] = min(max(size, step_size_min), step_size_max)
        if product < 0:
            prev[i] = 0
        else:
            if g > 0:
                param[i] -= step_size[i]
            elif g < 0:
                param[i] += step_size[i]
            prev[i] = g


@_inline
def _asgd_loop(first, stride, param, grad, ax, decay, neg_eta, mu, weight_decay, average,
               maximize):
    for i in range(first, param.size, stride):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        param[i] *= decay
        param[i] += neg_eta * g
        if average:
            ax[i] += (param[i] - ax[i]) * mu
        else:
            ax[i] = param[i]


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


@njit(cache=True, error_model="numpy")
def _adamax(param, grad, exp_avg, exp_inf, neg_clr, one_minus_beta1, beta2, eps, weight_decay,
            maximize):
    _adamax_loop(0, 1, param, grad, exp_avg, exp_inf, neg_clr, one_minus_beta1, beta2, eps,
                 weight_decay, maximize)


@njit(cache=True, error_model="numpy")
def _nadam(param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2, one_minus_beta2,
           bias_correction2, eps, weight_decay, decay, grad_coef, avg_coef, maximize):
    _nadam_loop(0, 1, param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2, one_minus_beta2,
                bias_correction2, eps, weight_decay, decay, grad_coef, avg_coef, maximize)


@njit(cache=True, error_model="numpy")
def _radam(param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2, one_minus_beta2,
           bias_correction1, bias_correction2_sqrt, lr, eps, weight_decay, decay, rect, rectified,
           maximize):
    _radam_loop(0, 1, param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2, one_minus_beta2,
                bias_correction1, bias_correction2_sqrt, lr, eps, weight_decay, decay, rect,
                rectified, maximize)


@njit(cache=True, error_model="numpy")
def _adadelta(param, grad, square_avg, acc_delta, neg_lr, rho, one_minus_rho, eps, weight_decay,
              maximize):
    _adadelta_loop(0, 1, param, grad, square_avg, acc_delta, neg_lr, rho, one_minus_rho, eps,
                   weight_decay, maximize)


@njit(cache=True, error_model="numpy")
def _rprop(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
           maximize):
    _rprop_loop(0, 1, param, grad, prev, step_size, etaminus, etaplus, step_size_min,
                step_size_max, maximize)


@njit(cache=True, error_model="numpy")
def _asgd(param, grad, ax, decay, neg_eta, mu, weight_decay, average, maximize):
    _asgd_loop(0, 1, param, grad, ax, decay, neg_eta, mu, weight_decay, average, maximize)


def _scalars(like, *values):
    """``values`` as scalars of ``like``'s dtype, so that the kernel's arithmetic stays in it."""
    return tuple(like.dtype.type(v) for v in values)


def _weight_decay(lr, weight_decay, decoupled):
    """(coupled weight decay, factor the parameter is multiplied by) for NAdam and RAdam."""
    return (0.0, 1.0 - lr * weight_decay) if decoupled else (weight_decay, 1.0)


# Each ``*_args`` takes a launcher's arguments (the ``*_step`` signature the optimizers call, the
# same on both devices) and returns the kernel's: its arrays, the parameter first (an unused state
# array as None), and its scalars, the per-step constants computed here.

def sgd_args(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov,
             maximize, first_step):
    return ((param, grad, momentum_buffer),
            (float(lr), float(momentum), float(dampening), float(weight_decay), bool(nesterov),
             bool(maximize), bool(first_step)))


def adam_args(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
              weight_decay, step, amsgrad, maximize, decoupled_weight_decay):
    """With Adam's step size lr / (1 - beta1^step) and sqrt(1 - beta2^step), the square root of its
    second bias correction."""
    lr, beta1, beta2, step = float(lr), float(beta1), float(beta2), float(step)
    return ((param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq),
            (lr, beta1, beta2, float(eps), float(weight_decay), lr / (1.0 - beta1 ** step),
             math.sqrt(1.0 - beta2 ** step), bool(amsgrad), bool(maximize),
             bool(decoupled_weight_decay)))


def rmsprop_args(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay,
                 momentum, centered, maximize):
    return ((param, grad, square_avg, grad_avg, momentum_buffer),
            (float(lr), float(alpha), float(eps), float(weight_decay), float(momentum),
             bool(centered), bool(maximize)))


def adagrad_args(param, grad, state_sum, lr, lr_decay, eps, weight_decay, step, maximize):
    """Adagrad's learning rate decayed at ``step``."""
    lr, lr_decay, step = float(lr), float(lr_decay), float(step)
    return ((param, grad, state_sum),
            (lr / (1.0 + (step - 1.0) * lr_decay), float(eps), float(weight_decay), bool(maximize)))


def adamax_args(param, grad, exp_avg, exp_inf, lr, beta1, beta2, eps, weight_decay, step, maximize):
    return ((param, grad, exp_avg, exp_inf),
            _scalars(param, -lr / (1.0 - beta1 ** step), 1.0 - beta1, beta2, eps, weight_decay)
            + (bool(maximize),))


def nadam_args(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step, mu,
               mu_next, mu_product, decoupled_weight_decay, maximize):
    """``mu_product`` already includes ``mu``."""
    grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
    avg_coef = -lr * mu_next / (1.0 - mu_product * mu_next)
    return ((param, grad, exp_avg, exp_avg_sq),
            _scalars(param, 1.0 - beta1, beta2, 1.0 - beta2, 1.0 - beta2 ** step, eps,
                     *_weight_decay(lr, weight_decay, decoupled_weight_decay), grad_coef, avg_coef)
            + (bool(maximize),))


def radam_args(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step,
               decoupled_weight_decay, maximize):
    """The rectified update is selected while the variance is tractable (rho_t > 5)."""
    bias_correction2 = 1.0 - beta2 ** step
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * step * beta2 ** step / bias_correction2
    rectified = rho_t > 5.0
    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                     ) if rectified else 1.0
    return ((param, grad, exp_avg, exp_avg_sq),
            _scalars(param, 1.0 - beta1, beta2, 1.0 - beta2, 1.0 - beta1 ** step,
                     math.sqrt(bias_correction2), lr, eps,
                     *_weight_decay(lr, weight_decay, decoupled_weight_decay), rect)
            + (rectified, bool(maximize)))


def adadelta_args(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    return ((param, grad, square_avg, acc_delta),
            _scalars(param, -lr, rho, 1.0 - rho, eps, weight_decay) + (bool(maximize),))


def rprop_args(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
               maximize):
    return ((param, grad, prev, step_size),
            _scalars(param, etaminus, etaplus, step_size_min, step_size_max) + (bool(maximize),))


def asgd_args(param, grad, ax, eta, mu, lambd, weight_decay, maximize):
    """Averaging starts once ``mu`` leaves 1."""
    return ((param, grad, ax),
            _scalars(param, 1.0 - lambd * eta, -eta, mu, weight_decay) + (mu != 1, bool(maximize)))


ARGS = {"sgd_step": sgd_args, "adam_step": adam_args, "rmsprop_step": rmsprop_args,
        "adagrad_step": adagrad_args, "adamax_step": adamax_args, "nadam_step": nadam_args,
        "radam_step": radam_args, "adadelta_step": adadelta_args, "rprop_step": rprop_args,
        "asgd_step": asgd_args}


def _launcher(kernel, args):
    """The launcher of ``kernel``: the arrays flattened (C-contiguous, so views), then the scalars."""
    def launch(param, *rest):
        arrays, scalars = args(param, *rest)
        kernel(*[param.reshape(-1)[:0] if a is None else a.reshape(-1) for a in arrays], *scalars)
    return launch


for _name, _kernel in {"sgd_step": _sgd, "adam_step": _adam, "rmsprop_step": _rmsprop,
                       "adagrad_step": _adagrad, "adamax_step": _adamax, "nadam_step": _nadam,
                       "radam_step": _radam, "adadelta_step": _adadelta, "rprop_step": _rprop,
                       "asgd_step": _asgd}.items():
    register(_name, "cpu")(_launcher(_kernel, ARGS[_name]))
