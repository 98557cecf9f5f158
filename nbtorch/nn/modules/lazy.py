"""Lazy modules: LazyLinear / LazyConv1d / LazyConv2d infer their input size from the first
forward, then become Linear / Conv1d / Conv2d, as PyTorch's.

Their parameters start as UninitializedParameter: an empty placeholder that remembers only dtype
and device (so ``.to()``/``.cuda()``/``.double()`` before the first forward still apply) and is
materialised in place, so an optimizer built before the first forward holds the real parameters.
A state_dict of a lazy module holds the placeholders; loading a state_dict into one materialises
its parameters with the checkpoint's shapes."""
from ... import _creation
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter
from .conv import Conv1d, Conv2d
from .linear import Linear


class UninitializedParameter(Parameter):
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return super().__new__(cls, _creation.empty(0, device=device, dtype=dtype), requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        """Become a Parameter of ``shape`` (uninitialised values), keeping identity."""
        data = _creation.empty(shape, device=device or self._device, dtype=dtype or self.dtype)
        self._data, self._device = data._data, data._device
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def detach(self):
        """Another placeholder (a state_dict holds these, as PyTorch's does)."""
        return UninitializedParameter(False, self._device, self.dtype)

    def __deepcopy__(self, memo):
        return memo.setdefault(id(self), UninitializedParameter(self._requires_grad, self._device,
                                                                self.dtype))

    def __repr__(self):
        return "<UninitializedParameter>"

    __str__ = __repr__


class LazyModuleMixin:
    """Runs ``initialize_parameters(*inputs)`` before the first forward, then turns the module into
    ``cls_to_become``; a state_dict load materialises the placeholders it has entries for."""
    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter)
                   for p in list(self._parameters.values()) + list(self._buffers.values()))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        for name, param in self._parameters.items():
            key = prefix + name
            if isinstance(param, UninitializedParameter) and key in state_dict:
                with no_grad():
                    param.materialize(state_dict[key].shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


def _infer_parameters(module, args):
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


def _placeholders(module, bias, factory):
    module.weight = UninitializedParameter(**factory)
    if bias:
        module.bias = UninitializedParameter(**factory)


class LazyLinear(LazyModuleMixin, Linear):
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)
        _placeholders(self, bias, dict(device=device, dtype=dtype))
        self.out_features = out_features

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConv(LazyModuleMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        _placeholders(self, bias, dict(device=device, dtype=dtype))
        self.out_channels = out_channels

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            with no_grad():      # unbatched input: channels first
                self.in_channels = input.shape[0 if input.dim() == self._dims + 1 else 1]
                if self.in_channels % self.groups != 0:
                    raise ValueError("in_channels must be divisible by groups")
                self.weight.materialize((self.out_channels, self.in_channels // self.groups)
                                        + self.kernel_size)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()


class LazyConv1d(_LazyConv, Conv1d):
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    cls_to_become = Conv2d
