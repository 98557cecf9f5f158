"""torch.nn.utils.rnn: padding and packing variable-length sequences.

A PackedSequence holds the valid time steps only, time-major, the batch sorted by decreasing
length: ``data`` (sum(lengths), *), ``batch_sizes`` (how many sequences are alive at each step,
a CPU int64 tensor), ``sorted_indices`` / ``unsorted_indices`` (the permutation, or None).
Packing and unpacking are gathers (index_select) with host-computed indices, so autograd and
devices come from existing ops."""
from collections import namedtuple

import numpy as np

from ... import _creation
from ..._dtype import float32, float64
from ..._tensor import Tensor
from ...ops.shape import cat, stack

_PackedSequence = namedtuple("PackedSequence",
                             ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequence):
    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:               # PackedSequence(data, batch_sizes) as a tuple
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """Moves or casts ``data`` (the indices follow its device; batch_sizes stays on the
        CPU); ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices, unsorted_indices = (None if t is None else t.to(data.device)
                                            for t in (self.sorted_indices,
                                                      self.unsorted_indices))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs):
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=float64)

    def float(self):
        return self.to(dtype=float32)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    order = permutation.cpu().numpy()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return _creation.tensor(inverse, device=permutation.device)


def _lengths(lengths):
    if isinstance(lengths, Tensor):
        return lengths.cpu().numpy().astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _positions(batch_sizes, batch):
    """For each packed row, its row in the time-major (T * batch) padded grid."""
    sizes = _lengths(batch_sizes)
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(sizes)])


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    lengths = _lengths(lengths)
    batch = input.size(0 if batch_first else 1)
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch})")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _creation.tensor(order, device=input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if lengths.size and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    steps = int(lengths[0]) if lengths.size else 0
    batch_sizes = (lengths[None, :] > np.arange(steps)[:, None]).sum(1)
    grid = input[:steps].reshape(steps * batch, *input.shape[2:])
    rows = _creation.tensor(_positions(batch_sizes, batch), device=input.device)
    return PackedSequence(grid.index_select(0, rows), _creation.tensor(batch_sizes),
                          sorted_indices, None)


def _padded_sorted(sequence, padding_value=0.0, total_length=None):
    """The packed data as a time-major padded tensor in sorted batch order, and the per-step
    validity masks (batch, 1) as booleans."""
    data, batch_sizes = sequence.data, _lengths(sequence.batch_sizes)
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
        batch_sizes = np.concatenate([batch_sizes, np.zeros(steps - len(batch_sizes), np.int64)])
    valid = np.arange(batch)[None, :] < batch_sizes[:, None]            # (T, B)
    source = np.zeros(steps * batch, np.int64)
    source[valid.reshape(-1)] = np.arange(data.size(0))
    grid = data.index_select(0, _creation.tensor(source, device=data.device))
    mask = _creation.tensor(valid.reshape(-1, *([1] * (data.dim() - 1))), device=data.device)
    grid = grid.masked_fill(~mask, padding_value)
    return grid.reshape(steps, batch, *data.shape[1:]), valid


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Returns (padded, lengths): the batch back in its original order, lengths an int64 CPU
    tensor."""
    padded, valid = _padded_sorted(sequence, padding_value, total_length)
    lengths = valid.sum(0)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu().numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _creation.tensor(lengths)


def _pack_sorted(padded, batch_sizes):
    """The inverse of _padded_sorted for a time-major output (T, B, *)."""
    steps, batch = padded.shape[0], padded.shape[1]
    rows = _creation.tensor(_positions(batch_sizes, batch), device=padded.device)
    return padded.reshape(steps * batch, *padded.shape[2:]).index_select(0, rows)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    sequences = list(sequences)
    longest = max(s.size(0) for s in sequences)
    padded = []
    for s in sequences:
        if s.size(0) < longest:
            fill = _creation.full((longest - s.size(0), *s.shape[1:]), padding_value,
                                  dtype=s.dtype, device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _lengths(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
