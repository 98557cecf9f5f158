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


def _launcher(kernel, args):
    """The launcher of ``kernel``; ``args`` (kernels/cpu/optim.py) maps its arguments to the
    kernel's arrays and scalars."""
    def launch(param, *rest):
        if param.size:
            arrays, scalars = args(param, *rest)
            kernel[grid(param.size)](*[flat(param)[:0] if a is None else flat(a) for a in arrays],
                                     *scalars)
    return launch


for _name, _kernel in {"sgd_step": _sgd, "adam_step": _adam, "rmsprop_step": _rmsprop,
                       "adagrad_step": _adagrad, "adamax_step": _adamax, "nadam_step": _nadam,
                       "radam_step": _radam, "adadelta_step": _adadelta, "rprop_step": _rprop,
                       "asgd_step": _asgd}.items():
    register(_name, "cuda")(_launcher(_kernel, cpu.ARGS[_name]))
