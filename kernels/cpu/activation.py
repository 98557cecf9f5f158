"""Activation kernels: each op is a scalar forward ``f(x, a, b)`` and backward ``df(g, v, a, b)``
over one shared loop nest, where ``a``, ``b`` are the op's parameters (unused ones are 0) and ``v``
is what the op saved: the forward output for relu, sigmoid and tanh, the input otherwise.

Launchers take flat-able C-contiguous arrays of one float dtype and a preallocated ``out``:
``<op>_forward(x, out, *params)`` and ``<op>_backward(grad, saved, grad_input, *params)`` with
params: leaky_relu (negative_slope), elu (alpha), softplus (beta, threshold),
hardtanh (min_val, max_val), gelu (approximate: "none" or "tanh"); none for the others.
"""
import math

from numba import njit

from ..registry import register
from . import _math

_SQRT_HALF = 0.7071067811865476      # 1 / sqrt(2)
_INV_SQRT_2PI = 0.3989422804014327   # 1 / sqrt(2 pi)
_SQRT_2_OVER_PI = 0.7978845608028654
_GELU_C = 0.044715


# --- loop nests ---
@njit(cache=True, inline="always")
def _map(fn, x, out, a, b):
    for i in range(out.size):
        out[i] = fn(x[i], a, b)


@njit(cache=True, inline="always")
def _map_grad(fn, g, v, out, a, b):
    for i in range(out.size):
        out[i] = fn(g[i], v[i], a, b)


# --- accurate building blocks from the vectorizable exp/log ---
@njit(cache=True, inline="always")
def _sigmoid(x):
    return 1.0 / (1.0 + _math.exp(-x))


@njit(cache=True, inline="always")
def _tanh(x):
    """A rational function near 0 (Cephes' coefficients, relative error ~1e-16), else from exp."""
    z = abs(x)
    if z > 0.625:
        e = _math.exp(-2.0 * z)
        t = (1.0 - e) / (1.0 + e)
        return t if x > 0 else -t
    s = x * x
    p = (-9.64399179425052238628e-1 * s - 9.92877231001918586564e1) * s \
        - 1.61468768441708447952e3
    q = ((s + 1.12811678491632931402e2) * s + 2.23548839060100448583e3) * s \
        + 4.84406305325125486048e3
    return x + x * s * p / q


@njit(cache=True, inline="always")
def _expm1(x):
    """exp(x) - 1 without cancellation near 0 (Kahan's trick)."""
    u = _math.exp(x)
    if u == 1.0:
        return x
    if u - 1.0 == -1.0:
        return -1.0
    return (u - 1.0) * x / _math.log(u)


@njit(cache=True, inline="always")
def _log1p(x):
    """log(1 + x) without losing small x (Kahan's trick)."""
    u = 1.0 + x
    if u == 1.0:
        return x
    return _math.log(u) * x / (u - 1.0)


# --- scalar functions: forward f(x, a, b), backward df(g, v, a, b) ---
@njit(cache=True, inline="always")
def _relu(x, a, b):
    return 0.0 if x <= 0 else x


@njit(cache=True, inline="always")
def _relu_grad(g, y, a, b):
    return g if y > 0 else 0.0


@njit(cache=True, inline="always")
def _leaky_relu(x, slope, b):
    return x if x > 0 else x * slope


@njit(cache=True, inline="always")
def _leaky_relu_grad(g, x, slope, b):
    return g if x > 0 else g * slope


@njit(cache=True, inline="always")
def _elu(x, alpha, b):
    return x if x > 0 else alpha * _expm1(x)


@njit(cache=True, inline="always")
def _elu_grad(g, x, alpha, b):
    return g if x > 0 else g * alpha * _math.exp(x)


@njit(cache=True, inline="always")
def _gelu(x, a, b):
    return 0.5 * x * (1.0 + math.erf(x * _SQRT_HALF))


@njit(cache=True, inline="always")
def _gelu_grad(g, x, a, b):
    cdf = 0.5 * (1.0 + math.erf(x * _SQRT_HALF))
    pdf = _INV_SQRT_2PI * _math.exp(-0.5 * x * x)
    return g * (cdf + x * pdf)


@njit(cache=True, inline="always")
def _gelu_tanh(x, a, b):
    return 0.5 * x * (1.0 + _tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x)))


@njit(cache=True, inline="always")
def _gelu_tanh_grad(g, x, a, b):
    t = _tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x))
    dinner = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * x * x)
    return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner)


@njit(cache=True, inline="always")
def _silu(x, a, b):
    return x * _sigmoid(x)


@njit(cache=True, inline="always")
def _silu_grad(g, x, a, b):
    s = _sigmoid(x)
    return g * s * (1.0 + x * (1.0 - s))


@njit(cache=True, inline="always")
def _sigmoid_fwd(x, a, b):
    return _sigmoid(x)


@njit(cache=True, inline="always")
def _sigmoid_grad(g, y, a, b):
    return g * y * (1.0 - y)


@njit(cache=True, inline="always")
def _tanh_fwd(x, a, b):
    return _tanh(x)


@njit(cache=True, inline="always")
def _tanh_grad(g, y, a, b):
    return g * (1.0 - y * y)


@njit(cache=True, inline="always")
def _softplus(x, beta, threshold):
    z = x * beta
    return x if z > threshold else _log1p(_math.exp(z)) / beta


@njit(cache=True, inline="always")
def _softplus_grad(g, x, beta, threshold):
    z = x * beta
    return g if z > threshold else g * _sigmoid(z)


@njit(cache=True, inline="always")
def _hardtanh(x, lo, hi):
    return lo if x < lo else (hi if x > hi else x)


@njit(cache=True, inline="always")
def _hardtanh_grad(g, x, lo, hi):
    return 0.0 if (x <= lo or x >= hi) else g


# --- kernels: one cached function per op and direction ---
@njit(cache=True)
def relu_k(x, out, a, b):
    _map(_relu, x, out, a, b)


@njit(cache=True)
def relu_grad_k(g, v, out, a, b):
    _map_grad(_relu_grad, g, v, out, a, b)


@njit(cache=True)
def leaky_relu_k(x, out, a, b):
    _map(_leaky_relu, x, out, a, b)


@njit(cache=True)
def leaky_relu_grad_k(g, v, out, a, b):
    _map_grad(_leaky_relu_grad, g, v, out, a, b)


@njit(cache=True)
def elu_k(x, out, a, b):
    _map(_elu, x, out, a, b)


@njit(cache=True)
def elu_grad_k(g, v, out, a, b):
    _map_grad(_elu_grad, g, v, out, a, b)


@njit(cache=True)
def gelu_k(x, out, a, b):
    _map(_gelu, x, out, a, b)


@njit(cache=True)
def gelu_grad_k(g, v, out, a, b):
    _map_grad(_gelu_grad, g, v, out, a, b)


@njit(cache=True)
def gelu_tanh_k(x, out, a, b):
    _map(_gelu_tanh, x, out, a, b)


@njit(cache=True)
def gelu_tanh_grad_k(g, v, out, a, b):
    _map_grad(_gelu_tanh_grad, g, v, out, a, b)


@njit(cache=True)
def silu_k(x, out, a, b):
    _map(_silu, x, out, a, b)


@njit(cache=True)
def silu_grad_k(g, v, out, a, b):
    _map_grad(_silu_grad, g, v, out, a, b)


@njit(cache=True)
def sigmoid_k(x, out, a, b):
    _map(_sigmoid_fwd, x, out, a, b)


@njit(cache=True)
def sigmoid_grad_k(g, v, out, a, b):
    _map_grad(_sigmoid_grad, g, v, out, a, b)


@njit(cache=True)
def tanh_k(x, out, a, b):
    _map(_tanh_fwd, x, out, a, b)


@njit(cache=True)
def tanh_grad_k(g, v, out, a, b):
    _map_grad(_tanh_grad, g, v, out, a, b)


@njit(cache=True)
def softplus_k(x, out, a, b):
    _map(_softplus, x, out, a, b)


@njit(cache=True)
def softplus_grad_k(g, v, out, a, b):
    _map_grad(_softplus_grad, g, v, out, a, b)


@njit(cache=True)
def hardtanh_k(x, out, a, b):
    _map(_hardtanh, x, out, a, b)


@njit(cache=True)
def hardtanh_grad_k(g, v, out, a, b):
    _map_grad(_hardtanh_grad, g, v, out, a, b)


# --- launchers ---
def _launchers(op, fwd, bwd):
    """Register ``<op>_forward(x, out, a, b)``, ``<op>_backward(grad, saved, grad_input, a, b)``."""
    def forward(x, out, a=0.0, b=0.0):
        fwd(x.reshape(-1), out.reshape(-1), float(a), float(b))

    def backward(grad, saved, grad_input, a=0.0, b=0.0):
        bwd(grad.reshape(-1), saved.reshape(-1), grad_input.reshape(-1), float(a), float(b))

    register(f"{op}_forward", "cpu")(forward)
    register(f"{op}_backward", "cpu")(backward)


for _op, _fwd, _bwd in (("relu", relu_k, relu_grad_k),
                        ("leaky_relu", leaky_relu_k, leaky_relu_grad_k),
                        ("elu", elu_k, elu_grad_k), ("silu", silu_k, silu_grad_k),
                        ("sigmoid", sigmoid_k, sigmoid_grad_k), ("tanh", tanh_k, tanh_grad_k),
                        ("softplus", softplus_k, softplus_grad_k),
                        ("hardtanh", hardtanh_k, hardtanh_grad_k)):
    _launchers(_op, _fwd, _bwd)


@register("gelu_forward", "cpu")
def gelu_forward(x, out, approximate):
    kernel = gelu_tanh_k if approximate == "tanh" else gelu_k
    kernel(x.reshape(-1), out.reshape(-1), 0.0, 0.0)


@register("gelu_backward", "cpu")
def gelu_backward(grad, x, grad_input, approximate):
    kernel = gelu_tanh_grad_k if approximate == "tanh" else gelu_grad_k
    kernel(grad.reshape(-1), x.reshape(-1), grad_input.reshape(-1), 0.0, 0.0)
