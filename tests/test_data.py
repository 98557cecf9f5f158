"""nbtorch.utils.data: datasets, random_split, samplers, default_collate and DataLoader."""
import collections

import numpy as np
import pytest

import nbtorch
from nbtorch.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                                IterableDataset, RandomSampler, SequentialSampler, StackDataset, Subset,
                                SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
                                get_worker_info, random_split)

try:
    import torch as TORCH
except ImportError:
    TORCH = None


def _values(batch):
    """A batch as plain Python values (tensors -> (dtype name, nested lists)), for comparisons."""
    if hasattr(batch, "dtype") and hasattr(batch, "tolist"):
        return (str(batch.dtype), batch.tolist())
    if isinstance(batch, dict):
        return {k: _values(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch).__name__, [_values(b) for b in batch]
    return batch


# --- datasets ---
def test_tensor_dataset():
    x = nbtorch.arange(12.0).reshape(6, 2)
    y = nbtorch.arange(6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8.0, 9.0] and yi.item() == 4
    with pytest.raises(AssertionError, match="^Size mismatch between tensors$"):
        TensorDataset(x, nbtorch.arange(5))


def test_subset_concat_and_base_dataset():
    ds = Subset(list("abcdef"), [5, 0, 2])
    assert len(ds) == 3 and ds[0] == "f" and [ds[i] for i in range(3)] == ["f", "a", "c"]
    cat = ConcatDataset([range(3), range(10, 14)])
    assert len(cat) == 7 and cat.cumulative_sizes == [3, 7]
    assert [cat[i] for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert cat[-1] == 13 and cat[-7] == 0
    with pytest.raises(ValueError, match="^absolute value of index should not exceed dataset length$"):
        cat[-8]
    with pytest.raises(AssertionError, match="^datasets should not be an empty iterable$"):
        ConcatDataset([])
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]

    class Squares(Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 3
    joined = Squares() + Squares()
    assert isinstance(joined, ConcatDataset) and [joined[i] for i in range(6)] == [0, 1, 4, 0, 1, 4]


class _Count(IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        assert get_worker_info() is None  # always loaded in the calling process
        return iter(range(self.start, self.end))

    def __len__(self):
        return self.end - self.start


def test_stack_and_chain_datasets():
    pairs = StackDataset(TensorDataset(nbtorch.arange(3)), [5, 6, 7])
    assert len(pairs) == 3 and pairs[2][1] == 7 and pairs[2][0][0].item() == 2
    named = StackDataset(x=TensorDataset(nbtorch.arange(4.0)), y=[1, 2, 3, 4])
    batch = next(iter(DataLoader(named, batch_size=2)))
    assert batch["x"][0].tolist() == [0.0, 1.0] and batch["y"].tolist() == [1, 2]
    for args, kwargs, message in [((), {}, "^At least one dataset should be passed$"),
                                  (([1],), {"a": [1]}, "but both types are given.$"),
                                  (([1], [1, 2]), {}, "^Size mismatch between datasets$")]:
        with pytest.raises(ValueError, match=message):
            StackDataset(*args, **kwargs)
    chain = ChainDataset([_Count(0, 2), _Count(5, 7)])
    assert list(chain) == [0, 1, 5, 6] and len(chain) == 4
    assert [b.tolist() for b in DataLoader(chain, batch_size=3)] == [[0, 1, 5], [6]]
    with pytest.raises(AssertionError, match="^ChainDataset only supports IterableDataset$"):
        list(ChainDataset([range(3)]))


def test_random_split_lengths_and_fractions():
    parts = random_split(range(10), [3, 7], generator=nbtorch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(range(10), [3, 7], generator=nbtorch.Generator().manual_seed(1))
    assert again[0].indices == parts[0].indices
    other = random_split(range(10), [3, 7], generator=nbtorch.Generator().manual_seed(2))
    assert other[0].indices != parts[0].indices
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]
    assert [len(p) for p in random_split(range(11), [0.5, 0.5])] == [6, 5]
    nbtorch.manual_seed(3)
    a = random_split(range(8), [0.5, 0.5])[0].indices
    nbtorch.manual_seed(3)
    assert random_split(range(8), [0.5, 0.5])[0].indices == a
    with pytest.raises(ValueError, match="^Sum of input lengths does not equal the length of the input "
                                         "dataset!$"):
        random_split(range(5), [2, 2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(1), [1.0, 0.0])


# --- samplers ---
def test_sequential_and_batch_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5]] and len(bs) == 2
    with pytest.raises(ValueError, match="^batch_size should be a positive integer value, but got "
                                         "batch_size=0$"):
        BatchSampler([1], 0, False)
    with pytest.raises(ValueError, match="^drop_last should be a boolean value, but got drop_last=1$"):
        BatchSampler([1], 2, 1)


def test_random_sampler_is_a_seeded_permutation():
    nbtorch.manual_seed(0)
    first = list(RandomSampler(range(20)))
    assert sorted(first) == list(range(20)) and first != list(range(20))
    nbtorch.manual_seed(0)
    sampler = RandomSampler(range(20))
    assert list(sampler) == first
    assert list(sampler) != first  # the next epoch draws a new order
    gen = nbtorch.Generator().manual_seed(5)
    a = list(RandomSampler(range(20), generator=gen))
    gen.manual_seed(5)
    assert list(RandomSampler(range(20), generator=gen)) == a
    long = list(RandomSampler(range(4), num_samples=10))
    assert len(long) == 10 and sorted(long[:8]) == [0, 0, 1, 1, 2, 2, 3, 3]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2}
    with pytest.raises(ValueError, match="^num_samples should be a positive integer value, but got "
                                         "num_samples=0$"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="^replacement should be a boolean value, but got replacement=1$"):
        RandomSampler(range(3), replacement=1)


def test_subset_random_sampler():
    nbtorch.manual_seed(1)
    order = list(SubsetRandomSampler([10, 20, 30, 40]))
    assert sorted(order) == [10, 20, 30, 40]
    nbtorch.manual_seed(1)
    assert list(SubsetRandomSampler([10, 20, 30, 40])) == order


def test_weighted_random_sampler_frequencies_and_errors():
    nbtorch.manual_seed(0)
    weights = [1.0, 0.0, 3.0, 6.0]
    sampler = WeightedRandomSampler(weights, num_samples=20000)
    assert len(sampler) == 20000 and sampler.replacement and sampler.generator is None
    assert sampler.weights.dtype == nbtorch.float64 and sampler.weights.tolist() == weights
    counts = collections.Counter(sampler)
    for i, w in enumerate(weights):
        assert abs(counts[i] / 20000 - w / sum(weights)) < 0.02
    draws = [list(WeightedRandomSampler(weights, 3, replacement=False)) for _ in range(2000)]
    assert all(sorted(d) == [0, 2, 3] for d in draws)  # the zero weight comes only when forced
    first = collections.Counter(d[0] for d in draws)
    assert abs(first[3] / 2000 - 0.6) < 0.05 and abs(first[0] / 2000 - 0.1) < 0.03
    g = nbtorch.Generator().manual_seed(5)
    again = list(WeightedRandomSampler(weights, 10, generator=g))
    assert again == list(WeightedRandomSampler(weights, 10, generator=g.manual_seed(5)))
    libs = [nbtorch] + ([TORCH] if TORCH is not None else [])
    for lib in libs:
        W = lib.utils.data.WeightedRandomSampler
        for args, error, message in [
                (([0.0, 0.0], 3), RuntimeError,
                 r"^invalid multinomial distribution \(sum of probabilities <= 0\)$"),
                (([1.0, -1.0], 3), RuntimeError, r"encountering probability entry < 0\)$"),
                (([1.0, 1.0], 3, False), RuntimeError, r"^cannot sample n_sample > prob_dist.size\(-1\) "
                 "samples without replacement$")]:
            with pytest.raises(error, match=message):
                list(W(*args))
        with pytest.raises(ValueError, match=r"^weights should be a 1d sequence but given weights have "
                           r"shape \(1, 2\)$"):
            W([[1.0, 1.0]], 2)
        with pytest.raises(ValueError, match="^num_samples should be a positive integer value, but got "
                           "num_samples=0$"):
            W([1.0], 0)
        with pytest.raises(ValueError, match="^replacement should be a boolean value, but got "
                           "replacement=1$"):
            W([1.0], 2, 1)


# --- default_collate ---
Point = collections.namedtuple("Point", "x y")

COLLATE_CASES = [
    [1, 2, 3],
    [1.5, 2.0],
    [True, False],
    ["a", "b"],
    [np.float32(1.5), np.float32(2)],
    [np.int32(1), np.int32(2)],
    [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    [np.array(3.0), np.array(4.0)],
    [(1, "a"), (2, "b")],
    [[1, 2.0], [3, 4.0]],
    [{"x": np.ones(2, np.float32), "y": 1}, {"x": np.zeros(2, np.float32), "y": 2}],
    [Point(1, 2.0), Point(3, 4.0)],
    [{"nested": [(1, 2), (3, 4)]}, {"nested": [(5, 6), (7, 8)]}],
]



@pytest.mark.parametrize("batch", COLLATE_CASES, ids=range(len(COLLATE_CASES)))
def test_default_collate_like_pytorch(batch):
    got = default_collate(batch)
    if TORCH is not None:
        from torch.utils.data import default_collate as torch_collate
        assert _values(got) == _values(torch_collate(batch))


def test_default_collate_values():
    assert _values(default_collate([1, 2])) == ("torch.int64", [1, 2])
    assert _values(default_collate([1.5, 2.0])) == ("torch.float64", [1.5, 2.0])
    assert _values(default_collate([np.float32(1.5), np.float32(2)])) == ("torch.float32", [1.5, 2.0])
    assert default_collate(["a", "b"]) == ["a", "b"]
    xs, ys = default_collate([(nbtorch.ones(2, 3), 0), (nbtorch.zeros(2, 3), 1)])
    assert xs.shape == (2, 2, 3) and xs[0].tolist() == [[1.0] * 3] * 2 and ys.tolist() == [0, 1]
    d = default_collate([{"a": np.arange(3)}, {"a": np.arange(3) + 3}])
    assert d["a"].tolist() == [[0, 1, 2], [3, 4, 5]] and d["a"].dtype == nbtorch.int64
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]


def test_default_collate_errors():
    with pytest.raises(TypeError, match="^default_collate: batch must contain tensors, numpy arrays, "
                                        "numbers, dicts or lists; found <class 'object'>$"):
        default_collate([object()])
    with pytest.raises(TypeError, match="found <U1$"):
        default_collate([np.array(["a"])])
    with pytest.raises(RuntimeError, match="^each element in list of batch should be of equal size$"):
        default_collate([[1, 2], [3]])


# --- DataLoader ---
def _dataset(n=10):
    return TensorDataset(nbtorch.arange(n * 2.0).reshape(n, 2), nbtorch.arange(n))


def test_loader_batches_in_order():
    loader = DataLoader(_dataset(), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    x, y = batches[0]
    assert x.shape == (4, 2) and y.tolist() == [0, 1, 2, 3]
    assert batches[2][1].tolist() == [8, 9]
    dropped = DataLoader(_dataset(), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [b[1].item() for b in DataLoader(_dataset(3))] == [0, 1, 2]  # batch_size=1 default


def test_loader_pin_memory_without_gpu_warns(monkeypatch):
    monkeypatch.setattr(nbtorch.cuda, "is_available", lambda: False)
    loader = DataLoader(_dataset(), batch_size=4, pin_memory=True)
    with pytest.warns(UserWarning, match="^'pin_memory' argument is set as true but no accelerator is "
                      "found, then device pinned memory won't be used.$"):
        batches = list(loader)
    assert len(batches) == 3

def test_tensor_dataset_batches_equal_collated_samples():
    ds = _dataset(11)
    fast = list(DataLoader(ds, batch_size=4, sampler=[3, 1, 4, 1, 5, 9, 2, 6, 5, 3]))
    general = list(DataLoader(ds, batch_size=4, sampler=[3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
                              collate_fn=lambda samples: default_collate(samples)))
    assert [_values(b) for b in fast] == [_values(b) for b in general]
    assert isinstance(fast[0], list) and fast[0][0].is_contiguous()


def test_loader_shuffle_is_seeded():
    def epoch(loader):
        return [i for _, y in loader for i in y.tolist()]
    nbtorch.manual_seed(7)
    loader = DataLoader(_dataset(), batch_size=3, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert sorted(first) == list(range(10)) and first != list(range(10)) and second != first
    nbtorch.manual_seed(7)
    again = DataLoader(_dataset(), batch_size=3, shuffle=True)
    assert epoch(again) == first and epoch(again) == second
    g = nbtorch.Generator().manual_seed(3)
    with_gen = epoch(DataLoader(_dataset(), batch_size=3, shuffle=True, generator=g))
    g.manual_seed(3)
    nbtorch.manual_seed(99)  # the global seed does not matter with a generator
    assert epoch(DataLoader(_dataset(), batch_size=3, shuffle=True, generator=g)) == with_gen


def test_loader_sampler_batch_sampler_collate_fn_and_workers():
    ds = _dataset()
    by_sampler = DataLoader(ds, batch_size=2, sampler=[9, 8, 7])
    assert [b[1].tolist() for b in by_sampler] == [[9, 8], [7]] and len(by_sampler) == 2
    by_batches = DataLoader(ds, batch_sampler=[[1, 3], [5]])
    assert [b[1].tolist() for b in by_batches] == [[1, 3], [5]] and len(by_batches) == 2
    assert list(DataLoader(range(5), batch_size=2, collate_fn=sum)) == [1, 5, 4]
    assert list(DataLoader(range(3), batch_size=None)) == [0, 1, 2]
    singles = list(DataLoader([np.ones(2)], batch_size=None))
    assert isinstance(singles[0], nbtorch.Tensor) and singles[0].shape == (2,)
    in_process = DataLoader(ds, batch_size=5, num_workers=2, pin_memory=True)
    assert [b[1].tolist() for b in in_process] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_loader_iterator():
    it = iter(DataLoader(_dataset(), batch_size=4))
    assert len(it) == 3
    assert next(it)[1].tolist() == [0, 1, 2, 3]
    assert it.next()[1].tolist() == [4, 5, 6, 7]  # the older spelling, used by many tutorials
    next(it)
    with pytest.raises(StopIteration):
        next(it)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_loader_iterable_dataset():
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    assert len(DataLoader(Stream(5), batch_size=2)) == 3
    assert len(DataLoader(Stream(5), batch_size=2, drop_last=True)) == 2
    with pytest.raises(ValueError, match="^DataLoader with IterableDataset: expected unspecified shuffle "
                                         "option, but got shuffle=True$"):
        DataLoader(Stream(5), shuffle=True)


def test_loader_argument_errors():
    ds = _dataset()
    with pytest.raises(ValueError, match="^sampler option is mutually exclusive with shuffle$"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="^batch_sampler option is mutually exclusive with batch_size, "
                                         "shuffle, sampler, and drop_last$"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="^batch_size=None option disables auto-batching and is mutually "
                                         "exclusive with drop_last$"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="^num_workers option should be non-negative; use num_workers=0 "
                                         "to disable multiprocessing.$"):
        DataLoader(ds, num_workers=-1)
