"""F.interpolate for modes "nearest" (3-D, 4-D and 5-D inputs), "linear" (3-D) and "bilinear"
(4-D), with PyTorch's argument rules, error words and source-index arithmetic.

Nearest is an index map, output position -> input position, per spatial dim: one gather of the
flattened spatial dims of every plane (ops/pad.py's IndexMap, on the embedding kernels), whose
gradient is the matching scatter-add. (Bi)linear interpolates one dim at a time: the two
neighbours, each an IndexMap gather along that dim, weighted by elementwise ops, so its gradient
is theirs."""
import math

import numpy as np

from .._tensor import Tensor
from .pad import IndexMap, index_map

_NEAREST = {k: type(f"UpsampleNearest{k}D", (IndexMap,),
                    {"node_name": f"UpsampleNearest{k}DBackward0"}) for k in (1, 2, 3)}
_LINEAR = type("UpsampleLinearGather", (IndexMap,), {"node_name": "IndexBackward0"})
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_DIMS = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _nearest(n_in, n_out, scale, shortcuts):
    """PyTorch's nearest_idx: floor(o * s) in float32, s = 1/scale_factor or n_in/n_out. Its 2-d
    kernel (``shortcuts``) copies when n_out == n_in and halves when n_out == 2 n_in, whatever
    scale_factor was given; its 1-d and 3-d ones do not (PyTorch 2.13, CPU)."""
    if shortcuts and n_out == n_in:
        return np.arange(n_out)
    if shortcuts and n_out == 2 * n_in:
        return np.arange(n_out) >> 1
    s = np.float32(1 / scale if scale else n_in / n_out)
    return np.minimum(np.floor(np.arange(n_out, dtype=np.float32) * s).astype(np.int64),
                      n_in - 1)


def _linear(n_in, n_out, scale, align_corners):
    """PyTorch's compute_source_index_and_lambda: each output's left neighbour, right neighbour
    and the right one's weight (a plain copy where the size does not change)."""
    o = np.arange(n_out, dtype=np.float64)
    if n_in == n_out:
        src = o
    elif align_corners:
        src = o * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = np.maximum((o + 0.5) * (1 / scale if scale else n_in / n_out) - 0.5, 0.0)
    i0 = src.astype(np.int64)
    return i0, i0 + (i0 < n_in - 1), src - i0


def _along(x, d, positions):
    """x gathered at ``positions`` along dim d (every later dim kept)."""
    return index_map(x, [positions] + [np.arange(n) for n in x.shape[d + 1:]], _LINEAR)


def _sizes(input, size, scale_factor, recompute_scale_factor):
    """The output's spatial sizes and the scale factors the index arithmetic uses (None each
    where it uses input/output sizes), PyTorch's checks in its order."""
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                    f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(n, (int, np.integer)) for n in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(n) for n in size]}")
            out = list(size)
        else:
            out = [size] * dim
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return out, [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
                f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                "format and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    out = [math.floor(n * s) for n, s in zip(input.shape[2:], scales)]
    return out, [None] * dim if recompute_scale_factor else scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims (all after N, C) of ``input`` to ``size`` or by ``scale_factor``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    out, scales = _sizes(input, size, scale_factor, recompute_scale_factor)
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported by nbtorch")
    if mode in _LINEAR_DIMS and input.dim() in (3, 4, 5) and input.dim() != _LINEAR_DIMS[mode]:
        need = _LINEAR_DIMS[mode]
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D input")
    if input.dim() not in (3, 4, 5) or mode not in ("nearest", "linear", "bilinear"):
        if input.dim() in (3, 4, 5) and mode in _MODES.split(" | "):
            raise NotImplementedError(f"interpolate(mode={mode!r}) is not supported by nbtorch")
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported"
            f" (got {input.dim()}D) for the modes: {_MODES} (got {mode})")
    spatial = input.shape[2:]
    if any(n <= 0 for n in out):
        def sizes(values):
            return ", ".join(f"{c}: {n}" for c, n in zip("DHW"[3 - len(out):], values))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({sizes(spatial)}){' and' if len(out) == 1 else ''} output "
                           f"({sizes(out)})")
    if mode == "nearest":
        maps = [_nearest(n, m, s, len(out) == 2) for n, m, s in zip(spatial, out, scales)]
        return index_map(input, maps, _NEAREST[len(out)])
    x = input
    for d, (n, m, s) in enumerate(zip(spatial, out, scales), start=2):
        i0, i1, w1 = _linear(n, m, s, align_corners)
        shape = (m,) + (1,) * (x.dim() - d - 1)
        w0, w1 = (Tensor._wrap(w.astype(x.dtype.np).reshape(shape)).to(x.device)
                  for w in (1 - w1, w1))
        x = _along(x, d, i0) * w0 + _along(x, d, i1) * w1
    return x
