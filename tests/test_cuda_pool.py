"""CPU-vs-CUDA parity of the pooling launchers (the CUDA side runs under the simulator when there is
no GPU): odd sizes, stride, padding, dilation (with windows that hold no input), ceil-mode output
shapes whose last window hangs past the input, count_include_pad and divisor_override, adaptive
windows that overlap or repeat, NaNs, 1-d (height 1) and unbatched (C, H, W) inputs; the max
backward with repeated and -1 indices."""
import numpy as np
import pytest
from cuda_parity import out, run_case


def out_size(size, k, s, p, d=1, ceil_mode=False):
    """PyTorch's rule (the ops layer computes it; the launchers read it from ``out``)."""
    n = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    return n - 1 if ceil_mode and (n - 1) * s >= size + p else n


def values(rng, shape, dtype, nan=False):
    x = rng.standard_normal(shape).astype(dtype)
    if nan:
        x.reshape(-1)[::7] = np.nan
    return x


def pooled(shape, kernel, stride, padding, dilation=(1, 1), ceil_mode=False):
    return shape[:-2] + tuple(out_size(n, k, s, p, d, ceil_mode)
                              for n, k, s, p, d in zip(shape[-2:], kernel, stride, padding,
                                                       dilation))


def maxpool(shape, kernel, stride, padding, dilation=(1, 1), ceil_mode=False, dtype=np.float32,
            nan=False):
    def make(rng):
        o = pooled(shape, kernel, stride, padding, dilation, ceil_mode)
        return (values(rng, shape, dtype, nan), out(rng, o, dtype), out(rng, o, np.int64),
                kernel, stride, padding, dilation)
    return make


def avgpool(shape, kernel, stride, padding, ceil_mode=False, count_include_pad=True,
            divisor_override=None, dtype=np.float32, backward=False):
    def make(rng):
        o = pooled(shape, kernel, stride, padding, (1, 1), ceil_mode)
        params = (kernel, stride, padding, count_include_pad, divisor_override)
        if backward:
            return (values(rng, o, dtype), out(rng, shape, dtype)) + params
        return (values(rng, shape, dtype), out(rng, o, dtype)) + params
    return make


def adaptive(op, shape, out_hw, dtype=np.float32, nan=False):
    def make(rng):
        o = shape[:-2] + out_hw
        if op == "adaptive_maxpool2d_forward":
            return values(rng, shape, dtype, nan), out(rng, o, dtype), out(rng, o, np.int64)
        if op == "adaptive_avgpool2d_forward":
            return values(rng, shape, dtype), out(rng, o, dtype)
        return values(rng, o, dtype), out(rng, shape, dtype)
    return make


def max_backward(shape, out_hw, dtype=np.float32):
    """Gradients scattered to random positions, repeats and -1 (no input) included."""
    def make(rng):
        o = shape[:-2] + out_hw
        indices = rng.integers(-1, shape[-2] * shape[-1], o)
        return values(rng, o, dtype), indices, out(rng, shape, dtype)
    return make


CASES = [
    ("maxpool2d_forward", maxpool((2, 3, 8, 8), (2, 2), (2, 2), (0, 0))),
    ("maxpool2d_forward", maxpool((2, 2, 8, 6), (3, 3), (2, 2), (1, 1), ceil_mode=True)),
    ("maxpool2d_forward", maxpool((1, 2, 7, 9), (3, 2), (2, 3), (1, 1), (2, 1), True,
                                  np.float64, nan=True)),
    ("maxpool2d_forward", maxpool((1, 2, 1, 3), (2, 2), (1, 1), (1, 1), (2, 2))),  # empty rows
    ("maxpool2d_forward", maxpool((3, 1, 10), (1, 3), (1, 2), (0, 1))),            # 1-d, unbatched
    ("maxpool2d_backward", max_backward((2, 2, 5, 6), (3, 3))),
    ("maxpool2d_backward", max_backward((3, 1, 7), (1, 4), np.float64)),
    ("adaptive_maxpool2d_forward", adaptive("adaptive_maxpool2d_forward", (2, 2, 7, 9), (3, 4))),
    ("adaptive_maxpool2d_forward", adaptive("adaptive_maxpool2d_forward", (1, 2, 3, 4), (5, 6),
                                            np.float64, nan=True)),
    ("adaptive_maxpool2d_backward", max_backward((1, 3, 4, 4), (5, 3))),
    ("avgpool2d_forward", avgpool((2, 3, 8, 8), (2, 2), (2, 2), (0, 0))),
    ("avgpool2d_forward", avgpool((2, 2, 8, 6), (3, 3), (2, 2), (1, 1), ceil_mode=True)),
    ("avgpool2d_forward", avgpool((1, 2, 8, 6), (3, 3), (2, 2), (1, 1), True, False)),
    ("avgpool2d_forward", avgpool((1, 2, 7, 5), (3, 2), (2, 1), (1, 1), False, True, 3,
                                  np.float64)),
    ("avgpool2d_backward", avgpool((2, 2, 8, 6), (3, 3), (2, 2), (1, 1), True, backward=True)),
    ("avgpool2d_backward", avgpool((1, 2, 8, 6), (3, 3), (2, 2), (1, 1), True, False,
                                   backward=True)),
    ("avgpool2d_backward", avgpool((1, 2, 7, 5), (3, 2), (1, 2), (1, 0), False, True, 3,
                                   np.float64, backward=True)),
    ("avgpool2d_backward", avgpool((3, 1, 9), (1, 3), (1, 3), (0, 1), backward=True)),
    ("adaptive_avgpool2d_forward", adaptive("adaptive_avgpool2d_forward", (2, 2, 7, 9), (3, 4))),
    ("adaptive_avgpool2d_forward", adaptive("adaptive_avgpool2d_forward", (1, 2, 3, 4), (5, 6),
                                            np.float64)),
    ("adaptive_avgpool2d_backward", adaptive("adaptive_avgpool2d_backward", (2, 2, 7, 9),
                                             (3, 4))),
    ("adaptive_avgpool2d_backward", adaptive("adaptive_avgpool2d_backward", (1, 2, 3, 4),
                                             (5, 6), np.float64)),
]


@pytest.mark.parametrize("op,make", CASES, ids=[f"{op}-{i}" for i, (op, _) in enumerate(CASES)])
def test_parity(op, make):
    run_case(op, make)
