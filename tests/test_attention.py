"""F.scaled_dot_product_attention, nn.MultiheadAttention and the Transformer modules: against
NumPy versions of PyTorch's formulas, float64 gradcheck, PyTorch's names, init and errors, CUDA
parity, a small training run, state_dict round trips; torch 2.13 as an extra oracle."""
import io
import math

import numpy as np
import pytest

import nbtorch
import nbtorch.nn.functional as F
from nbtorch import nn
from nbtorch.autograd import gradcheck


# --- NumPy reference ---------------------------------------------------------------------------

def _np_softmax(x):
    """Softmax over the last axis; a row that is all -inf gives zeros (PyTorch's safe softmax)."""
    top = x.max(-1, keepdims=True)
    e = np.exp(x - np.where(np.isfinite(top), top, 0))
    s = e.sum(-1, keepdims=True)
    return np.divide(e, s, out=np.zeros_like(e), where=s > 0)


def _np_sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    scores = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        mask = np.tril(np.ones(scores.shape[-2:], bool))
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    return _np_softmax(scores) @ v


def _np_mha(m, query, key, value, key_padding_mask=None, attn_mask=None):
    """Sequence-first (L, N, E) inputs; MultiheadAttention's masks mark blocked positions with True
    (or add a float). Returns the output and the per-head weights (N, H, L, S)."""
    p = {k: v.detach().numpy() for k, v in m.named_parameters()}
    E, H = m.embed_dim, m.num_heads
    ws = (np.split(p["in_proj_weight"], 3) if "in_proj_weight" in p
          else [p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]])
    bs = np.split(p["in_proj_bias"], 3) if "in_proj_bias" in p else [0, 0, 0]
    L, N, S = query.shape[0], query.shape[1], key.shape[0]
    q, k, v = ((x @ w.T + b).reshape(x.shape[0], N, H, E // H).transpose(1, 2, 0, 3)
               for x, w, b in zip((query, key, value), ws, bs))
    mask = np.zeros((N, H, L, S))
    if attn_mask is not None:
        mask = mask + (np.where(attn_mask, -np.inf, 0) if attn_mask.dtype == bool else attn_mask)
    if key_padding_mask is not None:
        mask = mask + np.where(key_padding_mask, -np.inf, 0)[:, None, None, :]
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(E // H) + mask
    e = np.exp(scores - scores.max(-1, keepdims=True))
    weights = e / e.sum(-1, keepdims=True)
    out = (weights @ v).transpose(2, 0, 1, 3).reshape(L, N, E)
    return out @ p["out_proj.weight"].T + p.get("out_proj.bias", 0), weights


def _np_layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * w + b


def _t(a, **kw):
    return nbtorch.tensor(a, **kw)


RNG = np.random.default_rng(0)


# --- scaled_dot_product_attention ---------------------------------------------------------------

@pytest.mark.parametrize("case", ["plain", "bool", "float", "causal", "scale", "unbatched"])
def test_sdpa_matches_numpy(case):
    q, k, v = (RNG.standard_normal(s) for s in ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)))
    kw, ref_kw = {}, {}
    if case == "bool":
        mask = RNG.random((4, 6)) > 0.4
        mask[:, 0] = True
        kw["attn_mask"], ref_kw["mask"] = _t(mask), mask
    elif case == "float":
        mask = RNG.standard_normal((2, 1, 4, 6))
        kw["attn_mask"], ref_kw["mask"] = _t(mask), mask
    elif case == "causal":
        kw["is_causal"] = ref_kw["is_causal"] = True
    elif case == "scale":
        kw["scale"] = ref_kw["scale"] = 0.3
    elif case == "unbatched":
        q, k, v = q[0, 0], k[0, 0], v[0, 0]
    got = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), **kw)
    np.testing.assert_allclose(got.numpy(), _np_sdpa(q, k, v, **ref_kw), rtol=1e-12, atol=1e-12)


def test_sdpa_fully_masked_row_gives_zeros_and_finite_gradients():
    q = _t(RNG.standard_normal((3, 4)), requires_grad=True)
    k, v = _t(RNG.standard_normal((5, 4))), _t(RNG.standard_normal((5, 2)))
    mask = np.ones((3, 5), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=_t(mask))
    np.testing.assert_array_equal(out.detach().numpy()[1], 0)
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all()
    np.testing.assert_array_equal(q.grad.numpy()[1], 0)


def test_sdpa_gqa_and_dropout():
    q, k, v = (RNG.standard_normal(s) for s in ((1, 4, 3, 2), (1, 2, 3, 2), (1, 2, 3, 2)))
    got = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), enable_gqa=True)
    ref = _np_sdpa(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)
    assert (F.scaled_dot_product_attention(_t(q), _t(q), _t(q), dropout_p=1.0).numpy() == 0).all()
    nbtorch.manual_seed(0)
    dropped = F.scaled_dot_product_attention(_t(q), _t(q), _t(q), dropout_p=0.5).numpy()
    assert not np.allclose(dropped, _np_sdpa(q, q, q))


def test_sdpa_gradcheck():
    q, k, v = (_t(RNG.standard_normal(s), requires_grad=True) for s in ((2, 3, 2), (2, 4, 2),
                                                                        (2, 4, 3)))
    mask = _t(RNG.standard_normal((3, 4)))
    w = _t(RNG.standard_normal((2, 3, 3)))
    assert gradcheck(lambda q, k, v: (F.scaled_dot_product_attention(q, k, v, mask) * w).sum(),
                     (q, k, v))
    assert gradcheck(lambda q, k, v: (F.scaled_dot_product_attention(q, k, v, is_causal=True)
                                      * w).sum(), (q, k, v))


def test_sdpa_errors():
    q = nbtorch.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when "
                                           "is_causal=True"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=nbtorch.ones(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same dtype, "
                                           "but got query.dtype: float key.dtype: float and "
                                           "value.dtype: double instead."):
        F.scaled_dot_product_attention(q, q, q.double())
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 "
                                           r"tensor to be: \[2, 4\] but got: \[2, 3\]."):
        F.scaled_dot_product_attention(q, nbtorch.randn(2, 5, 3), nbtorch.randn(2, 5, 6))


# --- MultiheadAttention -------------------------------------------------------------------------

def _mha(**kw):
    nbtorch.manual_seed(0)
    return nn.MultiheadAttention(8, 2, dtype=nbtorch.float64, **kw)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("bool_masks", [True, False])
def test_mha_self_attention_matches_numpy(need_weights, bool_masks):
    m = _mha()
    x = RNG.standard_normal((4, 3, 8))
    kpm = np.zeros((3, 4), bool)
    kpm[0, 2:] = True
    am = np.triu(np.ones((4, 4), bool), 1)
    if not bool_masks:
        kpm, am = np.where(kpm, -np.inf, 0.0), np.where(am, -np.inf, 0.0)
    out, w = m(_t(x), _t(x), _t(x), key_padding_mask=_t(kpm), attn_mask=_t(am),
               need_weights=need_weights, average_attn_weights=False)
    ref_out, ref_w = _np_mha(m, x, x, x, kpm, am)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, rtol=1e-12, atol=1e-12)
    if need_weights:
        np.testing.assert_allclose(w.detach().numpy(), ref_w, rtol=1e-12, atol=1e-12)
    else:
        assert w is None


def test_mha_cross_attention_kdim_vdim_batch_first_and_unbatched():
    m = _mha(kdim=3, vdim=5, batch_first=True)
    assert m.in_proj_weight is None and m.k_proj_weight.shape == (8, 3)
    q, k, v = RNG.standard_normal((2, 4, 8)), RNG.standard_normal((2, 6, 3)), RNG.standard_normal(
        (2, 6, 5))
    out, w = m(_t(q), _t(k), _t(v))
    ref_out, ref_w = _np_mha(m, *(a.transpose(1, 0, 2) for a in (q, k, v)))
    np.testing.assert_allclose(out.detach().numpy(), ref_out.transpose(1, 0, 2), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), ref_w.mean(1), rtol=1e-12, atol=1e-12)
    out1, w1 = m(_t(q[1]), _t(k[1]), _t(v[1]))             # unbatched: (L, E)
    np.testing.assert_allclose(out1.detach().numpy(), out.detach().numpy()[1], rtol=1e-12,
                               atol=1e-12)
    assert w1.shape == (4, 6)


def test_mha_parameters_and_init():
    m = nn.MultiheadAttention(6, 3)
    assert [k for k, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias",
                                                     "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight.shape == (18, 6) and m.head_dim == 2
    assert (m.in_proj_bias.detach().numpy() == 0).all() and (m.out_proj.bias.detach().numpy()
                                                             == 0).all()
    bound = math.sqrt(6 / (6 + 18))                         # xavier_uniform_ on (18, 6)
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and w.std() > bound / 4
    kv = nn.MultiheadAttention(6, 3, bias=False, add_bias_kv=True, kdim=2)
    assert [k for k, _ in kv.named_parameters()] == ["q_proj_weight", "k_proj_weight",
                                                      "v_proj_weight", "bias_k", "bias_v",
                                                      "out_proj.weight"]
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear("
                       "in_features=6, out_features=6, bias=True)\n)")


def test_mha_gradcheck():
    m = nn.MultiheadAttention(4, 2, dtype=nbtorch.float64, add_bias_kv=True)
    x = _t(RNG.standard_normal((2, 1, 4)), requires_grad=True)
    kpm = _t(np.array([[False, True]]))
    w = _t(RNG.standard_normal((2, 1, 4)))
    assert gradcheck(lambda x, *p: (m(x, x, x, key_padding_mask=kpm)[0] * w).sum(),
                     (x, *m.parameters()))


def test_mha_errors():
    m = nn.MultiheadAttention(8, 2)
    x = nbtorch.randn(4, 3, 8)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is torch.Size\(\[4, 5\]"
                                           r"\), but should be \(4, 4\)."):
        m(x, x, x, attn_mask=nbtorch.zeros(4, 5))
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor "
                                             "but received 4-D query tensor"):
        m(x[None], x[None], x[None])
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)


# --- Transformer --------------------------------------------------------------------------------

def test_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    assert mask.dtype == np.float32
    np.testing.assert_array_equal(mask, np.where(np.triu(np.ones((4, 4)), 1) > 0, -np.inf, 0))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_numpy(norm_first):
    nbtorch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first,
                                       activation="gelu", dtype=nbtorch.float64)
    x = RNG.standard_normal((5, 2, 8))
    kpm = np.zeros((2, 5), bool)
    kpm[1, -2:] = True
    got = layer(_t(x), src_key_padding_mask=_t(kpm)).detach().numpy()
    p = {k: v.detach().numpy() for k, v in layer.named_parameters()}

    def ff(h):
        a = h @ p["linear1.weight"].T + p["linear1.bias"]
        a = 0.5 * a * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))
        return a @ p["linear2.weight"].T + p["linear2.bias"]

    def ln(h, i):
        return _np_layer_norm(h, p[f"norm{i}.weight"], p[f"norm{i}.bias"])

    def sa(h):
        return _np_mha(layer.self_attn, h, h, h, kpm)[0]

    if norm_first:
        h = x + sa(ln(x, 1))
        ref = h + ff(ln(h, 2))
    else:
        h = ln(x + sa(x), 1)
        ref = ln(h + ff(h), 2)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_encoder_stack_clones_layers_and_round_trips():
    nbtorch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.detach().numpy(),
                                  enc.layers[1].linear1.weight.detach().numpy())
    buf = io.BytesIO()
    nbtorch.save(enc.state_dict(), buf)
    buf.seek(0)
    other = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8))
    other.load_state_dict(nbtorch.load(buf))
    enc.eval()
    other.eval()
    x = nbtorch.randn(3, 2, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(enc(x, mask).detach().numpy(),
                                  other(x, mask, is_causal=True).detach().numpy())


def test_cuda_matches_cpu():
    nbtorch.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dtype=nbtorch.float64)
    x = nbtorch.randn(3, 1, 4, dtype=nbtorch.float64)
    kpm = nbtorch.tensor([[0.0, 0.0, -math.inf]], dtype=nbtorch.float64)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=nbtorch.float64)
    results = []
    for device in ("cpu", "cuda"):
        m.to(device)
        m.zero_grad()
        xd = x.detach().to(device).requires_grad_()
        a = m(xd, xd, xd, key_padding_mask=kpm.to(device), attn_mask=mask.to(device),
              need_weights=False)[0]
        b = F.scaled_dot_product_attention(xd, xd, xd, is_causal=True)
        (a.sum() + b.sum()).backward()
        assert a.device.type == device
        results.append([t.detach().cpu().numpy() for t in (a, b, xd.grad, m.in_proj_weight.grad)])
    for c, g in zip(*results):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)


def test_encoder_learns_sequence_max():
    """Every position must output the maximum of the whole sequence: only attention across
    positions can fit it."""
    nbtorch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6, 1)).astype(np.float32)
    y = np.repeat(x.max(1, keepdims=True), 6, 1)
    model = nn.Sequential(nn.Linear(1, 16), nn.TransformerEncoder(
        nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 1), nn.Linear(16, 1))
    opt = nbtorch.optim.Adam(model.parameters(), lr=0.01)
    xs, ys = _t(x), _t(y)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.mse_loss(model(xs), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


# --- torch as an extra oracle ------------------------------------------------------------------

def _load_from_torch(t, n):
    assert list(t.state_dict()) == list(n.state_dict())
    n.load_state_dict({k: nbtorch.tensor(v.numpy()) for k, v in t.state_dict().items()})


def _compare_grads(t, n, xt, xn):
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), q in zip(t.named_parameters(), n.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=name)


@pytest.mark.parametrize("kw", [{}, dict(add_bias_kv=True, add_zero_attn=True, bias=False)])
def test_mha_matches_torch(kw):
    torch = pytest.importorskip("torch")
    t = torch.nn.MultiheadAttention(8, 2, dtype=torch.float64, **kw)
    n = nn.MultiheadAttention(8, 2, dtype=nbtorch.float64, **kw)
    _load_from_torch(t, n)
    x = RNG.standard_normal((4, 3, 8))
    kpm = np.zeros((3, 4), bool)
    kpm[2, 1:] = True
    xt, xn = torch.tensor(x, requires_grad=True), _t(x, requires_grad=True)
    a, wa = t(xt, xt, xt, key_padding_mask=torch.tensor(kpm))
    b, wb = n(xn, xn, xn, key_padding_mask=_t(kpm))
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wb.detach().numpy(), wa.detach().numpy(), rtol=1e-10, atol=1e-12)
    a.pow(2).sum().backward()
    b.pow(2).sum().backward()
    _compare_grads(t, n, xt, xn)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("kw", [{}, dict(norm_first=True, activation="gelu", batch_first=True)])
def test_transformer_matches_torch(kw):
    torch = pytest.importorskip("torch")
    t = torch.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, dtype=torch.float64, **kw)
    n = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, dtype=nbtorch.float64, **kw)
    assert repr(t) == repr(n)
    _load_from_torch(t, n)
    src, tgt = RNG.standard_normal((5, 3, 8)), RNG.standard_normal((4, 3, 8))
    if kw:
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    kpm = np.zeros((3, 5), bool)
    kpm[0, -1] = True
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    st, sn = torch.tensor(src, requires_grad=True), _t(src, requires_grad=True)
    a = t(st, torch.tensor(tgt), tgt_mask=mask, src_key_padding_mask=torch.tensor(kpm))
    b = n(sn, _t(tgt), tgt_mask=_t(mask.numpy()), src_key_padding_mask=_t(kpm))
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-9, atol=1e-12)
    a.pow(3).sum().backward()
    b.pow(3).sum().backward()
    _compare_grads(t, n, st, sn)
