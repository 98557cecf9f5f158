"""Smoke tests of the example programs: a short run learns (accuracy far above chance)."""
import importlib.util
import pathlib

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_mlp_learns_digits_in_two_epochs():
    accuracy = _load("train_mlp").main(["--epochs", "2"])
    assert accuracy > 0.85


def test_train_lenet_one_short_epoch_lowers_the_loss(tmp_path):
    lenet = _load("train_lenet")
    history = lenet.main(["--epochs", "2", "--save", str(tmp_path / "ckpt.pt")])
    assert history[1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["test_acc"] > 0.5
    resumed = lenet.main(["--epochs", "1", "--resume", str(tmp_path / "ckpt.pt")])
    assert [h["epoch"] for h in resumed] == [1, 2, 3]


def test_resnet_learns_digits_in_one_epoch(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    history = _load("resnet").main(["--epochs", "1"])
    assert history[-1]["test_acc"] > 0.5


def test_train_lstm_reads_digits_row_by_row():
    accuracy = _load("train_lstm").main(["--epochs", "3"])
    assert accuracy > 0.6           # chance is 0.1; three epochs reach about 0.8
