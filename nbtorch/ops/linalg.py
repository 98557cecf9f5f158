"""Tensor algebra composed of existing ops (so autograd comes with them): einsum tensordot trace
kron cross cdist diff take_along_dim tensor_split movedim/moveaxis; and the running ops cummax
cummin (indices found on the host with NumPy, values gathered) and logcumsumexp (forward and
backward on the host with NumPy's logaddexp.accumulate: stable for any range of values)."""
import math
import numbers
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from .index import _on, gather
from .elementwise import _type_name
from .matmul import bmm, mm
from .reduce import _Lines, _scatter_back, _return_type, return_types, sum as _sum
from .shape import broadcast_tensors, cat, diagonal, expand, narrow, permute, reshape

for _name in ("cummax", "cummin"):
    setattr(return_types, _name, _return_type(_name))


# --- movedim, tensor_split, take_along_dim, diff ------------------------------------------------

def _dim_list(x, dims):
    return [x._dim(d) for d in (dims if isinstance(dims, (tuple, list)) else [dims])]


def movedim(input, source, destination):
    src, dst = _dim_list(input, source), _dim_list(input, destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    rest = iter(d for d in range(input.dim()) if d not in src)
    placed = dict(zip(dst, src))
    return permute(input, tuple(placed[i] if i in placed else next(rest)
                                for i in range(input.dim())))


def tensor_split(input, indices_or_sections, dim=0):
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = input._dim(dim)
    n = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, numbers.Integral):
        k = int(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        size, extra = divmod(n, k)
        bounds = np.cumsum([0] + [size + (i < extra) for i in range(k)])
    else:
        bounds = [0] + [min(max(i + n if i < 0 else i, 0), n) for i in indices_or_sections] + [n]
    return tuple(narrow(input, d, lo, max(hi - lo, 0)) for lo, hi in
                 zip(bounds[:-1], np.maximum.accumulate(bounds[1:])))


def take_along_dim(input, indices, dim=None):
    if indices.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_dtype.scalar_name(indices.dtype)}")
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    d = input._dim(dim)
    if input.dim() != indices.dim():
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.dim()} dimensions for input, "
                           f"and {indices.dim()} dimensions for indices")
    shape = [max(a, b) for a, b in zip(input.shape, indices.shape)]
    shape_x, shape_i = list(shape), list(shape)
    shape_x[d], shape_i[d] = input.shape[d], indices.shape[d]
    return gather(expand(input, shape_x), d, expand(indices, shape_i))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = input._dim(dim)
    x = cat([t for t in (prepend, input, append) if t is not None], d) \
        if prepend is not None or append is not None else input
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = narrow(x, d, 1, m - 1), narrow(x, d, 0, m - 1)
        x = hi != lo if x.dtype is _dtype.bool_ else hi - lo
    return x


# --- trace, kron, cross, tensordot, cdist ---------------------------------------------------------

def trace(input):
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return _sum(diagonal(input))


def kron(input, other):
    nd = max(input.dim(), other.dim())
    a = reshape(input, (1,) * (nd - input.dim()) + tuple(input.shape))
    b = reshape(other, (1,) * (nd - other.dim()) + tuple(other.shape))
    a = reshape(a, tuple(s for n in a.shape for s in (n, 1)))
    b = reshape(b, tuple(s for n in b.shape for s in (1, n)))
    return reshape(a * b, tuple(p * q for p, q in zip(a.shape[::2], b.shape[1::2])))


def cross(input, other, dim=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        dim = next((i for i, n in enumerate(input.shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = input._dim(dim) - input.dim()
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {input.dim() + d} must have length "
                           f"3. Got {input.shape[d]} and {other.shape[d]}")
    a, b = broadcast_tensors(input, other)
    a0, a1, a2 = (narrow(a, d, i, 1) for i in range(3))
    b0, b1, b2 = (narrow(b, d, i, 1) for i in range(3))
    return cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def tensordot(a, b, dims=2):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = ([x] if isinstance(x, numbers.Integral) else list(x) for x in dims)
    for i, j in zip(da, db):                   # PyTorch's message names the dims as given
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in dim "
                               f"{j}")
    da, db = [a._dim(i) for i in da], [b._dim(i) for i in db]
    ka = [i for i in range(a.dim()) if i not in da]
    kb = [j for j in range(b.dim()) if j not in db]
    k = math.prod(a.shape[i] for i in da)
    am = reshape(permute(a, tuple(ka + da)), (-1, k))
    bm = reshape(permute(b, tuple(db + kb)), (k, -1))
    return reshape(mm(am, bm), tuple(a.shape[i] for i in ka) + tuple(b.shape[j] for j in kb))


def cdist(x1, x2, p=2.0, compute_mode=None):
    """The p-norm distance of every row of x1 to every row of x2 (batched), from differences;
    a zero distance has a zero gradient (PyTorch's choice) for p > 0."""
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            raise RuntimeError("cdist only supports floating-point dtypes, "
                               f"{name} got: {_type_name(x.dtype)}")
    d = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs()
    if p == 0:
        return _sum(d != 0, -1).to(x1.dtype)
    if p == math.inf:
        return d.amax(-1)
    s = _sum(d ** p if p != 2 else d * d, -1)
    nonzero = s > 0
    safe = s.where(nonzero, s.new_ones(()))     # no infinite gradient of the root at zero
    return (safe.sqrt() if p == 2 else safe ** (1.0 / p)).where(nonzero, s.new_zeros(()))


# --- einsum --------------------------------------------------------------------------------------

def _parse_einsum(equation, operands):
    """Each operand's labels (letters; '...' dims become the integers 0..), the output labels."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    pos = 0
    for c in eq:
        if not (c.isalpha() and c.isascii()) and c not in ",.->":
            raise RuntimeError(f"einsum(): invalid subscript given at index {pos} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        pos += 1
    ell = 0
    labels = []
    for i, (term, x) in enumerate(zip(terms, operands)):
        letters = term.replace("...", "")
        if "..." in term:
            k = x.dim() - len(letters)
            ell = max(ell, k)
            head, _, tail = term.partition("...")
            labels.append(list(head) + list(range(-k, 0)) + list(tail))
        else:
            if len(letters) != x.dim():
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(letters)}) does not match the number of dimensions "
                                   f"({x.dim()}) for operand {i} and no ellipsis was given")
            labels.append(list(term))
    if arrow:
        head, dots, tail = rhs.partition("...")
        out = list(head) + (list(range(-ell, 0)) if dots else []) + list(tail)  # else summed
        seen = set()
        for c in head + tail:
            if c in seen:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if not any(c in t for t in labels):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
            seen.add(c)
    else:
        counts = {}
        for t in labels:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = list(range(-ell, 0)) + sorted(c for c, n in counts.items()
                                            if isinstance(c, str) and n == 1)
    return labels, out


def _diagonals(x, labels):
    """A repeated label within one operand takes the diagonal."""
    while True:
        dup = next((c for c in labels if labels.count(c) > 1), None)
        if dup is None:
            return x, labels
        a = labels.index(dup)
        b = labels.index(dup, a + 1)
        x = diagonal(x, 0, a, b)                        # the diagonal becomes the last dim
        labels = [c for j, c in enumerate(labels) if j not in (a, b)] + [dup]


def _sum_unneeded(x, labels, needed):
    dims = [j for j, c in enumerate(labels) if c not in needed]
    if dims:
        x = _sum(x, dims)
        labels = [c for c in labels if c in needed]
    return x, labels


def _contract(a, la, b, lb, keep):
    """a (labels la) times b (labels lb), summing the shared labels not in ``keep``: one bmm
    over (batch, a-only, shared) x (batch, shared, b-only)."""
    size = {}
    for x, ls in ((a, la), (b, lb)):
        for n, c in zip(x.shape, ls):
            size[c] = n if n != 1 else size.get(c, 1)           # broadcast; 0 stays 0
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    a_only = [c for c in la if c not in lb]
    b_only = [c for c in lb if c not in la]
    a = expand(permute(a, tuple(la.index(c) for c in batch + a_only + summed)),
               tuple(size[c] if c in lb else a.shape[la.index(c)] for c in batch + a_only + summed))
    b = expand(permute(b, tuple(lb.index(c) for c in batch + summed + b_only)),
               tuple(size[c] if c in la else b.shape[lb.index(c)] for c in batch + summed + b_only))
    nb, m, k, n = (math.prod(size[c] for c in g) for g in (batch, a_only, summed, b_only))
    out = bmm(reshape(a, (nb, m, k)), reshape(b, (nb, k, n)))
    return reshape(out, tuple(size[c] for c in batch + a_only + b_only)), batch + a_only + b_only


def einsum(equation, *operands):
    """Repeated labels take diagonals, labels no one else needs are summed early, then the
    operands contract left to right by bmm; the result is permuted into the output's order."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    labels, out = _parse_einsum(equation, operands)
    sizes = {}
    for i, (x, ls) in enumerate(zip(operands, labels)):
        first = {}
        for n, c in zip(x.shape, ls):
            if first.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the "
                                   f"sizes don't match, {n} != {first[c]}")
        for n, c in zip(x.shape, ls):
            if n != 1 and sizes.get(c, 1) not in (1, n):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {sizes[c]}")
            sizes[c] = n if n != 1 else sizes.get(c, 1)
    xs = []
    for i, (x, ls) in enumerate(zip(operands, labels)):
        x, ls = _diagonals(x, ls)
        later = set(out).union(*(labels[j] for j in range(len(labels)) if j != i))
        xs.append(_sum_unneeded(x, ls, later))
    acc, la = xs[0]
    for i in range(1, len(xs)):
        b, lb = xs[i]
        keep = set(out).union(*(lbl for _, lbl in xs[i + 1:]))
        acc, la = _sum_unneeded(acc, la, keep | set(lb))
        acc, la = _contract(acc, la, b, lb, keep)
    acc, la = _sum_unneeded(acc, la, set(out))
    acc = permute(acc, tuple(la.index(c) for c in out)) if la else acc
    shape = tuple(sizes.get(c, 1) for c in out)
    return acc if tuple(acc.shape) == shape else expand(acc, shape)


# --- cummax, cummin, logcumsumexp -----------------------------------------------------------------

class Cummax(Function):
    """The running extremum: values taken at host-computed indices; gradients scatter back."""
    node_name = "CummaxBackward0"

    @staticmethod
    def forward(ctx, x, d, indices):
        ctx.lines = _Lines(x.shape, (d,) if x.dim() else ())
        ctx.n = x.shape[d] if x.dim() else 1
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        return (gather(x.detach(), d, indices) if x.dim() else x.detach().clone()), indices

    @staticmethod
    def backward(ctx, g, g_indices):
        (indices,) = ctx.saved_tensors
        return _scatter_back(ctx, g, indices, ctx.n), None, None


class Cummin(Cummax):
    node_name = "CumminBackward0"


def _running(name, cls, ufunc):
    def fn(input, dim):
        d = input._dim(dim)
        a = np.moveaxis(np.atleast_1d(input._host()), d, -1)
        run = ufunc.accumulate(a, -1)               # NaN propagates, as in PyTorch
        hit = (a == run) | np.isnan(a)              # PyTorch takes the last of equal extrema
        idx = np.maximum.accumulate(np.where(hit, np.arange(a.shape[-1]), 0), -1)
        idx = np.moveaxis(idx, -1, d).reshape(input.shape).astype(np.int64)
        return getattr(return_types, name)(*cls.apply(input, d, _on(idx, input._device)))
    fn.__name__ = name
    return fn


cummax = _running("cummax", Cummax, np.maximum)
cummin = _running("cummin", Cummin, np.minimum)


class LogCumSumExp(Function):
    """log(cumsum(exp(x))) along a dim, by NumPy's logaddexp.accumulate on the host (stable for
    any range). The gradient sum_{i>=j} g_i exp(x_j - out_i) is formed in log space, positive
    and negative parts of g apart."""
    node_name = "LogcumsumexpBackward0"

    @staticmethod
    def forward(ctx, x, d):
        ctx.d = d
        a = np.moveaxis(x._host(), d, -1).astype(np.float64)
        out = np.moveaxis(np.logaddexp.accumulate(a, -1), -1, d)
        result = _on(np.ascontiguousarray(out, x.dtype.np), x._device)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        d = ctx.d
        a, o, gg = (np.moveaxis(t._host(), d, -1).astype(np.float64) for t in (x, out, g))
        gx = np.zeros_like(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            for sign in (1, -1):
                lg = np.log(np.maximum(sign * gg, 0)) - o
                tail = np.flip(np.logaddexp.accumulate(np.flip(lg, -1), -1), -1)
                gx += sign * np.exp(a + tail)
        return _on(np.ascontiguousarray(np.moveaxis(gx, -1, d), x.dtype.np), x._device), None


def logcumsumexp(input, dim):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                  f"'{_dtype.scalar_name(input.dtype)}'")
    d = input._dim(dim)
    if input.dim() == 0:
        return input.clone()
    return LogCumSumExp.apply(input, d)


METHODS = {f.__name__: f for f in (movedim, tensor_split, take_along_dim, diff, trace, kron,
                                   cross, cdist, tensordot, cummax, cummin, logcumsumexp)}
METHODS.update(moveaxis=movedim)
FUNCTIONS = {**METHODS, "einsum": einsum}
del METHODS["cdist"], METHODS["tensordot"]
