"""Tensor repr/str exactly like PyTorch's, computed from a host NumPy array.

PyTorch's rules: one number format for the whole tensor (integer-valued floats as ``1.``, fixed with
``precision`` digits, or scientific when the nonzero finite magnitudes span more than 1000x, exceed 1e8 or go
below 1e-4), a common width, rows wrapped at ``linewidth``, ``...`` summaries of ``edgeitems`` per side in every
dimension once ``numel > threshold``, and suffixes (device, size, dtype, grad) that wrap at ``linewidth`` too.
"""
import math

import numpy as np

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
_OPTS = dict(_PROFILES["default"], sci_mode=None)

_PREFIX = "tensor("


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Like ``torch.set_printoptions``: a profile first, then the given options; ``sci_mode`` is always set."""
    _OPTS.update(_PROFILES.get(profile, {}))
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    _OPTS.update({k: v for k, v in given.items() if v is not None})
    _OPTS["sci_mode"] = sci_mode


class _Formatter:
    """One number format and width for all the values a tensor will show."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not floating:
            self.width = max([1] + [len(f"{v}") for v in values.tolist()])
            return
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            return
        magnitudes = np.abs(shown).astype(np.float64)
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        auto_sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.sci_mode = auto_sci if _OPTS["sci_mode"] is None else _OPTS["sci_mode"]
        p = _OPTS["precision"]
        if self.sci_mode:
            strings = [f"{v:.{p}e}" for v in shown.tolist()]
        elif self.int_mode:
            strings = [f"{v:.0f}." for v in shown.tolist()]
        else:
            strings = [f"{v:.{p}f}" for v in shown.tolist()]
        self.width = max(len(s) for s in strings)

    def format(self, value):
        p = _OPTS["precision"]
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.width}.{p}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{p}f}"
        return text.rjust(self.width)


def _edges(n, edgeitems, summarize):
    """Indices shown along a dimension of length n."""
    if summarize and n > 2 * edgeitems:
        return list(range(edgeitems)) + list(range(n - edgeitems, n))
    return list(range(n))


def _vector(row, indent, summarize, fmt):
    e = _OPTS["edgeitems"]
    per_line = max(1, math.floor((_OPTS["linewidth"] - indent) / (fmt.width + 2)))
    items = [fmt.format(v) for v in row[_edges(len(row), e, summarize)].tolist()]
    if summarize and len(row) > 2 * e:
        items.insert(e, " ...")
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    e = _OPTS["edgeitems"]
    parts = [_nested(a[i], indent + 1, summarize, fmt) for i in _edges(len(a), e, summarize)]
    if summarize and len(a) > 2 * e:
        parts.insert(e, "...")
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _body(a):
    """The bracketed values of a non-empty array."""
    summarize = a.size > _OPTS["threshold"]
    e = _OPTS["edgeitems"]
    if summarize and e == 0 and a.ndim:
        return "[...]"
    shown = a[np.ix_(*[_edges(n, e, True) for n in a.shape])] if summarize and a.ndim else a
    fmt = _Formatter(shown.reshape(-1), np.issubdtype(a.dtype, np.floating))
    return _nested(a, len(_PREFIX), summarize, fmt)


def _add_suffixes(text, suffixes):
    """Append ``, suffix`` pieces, starting a new indented line when one would pass ``linewidth``."""
    indent = len(_PREFIX)
    last_line = len(text) - text.rfind("\n") + 1  # PyTorch's count: 2 more than the last line holds
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > _OPTS["linewidth"]:
            text += ",\n" + " " * indent + suffix
            last_line = indent + len(suffix)
        else:
            text += ", " + suffix
            last_line += len(suffix) + 2
    return text + ")"


def format_tensor(array, *, dtype_name, is_default_dtype, device_str=None, suffixes=()):
    """``repr(tensor)`` as PyTorch prints it.

    array: the values on the host; dtype_name: e.g. "float64"; is_default_dtype: True for the default float
    dtype, int64 and bool (PyTorch then omits ``dtype=``); device_str: e.g. "cuda:0", printed when given;
    suffixes: already formatted trailing items such as "requires_grad=True" or "grad_fn=<AddBackward0>".
    """
    a = np.asarray(array)
    head = [] if device_str is None else [f"device='{device_str}'"]
    size = f"size={tuple(a.shape)}"
    dtype = f"dtype=torch.{dtype_name}"
    if a.size == 0:
        # no values to tell int64 or bool from floats: only the default float dtype goes unnamed
        named = not (is_default_dtype and np.issubdtype(a.dtype, np.floating))
        head += [size] * (a.ndim != 1) + [dtype] * named
        body = "[]"
    else:
        head += [size] * (_OPTS["edgeitems"] == 0) + [dtype] * (not is_default_dtype)
        body = _body(a)
    return _add_suffixes(_PREFIX + body, head + list(suffixes))
