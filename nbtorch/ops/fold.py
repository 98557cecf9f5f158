"""Moving pixels between space and channels: pixel_shuffle / pixel_unshuffle (a reshape, a permute
and a reshape, as PyTorch's decomposition) and unfold / fold (im2col and its adjoint col2im).

unfold and fold are composed from Tensor ops rather than a kernel pair: each of the KH*KW taps is
one strided slice of the zero-padded input, so im2col copies KH*KW views into the columns and
col2im adds each tap's plane into a strided view of a zero buffer. That is exact (the same sums
in the same order on every device), runs on CPU and CUDA with the existing copy and add kernels
(nothing new to compile), and costs KH*KW whole-array copies, within a small factor of PyTorch's
CPU im2col at layer sizes. (conv's own im2col writes a padded "wide" layout for its GEMM, not
the (C*KH*KW, L) one unfold returns.) Each is the other's backward, so double backward works."""
from .. import _creation
from ..autograd.function import Function
from .pad import pad


def _pair(v, name, n=2):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(v) != n:
        raise RuntimeError(f"It is expected {name} equals to {n}, but got size {len(v)}")
    return v


def _blocks(size, k, d, p, s):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _taps(k, d, s, blocks):
    """The slice of the padded input each kernel tap reads along one dimension."""
    return [slice(i * d, i * d + s * (blocks - 1) + 1, s) for i in range(k)]


class Im2Col(Function):
    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride):
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
        n, c, h, w = x.shape
        oh, ow = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
        xp = pad(x, (pw, pw, ph, ph)) if ph or pw else x
        cols = _creation.empty(n, c, kh * kw, oh, ow, dtype=x.dtype, device=x.device)
        t = 0
        for i in _taps(kh, dh, sh, oh):
            for j in _taps(kw, dw, sw, ow):
                cols[:, :, t].copy_(xp[:, :, i, j])
                t += 1
        ctx.args = ((h, w), kernel, dilation, padding, stride)
        return cols.reshape(n, c * kh * kw, oh * ow)

    @staticmethod
    def backward(ctx, grad):
        return (Col2Im.apply(grad, *ctx.args),) + (None,) * 4


class Col2Im(Function):
    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, output_size, kernel, dilation, padding, stride):
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (output_size, kernel, dilation, padding,
                                                          stride)
        n, ck = cols.shape[:2]
        c = ck // (kh * kw)
        oh, ow = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
        taps = cols.reshape(n, c, kh * kw, oh, ow)
        out = _creation.zeros(n, c, h + 2 * ph, w + 2 * pw, dtype=cols.dtype, device=cols.device)
        t = 0
        for i in _taps(kh, dh, sh, oh):
            for j in _taps(kw, dw, sw, ow):
                out[:, :, i, j] += taps[:, :, t]
                t += 1
        ctx.args = (kernel, dilation, padding, stride)
        return out[:, :, ph:ph + h, pw:pw + w].contiguous() if ph or pw else out

    @staticmethod
    def backward(ctx, grad):
        return (Im2Col.apply(grad, *ctx.args),) + (None,) * 5


def _check_window(kernel, dilation, padding, stride):
    for name, (a, b), word, bad in (("kernel size", kernel, "kernel", lambda v: v <= 0),
                                    ("dilation", dilation, "dilation", lambda v: v <= 0),
                                    ("padding", padding, "pad", lambda v: v < 0),
                                    ("stride", stride, "stride", lambda v: v <= 0)):
        if bad(a) or bad(b):
            what = "non-negative" if name == "padding" else "greater than zero"
            raise RuntimeError(f"{name} should be {what}, but got {word}_height: {a} "
                               f"{word}_width: {b}")


def _window(kernel_size, dilation, padding, stride):
    args = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
            _pair(padding, "padding"), _pair(stride, "stride"))
    _check_window(*args)
    return args


def _unbatched(fn, input, batched_dim):
    if input.dim() == batched_dim - 1:
        return fn(input.unsqueeze(0)).squeeze(0)
    return fn(input)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    window = _window(kernel_size, dilation, padding, stride)
    shape = list(input.shape)
    if input.dim() not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {shape}")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = window
    oh, ow = (_blocks(shape[-2], kh, dh, ph, sh), _blocks(shape[-1], kw, dw, pw, sw))
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input with spatial size ({shape[-2]}, {shape[-1]}), "
                           f"kernel_size=({kh}, {kw}), dilation=({dh}, {dw}), padding=({ph}, {pw}), "
                           f"calculated shape of the array of sliding blocks as ({oh}, {ow}), but "
                           "its components must be at least one.")
    return _unbatched(lambda x: Im2Col.apply(x, *window), input, 4)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    size = _pair(output_size, "output_size")
    window = _window(kernel_size, dilation, padding, stride)
    shape = list(input.shape)
    if input.dim() not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           f"size and non-zero dimensions for input, but got: {shape}")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = window
    if shape[-2] % (kh * kw):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={shape[-2]} and "
                           f"kernel_size=({kh}, {kw}).")
    oh, ow = _blocks(size[0], kh, dh, ph, sh), _blocks(size[1], kw, dw, pw, sw)
    if oh * ow != shape[-1] or oh < 1 or ow < 1:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({kh}, {kw}), "
                           f"dilation=({dh}, {dw}), padding=({ph}, {pw}), stride=({sh}, {sw}), "
                           "expected size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {oh} * {ow} = {oh * ow}, but got "
                           f"input.size(2)={shape[-1]}.")
    return _unbatched(lambda x: Col2Im.apply(x, size, *window), input, 3)


# --- pixel shuffle ---
def _check_shuffle(input, factor, name, word):
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {word}, but got {factor}")
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {input.dim()} dimension(s)")


def pixel_shuffle(input, upscale_factor):
    r = upscale_factor
    _check_shuffle(input, r, "pixel_shuffle", "upscale_factor")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={c} is not "
                           f"divisible by {r * r}")
    nb = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    r = downscale_factor
    _check_shuffle(input, r, "pixel_unshuffle", "downscale_factor")
    *batch, c, h, w = input.shape
    for what, n, d in (("height", h, -2), ("width", w, -1)):
        if n % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by "
                               f"downscale_factor, but input.size({d})={n} is not divisible by {r}")
    nb = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)
