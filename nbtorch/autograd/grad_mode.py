"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode; context managers and decorators."""
import functools
import threading


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled():
    return _state.enabled


class _GradMode:
    """Sets grad mode to ``self.mode`` inside a ``with`` block or a decorated function."""
    mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self.mode

    def __exit__(self, *exc):
        _state.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)
        return wrapper

    def _clone(self):
        return self.__class__()


class _BareDecorator:
    """``@no_grad`` without parentheses decorates the function directly, as in PyTorch."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self if fn is None else self(fn)


class no_grad(_BareDecorator, _GradMode):
    mode = False


class enable_grad(_BareDecorator, _GradMode):
    mode = True


class inference_mode(_GradMode):
    def __init__(self, mode=True):
        self.mode = not mode

    def _clone(self):
        return inference_mode(not self.mode)


class set_grad_enabled(_GradMode):
    """Takes effect at once (``torch.set_grad_enabled(False)``) and restores on ``__exit__``."""

    def __init__(self, mode):
        self._prev = _state.enabled
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        pass

    def __call__(self, fn):
        _state.enabled = self._prev        # as a decorator it only acts inside ``fn``
        return super().__call__(fn)

    def _clone(self):
        return set_grad_enabled(self.mode)
