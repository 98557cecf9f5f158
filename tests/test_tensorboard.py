"""nbtorch.utils.tensorboard.SummaryWriter: the ImportError without tensorboardX, the conversion of
nbtorch tensors on every call (checked with a recording stand-in), and real event files when
tensorboardX is installed."""
import glob
import struct

import numpy as np
import pytest

import nbtorch
from nbtorch.utils import tensorboard

try:
    import tensorboardX as TBX
except ImportError:
    TBX = None


def test_missing_tensorboardx_names_the_extra(monkeypatch):
    monkeypatch.setattr(tensorboard, "_tbx", None)
    with pytest.raises(ImportError, match="pip install nbtorch\\[tensorboard\\]"):
        tensorboard.SummaryWriter("runs/x")


class _Recorder:
    def __init__(self, logdir=None, **kwargs):
        self.logdir = logdir
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


class _FakeModule:
    SummaryWriter = _Recorder


def test_calls_reach_tensorboardx_with_numpy_values(monkeypatch):
    monkeypatch.setattr(tensorboard, "_tbx", _FakeModule)
    with tensorboard.SummaryWriter("runs/demo") as writer:
        assert writer.log_dir == "runs/demo"
        writer.add_scalar("loss", nbtorch.tensor(0.25), 3)
        writer.add_scalars("acc", {"train": nbtorch.tensor(0.5), "test": 0.75}, global_step=4)
        writer.add_histogram("w", nbtorch.arange(4.0).reshape(2, 2), 5)
        writer.flush()
        with pytest.raises(NotImplementedError, match="add_graph"):
            writer.add_graph(None)
        calls = writer._writer.calls
    name, args, _ = calls[0]
    assert name == "add_scalar" and args == ("loss", 0.25, 3) and type(args[1]) is float
    assert calls[1][0] == "add_scalars" and calls[1][2] == {"global_step": 4}
    assert calls[1][1][1] == {"train": 0.5, "test": 0.75}
    hist = calls[2][1][1]
    assert isinstance(hist, np.ndarray) and hist.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert [c[0] for c in calls[3:]] == ["flush", "close"]


@pytest.mark.skipif(TBX is None, reason="tensorboardX (the optional extra nbtorch[tensorboard]) is not "
                                        "installed")
def test_real_event_file(tmp_path):
    from tensorboardX.proto import event_pb2
    with tensorboard.SummaryWriter(str(tmp_path)) as writer:
        for step in range(3):
            writer.add_scalar("loss", nbtorch.tensor(1.0 / (step + 1)), step)
        writer.add_histogram("weights", nbtorch.randn(50), 0)
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    raw = open(path, "rb").read()
    scalars, pos = [], 0
    while pos < len(raw):  # TFRecord: length, crc, payload, crc
        (length,) = struct.unpack("<Q", raw[pos:pos + 8])
        event = event_pb2.Event.FromString(raw[pos + 12:pos + 12 + length])
        pos += 16 + length
        scalars += [(event.step, v.simple_value) for v in event.summary.value if v.tag == "loss"]
    assert scalars == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
