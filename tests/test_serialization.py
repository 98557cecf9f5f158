"""nbtorch.save / nbtorch.load: round trips, PyTorch's zip format in both directions (a PyTorch-written
fixture always; live PyTorch when installed), map_location, atomic writes, corrupt files, and the
restricted unpickler."""
import copy
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import nbtorch
from nbtorch import nn, optim

try:
    import torch as TORCH
except ImportError:
    TORCH = None

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "torch_state_dict.pt")


def _round_trip(obj, tmp_path, **load_kwargs):
    path = tmp_path / "obj.pt"
    nbtorch.save(obj, path)
    return nbtorch.load(path, **load_kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8",
                                   "uint8", "bool"])
def test_tensor_round_trip_every_dtype(tmp_path, dtype):
    values = np.arange(-3, 9).reshape(3, 4) % 3
    t = nbtorch.tensor(values, dtype=getattr(nbtorch, dtype))
    out = _round_trip(t, tmp_path)
    assert out.dtype == t.dtype and out.shape == t.shape
    np.testing.assert_array_equal(out.numpy(), t.numpy())


def test_tensor_round_trip_shapes_views_and_grad_flags(tmp_path):
    base = nbtorch.arange(12.0).reshape(3, 4)
    obj = {"scalar": nbtorch.tensor(2.5), "empty": nbtorch.zeros(0, 3), "base": base,
           "transposed": base.t(), "row": base[1], "cols": base[:, 1:3],
           "leaf": nbtorch.ones(2, requires_grad=True)}
    out = _round_trip(obj, tmp_path)
    for key, t in obj.items():
        assert out[key].shape == t.shape, key
        np.testing.assert_array_equal(out[key].detach().numpy(), t.detach().numpy())
    assert out["leaf"].requires_grad and not out["base"].requires_grad
    assert out["scalar"].item() == 2.5
    # views of one tensor come back sharing one storage, saved once
    out["base"][1, 2] = 100.0
    assert out["row"][2].item() == 100.0 and out["transposed"][2, 1].item() == 100.0
    names = zipfile.ZipFile(tmp_path / "obj.pt").namelist()
    assert sum(n.startswith("archive/data/") for n in names) == 4  # scalar, empty, base (+views), leaf


def test_containers_and_plain_values_round_trip(tmp_path):
    sd = OrderedDict([("w", nbtorch.ones(2, 2)), ("b", nbtorch.zeros(2))])
    sd._metadata = OrderedDict([("", {"version": 1})])
    obj = {"state_dict": sd, "list": [1, 2.5, "x", None, True], "tuple": (nbtorch.arange(3), b"raw"),
           "set": {1, 2}, "frozen": frozenset({3}), "nested": {"a": [{"b": (1, 2)}]},
           "dtype": nbtorch.float64, "dtypes": [nbtorch.float64, nbtorch.int64, nbtorch.float64],
           "device": nbtorch.device("cpu"), "size": nbtorch.Size([2, 3])}
    out = _round_trip(obj, tmp_path)
    assert isinstance(out["state_dict"], OrderedDict) and list(out["state_dict"]) == ["w", "b"]
    assert out["state_dict"]._metadata == {"": {"version": 1}}
    assert out["list"] == obj["list"] and out["tuple"][1] == b"raw" and out["tuple"][0].tolist() == [0, 1, 2]
    assert out["set"] == {1, 2} and out["frozen"] == frozenset({3}) and out["nested"] == obj["nested"]
    assert out["dtype"] is nbtorch.float64 and out["device"] == nbtorch.device("cpu")
    assert out["dtypes"] == [nbtorch.float64, nbtorch.int64, nbtorch.float64]
    assert out["size"] == (2, 3) and isinstance(out["size"], nbtorch.Size)


def test_plain_pickle_and_copy_of_tensors():
    t = nbtorch.arange(6.0).reshape(2, 3).requires_grad_()
    out = pickle.loads(pickle.dumps(t))
    assert out.requires_grad and out.tolist() == t.tolist() and type(out) is nbtorch.Tensor
    p = pickle.loads(pickle.dumps(nn.Parameter(nbtorch.ones(2), requires_grad=False)))
    assert isinstance(p, nn.Parameter) and not p.requires_grad and p.tolist() == [1.0, 1.0]
    shallow = copy.copy(t.detach())
    shallow[0, 0] = 7.0  # copy.copy shares the data, as in PyTorch
    assert t[0, 0].item() == 7.0


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    nbtorch.save({"x": nbtorch.arange(4)}, buf)
    buf.seek(0)
    assert nbtorch.load(buf)["x"].tolist() == [0, 1, 2, 3]
    path = tmp_path / "f.pt"
    with open(path, "wb") as f:
        nbtorch.save([nbtorch.ones(1)], f)
    with open(path, "rb") as f:
        assert nbtorch.load(f)[0].tolist() == [1.0]
    assert nbtorch.load(str(path))[0].tolist() == [1.0]


def test_optimizer_state_round_trip(tmp_path):
    p = nbtorch.ones(3, requires_grad=True)
    opt = optim.Adam([p], lr=0.1, amsgrad=True)
    p.grad = nbtorch.tensor([1.0, -2.0, 3.0])
    opt.step()
    loaded = _round_trip(opt.state_dict(), tmp_path)
    assert loaded["param_groups"] == opt.state_dict()["param_groups"]
    other = optim.Adam([nbtorch.ones(3, requires_grad=True)], lr=0.1, amsgrad=True)
    other.load_state_dict(loaded)
    for key, value in opt.state[p].items():
        np.testing.assert_array_equal(list(other.state.values())[0][key].numpy(), value.numpy())


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(nbtorch.arange(6.0).reshape(2, 3))
        self.register_buffer("count", nbtorch.tensor(4))
        self.note = "hello"


def test_whole_module_needs_weights_only_false(tmp_path):
    path = tmp_path / "model.pt"
    nbtorch.save(Tiny(), path)
    model = nbtorch.load(path, weights_only=False)
    assert isinstance(model, Tiny) and model.note == "hello"
    assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad
    np.testing.assert_array_equal(model.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    assert model.count.item() == 4 and [n for n, _ in model.named_parameters()] == ["weight"]
    with pytest.raises(pickle.UnpicklingError, match="(?s)Weights only load failed.*Unsupported global: "
                                                     "GLOBAL test_serialization.Tiny"):
        nbtorch.load(path)


def test_parameters_and_state_dicts_of_modules(tmp_path):
    model = Tiny()
    out = _round_trip({"p": model.weight, "sd": model.state_dict()}, tmp_path)
    assert isinstance(out["p"], nn.Parameter) and out["p"].requires_grad
    fresh = Tiny()
    with nbtorch.no_grad():
        fresh.weight.zero_()
    fresh.load_state_dict(out["sd"])
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))


def test_map_location(tmp_path):
    path = tmp_path / "m.pt"
    nbtorch.save({"x": nbtorch.arange(3.0)}, path)
    for ml in ("cpu", nbtorch.device("cpu"), {"cpu": "cpu"}):
        assert nbtorch.load(path, map_location=ml)["x"].device == nbtorch.device("cpu")
    seen = []

    def keep(storage, location):
        seen.append((location, storage.shape))
        return storage
    assert nbtorch.load(path, map_location=keep)["x"].tolist() == [0.0, 1.0, 2.0]
    assert seen == [("cpu", (3,))]


def test_map_location_to_cuda_without_cuda(tmp_path, monkeypatch):
    import nbtorch.cuda
    monkeypatch.setattr(nbtorch.cuda, "is_available", lambda: False)
    path = tmp_path / "m.pt"
    nbtorch.save(nbtorch.ones(2), path)
    with pytest.raises(RuntimeError, match="^Attempting to deserialize object on a CUDA device but "
                                           "torch.cuda.is_available\\(\\) is False"):
        nbtorch.load(path, map_location={"cpu": "cuda:0"})


# --- PyTorch's format ---
def _check_fixture(sd):
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                        "1.num_batches_tracked", "transposed", "labels"]
    weight = np.arange(12.0, dtype=np.float32).reshape(4, 3) / 10
    np.testing.assert_array_equal(sd["0.weight"].numpy(), weight)
    np.testing.assert_array_equal(sd["transposed"].numpy(), weight.T)
    assert sd["0.bias"].tolist() == [-1.0, 0.0, 1.0, 2.0]
    assert sd["1.running_mean"].tolist() == [0.5] * 4 and sd["1.running_var"].tolist() == [1.0] * 4
    assert sd["1.num_batches_tracked"].dtype == nbtorch.int64 and sd["1.num_batches_tracked"].item() == 7
    assert sd["labels"].dtype == nbtorch.int64 and sd["labels"].tolist() == [3, 1, 4, 1, 5]
    assert sd["0.weight"].dtype == nbtorch.float32
    assert sd._metadata["1"] == {"version": 2}


def test_loads_a_pytorch_written_state_dict_without_pytorch():
    sd = nbtorch.load(FIXTURE)
    _check_fixture(sd)
    sd["0.weight"][0, 1] = 9.0  # the transposed view shares the storage, as in PyTorch
    assert sd["transposed"][1, 0].item() == 9.0


def test_resaving_the_pytorch_fixture_keeps_it_loadable(tmp_path):
    _check_fixture(_round_trip(nbtorch.load(FIXTURE), tmp_path))


@pytest.mark.skipif(TORCH is None, reason="PyTorch is not installed (the oracle for this direction)")
def test_files_written_here_load_in_pytorch(tmp_path):
    base = nbtorch.arange(6.0).reshape(2, 3)
    p = nn.Parameter(nbtorch.ones(2))
    obj = {"sd": OrderedDict(w=base, t=base.t(), i=nbtorch.tensor([1, 2]), b=nbtorch.tensor([True])),
           "param": p, "dtype": nbtorch.float64, "size": nbtorch.Size([1, 2]), "epoch": 3}
    path = tmp_path / "to_torch.pt"
    nbtorch.save(obj, path)
    out = TORCH.load(path)  # weights_only=True: PyTorch's own restricted loader accepts the file
    assert out["sd"]["w"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert out["sd"]["t"].stride() == (1, 3)
    assert out["sd"]["t"].untyped_storage().data_ptr() == out["sd"]["w"].untyped_storage().data_ptr()
    assert out["sd"]["i"].dtype == TORCH.int64 and out["sd"]["b"].dtype == TORCH.bool
    assert isinstance(out["param"], TORCH.nn.Parameter) and out["param"].requires_grad
    assert out["dtype"] is TORCH.float64 and out["size"] == TORCH.Size([1, 2]) and out["epoch"] == 3


@pytest.mark.skipif(TORCH is None, reason="PyTorch is not installed (the oracle for this direction)")
def test_pytorch_optimizer_checkpoint_loads_here(tmp_path):
    tp = TORCH.nn.Parameter(TORCH.tensor([1.0, 2.0]))
    topt = TORCH.optim.SGD([tp], lr=0.1, momentum=0.9)
    tp.grad = TORCH.tensor([0.5, -0.5])
    topt.step()
    path = tmp_path / "from_torch.pt"
    TORCH.save({"param": tp, "opt": topt.state_dict()}, path)
    ck = nbtorch.load(path)
    assert isinstance(ck["param"], nn.Parameter)
    np.testing.assert_allclose(ck["param"].detach().numpy(), tp.detach().numpy())
    opt = optim.SGD([ck["param"]], lr=0.1, momentum=0.9)
    opt.load_state_dict(ck["opt"])
    assert opt.state[ck["param"]]["momentum_buffer"].tolist() == [0.5, -0.5]



@pytest.mark.skipif(TORCH is None, reason="PyTorch is not installed (the oracle for this direction)")
def test_whole_pytorch_model_loads_as_nbtorch_modules(tmp_path):
    tm = TORCH.nn.Sequential(TORCH.nn.Conv2d(1, 2, 3, padding=1), TORCH.nn.BatchNorm2d(2), TORCH.nn.ReLU(),
                             TORCH.nn.Flatten(), TORCH.nn.Linear(32, 3))
    tm.eval()
    path = tmp_path / "whole.pt"
    TORCH.save(tm, path)
    model = nbtorch.load(path, weights_only=False)
    assert type(model) is nn.Sequential and type(model[1]) is nn.BatchNorm2d
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(model(nbtorch.tensor(x)).detach().numpy(),
                               tm(TORCH.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    model.register_forward_hook(lambda m, args, kwargs, out: out * 0, with_kwargs=True)
    assert not model(nbtorch.tensor(x)).detach().numpy().any()

def test_whole_pytorch_attention_models_load_as_nbtorch_modules(tmp_path):
    """MultiheadAttention's out_proj is a NonDynamicallyQuantizableLinear, and a
    TransformerEncoderLayer keeps its activation as a function (F.relu, or the builtin F.gelu of
    torch._C._nn): all become nbtorch's."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    models = {
        "mha": torch.nn.MultiheadAttention(8, 2, batch_first=True),
        "encoder": torch.nn.Sequential(
            torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False),
            torch.nn.Linear(8, 3)),
        "gelu": torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu"),
    }
    x = np.random.default_rng(0).standard_normal((2, 5, 8)).astype(np.float32)
    for name, tm in models.items():
        tm.eval()
        torch.save(tm, tmp_path / f"{name}.pt")
        model = nbtorch.load(tmp_path / f"{name}.pt", weights_only=False)
        assert all(type(m).__module__.startswith("nbtorch.") for m in model.modules())
        args = (x, x, x) if name == "mha" else (x,)
        ours = model(*map(nbtorch.tensor, args))
        theirs = tm(*map(torch.tensor, args))
        for a, b in zip(*(r if isinstance(r, tuple) else (r,) for r in (ours, theirs))):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                       atol=1e-6)
    out_proj = model.self_attn.out_proj
    assert type(out_proj) is nn.modules.linear.NonDynamicallyQuantizableLinear
    assert isinstance(out_proj, nn.Linear)
    assert model.activation is nn.functional.gelu
    assert nbtorch.load(tmp_path / "encoder.pt", weights_only=False)[0].layers[1].activation \
        is nn.functional.relu


# --- safety and failure ---
class _System:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_restricted_loader_refuses_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"x": _System()}, protocol=2))
        zf.writestr("archive/version", "3\n")
    with pytest.raises(pickle.UnpicklingError, match="(?s)Weights only load failed.*Unsupported global: "
                                                     "GLOBAL (posix|nt).system"):
        nbtorch.load(path)
    assert not (tmp_path / "pwned.txt").exists()
    nbtorch.load(path, weights_only=False)  # proof that the file really runs code when trusted
    assert (tmp_path / "pwned.txt").exists()


def test_corrupt_truncated_and_foreign_files_raise_naming_the_file(tmp_path):
    good = tmp_path / "good.pt"
    nbtorch.save({"w": nbtorch.ones(64)}, good)
    data = good.read_bytes()
    cases = {"truncated.pt": data[: len(data) // 2], "foreign.pt": b"just some text, not a checkpoint",
             "empty.pt": b""}
    with zipfile.ZipFile(tmp_path / "no_pickle.pt", "w") as zf:
        zf.writestr("archive/version", "3\n")
    with zipfile.ZipFile(tmp_path / "bad_pickle.pt", "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02garbage")
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(tmp_path / "short_storage.pt", "w") as zf:
        for name in src.namelist():
            payload = src.read(name)
            zf.writestr(name, payload[:-4] if name.endswith("data/0") else payload)
    for name, payload in cases.items():
        (tmp_path / name).write_bytes(payload)
    for name in [*cases, "no_pickle.pt", "bad_pickle.pt", "short_storage.pt"]:
        with pytest.raises(RuntimeError, match=f"{name} is not a valid checkpoint"):
            nbtorch.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        nbtorch.load(tmp_path / "missing.pt")


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    nbtorch.save({"version": 1}, path)
    before = path.read_bytes()

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("cannot pickle this")
    with pytest.raises(RuntimeError, match="cannot pickle this"):
        nbtorch.save({"version": 2, "bad": Unpicklable()}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.pt"]

    def broken_fsync(fd):  # the data is written; the crash comes before the rename
        raise OSError("disk on fire")
    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk on fire"):
        nbtorch.save({"version": 3, "w": nbtorch.ones(1000)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.pt"]
    monkeypatch.undo()
    nbtorch.save({"version": 4}, path)
    assert nbtorch.load(path) == {"version": 4} and os.listdir(tmp_path) == ["ckpt.pt"]
