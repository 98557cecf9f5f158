"""torch.distributions Categorical, Normal, Bernoulli, Uniform: NumPy-formula references, float64
gradchecks of log_prob/entropy/rsample, sample statistics, the REINFORCE idiom, PyTorch's
validation errors (torch as an extra oracle)."""
import math

import numpy as np
import pytest

import nbtorch as torch
from nbtorch.autograd import gradcheck
from nbtorch.distributions import Bernoulli, Categorical, Normal, Uniform

rng = np.random.default_rng(0)


def t64(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def test_categorical_values():
    p = rng.uniform(0.1, 1, (2, 4))
    pn = p / p.sum(-1, keepdims=True)
    for m in (Categorical(t64(p)), Categorical(logits=t64(np.log(p) + 3))):
        np.testing.assert_allclose(m.probs.numpy(), pn, rtol=1e-12)
        np.testing.assert_allclose(m.logits.numpy(), np.log(pn), rtol=1e-12)
        v = np.array([3, 0])
        np.testing.assert_allclose(m.log_prob(torch.tensor(v)).numpy(), np.log(pn[[0, 1], v]),
                                   rtol=1e-12)
        np.testing.assert_allclose(m.entropy().numpy(), -(pn * np.log(pn)).sum(-1), rtol=1e-12)
        assert m.batch_shape == (2,) and m.event_shape == ()
    assert Categorical(t64([0.0, 1.0])).entropy().item() == pytest.approx(0, abs=1e-12)
    assert Categorical(t64(p)).enumerate_support().shape == (4, 2)


def test_categorical_sampling():
    torch.manual_seed(0)
    probs = torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    s = Categorical(probs).sample((3000,))
    assert s.shape == (3000, 2) and s.dtype is torch.int64
    freq = np.stack([np.bincount(s.numpy()[:, i], minlength=3) for i in range(2)]) / 3000
    np.testing.assert_allclose(freq, probs.numpy(), atol=0.04)
    torch.manual_seed(5)
    a = Categorical(probs).sample((4,))
    torch.manual_seed(5)
    assert a.tolist() == Categorical(probs).sample((4,)).tolist()


def test_reinforce_idiom():
    """m = Categorical(probs); action = m.sample(); loss = -m.log_prob(action) * reward."""
    logits = t64(rng.standard_normal(4), True)
    probs = torch.softmax(logits, 0)
    m = Categorical(probs)
    action = m.sample()
    loss = -m.log_prob(action) * 2.5
    loss.backward()
    onehot = np.eye(4)[action.item()]
    np.testing.assert_allclose(logits.grad.numpy(), -2.5 * (onehot - probs.detach().numpy()),
                               rtol=1e-10)


def test_gradients():
    p = t64(rng.uniform(0.1, 1, (2, 3)), True)
    v = torch.tensor([2, 0])
    assert gradcheck(lambda x: Categorical(x).log_prob(v), (p,))
    assert gradcheck(lambda x: Categorical(logits=x).entropy(), (p,))
    loc, scale = t64(rng.standard_normal(3), True), t64(rng.uniform(0.5, 2, 3), True)
    x = t64(rng.standard_normal(3))
    assert gradcheck(lambda a, b: Normal(a, b).log_prob(x), (loc, scale))
    assert gradcheck(lambda a, b: Normal(a, b).entropy(), (loc, scale))
    torch.manual_seed(1)
    eps = torch.randn(3, dtype=torch.float64)
    torch.manual_seed(1)
    y = Normal(loc, scale).rsample()
    np.testing.assert_allclose(y.detach().numpy(), (loc + eps * scale).detach().numpy())
    y.sum().backward()
    np.testing.assert_allclose(scale.grad.numpy(), eps.numpy())
    q = t64(rng.uniform(0.1, 0.9, 3), True)
    b = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    assert gradcheck(lambda a: Bernoulli(a).log_prob(b), (q,))
    assert gradcheck(lambda a: Bernoulli(logits=a).entropy(), (q,))
    lo, hi = t64([0.0, -1.0], True), t64([2.0, 3.0], True)
    assert gradcheck(lambda a, c: Uniform(a, c).log_prob(t64([1.0, 0.5])), (lo, hi))


def test_normal_values_and_sampling():
    loc, scale = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    m = Normal(t64(loc), t64(scale))
    x = rng.standard_normal(3)
    ref = -((x - loc) ** 2) / (2 * scale ** 2) - np.log(scale) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(m.log_prob(t64(x)).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(m.entropy().numpy(), 0.5 + 0.5 * np.log(2 * np.pi) + np.log(scale),
                               rtol=1e-12)
    assert m.mean is m.loc and m.stddev is m.scale
    np.testing.assert_allclose(m.variance.numpy(), scale ** 2)
    np.testing.assert_allclose(Normal(0.0, 1.0).cdf(torch.tensor(0.5)).item(),
                               0.5 * (1 + math.erf(0.5 / math.sqrt(2))), rtol=1e-6)
    torch.manual_seed(2)
    s = Normal(torch.tensor([1.0, -2.0]), torch.tensor([0.5, 2.0])).sample((4000,))
    assert s.shape == (4000, 2) and s.dtype is torch.float32 and s.grad_fn is None
    np.testing.assert_allclose(s.numpy().mean(0), [1, -2], atol=0.1)
    np.testing.assert_allclose(s.numpy().std(0), [0.5, 2], rtol=0.05)


def test_bernoulli_and_uniform():
    p = rng.uniform(0.1, 0.9, 3)
    v = np.array([1.0, 0.0, 1.0])
    for m in (Bernoulli(t64(p)), Bernoulli(logits=t64(np.log(p / (1 - p))))):
        np.testing.assert_allclose(m.log_prob(t64(v)).numpy(),
                                   v * np.log(p) + (1 - v) * np.log(1 - p), rtol=1e-10)
        np.testing.assert_allclose(m.entropy().numpy(),
                                   -(p * np.log(p) + (1 - p) * np.log(1 - p)), rtol=1e-10)
        np.testing.assert_allclose(m.variance.numpy(), p * (1 - p), rtol=1e-10)
    torch.manual_seed(3)
    s = Bernoulli(torch.tensor([0.2, 0.7])).sample((3000,))
    assert set(np.unique(s.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(s.numpy().mean(0), [0.2, 0.7], atol=0.04)
    u = Uniform(t64([0.0, -1.0]), t64([2.0, 3.0]))
    np.testing.assert_allclose(u.log_prob(t64([1.0, 0.5])).numpy(), -np.log([2.0, 4.0]))
    np.testing.assert_allclose(u.entropy().numpy(), np.log([2.0, 4.0]))
    np.testing.assert_allclose(u.mean.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(u.stddev.numpy(), np.array([2.0, 4.0]) / np.sqrt(12))
    s = Uniform(-1.0, 3.0).sample((2000,))
    assert s.numpy().min() >= -1 and s.numpy().max() < 3 and abs(s.numpy().mean() - 1) < 0.1
    assert Uniform(0.0, 1.0, validate_args=False).log_prob(torch.tensor(2.0)).item() == -math.inf


def test_cuda_parameters():
    probs = torch.tensor([0.2, 0.8]).cuda()
    m = Categorical(probs)
    a = m.sample((3,))
    assert a.device.type == "cuda"
    np.testing.assert_allclose(m.log_prob(a).cpu().numpy(), np.log([0.2, 0.8])[a.cpu().numpy()],
                               rtol=1e-6)
    n = Normal(torch.zeros(2).cuda(), torch.ones(2).cuda())
    assert n.rsample().device.type == "cuda"
    assert n.log_prob(torch.zeros(2).cuda()).device.type == "cuda"


ERRORS = [
    lambda t: t.distributions.Categorical(),
    lambda t: t.distributions.Categorical(t.tensor([0.2, 0.3]), t.tensor([0.2, 0.3])),
    lambda t: t.distributions.Categorical(t.tensor([0.2, -0.3])),
    lambda t: t.distributions.Categorical(t.tensor(0.2)),
    lambda t: t.distributions.Normal(t.zeros(2), t.tensor([1.0, -1])),
    lambda t: t.distributions.Bernoulli(t.tensor([1.3])),
    lambda t: t.distributions.Uniform(2.0, 1.0),
    lambda t: t.distributions.Categorical(t.tensor([0.2, 0.3, 0.5])).log_prob(t.tensor([0, 5])),
    lambda t: t.distributions.Normal(0.0, 1.0).log_prob(t.tensor([0, float("nan")])),
    lambda t: t.distributions.Bernoulli(t.tensor([0.3])).log_prob(t.tensor([0.5])),
    lambda t: t.distributions.Uniform(0.0, 2.0).log_prob(t.tensor([3.0])),
]


def _message(module, call):
    with pytest.raises(ValueError) as e:
        call(module)
    return str(e.value)


@pytest.mark.parametrize("call", ERRORS)
def test_errors(call):
    msg = _message(torch, call)
    assert msg.startswith(("Either", "`probs`", "Expected parameter", "Expected value"))


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    real = pytest.importorskip("torch")
    assert _message(torch, call) == _message(real, call)


def test_reprs_match_torch():
    real = pytest.importorskip("torch")
    for make in (lambda t: t.distributions.Categorical(t.ones(2, 3)),
                 lambda t: t.distributions.Normal(0.0, 1.0),
                 lambda t: t.distributions.Bernoulli(t.tensor([0.3])),
                 lambda t: t.distributions.Uniform(t.zeros(2), 1.0)):
        assert repr(make(torch)) == repr(make(real))
