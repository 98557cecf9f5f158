"""MarginRanking, TripletMargin, CosineEmbedding, HingeEmbedding, SoftMargin, MultiLabelSoftMargin,
MultiMargin, PoissonNLL and GaussianNLL losses and F.pairwise_distance / nn.PairwiseDistance:
NumPy formulas for every reduction, float64 gradcheck, PyTorch's errors and reprs, CPU vs CUDA,
torch as an extra oracle."""
import math

import numpy as np
import pytest

import nbtorch
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck

RNG = np.random.default_rng(0)
A, B, C = (RNG.standard_normal((4, 5)) for _ in range(3))
SIGN = np.array([1.0, -1.0, -1.0, 1.0])
SIGNS = np.where(RNG.standard_normal((4, 5)) > 0, 1.0, -1.0)
BITS = (SIGNS > 0).astype(np.float64)
W5 = RNG.random(5) + 0.5
LABELS = np.array([0, 3, 4, 3])
COUNTS = np.array([[0, 1, 2, 5, 3]] * 4, dtype=np.float64)
VAR = RNG.random((4, 5)) + 0.1


def t64(a, requires_grad=False, device="cpu"):
    dtype = nbtorch.int64 if np.asarray(a).dtype.kind == "i" else nbtorch.float64
    return nbtorch.tensor(a, dtype=dtype, requires_grad=requires_grad and dtype is nbtorch.float64,
                          device=device)


def reduce(v, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](v)


def dist(x, y, p=2.0, eps=1e-6):
    return (np.abs(x - y + eps) ** p).sum(-1) ** (1 / p)


def ref_cos(x, y, target, margin):
    cos = (x * y).sum(1) / np.sqrt(((x * x).sum(1) + 1e-12) * ((y * y).sum(1) + 1e-12))
    return np.where(target == 1, 1 - cos, np.maximum(cos - margin, 0))


def ref_multi_margin(x, y, p, margin, w):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                out[i] += max(0.0, margin - x[i, y[i]] + x[i, j]) ** p * w[y[i]] / c
    return out


def ref_poisson_full(x, y):
    stirling = np.where(y > 1, y * np.log(np.maximum(y, 1)) - y
                        + 0.5 * np.log(2 * np.pi * np.maximum(y, 1)), 0.0)
    return np.exp(x) - y * x + stirling


def _log_sigmoid(x):
    return -np.logaddexp(0, -x)


# name: (F call on float64 tensors (*inputs, reduction), inputs, NumPy reference, index of the
#        inputs that gradcheck differentiates)
CASES = {
    "margin_ranking": (lambda a, b, y, r: F.margin_ranking_loss(a, b, y, 0.3, reduction=r),
                       (A[:, 0], B[:, 0], SIGN),
                       lambda a, b, y: np.maximum(-y * (a - b) + 0.3, 0), (0, 1)),
    "triplet_swap_p1": (lambda a, b, c, r: F.triplet_margin_loss(a, b, c, p=1, swap=True,
                                                                 reduction=r),
                        (A, B, C),
                        lambda a, b, c: np.maximum(1 + dist(a, b, 1)
                                                   - np.minimum(dist(a, c, 1), dist(b, c, 1)), 0),
                        (0, 1, 2)),
    "triplet": (lambda a, b, c, r: F.triplet_margin_loss(a, b, c, margin=2.0, reduction=r),
                (A, B, C), lambda a, b, c: np.maximum(2 + dist(a, b) - dist(a, c), 0), (0, 1, 2)),
    "cosine_embedding": (lambda a, b, y, r: F.cosine_embedding_loss(a, b, y, 0.2, reduction=r),
                         (A, B, SIGN), lambda a, b, y: ref_cos(a, b, y, 0.2), (0, 1)),
    "hinge_embedding": (lambda a, y, r: F.hinge_embedding_loss(a, y, 0.5, reduction=r),
                        (A, SIGNS), lambda a, y: np.where(y == 1, a, np.maximum(0.5 - a, 0)),
                        (0,)),
    "soft_margin": (lambda a, y, r: F.soft_margin_loss(a, y, reduction=r), (A, SIGNS),
                    lambda a, y: np.log1p(np.exp(-a * y)), (0,)),
    "multilabel_soft_margin": (
        lambda a, y, w, r: F.multilabel_soft_margin_loss(a, y, w, reduction=r), (A, BITS, W5),
        lambda a, y, w: -(w * (y * _log_sigmoid(a) + (1 - y) * _log_sigmoid(-a))).mean(1),
        (0, 1)),
    "multi_margin_p2": (lambda a, y, w, r: F.multi_margin_loss(a, y, 2, 0.7, w, reduction=r),
                        (A, LABELS, W5), lambda a, y, w: ref_multi_margin(a, y, 2, 0.7, w),
                        (0,)),
    "multi_margin": (lambda a, y, r: F.multi_margin_loss(a, y, reduction=r), (A, LABELS),
                     lambda a, y: ref_multi_margin(a, y, 1, 1.0, np.ones(5)), (0,)),
    "poisson_full": (lambda a, y, r: F.poisson_nll_loss(a, y, full=True, reduction=r),
                     (A, COUNTS), ref_poisson_full, (0,)),
    "poisson_rate": (lambda a, y, r: F.poisson_nll_loss(a, y, log_input=False, reduction=r),
                     (VAR, COUNTS), lambda a, y: a - y * np.log(a + 1e-8), (0,)),
    "gaussian_full": (lambda a, y, v, r: F.gaussian_nll_loss(a, y, v, full=True, reduction=r),
                      (A, B, VAR),
                      lambda a, y, v: 0.5 * (np.log(v) + (a - y) ** 2 / v + math.log(2 * math.pi)),
                      (0, 1, 2)),
    "gaussian_homoscedastic": (lambda a, y, v, r: F.gaussian_nll_loss(a, y, v, reduction=r),
                               (A, B, VAR[:, 0]),
                               lambda a, y, v: 0.5 * (np.log(v[:, None]) + (a - y) ** 2
                                                      / v[:, None]), (0, 2)),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_forward_matches_numpy(name, reduction):
    fn, inputs, ref, _ = CASES[name]
    got = fn(*[t64(a) for a in inputs], reduction)
    np.testing.assert_allclose(got.numpy(), reduce(ref(*inputs), reduction), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name):
    fn, inputs, _, diff = CASES[name]
    small = [a[:2] if a.ndim and len(a) == 4 else a for a in inputs]   # fewer finite differences

    def call(*xs):
        args = list(fn_args)
        for i, x in zip(diff, xs):
            args[i] = x
        return fn(*args, "none")
    fn_args = [t64(a) for a in small]
    assert gradcheck(call, tuple(t64(small[i], True) for i in diff))


def test_pairwise_distance():
    x, y = A, B
    for p in (1.0, 2.0, 3.0):
        got = F.pairwise_distance(t64(x), t64(y), p)
        np.testing.assert_allclose(got.numpy(), dist(x, y, p), rtol=1e-12)
    got = nn.PairwiseDistance(keepdim=True)(t64(x[0]), t64(y))          # broadcasts, keepdim
    np.testing.assert_allclose(got.numpy(), dist(x[0], y)[:, None], rtol=1e-12)
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b), (t64(x[:2], True), t64(y[:2], True)))
    assert repr(nn.PairwiseDistance()) == "PairwiseDistance()"
    assert nbtorch.pairwise_distance is F.pairwise_distance


def test_gaussian_var_clamp_is_outside_autograd():
    """var below eps is clamped for the value, but its gradient is the formula's at the clamped
    value (PyTorch clamps a clone under no_grad)."""
    v = t64(np.array([1e-9, 0.5]), True)
    x, y = t64(np.array([0.3, 0.1])), t64(np.zeros(2))
    F.gaussian_nll_loss(x, y, v, reduction="sum", eps=1e-3).backward()
    vc = np.array([1e-3, 0.5])
    np.testing.assert_allclose(v.grad.numpy(), 0.5 * (1 / vc - np.array([0.09, 0.01]) / vc ** 2),
                               rtol=1e-12)


def test_modules_reprs_and_buffers():
    assert repr(nn.MarginRankingLoss()) == "MarginRankingLoss()"
    m = nn.TripletMarginLoss(margin=0.5, p=1.0, swap=True)
    assert (m.margin, m.p, m.eps, m.swap, m.reduction) == (0.5, 1.0, 1e-6, True, "mean")
    assert list(nn.MultiMarginLoss(weight=nbtorch.ones(3)).state_dict()) == ["weight"]
    assert list(nn.MultiLabelSoftMarginLoss(weight=nbtorch.ones(3)).state_dict()) == ["weight"]
    g = nn.GaussianNLLLoss(full=True)
    assert (g.full, g.eps, g.reduction) == (True, 1e-6, "mean")
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        assert nn.SoftMarginLoss(size_average=False).reduction == "sum"
    x, y = t64(A, True), t64(SIGNS)
    loss = nn.HingeEmbeddingLoss(margin=0.5, reduction="sum")(x, y)
    np.testing.assert_allclose(loss.item(), F.hinge_embedding_loss(x, y, 0.5, reduction="sum")
                               .item())
    assert nn.PoissonNLLLoss(log_input=False)(t64(VAR), t64(COUNTS)).shape == ()
    assert nn.CosineEmbeddingLoss(0.1)(t64(A), t64(B), t64(SIGN)).shape == ()


def _raises(exc, words, call):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == words


def test_errors():
    r = nbtorch.randn
    _raises(RuntimeError, "margin_ranking_loss : All input tensors should have same dimension but "
            "got sizes: input1: torch.Size([3]), input2: torch.Size([3]), target: "
            "torch.Size([3, 1]) ", lambda: F.margin_ranking_loss(r(3), r(3), r(3, 1)))
    _raises(ValueError, "bad is not a valid value for reduction",
            lambda: F.margin_ranking_loss(r(3), r(3), r(3), reduction="bad"))
    _raises(RuntimeError, "0D or 1D target tensor expected, multi-target not supported",
            lambda: F.cosine_embedding_loss(r(3, 4), r(3, 4), r(3, 1)))
    _raises(RuntimeError, "1D target tensor expects 2D input tensors, but found inputs with sizes "
            "[3] and [3, 4].", lambda: F.cosine_embedding_loss(r(3), r(3, 4), r(3)))
    _raises(ValueError, "only p == 1 and p == 2 supported",
            lambda: F.multi_margin_loss(r(3, 4), nbtorch.tensor([0, 1, 2]), p=3))
    _raises(ValueError, "weight must be one-dimensional",
            lambda: F.multi_margin_loss(r(3, 4), nbtorch.tensor([0, 1, 2]), weight=r(2, 2)))
    _raises(RuntimeError, "inconsistent weight size, expected 4 but got [3]",
            lambda: F.multi_margin_loss(r(3, 4), nbtorch.tensor([0, 1, 2]), weight=r(3)))
    _raises(RuntimeError, "multi_margin_loss: target tensor should be 1-D with size equal to the "
            "number of input samples (batch size). Expected target size [3], but got [2]. Input "
            "has shape [3, 4].", lambda: F.multi_margin_loss(r(3, 4), nbtorch.tensor([0, 1])))
    _raises(RuntimeError, "target out of range",
            lambda: F.multi_margin_loss(r(3, 4), nbtorch.tensor([0, 1, 4])))
    _raises(RuntimeError, "Expected non-empty vector or matrix with optional 0-dim batch size, "
            "but got: [3, 4, 2]", lambda: F.multi_margin_loss(r(3, 4, 2), nbtorch.tensor([0, 1, 2])))
    _raises(RuntimeError, "expected scalar type Long but found Float",
            lambda: F.multi_margin_loss(r(3, 4), nbtorch.tensor([0.0, 1, 2])))
    _raises(ValueError, "margin must be greater than 0, got 0",
            lambda: F.triplet_margin_loss(r(3, 4), r(3, 4), r(3, 4), margin=0))
    _raises(RuntimeError, "The anchor, positive, and negative tensors are expected to have the "
            "same number of dimensions, but got: anchor 2D, positive 1D, and negative 2D inputs",
            lambda: F.triplet_margin_loss(r(3, 4), r(4), r(3, 4)))
    _raises(ValueError, "x is not a valid value for reduction",
            lambda: F.poisson_nll_loss(r(3), r(3), reduction="x"))
    _raises(ValueError, "var has negative entry/entries",
            lambda: F.gaussian_nll_loss(r(3), r(3), -nbtorch.ones(3)))
    _raises(ValueError, "var has negative entry/entries", lambda: F.gaussian_nll_loss(r(3), r(3), -1.0))
    _raises(ValueError, "var is of incorrect size",
            lambda: F.gaussian_nll_loss(r(3, 4), r(3, 4), nbtorch.ones(2)))
    _raises(ValueError, "x is not valid",
            lambda: F.gaussian_nll_loss(r(3), r(3), nbtorch.ones(3), reduction="x"))
    _raises(ValueError, "x is not valid",
            lambda: F.multilabel_soft_margin_loss(r(3, 4), r(3, 4), reduction="x"))
    _raises(ValueError, "TripletMarginLoss: expected margin to be greater than 0, got 0 instead",
            lambda: nn.TripletMarginLoss(margin=0))
    _raises(ValueError, "MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead",
            lambda: nn.MultiMarginLoss(weight=nbtorch.ones(2, 2)))


def test_multi_margin_unbatched_shapes():
    x = t64(A[0])
    assert F.multi_margin_loss(x, nbtorch.tensor(1), reduction="none").shape == ()
    assert F.multi_margin_loss(x, nbtorch.tensor([1]), reduction="none").shape == (1,)
    np.testing.assert_allclose(F.multi_margin_loss(x, nbtorch.tensor(3)).item(),
                               ref_multi_margin(A[:1], [3], 1, 1.0, np.ones(5))[0], rtol=1e-12)


@pytest.mark.parametrize("name", ["triplet", "multi_margin_p2", "gaussian_full", "poisson_full"])
def test_cuda_matches_cpu(name):
    fn, inputs, _, diff = CASES[name]
    results = []
    for device in ("cpu", "cuda"):
        args = [t64(a[:2] if a.ndim and len(a) == 4 else a, i in diff, device)
                for i, a in enumerate(inputs)]
        loss = fn(*args, "sum")
        loss.backward()
        results.append([loss.item()] + [args[i].grad.cpu().numpy() for i in diff])
    for c, g in zip(*results):
        np.testing.assert_allclose(g, c, rtol=1e-12, atol=1e-14)


def test_against_torch():
    torch = pytest.importorskip("torch")
    T = torch.nn.functional
    pt = lambda a: torch.tensor(a)  # noqa: E731
    for reduction in ("mean", "none"):
        pairs = [
            (F.triplet_margin_loss(t64(A), t64(B), t64(C), swap=True, reduction=reduction),
             T.triplet_margin_loss(pt(A), pt(B), pt(C), swap=True, reduction=reduction)),
            (F.cosine_embedding_loss(t64(A), t64(B), t64(SIGN), 0.2, reduction=reduction),
             T.cosine_embedding_loss(pt(A), pt(B), pt(SIGN), 0.2, reduction=reduction)),
            (F.multi_margin_loss(t64(A), t64(LABELS), 2, 0.7, t64(W5), reduction=reduction),
             T.multi_margin_loss(pt(A), pt(LABELS), 2, 0.7, pt(W5), reduction=reduction)),
            (F.multilabel_soft_margin_loss(t64(A), t64(BITS), t64(W5), reduction=reduction),
             T.multilabel_soft_margin_loss(pt(A), pt(BITS), pt(W5), reduction=reduction)),
            (F.poisson_nll_loss(t64(A), t64(COUNTS), full=True, reduction=reduction),
             T.poisson_nll_loss(pt(A), pt(COUNTS), full=True, reduction=reduction)),
            (F.gaussian_nll_loss(t64(A), t64(B), t64(VAR[:, 0]), reduction=reduction),
             T.gaussian_nll_loss(pt(A), pt(B), pt(VAR[:, 0]), reduction=reduction)),
            (F.hinge_embedding_loss(t64(A), t64(SIGNS), reduction=reduction),
             T.hinge_embedding_loss(pt(A), pt(SIGNS), reduction=reduction)),
            (F.soft_margin_loss(t64(A), t64(SIGNS), reduction=reduction),
             T.soft_margin_loss(pt(A), pt(SIGNS), reduction=reduction)),
            (F.margin_ranking_loss(t64(A), t64(B), t64(SIGNS), reduction=reduction),
             T.margin_ranking_loss(pt(A), pt(B), pt(SIGNS), reduction=reduction)),
            (F.pairwise_distance(t64(A), t64(B), 3.0), T.pairwise_distance(pt(A), pt(B), 3.0)),
        ]
        for ours, theirs in pairs:
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
