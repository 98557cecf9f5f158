"""Activations on CUDA: a grid-stride kernel per op and direction over the CPU module's scalar
functions ``f(x, a, b)`` and ``df(g, v, a, b)``, with the launchers of kernels/cpu/activation.py.

Several CPU scalar functions call the vectorizable exp/log of kernels/cpu/_math.py, which compile
for the CPU only. So every scalar function is recompiled here from its own code with the ``math``
module bound to the name ``_math`` (math.exp, math.log, ...: CUDA's libdevice): the CPU formulas,
not a rewritten copy of them.
"""
import math
import types

from numba import cuda, njit

from ..cpu import activation as cpu
from ..registry import register
from ._array import contiguous, flat, grid


def _with_math(module):
    """``module``'s njit functions recompiled with ``math`` as ``_math``. They share one new
    namespace, so a helper's helpers (``_silu`` -> ``_sigmoid`` -> ``_math.exp``) switch too."""
    ns = dict(vars(module), _math=math)
    for name, f in vars(module).items():
        if hasattr(f, "py_func"):
            py = f.py_func
            ns[name] = njit(inline="always")(
                types.FunctionType(py.__code__, ns, name, py.__defaults__, py.__closure__))
    return types.SimpleNamespace(**ns)


S = _with_math(cpu)


def _kernels(fwd, bwd):
    @cuda.jit
    def forward(x, out, a, b):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fwd(x[i], a, b)

    @cuda.jit
    def backward(g, v, out, a, b):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = bwd(g[i], v[i], a, b)

    return forward, backward


KERNELS = {op: _kernels(fwd, bwd) for op, fwd, bwd in (
    ("relu", S._relu, S._relu_grad), ("leaky_relu", S._leaky_relu, S._leaky_relu_grad),
    ("elu", S._elu, S._elu_grad), ("gelu", S._gelu, S._gelu_grad),
    ("gelu_tanh", S._gelu_tanh, S._gelu_tanh_grad), ("silu", S._silu, S._silu_grad),
    ("sigmoid", S._sigmoid_fwd, S._sigmoid_grad), ("tanh", S._tanh_fwd, S._tanh_grad),
    ("softplus", S._softplus, S._softplus_grad), ("hardtanh", S._hardtanh, S._hardtanh_grad))}


def _launch(kernel, inputs, out, a, b):
    """``kernel`` over C-contiguous copies (or the arrays themselves) of ``inputs`` into ``out``."""
    if out.size:
        kernel[grid(out.size)](*[flat(contiguous(x)) for x in inputs], flat(out), float(a),
                               float(b))


def _launchers(op):
    """``<op>_forward(x, out, a, b)`` and ``<op>_backward(grad, saved, grad_input, a, b)``."""
    fwd, bwd = KERNELS[op]

    def forward(x, out, a=0.0, b=0.0):
        _launch(fwd, (x,), out, a, b)

    def backward(grad, saved, grad_input, a=0.0, b=0.0):
        _launch(bwd, (grad, saved), grad_input, a, b)

    register(f"{op}_forward", "cuda")(forward)
    register(f"{op}_backward", "cuda")(backward)


for _op in ("relu", "leaky_relu", "elu", "silu", "sigmoid", "tanh", "softplus", "hardtanh"):
    _launchers(_op)


def _gelu(approximate):
    return KERNELS["gelu_tanh" if approximate == "tanh" else "gelu"]


@register("gelu_forward", "cuda")
def gelu_forward(x, out, approximate):
    _launch(_gelu(approximate)[0], (x,), out, 0.0, 0.0)


@register("gelu_backward", "cuda")
def gelu_backward(grad, x, grad_input, approximate):
    _launch(_gelu(approximate)[1], (grad, x), grad_input, 0.0, 0.0)
