"""Fused optimizer updates on CUDA: one grid-stride launch per parameter tensor, in place on the
parameter and its state, with the launchers of kernels/cpu/optim.py and its element loops (PyTorch's
single-tensor update formulas, written once there) compiled as the kernels' bodies. A state array an
option does not use is passed as an empty view and never touched."""
from numba import cuda

from ..cpu import optim as cpu
from ..registry import register
from ._array import flat, grid


def _device(loop):
    """A CPU element loop ``loop(first, stride, ...)`` compiled as a device function."""
    return cuda.jit(device=True)(loop.py_func)


_sgd_loop, _adam_loop, _rmsprop_loop, _adagrad_loop = map(_device, (
    cpu._sgd_loop, cpu._adam_loop, cpu._rmsprop_loop, cpu._adagrad_loop))
_adamax_loop, _nadam_loop, _radam_loop, _adadelta_loop, _rprop_loop, _asgd_loop = map(_device, (
    cpu._adamax_loop, cpu._nadam_loop, cpu._radam_loop, cpu._adadelta_loop, cpu._rprop_loop,
    cpu._asgd_loop))


@cuda.jit
def _sgd(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    _sgd_loop(cuda.grid(1), cuda.gridsize(1), param, grad, buf, lr, momentum, dampening,
              weight_decay, nesterov, maximize, first_step)


@cuda.jit
def _adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
          step_size, bias_correction2_sqrt, amsgrad, maximize, decoupled):
    _adam_loop(cuda.grid(1), cuda.gridsize(1), param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq,
               lr, beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt, amsgrad,
               maximize, decoupled)


@cuda.jit
def _rmsprop(param, grad, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay, momentum,
             centered, maximize):
    _rmsprop_loop(cuda.grid(1), cuda.gridsize(1), param, grad, square_avg, grad_avg, buf, lr,
                  alpha, eps, weight_decay, momentum, centered, maximize)


@cuda.jit
def _adagrad(param, grad, state_sum, clr, eps, weight_decay, maximize):
    _adagrad_loop(cuda.grid(1), cuda.gridsize(1), param, grad, state_sum, clr, eps, weight_decay,
                  maximize)


@cuda.jit
def _adamax(param, grad, exp_avg, exp_inf, neg_clr, one_minus_beta1, beta2, eps, weight_decay,
            maximize):
    _adamax_loop(cuda.grid(1), cuda.gridsize(1), param, grad, exp_avg, exp_inf, neg_clr,
                 one_minus_beta1, beta2, eps, weight_decay, maximize)


@cuda.jit
def _nadam(param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2, one_minus_beta2,
           bias_correction2, eps, weight_decay, decay, grad_coef, avg_coef, maximize):
    _nadam_loop(cuda.grid(1), cuda.gridsize(1), param, grad, exp_avg, exp_avg_sq,
                one_minus_beta1, beta2, one_minus_beta2, bias_correction2, eps, weight_decay,
                decay, grad_coef, avg_coef, maximize)


@cuda.jit
def _radam(param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2, one_minus_beta2,
           bias_correction1, bias_correction2_sqrt, lr, eps, weight_decay, decay, rect, rectified,
           maximize):
    _radam_loop(cuda.grid(1), cuda.gridsize(1), param, grad, exp_avg, exp_avg_sq,
                one_minus_beta1, beta2, one_minus_beta2, bias_correction1, bias_correction2_sqrt,
                lr, eps, weight_decay, decay, rect, rectified, maximize)


@cuda.jit
def _adadelta(param, grad, square_avg, acc_delta, neg_lr, rho, one_minus_rho, eps, weight_decay,
              maximize):
    _adadelta_loop(cuda.grid(1), cuda.gridsize(1), param, grad, square_avg, acc_delta, neg_lr,
                   rho, one_minus_rho, eps, weight_decay, maximize)


@cuda.jit
def _rprop(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
           maximize):
    _rprop_loop(cuda.grid(1), cuda.gridsize(1), param, grad, prev, step_size, etaminus, etaplus,
                step_size_min, step_size_max, maximize)


@cuda.jit
def _asgd(param, grad, ax, decay, neg_eta, mu, weight_decay, average, maximize):
    _asgd_loop(cuda.grid(1), cuda.gridsize(1), param, grad, ax, decay, neg_eta, mu, weight_decay,
               average, maximize)


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
        lr, beta1, beta2 = float(lr), float(beta1), float(beta2)
        _adam[grid(param.size)](flat(param), flat(grad), flat(exp_avg), flat(exp_avg_sq),
                                _flat(max_exp_avg_sq, param), lr, beta1, beta2, float(eps),
                                float(weight_decay), *cpu.adam_constants(lr, beta1, beta2,
                                                                         float(step)),
                                bool(amsgrad), bool(maximize), bool(decoupled_weight_decay))


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
        _adagrad[grid(param.size)](flat(param), flat(grad), flat(state_sum),
                                   cpu.adagrad_lr(float(lr), float(lr_decay), float(step)),
                                   float(eps), float(weight_decay), bool(maximize))


@register("adamax_step", "cuda")
def adamax_step(param, grad, exp_avg, exp_inf, lr, beta1, beta2, eps, weight_decay, step,
                maximize):
    if param.size:
        _adamax[grid(param.size)](flat(param), flat(grad), flat(exp_avg), flat(exp_inf),
                                  *cpu.adamax_args(param, lr, beta1, beta2, eps, weight_decay,
                                                   step), bool(maximize))


@register("nadam_step", "cuda")
def nadam_step(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step, mu,
               mu_next, mu_product, decoupled_weight_decay, maximize):
    if param.size:
        _nadam[grid(param.size)](flat(param), flat(grad), flat(exp_avg), flat(exp_avg_sq),
                                 *cpu.nadam_args(param, lr, beta1, beta2, eps, weight_decay, step,
                                                 mu, mu_next, mu_product, decoupled_weight_decay),
                                 bool(maximize))


@register("radam_step", "cuda")
def radam_step(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step,
               decoupled_weight_decay, maximize):
    if param.size:
        _radam[grid(param.size)](flat(param), flat(grad), flat(exp_avg), flat(exp_avg_sq),
                                 *cpu.radam_args(param, lr, beta1, beta2, eps, weight_decay, step,
                                                 decoupled_weight_decay), bool(maximize))


@register("adadelta_step", "cuda")
def adadelta_step(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    if param.size:
        _adadelta[grid(param.size)](flat(param), flat(grad), flat(square_avg), flat(acc_delta),
                                    *cpu.adadelta_args(param, lr, rho, eps, weight_decay),
                                    bool(maximize))


@register("rprop_step", "cuda")
def rprop_step(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
               maximize):
    if param.size:
        _rprop[grid(param.size)](flat(param), flat(grad), flat(prev), flat(step_size),
                                 *cpu.rprop_args(param, etaminus, etaplus, step_size_min,
                                                 step_size_max), bool(maximize))


@register("asgd_step", "cuda")
def asgd_step(param, grad, ax, eta, mu, lambd, weight_decay, maximize):
    if param.size:
        _asgd[grid(param.size)](flat(param), flat(grad), flat(ax),
                                *cpu.asgd_args(param, eta, mu, lambd, weight_decay),
                                bool(maximize))
