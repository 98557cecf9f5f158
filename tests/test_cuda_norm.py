"""CUDA batch/group/layer norm launchers against the CPU ones (simulator when no GPU): forward
(training with and without running stats, eval) and backward (every gradient wanted or not),
with and without weight and bias, (N, C), (N, C, L) and (N, C, H, W) inputs, float32 and float64."""
import numpy as np
import pytest

from cuda_parity import View, out, run_case

F32, F64 = np.float32, np.float64


def _x(rng, shape, dtype):
    return (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)


def _param(rng, n, dtype, given=True, offset=1.0):
    return (rng.standard_normal(n) * 0.5 + offset).astype(dtype) if given else None


def _stats(rng, shape, dtype):
    """A mean and a positive inverse std, of ``shape``."""
    return (rng.standard_normal(shape) * 0.3).astype(dtype), (rng.random(shape) + 0.5).astype(dtype)


def _forward_args(rng, shape, params, stats, dtype, affine):
    """x, weight, bias, out, mean, rstd: a forward launcher's arrays (batch norm's running stats
    go after the bias). ``params``: the weight's shape, ``stats``: the statistics' shape."""
    return [_x(rng, shape, dtype), _param(rng, params, dtype, affine),
            _param(rng, params, dtype, affine, 0.0), out(rng, shape, dtype),
            out(rng, stats, dtype), out(rng, stats, dtype)]


def _backward_args(rng, shape, params, stats, dtype, affine, needs, strided=False):
    """grad, x, weight, mean, rstd, grad_input, grad_weight, grad_bias: a backward launcher's
    arrays; ``needs`` says which gradients are wanted (None for the others)."""
    mean, rstd = _stats(rng, stats, dtype)
    gx, gw, gb = (out(rng, s, dtype) if n else None for s, n in zip((shape, params, params), needs))
    g = rng.standard_normal(shape).astype(dtype)
    if strided:               # a transposed gradient: the launcher reads it through a copy
        g = View(np.ascontiguousarray(g.swapaxes(0, 1)), lambda a: a.swapaxes(0, 1))
    return [g, _x(rng, shape, dtype), _param(rng, params, dtype, affine), mean, rstd, gx, gw, gb]


def _batch_fwd(shape, dtype, training=True, running=True, affine=True, momentum=0.1):
    def make(rng):
        C = shape[1]
        rmean, rvar = (_param(rng, C, dtype, running, 0.0),
                       _param(rng, C, dtype, running, 2.0))
        x, w, b, y, mean, invstd = _forward_args(rng, shape, C, C, dtype, affine)
        return [x, w, b, rmean, rvar, y, mean, invstd, training, momentum, 1e-5]
    return make


def _batch_bwd(shape, dtype, training=True, affine=True, needs=(True, True, True)):
    def make(rng):
        return _backward_args(rng, shape, shape[1], shape[1], dtype, affine, needs) + [training]
    return make


def _group_fwd(shape, dtype, groups, affine=True):
    def make(rng):
        return _forward_args(rng, shape, shape[1], (shape[0], groups), dtype, affine) + \
            [groups, 1e-5]
    return make


def _group_bwd(shape, dtype, groups, affine=True, needs=(True, True, True)):
    def make(rng):
        return _backward_args(rng, shape, shape[1], (shape[0], groups), dtype, affine,
                              needs) + [groups]
    return make


def _layer_fwd(shape, normalized, dtype, affine=True):
    def make(rng):
        rows = shape[:len(shape) - len(normalized)]
        return _forward_args(rng, shape, normalized, rows, dtype, affine) + [1e-5]
    return make


def _layer_bwd(shape, normalized, dtype, affine=True, needs=(True, True, True), strided=False):
    def make(rng):
        rows = shape[:len(shape) - len(normalized)]
        return _backward_args(rng, shape, normalized, rows, dtype, affine, needs, strided)
    return make


NONE_WANTED = dict(needs=(False, True, False))
CASES = [
    ("batch_norm_forward", _batch_fwd((2, 3, 5), F32)),
    ("batch_norm_forward", _batch_fwd((2, 3, 5), F64, affine=False)),
    ("batch_norm_forward", _batch_fwd((6, 3), F32, running=False)),             # BatchNorm1d
    ("batch_norm_forward", _batch_fwd((2, 3, 2, 3), F64, momentum=None)),
    ("batch_norm_forward", _batch_fwd((2, 3, 2, 3), F32, training=False)),
    ("batch_norm_backward", _batch_bwd((2, 3, 5), F32)),
    ("batch_norm_backward", _batch_bwd((6, 3), F64, affine=False)),
    ("batch_norm_backward", _batch_bwd((2, 3, 2, 3), F32, training=False)),
    ("batch_norm_backward", _batch_bwd((2, 3, 5), F64, needs=(False, True, True))),
    ("batch_norm_backward", _batch_bwd((2, 3, 5), F32, needs=(True, False, False))),
    ("group_norm_forward", _group_fwd((2, 4, 5), F32, 2)),
    ("group_norm_forward", _group_fwd((2, 6, 2, 2), F64, 3, affine=False)),
    ("group_norm_forward", _group_fwd((3, 4), F32, 1)),
    ("group_norm_backward", _group_bwd((2, 4, 5), F32, 2)),
    ("group_norm_backward", _group_bwd((2, 6, 2, 2), F64, 3, affine=False)),
    ("group_norm_backward", _group_bwd((3, 4), F32, 4, needs=(True, False, False))),
    ("group_norm_backward", _group_bwd((2, 4, 5), F64, 2, **NONE_WANTED)),
    ("layer_norm_forward", _layer_fwd((2, 3, 4), (4,), F32)),
    ("layer_norm_forward", _layer_fwd((2, 3, 4), (3, 4), F64, affine=False)),
    ("layer_norm_forward", _layer_fwd((3, 19), (19,), F32)),                    # rows > a block
    ("layer_norm_backward", _layer_bwd((2, 3, 4), (4,), F32)),
    ("layer_norm_backward", _layer_bwd((2, 3, 4), (3, 4), F64, affine=False)),
    ("layer_norm_backward", _layer_bwd((3, 19), (19,), F32, strided=True)),
    ("layer_norm_backward", _layer_bwd((2, 3, 4), (4,), F64, **NONE_WANTED)),
]


@pytest.mark.parametrize("op,make", CASES, ids=[f"{op}-{k}" for k, (op, _) in enumerate(CASES)])
def test_parity(op, make):
    run_case(op, make)
