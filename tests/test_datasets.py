"""nbtorch.datasets: the digits split and the MNIST IDX reader (on tiny IDX files the tests write)."""
import gzip
import os

import numpy as np
import pytest

import nbtorch
from nbtorch.datasets import load_digits, load_mnist, read_idx


def test_digits_splits_are_deterministic_disjoint_and_complete():
    from sklearn.datasets import load_digits as sk_load_digits
    sk = sk_load_digits()
    x_all, y_all = load_digits("all")
    assert x_all.shape == (1797, 1, 8, 8) and x_all.dtype == nbtorch.float32
    assert y_all.shape == (1797,) and y_all.dtype == nbtorch.int64
    np.testing.assert_allclose(x_all.numpy()[:, 0], sk.images / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(y_all.numpy(), sk.target)
    assert x_all.numpy().min() == 0.0 and x_all.numpy().max() == 1.0

    x_tr, y_tr = load_digits("train")
    x_te, y_te = load_digits("test")
    assert len(y_te) == round(1797 * 0.2) and len(y_tr) + len(y_te) == 1797
    # every image lands in exactly one split, with its own label
    rows = {row.tobytes(): label for row, label in zip(x_all.numpy().reshape(1797, -1), y_all.numpy())}
    seen = [r.tobytes() for r in np.concatenate([x_tr.numpy(), x_te.numpy()]).reshape(1797, -1)]
    assert sorted(seen) == sorted(rows)
    for row, label in zip(x_te.numpy().reshape(len(y_te), -1), y_te.numpy()):
        assert rows[row.tobytes()] == label
    again, _ = load_digits("test")
    np.testing.assert_array_equal(again.numpy(), x_te.numpy())
    other, _ = load_digits("test", seed=1)
    assert not np.array_equal(other.numpy(), x_te.numpy())
    assert len(load_digits("test", test_fraction=0.5)[1]) == round(1797 * 0.5)


def test_digits_bad_arguments():
    with pytest.raises(ValueError, match="split must be one of"):
        load_digits("validation")
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits("train", test_fraction=1.0)


def _write_idx(path, array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    body = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if path.endswith(".gz") else open)(path, "wb") as f:
        f.write(body)


def _fake_mnist(folder, split, n, gz):
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n, 5, 4), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    prefix = "train" if split == "train" else "t10k"
    ext = ".gz" if gz else ""
    _write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{ext}"), images)
    _write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{ext}"), labels)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files(tmp_path, gz):
    images, labels = _fake_mnist(str(tmp_path), "train", 7, gz)
    test_images, _ = _fake_mnist(str(tmp_path), "test", 3, gz)
    x, y = load_mnist(tmp_path, "train")
    assert x.shape == (7, 1, 5, 4) and x.dtype == nbtorch.float32
    assert y.shape == (7,) and y.dtype == nbtorch.int64
    np.testing.assert_allclose(x.numpy()[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y.numpy(), labels)
    np.testing.assert_allclose(load_mnist(str(tmp_path), "test")[0].numpy()[:, 0], test_images / 255.0,
                               rtol=1e-6)


def test_mnist_torchvision_layout(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _, labels = _fake_mnist(str(raw), "test", 4, gz=True)
    np.testing.assert_array_equal(load_mnist(tmp_path, "test")[1].numpy(), labels)


def test_mnist_missing_files_name_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte") as info:
        load_mnist(tmp_path)
    assert "train-labels-idx1-ubyte" in str(info.value) and str(tmp_path) in str(info.value)
    _write_idx(str(tmp_path / "t10k-images-idx3-ubyte"), np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(FileNotFoundError, match="missing t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path, "test")
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist(tmp_path, "all")


def test_read_idx_types_and_corruption(tmp_path):
    values = np.arange(6, dtype=np.int32).reshape(2, 3) - 2
    _write_idx(str(tmp_path / "a.idx"), values, code=0x0C)
    out = read_idx(str(tmp_path / "a.idx"))
    np.testing.assert_array_equal(out, values)
    assert out.dtype == np.int32 and out.dtype.isnative
    (tmp_path / "bad.idx").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValueError, match="bad.idx: not an IDX file"):
        read_idx(str(tmp_path / "bad.idx"))
    full = (tmp_path / "a.idx").read_bytes()
    (tmp_path / "short.idx").write_bytes(full[:-3])
    with pytest.raises(ValueError, match="short.idx: truncated or corrupt"):
        read_idx(str(tmp_path / "short.idx"))
