"""nn.RNN / LSTM / GRU and their cells: against a NumPy version of PyTorch's documented formulas,
float64 gradcheck, PyTorch's names, shapes, init, repr and errors, a CUDA parity check, a small
training run, state_dict round trips; torch 2.13 as an extra oracle when installed."""
import io
import math

import numpy as np
import pytest

import nbtorch
from nbtorch import nn
from nbtorch.autograd import gradcheck
from nbtorch.nn.utils import rnn as rnn_utils


# --- NumPy reference (PyTorch's documented formulas) -------------------------------------------

def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_step(mode, x, state, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    if mode == "LSTM":
        h, c = state
        i, f, g, o = np.split(gi + h @ w_hh.T + (0 if b_hh is None else b_hh), 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        return (h if w_hr is None else h @ w_hr.T), c
    gh = state @ w_hh.T + (0 if b_hh is None else b_hh)
    if mode == "GRU":
        (i_r, i_z, i_n), (h_r, h_z, h_n) = np.split(gi, 3, -1), np.split(gh, 3, -1)
        r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
        n = np.tanh(i_n + r * h_n)
        return (1 - z) * n + z * state
    pre = gi + gh
    return np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)


def _np_rnn(module, x, states):
    """Time-major x (T, B, I); states: tuple of (layers*dirs, B, H) arrays; returns the output and
    the final states."""
    p = {k: v.detach().numpy() for k, v in module.named_parameters()}
    dirs = 2 if module.bidirectional else 1
    finals = []
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = [p.get(n + sfx) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            extra = (p["weight_hr" + sfx],) if module.proj_size else ()
            state = tuple(s[k] for s in states)
            state = state if module.mode == "LSTM" else state[0]
            out = [None] * len(x)
            for t in (reversed(range(len(x))) if d else range(len(x))):
                state = _np_step(module.mode, x[t], state, *w, *extra)
                out[t] = state[0] if module.mode == "LSTM" else state
            outs.append(np.stack(out))
            finals.append(state if module.mode == "LSTM" else (state,))
        x = np.concatenate(outs, -1)
    return x, tuple(np.stack(s) for s in zip(*finals))


CONFIGS = [
    ("RNN", {}), ("RNN", dict(nonlinearity="relu", num_layers=2)), ("LSTM", {}),
    ("GRU", {}), ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(bidirectional=True, bias=False)), ("LSTM", dict(proj_size=2)),
]


def _make(kind, kw, input_size=3, hidden=4):
    nbtorch.manual_seed(0)
    return getattr(nn, kind)(input_size, hidden, dtype=nbtorch.float64, **kw)


def _states(module, batch, rng):
    rows = module.num_layers * (2 if module.bidirectional else 1)
    h = rng.standard_normal((rows, batch, module.proj_size or module.hidden_size))
    if module.mode == "LSTM":
        return h, rng.standard_normal((rows, batch, module.hidden_size))
    return (h,)


@pytest.mark.parametrize("kind,kw", CONFIGS)
def test_sequence_matches_numpy(kind, kw):
    rng = np.random.default_rng(1)
    m = _make(kind, kw)
    x = rng.standard_normal((5, 2, 3))
    states = _states(m, 2, rng)
    hx = tuple(nbtorch.tensor(s) for s in states)
    inp = nbtorch.tensor(x.transpose(1, 0, 2).copy() if m.batch_first else x)
    out, h_n = m(inp, hx if kind == "LSTM" else hx[0])
    ref_out, ref_states = _np_rnn(m, x, states)
    got = out.detach().numpy()
    np.testing.assert_allclose(got.transpose(1, 0, 2) if m.batch_first else got, ref_out,
                               rtol=1e-12, atol=1e-12)
    for g, r in zip(h_n if kind == "LSTM" else (h_n,), ref_states):
        np.testing.assert_allclose(g.detach().numpy(), r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_default_zero_state_and_unbatched(kind):
    m = _make(kind, dict(num_layers=2))
    x = nbtorch.randn(4, 3, dtype=nbtorch.float64)
    out, h = m(x)                                   # unbatched (L, H_in), zero initial state
    zeros = tuple(np.zeros(s.shape) for s in _states(m, 1, np.random.default_rng(0)))
    ref_out, ref_states = _np_rnn(m, x.numpy()[:, None], zeros)
    assert out.shape == (4, 4)
    np.testing.assert_allclose(out.detach().numpy(), ref_out[:, 0], rtol=1e-12, atol=1e-12)
    h = h if kind == "LSTM" else (h,)
    assert [t.shape for t in h] == [(2, 4)] * len(h)
    np.testing.assert_allclose(h[0].detach().numpy(), ref_states[0][:, 0], rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("kind,steps", [("RNNCell", 1), ("LSTMCell", 4), ("GRUCell", 3)])
def test_cells_match_numpy(kind, steps):
    nbtorch.manual_seed(0)
    cell = getattr(nn, kind)(3, 4, dtype=nbtorch.float64)
    assert cell.weight_ih.shape == (steps * 4, 3) and cell.bias_hh.shape == (steps * 4,)
    rng = np.random.default_rng(2)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    mode = {"RNNCell": "RNN_TANH", "LSTMCell": "LSTM", "GRUCell": "GRU"}[kind]
    w = [t.detach().numpy() for t in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    state = (h, c) if mode == "LSTM" else h
    ref = _np_step(mode, x, state, *w)
    got = cell(nbtorch.tensor(x), tuple(map(nbtorch.tensor, state)) if mode == "LSTM"
               else nbtorch.tensor(state))
    for g, r in zip(got if mode == "LSTM" else (got,), ref if mode == "LSTM" else (ref,)):
        np.testing.assert_allclose(g.detach().numpy(), r, rtol=1e-12, atol=1e-12)
    single = cell(nbtorch.tensor(x[0]))                 # unbatched, zero state
    ref = _np_step(mode, x[:1], (np.zeros((1, 4)),) * 2 if mode == "LSTM" else np.zeros((1, 4)),
                   *w)
    first = single[0] if mode == "LSTM" else single
    assert first.shape == (4,)
    np.testing.assert_allclose(first.detach().numpy(), (ref[0] if mode == "LSTM" else ref)[0],
                               rtol=1e-12, atol=1e-12)


def test_relu_cell():
    cell = nn.RNNCell(3, 2, nonlinearity="relu", dtype=nbtorch.float64)
    x = nbtorch.randn(5, 3, dtype=nbtorch.float64)
    ref = _np_step("RNN_RELU", x.numpy(), np.zeros((5, 2)),
                   *[t.detach().numpy() for t in cell.parameters()])
    np.testing.assert_allclose(cell(x).detach().numpy(), ref, rtol=1e-12, atol=1e-12)
    assert repr(cell) == "RNNCell(3, 2, nonlinearity=relu)"


def _weighted_sum(outputs, weights):
    return sum((o * w).sum() for o, w in zip(outputs, weights))


@pytest.mark.parametrize("kind,kw", [("LSTM", dict(bidirectional=True)),
                                     ("GRU", dict(num_layers=2)), ("RNN", {})])
def test_gradcheck(kind, kw):
    m = _make(kind, kw, input_size=2, hidden=2)
    rng = np.random.default_rng(3)
    x = nbtorch.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = [nbtorch.tensor(s, requires_grad=True) for s in _states(m, 2, rng)]
    seeds = None

    def fn(x, *args):
        nonlocal seeds
        out, h = m(x, tuple(h0) if kind == "LSTM" else h0[0])
        outs = (out,) + (h if kind == "LSTM" else (h,))
        if seeds is None:
            seeds = [nbtorch.tensor(rng.standard_normal(o.shape)) for o in outs]
        return _weighted_sum(outs, seeds)

    assert gradcheck(fn, (x, *h0, *m.parameters()))


def test_gradcheck_cells():
    nbtorch.manual_seed(0)
    lstm, gru = nn.LSTMCell(2, 3, dtype=nbtorch.float64), nn.GRUCell(2, 3, dtype=nbtorch.float64)
    x = nbtorch.randn(2, 2, dtype=nbtorch.float64, requires_grad=True)
    h = nbtorch.randn(2, 3, dtype=nbtorch.float64, requires_grad=True)
    c = nbtorch.randn(2, 3, dtype=nbtorch.float64, requires_grad=True)
    w = nbtorch.randn(2, 3, dtype=nbtorch.float64)
    assert gradcheck(lambda x, h, c, *p: _weighted_sum(lstm(x, (h, c)), (w, w * 2)),
                     (x, h, c, *lstm.parameters()))
    assert gradcheck(lambda x, h, *p: (gru(x, h) * w).sum(), (x, h, *gru.parameters()))


def test_parameters_names_shapes_and_init():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    shapes = {k: tuple(v.shape) for k, v in m.named_parameters()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                "weight_hr_l0"]
    assert shapes["weight_ih_l0_reverse"] == (20, 3)
    assert shapes["weight_hh_l0"] == (20, 2) and shapes["weight_hr_l1_reverse"] == (2, 5)
    assert shapes["weight_ih_l1"] == (20, 4)            # 2 directions x proj_size
    assert len(shapes) == 20 and len(m.all_weights) == 4
    bound = 1 / math.sqrt(5)
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.max() - values.min() > bound          # spread over the range, not constant
    g = nn.GRU(3, 4, bias=False)
    assert [k for k, _ in g.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_repr():
    assert repr(nn.LSTM(10, 20, 2)) == "LSTM(10, 20, num_layers=2)"
    assert (repr(nn.GRU(3, 4, 2, batch_first=True, dropout=0.5, bidirectional=True))
            == "GRU(3, 4, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)")
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"
    assert repr(nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"


def test_errors():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size. "
                                           r"Expected 3, got 6"):
        lstm(nbtorch.randn(5, 2, 6))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 4\), got "
                                           r"\[1, 3, 4\]"):
        lstm(nbtorch.randn(5, 2, 3), (nbtorch.zeros(1, 3, 4), nbtorch.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got "
                                           r"\[1, 1, 4\]"):
        lstm(nbtorch.randn(5, 2, 3), (nbtorch.zeros(1, 2, 4), nbtorch.zeros(1, 1, 4)))
    with pytest.raises(ValueError, match=r"LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(nbtorch.randn(1, 5, 2, 3))
    with pytest.raises(ValueError, match=r"RNN input dtype \(torch.float64\) does not match "
                                         r"weight dtype \(torch.float32\)"):
        lstm(nbtorch.randn(5, 2, 3, dtype=nbtorch.float64))
    gru = nn.GRU(3, 4)
    with pytest.raises(RuntimeError, match=r"^Expected hidden size \(1, 2, 4\), got \[1, 2, 5\]"):
        gru(nbtorch.randn(5, 2, 3), nbtorch.zeros(1, 2, 5))
    with pytest.raises(RuntimeError, match=r"For batched 3-D input, hx should also be 3-D but got "
                                           r"2-D tensor"):
        gru(nbtorch.randn(5, 2, 3), nbtorch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"RNN: Expected input to be 2D or 3D, got 1D tensor "
                                         r"instead"):
        nn.RNN(3, 4)(nbtorch.randn(3))
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(RuntimeError, match=r"input has inconsistent input_size: got 5 expected 3"):
        cell(nbtorch.randn(2, 5))
    with pytest.raises(RuntimeError, match=r"Input batch size 2 doesn't match hidden0 batch size "
                                           r"3"):
        cell(nbtorch.randn(2, 3), (nbtorch.zeros(3, 4), nbtorch.zeros(3, 4)))
    with pytest.raises(RuntimeError, match=r"hidden1 has inconsistent hidden_size: got 5, "
                                           r"expected 4"):
        cell(nbtorch.randn(2, 3), (nbtorch.zeros(2, 4), nbtorch.zeros(2, 5)))
    with pytest.raises(ValueError, match=r"Unknown nonlinearity 'sigmoid'. Select from 'tanh' or "
                                         r"'relu'."):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_dropout_between_layers_only_in_training():
    nbtorch.manual_seed(0)
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=nbtorch.float64)
    x = nbtorch.randn(4, 2, 3, dtype=nbtorch.float64)
    m.eval()
    ref, _ = _np_rnn(m, x.numpy(), (np.zeros((2, 2, 4)),))
    np.testing.assert_allclose(m(x)[0].detach().numpy(), ref, rtol=1e-12, atol=1e-12)
    m.train()
    assert not np.allclose(m(x)[0].detach().numpy(), ref)


def test_cuda_matches_cpu():
    nbtorch.manual_seed(0)
    m = nn.LSTM(2, 3, dtype=nbtorch.float64)
    x = nbtorch.randn(2, 2, 2, dtype=nbtorch.float64)
    out, (h, c) = m(x)
    (out.sum() + c.sum()).backward()
    grads = [p.grad.numpy().copy() for p in m.parameters()]
    m.zero_grad()
    m.cuda()
    xc = x.cuda()
    out_c, (h_c, c_c) = m(xc)
    assert out_c.device.type == "cuda"
    (out_c.sum() + c_c.sum()).backward()
    np.testing.assert_allclose(out_c.detach().cpu().numpy(), out.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    for p, g in zip(m.parameters(), grads):
        np.testing.assert_allclose(p.grad.cpu().numpy(), g, rtol=1e-10, atol=1e-12)


def test_lstm_learns_to_remember_the_first_input():
    """The target is the sign of the first step of a noisy sequence: only a recurrent state that
    carries it to the end can fit it."""
    nbtorch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 32, 1)).astype(np.float32)
    y = (x[0, :, 0] > 0).astype(np.float32)
    lstm, head = nn.LSTM(1, 8), nn.Linear(8, 1)
    opt = nbtorch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.05)
    xs, ys = nbtorch.tensor(x), nbtorch.tensor(y)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(60):
        opt.zero_grad()
        out, (h, c) = lstm(xs)
        loss = loss_fn(head(h[-1]).squeeze(1), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
    accuracy = ((head(lstm(xs)[1][0][-1]).squeeze(1) > 0).float() == ys).float().mean().item()
    assert accuracy > 0.9


def test_state_dict_round_trip():
    nbtorch.manual_seed(0)
    a = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    buf = io.BytesIO()
    nbtorch.save(a.state_dict(), buf)
    buf.seek(0)
    b = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    b.load_state_dict(nbtorch.load(buf))
    x = nbtorch.randn(4, 2, 3)
    np.testing.assert_array_equal(a(x)[0].detach().numpy(), b(x)[0].detach().numpy())


# --- packed sequences ----------------------------------------------------------------------------

def test_pad_and_pack_layout():
    rng = np.random.default_rng(5)
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    padded = rnn_utils.pad_sequence([nbtorch.tensor(s) for s in seqs], padding_value=-7.0)
    ref = np.full((4, 3, 2), -7.0)
    for b, s in enumerate(seqs):
        ref[:len(s), b] = s
    np.testing.assert_array_equal(padded.numpy(), ref)
    packed = rnn_utils.pack_padded_sequence(padded, [2, 4, 1], enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    order = [1, 0, 2]                                   # longest first, time-major
    rows = [seqs[b][t] for t in range(4) for b in order if t < len(seqs[b])]
    np.testing.assert_array_equal(packed.data.numpy(), np.stack(rows))
    back, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, padding_value=-7.0)
    np.testing.assert_array_equal(back.numpy(), ref.transpose(1, 0, 2))
    assert lengths.tolist() == [2, 4, 1] and lengths.dtype == nbtorch.int64
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(padded, [2, 4, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the "
                                         "longest sequence in input, but got total_length=3"):
        rnn_utils.pad_packed_sequence(packed, total_length=3)


@pytest.mark.parametrize("kind,kw", [("LSTM", dict(num_layers=2, bidirectional=True)),
                                     ("GRU", dict(bidirectional=True, batch_first=True))])
def test_packed_input_equals_running_each_sequence_alone(kind, kw):
    """A packed batch must give, for every sequence, what that sequence gives on its own."""
    m = _make(kind, kw)
    rng = np.random.default_rng(6)
    lengths = [3, 5, 1]
    seqs = [nbtorch.tensor(rng.standard_normal((n, 3))) for n in lengths]
    packed = rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    out, h = m(packed)
    assert isinstance(out, rnn_utils.PackedSequence)
    padded, _ = rnn_utils.pad_packed_sequence(out, batch_first=m.batch_first)
    h = h if kind == "LSTM" else (h,)
    for b, seq in enumerate(seqs):
        alone_out, alone_h = m(seq)
        alone_h = alone_h if kind == "LSTM" else (alone_h,)
        got = padded[b] if m.batch_first else padded[:, b]
        np.testing.assert_allclose(got.detach().numpy()[:lengths[b]],
                                   alone_out.detach().numpy(), rtol=1e-12, atol=1e-12)
        assert (got.detach().numpy()[lengths[b]:] == 0).all()
        for g, a in zip(h, alone_h):
            np.testing.assert_allclose(g.detach().numpy()[:, b], a.detach().numpy(), rtol=1e-12,
                                       atol=1e-12)


def test_packed_gradcheck():
    m = _make("GRU", dict(bidirectional=True), input_size=2, hidden=2)
    x = nbtorch.tensor(np.random.default_rng(7).standard_normal((3, 2, 2)), requires_grad=True)
    w = nbtorch.randn(3, 2, 4, dtype=nbtorch.float64)

    def fn(x, *params):
        out, h = m(rnn_utils.pack_padded_sequence(x, [1, 3], enforce_sorted=False))
        return (rnn_utils.pad_packed_sequence(out)[0] * w).sum() + h.sum()

    assert gradcheck(fn, (x, m.weight_hh_l0_reverse, m.bias_ih_l0))


def test_packed_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as torch_rnn
    t = torch.nn.LSTM(3, 4, 2, bidirectional=True, dtype=torch.float64)
    n = nn.LSTM(3, 4, 2, bidirectional=True, dtype=nbtorch.float64)
    n.load_state_dict({k: nbtorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(8)
    x, h0 = rng.standard_normal((5, 4, 3)), rng.standard_normal((4, 4, 4))
    lengths = [3, 5, 1, 4]
    xt, xn = torch.tensor(x, requires_grad=True), nbtorch.tensor(x, requires_grad=True)
    ot, (ht, ct) = t(torch_rnn.pack_padded_sequence(xt, lengths, enforce_sorted=False),
                     (torch.tensor(h0), torch.tensor(h0)))
    on, (hn, cn) = n(rnn_utils.pack_padded_sequence(xn, lengths, enforce_sorted=False),
                     (nbtorch.tensor(h0), nbtorch.tensor(h0)))
    for a, b in ((ot.data, on.data), (ht, hn), (ct, cn)):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10, atol=1e-12)
    (ot.data.pow(2).sum() + ct.sum()).backward()
    (on.data.pow(2).sum() + cn.sum()).backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


# --- torch as an extra oracle ------------------------------------------------------------------

@pytest.mark.parametrize("kind,kw", CONFIGS + [("RNNCell", {}), ("LSTMCell", {}), ("GRUCell", {})])
def test_matches_torch(kind, kw):
    torch = pytest.importorskip("torch")
    t = getattr(torch.nn, kind)(3, 4, dtype=torch.float64, **kw)
    n = getattr(nn, kind)(3, 4, dtype=nbtorch.float64, **kw)
    assert list(t.state_dict()) == list(n.state_dict())
    assert repr(t) == repr(n)
    n.load_state_dict({k: nbtorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((2, 3) if "Cell" in kind else (5, 2, 3))
    xt, xn = torch.tensor(x, requires_grad=True), nbtorch.tensor(x, requires_grad=True)
    ot, on = t(xt), n(xn)
    flat_t = [ot] if "Cell" in kind and kind != "LSTMCell" else list(torch.utils._pytree
                                                                     .tree_leaves(ot))
    flat_n = [on] if "Cell" in kind and kind != "LSTMCell" else [
        leaf for item in on for leaf in (item if isinstance(item, tuple) else (item,))]
    for a, b in zip(flat_t, flat_n):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    sum(a.pow(2).sum() for a in flat_t).backward()
    sum(b.pow(2).sum() for b in flat_n).backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), q in zip(t.named_parameters(), n.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)
