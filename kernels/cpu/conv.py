"""2-D convolution, forward and the three backward passes; Conv1d runs through them with H = 1.

Layout: x (N, C, H, W), w (O, C/groups, KH, KW), out (N, O, OH, OW), all C-contiguous and of one
float dtype. ``stride``, ``padding`` and ``dilation`` are (h, w) pairs of ints; ``padding`` is the
zero padding on the top/left, and the bottom/right padding is whatever ``out``'s shape implies
(PyTorch's asymmetric padding='same').

Every pass works per sample and group on zero-padded input planes (a copy only when padding is
needed). Outputs are handled in a "wide" form whose rows are as long as the input's (at stride 1),
so that every kernel tap is one flat vectorized loop over a whole plane (see _tap); at other
strides a tap is a loop over rows. Two paths, picked by ``choose_path``:
- direct: for each output channel, each tap is one axpy (or dot) over the plane: fast for few
  output channels (LeNet's 1->6, depthwise);
- im2col: the taps unfold the input into a (Cg*KH*KW, wide plane) matrix and the work is one BLAS
  product (many channels: 6->16, 64->64 3x3).
A pass is a serial kernel over a range of samples that releases the GIL; above ``PARALLEL_MACS``
multiply-adds per thread the batch is split into one range per thread (_threads.py), each with its
own workspace.
"""
import numpy as np
from numba import njit

from ..registry import register
from . import _threads
from ._blas import gemm

PARALLEL_MACS = 1 << 21          # per thread: below this, threads cost more than they save
DIRECT_MAX_COUT = 6              # direct path up to this many output channels per group: measured,
                                 # direct wins 1->6 5x5 by ~10%, im2col wins 3->8 3x3 by ~10%
DIRECT_MAX_COUT_FORWARD = 16     # the forward's four taps per pass (_gather) win up to 16: measured
                                 # 6->16 5x5 (LeNet's conv2) 1.3x, 16->16 3x3 1.06x, 3->16 3x3 1.15x

# what a tap does (see _row); numpy ints, so that numba compiles _taps once, not once per mode
GATHER, SCATTER, DOT, COPY, ADD = (np.int64(i) for i in range(5))
# the flags passed from kernel to kernel, numpy bools for the same reason: numba types a Python
# True or False as a literal and compiles the callee (_taps, gemm) once per value
TRUE, FALSE = np.True_, np.False_


# --- the one loop nest: kernel taps between input planes and output planes ---
@njit(cache=True, inline="always")
def _row(mode, wv, xr, x0, s, yr, n):
    """Input xr[x0 + k*s] meets output yr[k] for k < n. GATHER: y += wv*x. SCATTER: x += wv*y.
    COPY: y = x. ADD: x += y. DOT: returns sum(y*x)."""
    # x0 >= 0 and s >= 1 already; saying so lets LLVM drop numba's negative-index test from the
    # loops, which then vectorize (9x faster)
    x0, s = max(x0, 0), max(s, 1)
    acc = xr.dtype.type(0)
    if mode == GATHER:
        for k in range(n):
            yr[k] += wv * xr[x0 + k * s]
    elif mode == SCATTER:
        for k in range(n):
            xr[x0 + k * s] += wv * yr[k]
    elif mode == COPY:
        for k in range(n):
            yr[k] = xr[x0 + k * s]
    elif mode == ADD:
        for k in range(n):
            xr[x0 + k * s] += yr[k]
    else:
        for k in range(n):
            acc += yr[k] * xr[x0 + k * s]
    return acc


@njit(cache=True, inline="always")
def _tap(mode, wv, xp, yp, kh, kw, OH, OW, p):
    """Tap (kh, kw): output (oh, ow < OW) of plane yp meets input (oh*sh + kh*dh, ow*sw + kw*dw)
    of the padded plane xp. At stride 1 with yp's rows as long as xp's (a wide plane), input and
    output run in step across row ends, so the tap is one flat loop; the wide plane's columns from
    OW on are then scratch (zero wherever they are read)."""
    sh, sw, _, _, dh, dw = p
    if sh == 1 and sw == 1 and yp.shape[1] == xp.shape[1]:
        return _row(mode, wv, xp.reshape(-1), kh * dh * xp.shape[1] + kw * dw, 1,
                    yp.reshape(-1), (OH - 1) * yp.shape[1] + OW)
    acc = xp.dtype.type(0)
    for oh in range(OH):
        acc += _row(mode, wv, xp[oh * sh + kh * dh], kw * dw, sw, yp[oh], OW)
    return acc


@njit(cache=True, fastmath={"reassoc", "contract"})   # reassoc: DOT's sum vectorizes too
def _taps(mode, wk, xs, ys, OH, OW, p, shared):
    """Every tap (c, kh, kw) of weights wk (Cg, KH, KW), between padded input planes xs[c] and
    output planes ys[c, kh, kw] (im2col rows), or the one plane ys[0, 0, 0] when ``shared``
    (direct). DOT adds each tap's sum into wk."""
    st = 0 if shared else 1
    for c in range(wk.shape[0]):
        for kh in range(wk.shape[1]):
            for kw in range(wk.shape[2]):
                acc = _tap(mode, wk[c, kh, kw], xs[c], ys[c * st, kh * st, kw * st], kh, kw, OH,
                           OW, p)
                if mode == DOT:
                    wk[c, kh, kw] += acc


@njit(cache=True, inline="always")
def _tap4(w0, w1, w2, w3, o0, o1, o2, o3, xf, yf, n):
    """yf[k] += w0 xf[o0 + k] + ... + w3 xf[o3 + k] for k < n: four taps in one pass."""
    o0, o1, o2, o3 = max(o0, 0), max(o1, 0), max(o2, 0), max(o3, 0)     # as in _row
    for k in range(n):
        yf[k] += w0 * xf[o0 + k] + w1 * xf[o1 + k] + w2 * xf[o2 + k] + w3 * xf[o3 + k]


@njit(cache=True)
def _gather(wk, xs, yp, OH, OW, p):
    """The direct forward of one output plane yp (OH, Wy): yp += every tap of wk (Cg, KH, KW)
    over the input planes xs. At stride 1 on a wide plane a tap is a flat offset into its input
    plane, and the taps go four to a pass (a quarter of the loads and stores of yp: measured 2x
    faster for 1->6 5x5); otherwise one tap at a time (_taps)."""
    sh, sw, _, _, dh, dw = p
    if sh != 1 or sw != 1 or yp.shape[1] != xs.shape[2]:
        _taps(GATHER, wk, xs, yp.reshape((1, 1, 1) + yp.shape), OH, OW, p, TRUE)
        return
    taps = wk.shape[1] * wk.shape[2]
    yf, n = yp.reshape(-1), (OH - 1) * yp.shape[1] + OW
    off = np.empty(taps, np.int64)          # tap (kh, kw) -> its offset in a flat input plane
    for t in range(taps):
        off[t] = (t // wk.shape[2]) * dh * xs.shape[2] + (t % wk.shape[2]) * dw
    for c in range(wk.shape[0]):
        xf, wf = xs[c].reshape(-1), wk[c].reshape(-1)
        t = 0
        while t + 4 <= taps:
            _tap4(wf[t], wf[t + 1], wf[t + 2], wf[t + 3], off[t], off[t + 1], off[t + 2],
                  off[t + 3], xf, yf, n)
            t += 4
        for t in range(t, taps):
            _row(GATHER, wf[t], xf, off[t], 1, yf, n)


# --- planes: padding, cropping, the wide planes. Copies go row by row, from index 0 of a row
# view, which LLVM vectorizes (numba's array assignment and += compile for seconds) ---
@njit(cache=True, inline="always")
def _padded(xg, xpad, p):
    """xg (Cg, H, W) zero-padded into xpad (Cg, Hp, Wp), or xg itself when xpad is empty."""
    if xpad.size == 0:
        return xg
    ph, pw = p[2], p[3]
    xpad[:] = 0
    for c in range(xg.shape[0]):
        for r in range(min(xg.shape[1], xpad.shape[1] - ph)):
            dst, src = xpad[c, r + ph, pw:], xg[c, r]
            for s in range(min(src.size, dst.size)):
                dst[s] = src[s]
    return xpad


@njit(cache=True, inline="always")
def _crop(xpad, xg, p):
    """xg (Cg, H, W) = the inner part of xpad (zero where xpad does not reach)."""
    ph, pw = p[2], p[3]
    xg[:] = 0
    for c in range(xg.shape[0]):
        for r in range(min(xg.shape[1], xpad.shape[1] - ph)):
            dst, src = xg[c, r], xpad[c, r + ph, pw:]
            for s in range(min(src.size, dst.size)):
                dst[s] = src[s]


@njit(cache=True, inline="always")
def _to_wide(wide, yg):
    """Output planes yg (Og, OH, OW) into the wide planes (Og, OH, Wy), zero beyond column OW."""
    wide[:] = 0
    for o in range(yg.shape[0]):
        for r in range(yg.shape[1]):
            dst, src = wide[o, r], yg[o, r]
            for s in range(src.size):
                dst[s] = src[s]


@njit(cache=True, inline="always")
def _from_wide(yg, wide, b):
    """yg (Og, OH, OW) = the wide planes' first OW columns + the bias b (Og,) or (0,)."""
    for o in range(yg.shape[0]):
        bias = b[o] if b.size else yg.dtype.type(0)
        for r in range(yg.shape[1]):
            dst, src = yg[o, r], wide[o, r]
            for s in range(dst.size):
                dst[s] = src[s] + bias


@njit(cache=True, inline="always")
def _im2col(mode, wk, xs, cols, wide, OW, p):
    """COPY: unfold the padded input planes xs into the im2col matrix cols (Cg*KH*KW, OH*Wy);
    ADD: add cols back into xs. wk (Cg, KH, KW) gives the taps' shape; wide (Og, OH, Wy)."""
    _taps(mode, wk, xs, cols.reshape(wk.shape + wide.shape[1:]), wide.shape[1], OW, p, FALSE)


@njit(cache=True, inline="always")
def _direct(mode, wg, xs, wide, OW, p):
    """SCATTER (input gradient) or DOT (weight gradient) of every output channel's taps, wg
    (Og, Cg, KH, KW), with its wide plane wide[o] (OH, Wy)."""
    for o in range(wg.shape[0]):
        _taps(mode, wg[o], xs, wide[o].reshape((1, 1, 1) + wide.shape[1:]), wide.shape[1], OW, p,
              TRUE)


# --- the passes over the samples lo..hi, on grouped views ---
# One argument list for all three: y = out or grad_out (N, G, Og, OH, OW), x = input or grad_input
# (N, G, Cg, H, W), w = weight or grad_weight (G, Og, Cg, KH, KW), b (G, Og) or (G, 0) for no bias.
# Workspace: xpad (Cg, Hp, Wp) when padding is needed; the output planes in their wide form
# (Og, OH, Wy) (Wy = the padded input's row length at stride 1, else OW); for im2col, cols
# (Cg*KH*KW, OH*Wy); unused ones are empty.
@njit(cache=True, nogil=True)
def _forward(y, x, w, b, xpad, wide, cols, p, direct, lo, hi):
    """y = conv(x, w) + b."""
    G, Og = w.shape[:2]
    OH, OW = y.shape[3], y.shape[4]
    for n in range(lo, hi):
        for g in range(G):
            xs = _padded(x[n, g], xpad, p)
            if direct:
                wide[:] = 0
                for o in range(Og):
                    _gather(w[g, o], xs, wide[o], OH, OW, p)
            else:
                _im2col(COPY, w[g, 0], xs, cols, wide, OW, p)
                gemm(w.reshape((G, Og, -1))[g], cols, wide.reshape((Og, -1)), FALSE, FALSE, 1.0,
                     0.0)
            _from_wide(y[n, g], wide, b[g])


@njit(cache=True, nogil=True)
def _backward_input(y, x, w, b, xpad, wide, cols, p, direct, lo, hi):
    """x = the input gradient for grad_out y."""
    G, Og = w.shape[:2]
    OW = y.shape[4]
    for n in range(lo, hi):
        for g in range(G):
            xs = x[n, g] if xpad.size == 0 else xpad
            xs[:] = 0
            _to_wide(wide, y[n, g])
            if direct:
                _direct(SCATTER, w[g], xs, wide, OW, p)
            else:
                gemm(w.reshape((G, Og, -1))[g], wide.reshape((Og, -1)), cols, TRUE, FALSE, 1.0,
                     0.0)
                _im2col(ADD, w[g, 0], xs, cols, wide, OW, p)
            if xpad.size:
                _crop(xpad, x[n, g], p)


@njit(cache=True, nogil=True)
def _backward_weight(y, x, w, b, xpad, wide, cols, p, direct, lo, hi):
    """w += the weight gradient for grad_out y and input x."""
    G, Og = w.shape[:2]
    OW = y.shape[4]
    for n in range(lo, hi):
        for g in range(G):
            xs = _padded(x[n, g], xpad, p)
            _to_wide(wide, y[n, g])
            if direct:
                _direct(DOT, w[g], xs, wide, OW, p)
            else:
                _im2col(COPY, w[g, 0], xs, cols, wide, OW, p)
                gemm(wide.reshape((Og, -1)), cols, w.reshape((G, Og, -1))[g], FALSE, TRUE, 1.0,
                     1.0)


@njit(cache=True, fastmath={"reassoc"})
def _backward_bias(y, b):
    """b (O,) = sum of y (N, O, L) over N and L. Reassociating lets the sums vectorize (in
    partial sums: 5x faster)."""
    for o in range(y.shape[1]):
        acc = b.dtype.type(0)
        for n in range(y.shape[0]):
            row = y[n, o]
            for i in range(row.size):
                acc += row[i]
        b[o] = acc


# --- planning and threading ---
def choose_path(cout_per_group, stride, forward=False):
    """"direct" for few output channels per group (it reads each input plane once per output
    channel) at stride 1 (its rows are then one flat vectorized loop), or for one output channel
    per group (depthwise, where a GEMM would be a GEMV); "im2col" + BLAS otherwise. "Few" is more
    for the forward pass. Tests replace this function to force a path."""
    limit = DIRECT_MAX_COUT_FORWARD if forward else DIRECT_MAX_COUT
    few = cout_per_group <= limit and tuple(stride) == (1, 1)
    return "direct" if few or cout_per_group == 1 else "im2col"


def _run(step, y, x, w, b, stride, padding, dilation, groups):
    """Run pass ``step`` on y (N, O, OH, OW), x (N, C, H, W), w (O, Cg, KH, KW): grouped views, the
    path, and above PARALLEL_MACS one range of samples per thread, each with its own workspace
    (the passes release the GIL); the weight gradient then sums one partial result per thread."""
    N, C, H, W = x.shape
    O, Cg, KH, KW = w.shape
    OH, OW = y.shape[2], y.shape[3]
    G, Og = groups, O // groups
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    p = tuple(int(v) for v in (sh, sw, ph, pw, dh, dw))
    direct = choose_path(Og, stride, step is _forward) == "direct"
    macs = N * O * OH * OW * Cg * KH * KW
    threads = _threads.threads_for(macs, PARALLEL_MACS, N)
    # the input extent the taps reach, and whether it needs a zero-padded copy
    Hp, Wp = (OH - 1) * sh + (KH - 1) * dh + 1, (OW - 1) * sw + (KW - 1) * dw + 1
    padded = ph > 0 or pw > 0 or Hp > H or Wp > W
    k = Cg * KH * KW
    weight = step is _backward_weight

    wy = (Wp if padded else W) if sh == sw == 1 else OW

    def space(use, *shape):
        return np.zeros((threads,) + (shape if use else (0,) * len(shape)), x.dtype)
    xpad = space(padded, Cg, Hp, Wp)
    wide = space(True, Og, OH, wy)
    cols = space(not direct, k, OH * wy)        # zeros: its last columns are never written
    xg = x.reshape(N, G, Cg, H, W)
    wg = w.reshape(G, Og, Cg, KH, KW)
    yg = y.reshape(N, G, Og, OH, OW)
    bg = (b if b is not None else np.empty(0, x.dtype)).reshape(G, -1)
    if threads == 1:
        if weight:
            wg[...] = 0
        step(yg, xg, wg, bg, xpad[0], wide[0], cols[0], p, direct, 0, N)
        return
    ws = np.zeros((threads,) + wg.shape, x.dtype) if weight else [wg] * threads
    _threads.split(lambda t, lo, hi: step(yg, xg, ws[t], bg, xpad[t], wide[t], cols[t], p,
                                          direct, lo, hi), N, threads)
    if weight:
        np.sum(ws, axis=0, out=wg)


# --- launchers ---
@register("conv2d_forward", "cpu")
def conv2d_forward(x, w, b, out, stride, padding, dilation, groups):
    """out = conv2d(x, w) + b; ``b`` is (O,) or None."""
    _run(_forward, out, x, w, b, stride, padding, dilation, groups)


@register("conv2d_backward_input", "cpu")
def conv2d_backward_input(grad_out, w, grad_x, stride, padding, dilation, groups):
    """grad_x (N, C, H, W) = the input gradient of conv2d for ``grad_out``."""
    _run(_backward_input, grad_out, grad_x, w, None, stride, padding, dilation, groups)


@register("conv2d_backward_weight", "cpu")
def conv2d_backward_weight(grad_out, x, grad_w, stride, padding, dilation, groups):
    """grad_w (O, C/groups, KH, KW) = the weight gradient of conv2d for ``grad_out`` and input x."""
    _run(_backward_weight, grad_out, x, grad_w, None, stride, padding, dilation, groups)


@register("conv2d_backward_bias", "cpu")
def conv2d_backward_bias(grad_out, grad_b):
    """grad_b (O,) = grad_out (N, O, OH, OW) summed over N, OH and OW."""
    n, o = grad_out.shape[:2]
    _backward_bias(grad_out.reshape(n, o, -1), grad_b)
