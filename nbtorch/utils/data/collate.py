"""``default_collate``: merge a list of samples into a batch, the way PyTorch's does."""
import collections.abc
import copy

import numpy as np

from ..._creation import as_tensor, tensor
from ..._dtype import float64
from ..._tensor import Tensor

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_numeric_array(elem):
    return elem.dtype.kind not in "SaUO"


def default_collate(batch):
    """Tensors are stacked along a new first dimension; NumPy arrays and NumPy scalars become tensors
    and are stacked; Python ints become an int64 tensor, floats a float64 tensor, bools a bool tensor;
    strings and bytes stay a sequence; dicts are collated per key, tuples and lists per position
    (transposed: a batch of ``(x, y)`` pairs becomes ``[xs, ys]``)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        from ... import stack
        return stack(batch, 0)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if not _is_numeric_array(np.asarray(elem)):
            raise TypeError(_ERROR.format(elem.dtype))
        if isinstance(elem, np.ndarray) and elem.ndim:
            return default_collate([as_tensor(b) for b in batch])
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            out = copy.copy(elem)
            out.update(collated)
            return out
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, (tuple, list)):
            return columns
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data):
    """What DataLoader applies to each sample when ``batch_size=None``: NumPy arrays become tensors,
    containers are converted element by element (tuples become lists, like PyTorch's)."""
    if isinstance(data, np.ndarray) and _is_numeric_array(data):
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(d) for d in data]
    return data
