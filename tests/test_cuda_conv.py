"""CPU-vs-CUDA parity of the conv2d launchers, forward and the three backward passes (the CUDA side
runs under the simulator when there is no GPU): stride, top/left padding with the bottom/right
padding that the output shape implies, dilation, groups, Conv1d's height-1 form, taps that skip
input rows, GEMM tiles filled partly, the weight gradient's reduction split into runs of samples,
and batches run in chunks of samples."""
import numpy as np
import pytest
from cuda_parity import out, run_case

import nbtorch.kernels.cuda.conv as cuda_conv

# x shape, w shape, stride, top/left padding, bottom/right padding, dilation, groups
GEOMETRIES = {
    "plain": ((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    "stride-pad-N1": ((1, 2, 9, 8), (3, 2, 3, 2), (2, 1), (1, 0), (1, 0), (1, 1), 1),
    "groups-dilation": ((2, 4, 6, 5), (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), (2, 1), 2),
    "depthwise-stride2": ((2, 3, 6, 7), (3, 1, 3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 3),
    "asymmetric-same": ((2, 2, 6, 5), (3, 2, 2, 4), (1, 1), (0, 1), (1, 2), (1, 1), 1),
    "conv1d": ((2, 3, 1, 11), (4, 3, 1, 3), (1, 2), (0, 1), (0, 1), (1, 2), 1),
    "stride-over-kernel": ((1, 2, 9, 9), (2, 2, 2, 2), (3, 3), (0, 0), (0, 0), (1, 1), 1),
    "padding-over-kernel": ((1, 1, 3, 3), (2, 1, 2, 2), (1, 2), (3, 3), (3, 3), (1, 1), 1),
    "several-tiles": ((1, 5, 5, 5), (9, 5, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1),
    "runs-of-3-samples": ((6, 2, 4, 5), (3, 2, 3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    "batch-of-3": ((3, 1, 6, 6), (2, 1, 3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1),
}


def out_shape(geometry):
    (N, _, H, W), (O, _, KH, KW), stride, lo, hi, dilation, _ = geometry
    return (N, O) + tuple((n + a + b - d * (k - 1) - 1) // s + 1
                          for n, k, s, a, b, d in zip((H, W), (KH, KW), stride, lo, hi, dilation))


def conv(op, name, dtype=np.float32, bias=True):
    """``make`` for ``op`` on geometry ``name``: inputs N(0, 1), outputs pre-filled."""
    geometry = GEOMETRIES[name]
    xs, ws, stride, lo, _, dilation, groups = geometry
    params = (stride, lo, dilation, groups)

    def make(rng):
        x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
        grad = rng.standard_normal(out_shape(geometry)).astype(dtype)
        if op == "conv2d_forward":
            b = rng.standard_normal(ws[0]).astype(dtype) if bias else None
            return (x, w, b, out(rng, out_shape(geometry), dtype)) + params
        if op == "conv2d_backward_input":
            return (grad, w, out(rng, xs, dtype)) + params
        if op == "conv2d_backward_weight":
            return (grad, x, out(rng, ws, dtype)) + params
        return grad, out(rng, (ws[0],), dtype)
    return make


PASSES = ("conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight")
CASES = [
    *[(op, conv(op, name)) for op in PASSES for name in GEOMETRIES if name != "batch-of-3"],
    *[(op, conv(op, "depthwise-stride2", np.float64)) for op in PASSES],
    ("conv2d_forward", conv("conv2d_forward", "plain", bias=False)),
    ("conv2d_forward", conv("conv2d_forward", "conv1d", np.float64, bias=False)),
    ("conv2d_backward_bias", conv("conv2d_backward_bias", "plain")),
    ("conv2d_backward_bias", conv("conv2d_backward_bias", "runs-of-3-samples", np.float64)),
]


@pytest.mark.parametrize("op,make", CASES, ids=[f"{op}-{i}" for i, (op, _) in enumerate(CASES)])
def test_parity(op, make):
    run_case(op, make)


@pytest.mark.parametrize("op", PASSES)
def test_chunks_of_samples(op, monkeypatch):
    """Scratch for two samples (the weight pass needs K + O = 11 rows of L = 16 per sample, the
    others 9): a batch of three runs in two chunks."""
    monkeypatch.setattr(cuda_conv, "MAX_SCRATCH", 2 * 11 * 16)
    run_case(op, conv(op, "batch-of-3"))
