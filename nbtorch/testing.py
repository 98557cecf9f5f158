"""torch.testing.assert_close: PyTorch's default tolerances per dtype and its failure messages."""
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from ._tensor import Tensor

# (rtol, atol) by dtype name; integers and bools compare exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7)}

__all__ = ["assert_close"]


def _tolerance(*dtype_names):
    pairs = [_TOLERANCES.get(n, (0.0, 0.0)) for n in dtype_names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _mismatch_msg(identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equality = rtol == 0 and atol == 0

    def line(kind, diff, idx, tol):
        msg = f"{kind.title()} difference: {diff}" if idx is None else \
            f"Greatest {kind} difference: {diff} at index {idx}"
        return msg + ("" if equality else f" (up to {tol} allowed)") + "\n"
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n{extra.strip()}\n"
    msg += line("absolute", abs_diff, abs_idx, atol) + line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _greatest(diff):
    """(value, flat index) of the largest element, NaN winning as in torch.max."""
    nan = np.flatnonzero(np.isnan(diff))
    i = int(nan[0]) if nan.size else int(np.argmax(diff))
    return diff[i].item(), i


def _close(a, e, rtol, atol, equal_nan):
    """|a - e| <= atol + rtol * |e| (infinities of one sign are close), PyTorch's isclose."""
    a, e = (np.asarray(v, np.int64) if np.asarray(v).dtype == np.bool_ else v for v in (a, e))
    with np.errstate(invalid="ignore", over="ignore"):
        return np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _compare_scalars(actual, expected, rtol, atol, equal_nan, identifier):
    if _close(np.float64(actual), np.float64(expected), rtol, atol, equal_nan):
        return None
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(identifier or "Scalars", f"Expected {expected} but got {actual}.",
                         abs_diff, None, atol, rel_diff, None, rtol)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype):
    for attr in ("shape",) + (("device",) if check_device else ()) + \
            (("dtype",) if check_dtype else ()):
        x, y = getattr(actual, attr), getattr(expected, attr)
        if x != y:
            return f"The values for attribute '{attr}' do not match: {x} != {y}."
    if rtol is None:
        rtol, atol = _tolerance(actual.dtype.name, expected.dtype.name)
    a, e = actual.detach()._host(), expected.detach()._host()
    if actual.dtype is not expected.dtype:
        common = np.result_type(a, e)
        a, e = a.astype(common), e.astype(common)
    matches = _close(a, e, rtol, atol, equal_nan)
    if matches.all():
        return None
    if a.ndim == 0:
        return _compare_scalars(a.item(), e.item(), rtol, atol, equal_nan, None)
    total = matches.size - int(matches.sum())
    extra = f"Mismatched elements: {total} / {matches.size} ({total / matches.size:.1%})"
    af, ef, mf = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    real = af.dtype.kind in "fc"
    if not real:                        # PyTorch upcasts to int64; its ratio is float32
        af, ef = af.astype(np.int64), ef.astype(np.int64)
    ratio = af.dtype if real else np.float32
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(af - ef)
        abs_diff[mf] = 0
        rel_diff = abs_diff.astype(ratio) / np.abs(ef).astype(ratio)
    rel_diff[mf] = 0
    (ad, ai), (rd, ri) = _greatest(abs_diff), _greatest(rel_diff)
    def where(i):
        return tuple(map(int, np.unravel_index(i, a.shape)))
    return _mismatch_msg("Tensor-likes", extra, ad, where(ai), atol, rd, where(ri), rtol)


def _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, path):
    """The failure message for one pair (None when they are close), recursing into sequences
    and mappings; ``path`` is the item's place, as PyTorch reports it."""
    if isinstance(actual, (Tensor, np.ndarray)) and isinstance(expected, (Tensor, np.ndarray)):
        from ._creation import as_tensor
        msg = _compare_tensors(as_tensor(actual), as_tensor(expected), rtol, atol, equal_nan,
                               check_device, check_dtype)
    elif isinstance(actual, numbers.Number) and isinstance(expected, numbers.Number) and \
            not isinstance(actual, Tensor):
        if check_dtype and type(actual) is not type(expected):
            msg = (f"The values for attribute 'dtype' do not match: {type(actual)} != "
                   f"{type(expected)}.")
        else:
            tol = (rtol, atol) if rtol is not None else \
                _tolerance(*("float64" if isinstance(v, float) else "int64"
                             for v in (actual, expected)))
            msg = _compare_scalars(actual, expected, *tol, equal_nan, None)
    elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            return (f"The keys of the mappings do not match:\n"
                    f"Missing keys in the actual mapping: {sorted(set(expected) - set(actual))}\n"
                    f"Additional keys in the actual mapping: "
                    f"{sorted(set(actual) - set(expected))}"), path
        for k in expected:
            found = _compare(actual[k], expected[k], rtol, atol, equal_nan, check_device,
                             check_dtype, path + [repr(k)])
            if found[0] is not None:
                return found
        return None, path
    elif isinstance(actual, Sequence) and isinstance(expected, Sequence) and \
            not isinstance(actual, str) and not isinstance(expected, str):
        if len(actual) != len(expected):
            return (f"The length of the sequences mismatch: {len(actual)} != "
                    f"{len(expected)}"), path
        for i, (x, y) in enumerate(zip(actual, expected)):
            found = _compare(x, y, rtol, atol, equal_nan, check_device, check_dtype,
                             path + [str(i)])
            if found[0] is not None:
                return found
        return None, path
    else:
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} "
                        f"and {type(expected)}.")
    return msg, path


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` (tensors, numbers, or sequences and
    mappings of them) are close: |actual - expected| <= atol + rtol * |expected| elementwise."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    message, path = _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype,
                             [])
    if message is None:
        return
    if msg is not None:
        raise AssertionError(msg(message) if callable(msg) else msg)
    if path:
        message += "\n\nThe failure occurred for item " + "".join(f"[{p}]" for p in path)
    raise AssertionError(message)
