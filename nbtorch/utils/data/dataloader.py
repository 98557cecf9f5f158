"""DataLoader: batches of samples from a dataset, in sampler order, merged by ``collate_fn``."""
import warnings

from ... import cuda
from .collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterates over ``dataset`` in batches of ``batch_size`` (``None``: single samples, converted by
    ``default_convert``), in order or shuffled (seeded by ``nbtorch.manual_seed`` or ``generator``).

    ``num_workers`` is accepted for compatibility but batches are always produced in the calling
    process, one after another (no worker processes are forked); ``pin_memory``, ``timeout``,
    ``worker_init_fn``, ``prefetch_factor`` and ``persistent_workers`` likewise change nothing.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                                     f"option, but got {name}={value}")
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn or (default_convert if batch_size is None and
                                         batch_sampler is None else default_collate)
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers

    def __iter__(self):
        return _DataLoaderIter(self)

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


def get_worker_info():
    """None: batches are always loaded in the calling process, as in PyTorch's main process."""
    return None


def _gatherable(loader):
    """A TensorDataset batched by default_collate: its batches are plain gathers of its tensors."""
    return (type(loader.dataset) is TensorDataset and loader.collate_fn is default_collate
            and not any(t.requires_grad for t in loader.dataset.tensors))


class _DataLoaderIter:
    """One pass over a DataLoader."""

    def __init__(self, loader):
        self._loader = loader
        if loader.pin_memory and not cuda.is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device "
                          "pinned memory won't be used.", stacklevel=3)
        if isinstance(loader.dataset, IterableDataset):
            self._batches = self._stream(loader)
        else:
            indices = loader.batch_sampler if loader.batch_sampler is not None else loader.sampler
            self._batches = self._map(loader, iter(indices))

    @staticmethod
    def _map(loader, indices):
        fetch = loader.dataset.__getitem__
        if loader.batch_sampler is None:
            for i in indices:
                yield loader.collate_fn(fetch(i))
        elif _gatherable(loader):
            # what default_collate would stack from the samples, gathered in one indexing per tensor
            for batch in indices:
                yield [t[list(batch)] for t in loader.dataset.tensors]
        else:
            for batch in indices:
                yield loader.collate_fn([fetch(i) for i in batch])

    @staticmethod
    def _stream(loader):
        if loader.batch_size is None:
            for sample in loader.dataset:
                yield loader.collate_fn(sample)
            return
        batch = []
        for sample in loader.dataset:
            batch.append(sample)
            if len(batch) == loader.batch_size:
                yield loader.collate_fn(batch)
                batch = []
        if batch and not loader.drop_last:
            yield loader.collate_fn(batch)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    next = __next__  # older PyTorch's ``dataiter.next()``, used by many tutorials

    def __len__(self):
        return len(self._loader)
