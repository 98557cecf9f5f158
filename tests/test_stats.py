"""multinomial bincount unique unique_consecutive median nanmedian mode kthvalue quantile
nanquantile: NumPy references, float64 gradchecks, CUDA (simulator) results equal to the CPU's,
PyTorch's errors; torch as an extra oracle when installed."""
import numpy as np
import pytest

import nbtorch as torch
from nbtorch.autograd import gradcheck

DEVICES = ["cpu", "cuda"]


def data(shape, seed=0, nan=False, ties=False):
    g = np.random.default_rng(seed)
    x = g.integers(0, 4, shape).astype(np.float64) if ties else g.standard_normal(shape)
    if nan:
        x[g.random(shape) < 0.25] = np.nan
    return x


def host(t):
    return t.cpu().numpy()


# --- order statistics ----------------------------------------------------------------------------

def lower_median(a, axis, ignore_nan):
    """NumPy reference: the lower median; NaN (at the first NaN's index) when a line has one."""
    a = np.moveaxis(a, axis, -1)
    s = np.sort(a, -1)
    nans = np.isnan(a).sum(-1)
    n = a.shape[-1]
    k = np.maximum((n - nans - 1) // 2, 0) if ignore_nan else \
        np.where(nans > 0, n - nans, (n - 1) // 2)
    return np.take_along_axis(s, k[..., None], -1)[..., 0]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("nan", [False, True])
def test_median(device, name, nan):
    a = data((3, 5), nan=nan, ties=True)
    x = torch.tensor(a, device=device)
    fn = getattr(torch, name)
    for dim in (0, 1, -1) if device == "cpu" else (1,):        # the simulator is slow
        v, i = fn(x, dim)
        ref = lower_median(a, dim, name == "nanmedian")
        np.testing.assert_array_equal(host(v), ref)
        picked = np.take_along_axis(a, np.expand_dims(host(i), dim), dim).squeeze(dim)
        np.testing.assert_array_equal(picked, ref)          # the index holds the value
    np.testing.assert_array_equal(host(fn(x)), lower_median(a.reshape(-1), 0,
                                                            name == "nanmedian"))
    assert fn(x, 1, keepdim=True).values.shape == (3, 1)
    assert getattr(x, name)(dim=0).indices.shape == (5,)


def test_median_ints_and_scalars():
    a = np.array([[4, 1, 3, 2], [7, 5, 6, 0], [1, 1, 1, 1]])
    x = torch.tensor(a)
    assert torch.median(x).item() == np.sort(a, None)[(a.size - 1) // 2]
    assert torch.median(x).dtype is torch.int64
    np.testing.assert_array_equal(torch.median(x, 1).values.numpy(), lower_median(a, 1, False))
    np.testing.assert_array_equal(torch.kthvalue(x, 2, 0).values.numpy(), np.sort(a, 0)[1])
    assert torch.median(torch.tensor(5.0), 0).indices.item() == 0
    assert torch.isnan(torch.median(torch.empty(0)))


@pytest.mark.parametrize("device", DEVICES)
def test_kthvalue(device):
    a = data((4, 3), seed=1)
    x = torch.tensor(a, device=device)
    for k in (1, 2, 4):
        v, i = torch.kthvalue(x, k, 0)
        np.testing.assert_array_equal(host(v), np.sort(a, 0)[k - 1])
        np.testing.assert_array_equal(host(i), np.argsort(a, 0)[k - 1])
    assert x.kthvalue(2, dim=1, keepdim=True).values.shape == (4, 1)


@pytest.mark.parametrize("device", DEVICES)
def test_mode(device):
    a = np.random.default_rng(2).integers(0, 3, (3, 7))
    v, i = torch.mode(torch.tensor(a, device=device), 1)
    for row, value, index in zip(a, host(v), host(i)):
        values, counts = np.unique(row, return_counts=True)
        assert value == values[np.argmax(counts)]                  # the smallest most frequent
        assert index == np.flatnonzero(row == value)[-1]            # its last occurrence
    assert torch.tensor(a).mode(0, keepdim=True).values.shape == (1, 7)


def test_order_statistic_gradients():
    a = torch.tensor(data((3, 4), seed=3), requires_grad=True)
    for fn in (lambda t: torch.median(t, 1).values, lambda t: torch.nanmedian(t, 0)[0],
               lambda t: torch.kthvalue(t, 3, 1).values, lambda t: torch.mode(t, 0).values,
               torch.median, torch.nanmedian):
        assert gradcheck(fn, (a,))
    assert torch.median(a, 1).values.grad_fn.name() == "MedianBackward1"
    assert torch.kthvalue(a, 1).values.grad_fn.name() == "KthvalueBackward0"


def test_median_ties_share_the_gradient():
    x = torch.tensor([1.0, 2.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    torch.median(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0.5, 0])


# --- quantile ------------------------------------------------------------------------------------

INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _np_quantile(a, q, axis, keepdims, interpolation, ignore_nan):
    fn = np.nanquantile if ignore_nan else np.quantile
    with np.errstate(invalid="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(a, q, axis=axis, keepdims=keepdims, method=interpolation)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile(interpolation, name):
    a = data((3, 6), seed=4, nan=True)
    a[2] = np.nan                                       # an all-NaN row
    q = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    fn = getattr(torch, name)
    for dim, keepdim in ((None, False), (None, True), (0, False), (1, True), (-1, False)):
        out = fn(torch.tensor(a), torch.tensor(q), dim, keepdim, interpolation=interpolation)
        ref = _np_quantile(a, q, dim, keepdim, interpolation, name == "nanquantile")
        assert tuple(out.shape) == ref.shape
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, equal_nan=True)
    ties = np.arange(6.0)                                # ranks k + 0.5: "nearest" rounds to even
    for q in (0.1, 0.3, 0.5, 0.7, 0.9):
        assert fn(torch.tensor(ties), q, interpolation=interpolation).item() == \
            pytest.approx(_np_quantile(ties, q, None, False, interpolation, False), abs=1e-12)
    scalar = fn(torch.tensor(a), 0.3, 1, interpolation=interpolation)
    np.testing.assert_allclose(scalar.numpy(), _np_quantile(a, 0.3, 1, False, interpolation,
                                                            name == "nanquantile"),
                               rtol=1e-12, equal_nan=True)


def test_quantile_cuda_and_gradient():
    a = data((2, 5), seed=5)
    x = torch.tensor(a, requires_grad=True)
    for interpolation in INTERPOLATIONS:
        assert gradcheck(lambda t: torch.quantile(t, torch.tensor([0.3, 0.5], dtype=torch.float64),
                                                  dim=1, interpolation=interpolation), (x,))
    cpu = torch.quantile(torch.tensor(a), 0.35, 0)
    np.testing.assert_allclose(host(torch.tensor(a, device="cuda").quantile(0.35, 0)),
                               cpu.numpy(), rtol=1e-12)


# --- sampling and counting -----------------------------------------------------------------------

def test_multinomial_distribution():
    p = torch.tensor([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 0.0, 2.0]])
    torch.manual_seed(0)
    s = torch.multinomial(p, 4000, replacement=True)
    assert s.shape == (2, 4000) and s.dtype is torch.int64
    freq = np.stack([np.bincount(r, minlength=4) for r in s.numpy()]) / 4000
    ref = p.numpy() / p.numpy().sum(1, keepdims=True)
    np.testing.assert_allclose(freq, ref, atol=0.03)
    assert (freq[ref == 0] == 0).all()
    draws = torch.multinomial(p, 3)                     # without replacement: distinct
    assert all(len(set(r)) == 3 for r in draws.tolist())
    assert set(torch.multinomial(torch.tensor([0.0, 1, 0, 0]), 1).tolist()) == {1}
    assert torch.multinomial(p[0], 2).shape == (2,)


def test_multinomial_generator_and_device():
    p = torch.tensor([0.2, 0.3, 0.5])
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    a = torch.multinomial(p, 10, True, generator=g1)
    assert a.tolist() == torch.multinomial(p, 10, True, generator=g2).tolist()
    torch.manual_seed(3)
    b = torch.multinomial(p.cuda(), 2)
    torch.manual_seed(3)
    assert b.device.type == "cuda" and b.tolist() == p.multinomial(2).tolist()


@pytest.mark.parametrize("device", DEVICES)
def test_bincount(device):
    x = np.array([0, 3, 3, 1, 5])
    w = np.array([0.5, 1.0, 2.0, 0.25, 3.0], np.float32)
    out = torch.bincount(torch.tensor(x, device=device))
    np.testing.assert_array_equal(host(out), np.bincount(x))
    assert out.dtype is torch.int64
    wo = torch.tensor(x, device=device).bincount(torch.tensor(w, device=device), minlength=8)
    np.testing.assert_array_equal(host(wo), np.bincount(x, w, 8))
    assert wo.dtype is torch.float32
    assert torch.bincount(torch.tensor(x), torch.tensor(x)).dtype is torch.float64


@pytest.mark.parametrize("device", DEVICES)
def test_unique(device):
    a = np.random.default_rng(6).integers(0, 5, (3, 4))
    x = torch.tensor(a, device=device)
    values, inverse, counts = torch.unique(x, return_inverse=True, return_counts=True)
    rv, ri, rc = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(host(values), rv)
    np.testing.assert_array_equal(host(inverse), ri.reshape(a.shape))
    np.testing.assert_array_equal(host(counts), rc)
    np.testing.assert_array_equal(host(x.unique(sorted=False)), rv)
    rows = torch.unique(torch.tensor(np.array([[1, 2], [0, 1], [1, 2]])), dim=0,
                        return_inverse=True)
    assert rows[0].tolist() == [[0, 1], [1, 2]] and rows[1].tolist() == [1, 0, 1]


@pytest.mark.parametrize("device", DEVICES)
def test_unique_consecutive(device):
    a = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    v, i, c = torch.unique_consecutive(torch.tensor(a, device=device), return_inverse=True,
                                       return_counts=True)
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
    np.testing.assert_array_equal(host(v), a[starts])
    np.testing.assert_array_equal(host(c), np.diff(np.r_[starts, a.size]))
    np.testing.assert_array_equal(a[starts][host(i)], a)
    m = torch.tensor([[1, 1, 2], [1, 1, 2]])
    assert torch.unique_consecutive(m, dim=1).tolist() == [[1, 2], [1, 2]]


# --- errors --------------------------------------------------------------------------------------

ERRORS = [
    (lambda t: t.multinomial(t.tensor([1, 2]), 1),
     "multinomial only supports floating-point dtypes for input, got: Long"),
    (lambda t: t.multinomial(t.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
    (lambda t: t.multinomial(t.ones(3), 0), "cannot sample n_sample <= 0 samples"),
    (lambda t: t.multinomial(t.ones(3), 4), "cannot sample n_sample > prob_dist.size(-1) "
                                                  "samples without replacement"),
    (lambda t: t.multinomial(t.tensor([-1.0, 2]), 1),
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda t: t.multinomial(t.zeros(3), 1),
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    (lambda t: t.bincount(t.tensor([-1, 2])),
     "bincount only supports 1-d non-negative integral inputs."),
    (lambda t: t.bincount(t.tensor([1, 2]), minlength=-1), "minlength should be >= 0"),
    (lambda t: t.bincount(t.tensor([1, 2]), t.ones(3)),
     "weights should be 1-d and have the same length as input"),
    (lambda t: t.kthvalue(t.ones(2, 4), 5, 0),
     "kthvalue(): selected number k out of range for dimension 0"),
    (lambda t: t.quantile(t.ones(3), 1.5),
     "quantile() q must be in the range [0, 1] but got 1.5"),
    (lambda t: t.quantile(t.ones(3), 0.5, interpolation="foo"),
     "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
     "got foo"),
    (lambda t: t.quantile(t.tensor([1, 2]), 0.5),
     "quantile() input tensor must be either float or double dtype"),
    (lambda t: t.nanquantile(t.ones(3), t.ones(1, 1)),
     "quantile() q must be a scalar or 1D tensor"),
    (lambda t: t.nanquantile(t.ones(3), t.tensor([0.5, 2.0])),
     "quantile() q values must be in the range [0, 1]"),
    (lambda t: t.quantile(t.ones(3), t.ones(1, dtype=t.float64)),
     "quantile() q tensor must be same dtype as the input tensor"),
    (lambda t: t.quantile(t.empty(0), 0.5), "quantile() input tensor must be non-empty"),
]


@pytest.mark.parametrize("call, message", ERRORS)
def test_errors(call, message):
    with pytest.raises(RuntimeError) as e:
        call(torch)
    assert str(e.value) == message
    with pytest.raises(IndexError, match=r"median\(\): Expected reduction dim 0 to have non-zero"):
        torch.median(torch.empty(0, 3), 0)
    with pytest.raises(NotImplementedError, match="\"bincount_cpu\" not implemented for 'Float'"):
        torch.bincount(torch.ones(2))


def test_unique_keeps_every_nan_apart():
    values, inverse, counts = torch.unique(torch.tensor([np.nan, 1.0, np.nan]),
                                           return_inverse=True, return_counts=True)
    assert np.isnan(values.numpy()[1:]).all() and values.numpy()[0] == 1.0
    assert inverse.tolist() == [1, 0, 2] and counts.tolist() == [1, 1, 1]


def test_mode_of_an_empty_line_raises():
    with pytest.raises(IndexError, match=r"^mode\(\): Expected reduction dim 1 to have non-zero"):
        torch.mode(torch.empty(2, 0), 1)
    assert torch.mode(torch.empty(0, 3), 1).values.shape == (0,)


@pytest.mark.parametrize("call, message", ERRORS)
def test_errors_match_torch(call, message):
    real = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as e:
        call(real)
    assert str(e.value) == message


def test_against_torch():
    real = pytest.importorskip("torch")
    a = data((3, 5), seed=8, nan=True, ties=True)
    for name in ("median", "nanmedian"):
        ours, theirs = getattr(torch, name)(torch.tensor(a), 1), getattr(real, name)(
            real.tensor(a), 1)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    b = np.random.default_rng(9).integers(0, 3, (4, 6))
    assert torch.mode(torch.tensor(b), 1).indices.tolist() == \
        real.mode(real.tensor(b), 1).indices.tolist()


def test_cuda_gradients_equal_cpu():
    a = data((3, 4), seed=10, ties=True)
    grads = []
    for device in DEVICES:
        x = torch.tensor(a, device=device, requires_grad=True)
        (torch.median(x, 1).values.sum() + torch.median(x) + torch.kthvalue(x, 2, 0)[0].sum() +
         torch.quantile(x, 0.3, 1).sum()).backward()
        grads.append(host(x.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)
