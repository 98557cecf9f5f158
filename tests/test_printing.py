"""Tensor printing matches PyTorch's repr: a table of PyTorch's literal outputs, and PyTorch itself as an
oracle over random shapes, dtypes, value scales and print options when it is installed."""
import numpy as np
import pytest

from nbtorch._printing import format_tensor, set_printoptions

try:  # optional oracle, never required
    import torch as TORCH
except ImportError:
    TORCH = None

DEFAULT_DTYPES = ("float32", "int64", "bool")


@pytest.fixture(autouse=True)
def _default_printoptions():
    yield
    set_printoptions(profile="default")
    if TORCH is not None:
        TORCH.set_printoptions(profile="default")


def fmt(a, **kw):
    a = np.asarray(a)
    kw.setdefault("dtype_name", a.dtype.name)
    kw.setdefault("is_default_dtype", kw["dtype_name"] in DEFAULT_DTYPES)
    return format_tensor(a, **kw)


# (values, format_tensor keywords, set_printoptions keywords, PyTorch 2.13's repr of that tensor)
CASES = [
    (np.float32([1, 2]), {}, {},
     'tensor([1., 2.])'),
    (np.float32([[1, 2], [3, 4]]), {}, {},
     'tensor([[1., 2.],\n'
     '        [3., 4.]])'),
    (np.float32([5.5, 3]), {}, {},
     'tensor([5.5000, 3.0000])'),
    (np.float32(4.3757), {}, {},
     'tensor(4.3757)'),
    (np.float32(27), {'suffixes': ('grad_fn=<MeanBackward0>',)}, {},
     'tensor(27., grad_fn=<MeanBackward0>)'),
    (np.full((2, 2), 27, np.float32), {'suffixes': ('grad_fn=<MulBackward0>',)}, {},
     'tensor([[27., 27.],\n'
     '        [27., 27.]], grad_fn=<MulBackward0>)'),
    (np.float32([-947.1443, -188.2073, 567.7290]), {'suffixes': ('grad_fn=<MulBackward0>',)}, {},
     'tensor([-947.1443, -188.2073,  567.7290], grad_fn=<MulBackward0>)'),
    (np.float32([0.1, 1.0, 0.0001]) * 1024, {}, {},
     'tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])'),
    (np.float32([[2.2391e-19, 4.5869e-41, 1.4191e-17], [4.5869e-41, 0, 0]]), {}, {},
     'tensor([[2.2391e-19, 4.5869e-41, 1.4191e-17],\n'
     '        [4.5869e-41, 0.0000e+00, 0.0000e+00]])'),
    (np.float32([-0.4743]), {'device_str': 'cuda:0'}, {},
     "tensor([-0.4743], device='cuda:0')"),
    (np.float64([-0.4743]), {}, {},
     'tensor([-0.4743], dtype=torch.float64)'),
    (np.float64([1, 2]), {}, {},
     'tensor([1., 2.], dtype=torch.float64)'),
    (np.float32([[0.0399, -0.0856, 0.0668, 0.0915, 0.0453, -0.0680, -0.1024, 0.0493, -0.1043, -0.1267]]),
     {'suffixes': ('grad_fn=<AddmmBackward0>',)}, {},
     'tensor([[ 0.0399, -0.0856,  0.0668,  0.0915,  0.0453, -0.0680, -0.1024,  0.0493,\n'
     '         -0.1043, -0.1267]], grad_fn=<AddmmBackward0>)'),
    (np.ones((2, 2), np.float32), {'suffixes': ('requires_grad=True',)}, {},
     'tensor([[1., 1.],\n'
     '        [1., 1.]], requires_grad=True)'),
    (np.zeros((5, 3), np.int64), {}, {},
     'tensor([[0, 0, 0],\n'
     '        [0, 0, 0],\n'
     '        [0, 0, 0],\n'
     '        [0, 0, 0],\n'
     '        [0, 0, 0]])'),
    (np.array([1, 2, 3, 4]), {}, {},
     'tensor([1, 2, 3, 4])'),
    (np.array([[[1, 2], [3, 4]], [[1, 2], [3, 4]]]), {}, {},
     'tensor([[[1, 2],\n'
     '         [3, 4]],\n'
     '\n'
     '        [[1, 2],\n'
     '         [3, 4]]])'),
    (np.array([True, False]), {}, {},
     'tensor([ True, False])'),
    (np.array(True), {}, {},
     'tensor(True)'),
    (np.int64(-7), {}, {},
     'tensor(-7)'),
    (np.float64(3), {}, {},
     'tensor(3., dtype=torch.float64)'),
    (np.arange(5, dtype=np.int32), {}, {},
     'tensor([0, 1, 2, 3, 4], dtype=torch.int32)'),
    (np.arange(250, 256, dtype=np.uint8), {}, {},
     'tensor([250, 251, 252, 253, 254, 255], dtype=torch.uint8)'),
    (np.float16([0.5, 1.25]), {}, {},
     'tensor([0.5000, 1.2500], dtype=torch.float16)'),
    (np.float32([1, -np.inf]), {}, {},
     'tensor([1., -inf])'),
    (np.float32([-0.0, 1]), {}, {},
     'tensor([-0., 1.])'),
    (np.float32([0, np.nan]), {}, {},
     'tensor([0., nan])'),
    (np.float32([-0.0, 0.5]), {}, {},
     'tensor([-0.0000, 0.5000])'),
    (np.float32([1e-5, -0.0, np.nan, np.inf]), {}, {},
     'tensor([1.0000e-05, -0.0000e+00,        nan,        inf])'),
    (np.float32([1.5, np.nan, -np.inf]), {}, {},
     'tensor([1.5000,    nan,   -inf])'),
    (np.float32(np.nan), {}, {},
     'tensor(nan)'),
    (np.float32([1e10, 1]), {}, {},
     'tensor([1.0000e+10, 1.0000e+00])'),
    (np.float32([123456789.0, 2.5]), {}, {},
     'tensor([1.2346e+08, 2.5000e+00])'),
    (np.float64([1e300, -1e-300]), {}, {},
     'tensor([ 1.0000e+300, -1.0000e-300], dtype=torch.float64)'),
    (np.float32([0.00012, 0.1]), {}, {},
     'tensor([0.0001, 0.1000])'),
    (np.float32([1, 1000]), {}, {},
     'tensor([   1., 1000.])'),
    (np.float32([1, 1001]), {}, {},
     'tensor([1.0000e+00, 1.0010e+03])'),
    (np.zeros(0, np.float32), {}, {},
     'tensor([])'),
    (np.zeros((0, 3), np.float32), {}, {},
     'tensor([], size=(0, 3))'),
    (np.zeros(0, np.int64), {}, {},
     'tensor([], dtype=torch.int64)'),
    (np.zeros(0, np.float64), {}, {},
     'tensor([], dtype=torch.float64)'),
    (np.zeros((2, 0), bool), {}, {},
     'tensor([], size=(2, 0), dtype=torch.bool)'),
    (np.zeros((2, 0), np.float32), {'suffixes': ('requires_grad=True',)}, {},
     'tensor([], size=(2, 0), requires_grad=True)'),
    # after torch.set_default_dtype(torch.float64)
    (np.zeros(0, np.float64), {'is_default_dtype': True}, {},
     'tensor([])'),
    (np.zeros((0, 2), np.float32), {'is_default_dtype': False}, {},
     'tensor([], size=(0, 2), dtype=torch.float32)'),
    (np.float32([1.5]), {'is_default_dtype': False}, {},
     'tensor([1.5000], dtype=torch.float32)'),
    (np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7, {}, {},
     'tensor([[[0.0000, 0.1429, 0.2857, 0.4286],\n'
     '         [0.5714, 0.7143, 0.8571, 1.0000],\n'
     '         [1.1429, 1.2857, 1.4286, 1.5714]],\n'
     '\n'
     '        [[1.7143, 1.8571, 2.0000, 2.1429],\n'
     '         [2.2857, 2.4286, 2.5714, 2.7143],\n'
     '         [2.8571, 3.0000, 3.1429, 3.2857]]])'),
    (np.arange(16).reshape(2, 2, 2, 2), {}, {},
     'tensor([[[[ 0,  1],\n'
     '          [ 2,  3]],\n'
     '\n'
     '         [[ 4,  5],\n'
     '          [ 6,  7]]],\n'
     '\n'
     '\n'
     '        [[[ 8,  9],\n'
     '          [10, 11]],\n'
     '\n'
     '         [[12, 13],\n'
     '          [14, 15]]]])'),
    (np.arange(40, dtype=np.float64) / 3, {}, {},
     'tensor([ 0.0000,  0.3333,  0.6667,  1.0000,  1.3333,  1.6667,  2.0000,  2.3333,\n'
     '         2.6667,  3.0000,  3.3333,  3.6667,  4.0000,  4.3333,  4.6667,  5.0000,\n'
     '         5.3333,  5.6667,  6.0000,  6.3333,  6.6667,  7.0000,  7.3333,  7.6667,\n'
     '         8.0000,  8.3333,  8.6667,  9.0000,  9.3333,  9.6667, 10.0000, 10.3333,\n'
     '        10.6667, 11.0000, 11.3333, 11.6667, 12.0000, 12.3333, 12.6667, 13.0000],\n'
     '       dtype=torch.float64)'),
    (np.arange(40, dtype=np.int32), {}, {},
     'tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n'
     '        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n'
     '        36, 37, 38, 39], dtype=torch.int32)'),
    (np.arange(30, dtype=np.float32) / 3, {'suffixes': ('requires_grad=True',)}, {},
     'tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n'
     '        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n'
     '        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,\n'
     '        9.0000, 9.3333, 9.6667], requires_grad=True)'),
    (np.arange(16, dtype=np.float32) / 3, {'suffixes': ('grad_fn=<AddBackward0>',)}, {},
     'tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n'
     '        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000],\n'
     '       grad_fn=<AddBackward0>)'),
    (np.arange(13, dtype=np.float32) / 3, {'suffixes': ('grad_fn=<AddBackward0>',)}, {},
     'tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n'
     '        3.0000, 3.3333, 3.6667, 4.0000], grad_fn=<AddBackward0>)'),
    (np.arange(13, dtype=np.float32) / 3, {'device_str': 'cuda:0', 'suffixes': ('grad_fn=<AddBackward0>',)},
     {},
     'tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n'
     "        3.0000, 3.3333, 3.6667, 4.0000], device='cuda:0',\n"
     '       grad_fn=<AddBackward0>)'),
    ((np.arange(36, dtype=np.float64) / 7).reshape(3, 12), {}, {},
     'tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n'
     '         1.2857, 1.4286, 1.5714],\n'
     '        [1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286, 2.5714, 2.7143, 2.8571,\n'
     '         3.0000, 3.1429, 3.2857],\n'
     '        [3.4286, 3.5714, 3.7143, 3.8571, 4.0000, 4.1429, 4.2857, 4.4286, 4.5714,\n'
     '         4.7143, 4.8571, 5.0000]], dtype=torch.float64)'),
    (np.arange(2000), {}, {},
     'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'),
    (np.arange(1001, dtype=np.float32) / 4, {}, {},
     'tensor([  0.0000,   0.2500,   0.5000,  ..., 249.5000, 249.7500, 250.0000])'),
    (np.arange(2000, dtype=np.float32).reshape(20, 100), {}, {},
     'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.7000e+01, 9.8000e+01,\n'
     '         9.9000e+01],\n'
     '        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.9700e+02, 1.9800e+02,\n'
     '         1.9900e+02],\n'
     '        [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 2.9700e+02, 2.9800e+02,\n'
     '         2.9900e+02],\n'
     '        ...,\n'
     '        [1.7000e+03, 1.7010e+03, 1.7020e+03,  ..., 1.7970e+03, 1.7980e+03,\n'
     '         1.7990e+03],\n'
     '        [1.8000e+03, 1.8010e+03, 1.8020e+03,  ..., 1.8970e+03, 1.8980e+03,\n'
     '         1.8990e+03],\n'
     '        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9970e+03, 1.9980e+03,\n'
     '         1.9990e+03]])'),
    (np.arange(1120, dtype=np.float64).reshape(7, 2, 80) / 9, {'suffixes': ('requires_grad=True',)}, {},
     'tensor([[[0.0000e+00, 1.1111e-01, 2.2222e-01,  ..., 8.5556e+00,\n'
     '          8.6667e+00, 8.7778e+00],\n'
     '         [8.8889e+00, 9.0000e+00, 9.1111e+00,  ..., 1.7444e+01,\n'
     '          1.7556e+01, 1.7667e+01]],\n'
     '\n'
     '        [[1.7778e+01, 1.7889e+01, 1.8000e+01,  ..., 2.6333e+01,\n'
     '          2.6444e+01, 2.6556e+01],\n'
     '         [2.6667e+01, 2.6778e+01, 2.6889e+01,  ..., 3.5222e+01,\n'
     '          3.5333e+01, 3.5444e+01]],\n'
     '\n'
     '        [[3.5556e+01, 3.5667e+01, 3.5778e+01,  ..., 4.4111e+01,\n'
     '          4.4222e+01, 4.4333e+01],\n'
     '         [4.4444e+01, 4.4556e+01, 4.4667e+01,  ..., 5.3000e+01,\n'
     '          5.3111e+01, 5.3222e+01]],\n'
     '\n'
     '        ...,\n'
     '\n'
     '        [[7.1111e+01, 7.1222e+01, 7.1333e+01,  ..., 7.9667e+01,\n'
     '          7.9778e+01, 7.9889e+01],\n'
     '         [8.0000e+01, 8.0111e+01, 8.0222e+01,  ..., 8.8556e+01,\n'
     '          8.8667e+01, 8.8778e+01]],\n'
     '\n'
     '        [[8.8889e+01, 8.9000e+01, 8.9111e+01,  ..., 9.7444e+01,\n'
     '          9.7556e+01, 9.7667e+01],\n'
     '         [9.7778e+01, 9.7889e+01, 9.8000e+01,  ..., 1.0633e+02,\n'
     '          1.0644e+02, 1.0656e+02]],\n'
     '\n'
     '        [[1.0667e+02, 1.0678e+02, 1.0689e+02,  ..., 1.1522e+02,\n'
     '          1.1533e+02, 1.1544e+02],\n'
     '         [1.1556e+02, 1.1567e+02, 1.1578e+02,  ..., 1.2411e+02,\n'
     '          1.2422e+02, 1.2433e+02]]], dtype=torch.float64, requires_grad=True)'),
    (np.arange(1200).reshape(2, 600) % 7 == 0, {}, {},
     'tensor([[ True, False, False,  ..., False, False, False],\n'
     '        [False, False,  True,  ...,  True, False, False]])'),
    (np.float32([1.12345]), {}, {'precision': 2},
     'tensor([1.12])'),
    (np.arange(10), {}, {'threshold': 5},
     'tensor([0, 1, 2,  ..., 7, 8, 9])'),
    (np.float32([1, 2.5]), {}, {'sci_mode': True},
     'tensor([1.0000e+00, 2.5000e+00])'),
    (np.float32([1e-6, 2.5]), {}, {'sci_mode': False},
     'tensor([0.0000, 2.5000])'),
    (np.float32([1e10, 1]), {}, {'sci_mode': False},
     'tensor([10000000000.,           1.])'),
    (np.arange(20, dtype=np.float32).reshape(4, 5), {}, {'edgeitems': 0},
     'tensor([[ 0.,  1.,  2.,  3.,  4.],\n'
     '        [ 5.,  6.,  7.,  8.,  9.],\n'
     '        [10., 11., 12., 13., 14.],\n'
     '        [15., 16., 17., 18., 19.]], size=(4, 5))'),
    (np.arange(20, dtype=np.float32).reshape(4, 5), {}, {'edgeitems': 0, 'threshold': 5},
     'tensor([...], size=(4, 5))'),
    (np.arange(10, dtype=np.float32), {}, {'edgeitems': 0, 'threshold': 5},
     'tensor([...], size=(10,))'),
    (np.arange(100).reshape(10, 10), {}, {'profile': 'short', 'threshold': 50},
     'tensor([[ 0,  1,  ...,  8,  9],\n'
     '        [10, 11,  ..., 18, 19],\n'
     '        ...,\n'
     '        [80, 81,  ..., 88, 89],\n'
     '        [90, 91,  ..., 98, 99]])'),
    (np.arange(12), {}, {'profile': 'full', 'linewidth': 30},
     'tensor([ 0,  1,  2,  3,  4,\n'
     '         5,  6,  7,  8,  9,\n'
     '        10, 11])'),
    (np.float32([1.5, 2.25, 3]), {}, {'linewidth': 10},
     'tensor([1.5000,\n'
     '        2.2500,\n'
     '        3.0000])'),
]


@pytest.mark.parametrize("values, kw, opts, expected", CASES)
def test_matches_pytorch_repr(values, kw, opts, expected):
    set_printoptions(**opts)
    assert fmt(values, **kw) == expected


def test_full_profile_never_summarises():
    set_printoptions(profile="full")
    text = fmt(np.arange(1001))
    assert "..." not in text and text.endswith(" 999, 1000])")


def test_options_persist_until_changed_and_sci_mode_resets():
    set_printoptions(precision=2, sci_mode=True)
    assert fmt(np.float32([1.5])) == "tensor([1.50e+00])"
    set_printoptions(linewidth=60)  # keeps precision, sci_mode goes back to automatic
    assert fmt(np.float32([1.5])) == "tensor([1.50])"
    set_printoptions(profile="default")
    assert fmt(np.float32([1.5])) == "tensor([1.5000])"


def _random_case(rng):
    """A random array (shape, dtype, magnitude, special values) and random print options."""
    ndim = int(rng.integers(0, 5))
    shape = tuple(int(n) for n in rng.integers(0, 7, ndim))
    if rng.random() < 0.15:  # big enough to summarise
        shape = tuple(int(n) for n in rng.integers(8, 40, max(ndim, 1)))
    dtype = rng.choice(["float32", "float64", "float16", "int64", "int32", "uint8", "bool"])
    if dtype == "bool":
        a = rng.random(shape) < 0.5
    elif dtype == "uint8":
        a = rng.integers(0, 256, shape).astype(np.uint8)
    elif dtype.startswith("int"):
        a = (rng.integers(-10, 10, shape) * 10 ** int(rng.integers(0, 8))).astype(dtype)
    else:
        a = rng.standard_normal(shape) * 10.0 ** int(rng.integers(-7, 11))
        if rng.random() < 0.3:
            a = np.round(a)
        if a.size and rng.random() < 0.3:
            a.reshape(-1)[rng.integers(0, a.size, 3)] = rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0], 3)
        with np.errstate(over="ignore"):  # float16 overflows to inf: printed like PyTorch
            a = a.astype(dtype)
    opts = {}
    if rng.random() < 0.5:
        opts = dict(precision=int(rng.integers(0, 7)), linewidth=int(rng.integers(20, 121)),
                    edgeitems=int(rng.integers(0, 5)), threshold=int(rng.integers(0, 200)),
                    sci_mode=rng.choice([None, True, False]))
    return a, opts


@pytest.mark.skipif(TORCH is None, reason="torch not installed: the random oracle comparison needs it")
@pytest.mark.parametrize("seed", range(10))
def test_random_tensors_match_torch(seed):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        a, opts = _random_case(rng)
        t = TORCH.from_numpy(np.array(a))
        requires_grad = t.is_floating_point() and rng.random() < 0.3
        t.requires_grad_(requires_grad)
        set_printoptions(**opts)
        TORCH.set_printoptions(**opts)
        mine = fmt(a, suffixes=("requires_grad=True",) * requires_grad)
        assert mine == repr(t), (a.dtype, a.shape, opts)
