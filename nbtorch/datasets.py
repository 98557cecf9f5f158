"""Ready-made image data sets, read from files already on the machine; nothing is ever downloaded.

- ``load_digits(split)``: scikit-learn's shipped 8x8 handwritten digits (1797 images, offline).
- ``load_mnist(root, split)``: MNIST from the standard IDX files in a folder the user gives.

Both return ``(images, labels)``: a float32 tensor ``(N, 1, H, W)`` scaled to [0, 1] and an int64
tensor ``(N,)``, ready for ``TensorDataset(images, labels)``.
"""
import gzip
import os

import numpy as np

from ._creation import from_numpy

_SPLITS = ("train", "test", "all")


def _check_split(split, allowed):
    if split not in allowed:
        raise ValueError(f"split must be one of {', '.join(map(repr, allowed))}, got {split!r}")


def load_digits(split="train", test_fraction=0.2, seed=0):
    """The digits data set, split deterministically: a permutation drawn from ``seed`` puts the first
    ``round(N * test_fraction)`` images in "test" and the rest in "train" ("all" keeps the file order).
    Needs scikit-learn (the ``dev`` extra), which ships the data."""
    _check_split(split, _SPLITS)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn, which ships the digits data: "
                          "pip install nbtorch[dev] (or pip install scikit-learn)") from None
    data = sk_load_digits()
    images = (data.images / 16.0).astype(np.float32)[:, None]
    labels = data.target.astype(np.int64)
    if split != "all":
        order = np.random.default_rng(seed).permutation(len(labels))
        n_test = int(round(len(labels) * test_fraction))
        keep = np.sort(order[:n_test] if split == "test" else order[n_test:])
        images, labels = images[keep], labels[keep]
    return from_numpy(np.ascontiguousarray(images)), from_numpy(labels)


# IDX type codes -> big-endian NumPy dtypes (http://yann.lecun.com/exdb/mnist/ describes the format)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in one IDX file (gzipped when its name ends in .gz), in native byte order."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(raw[4:header], ">u4")) if len(raw) >= header else None
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    if dims is None or len(raw) - header != int(np.prod(dims)) * dtype.itemsize:
        raise ValueError(f"{path}: truncated or corrupt IDX file (its size does not match its header)")
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


_MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _find(root, name):
    for folder in (root, os.path.join(root, "MNIST", "raw")):  # also torchvision's layout
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.isfile(path):
                return path
    return None


def load_mnist(root, split="train"):
    """MNIST (or any data set in MNIST's IDX layout, such as Fashion-MNIST) from the folder ``root``,
    which holds ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte``, raw or gzipped (``.gz``), directly or under ``MNIST/raw``."""
    _check_split(split, tuple(_MNIST_FILES))
    names = _MNIST_FILES[split]
    paths = [_find(os.fspath(root), name) for name in names]
    if None in paths:
        missing = [n for n, p in zip(names, paths) if p is None]
        raise FileNotFoundError(
            f"MNIST {split} files not found in {os.fspath(root)!r}: expected {' and '.join(names)} "
            f"(raw or .gz); missing {', '.join(missing)}. nbtorch downloads nothing: put the IDX "
            "files in that folder.")
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{paths[0]} and {paths[1]} do not hold matching images (N, H, W) and "
                         f"labels (N,): got shapes {images.shape} and {labels.shape}")
    return (from_numpy((images[:, None] / np.float32(255)).astype(np.float32)),
            from_numpy(labels.astype(np.int64)))
