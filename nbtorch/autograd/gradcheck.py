"""gradcheck: analytical gradients against float64 central finite differences."""
import numpy as np

from .engine import run_backward
from .function import grad_accumulator


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True when d(fn)/d(input) by backward matches central differences for every differentiable
    input (float64 tensors with requires_grad) and every output element."""
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    for t in diff:
        if t.dtype.name != "float64":
            import warnings
            warnings.warn("Input #0 requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision "
                          "floating point. ")
    outputs = _outputs(fn, inputs)
    for oi, out in enumerate(outputs):
        numerical = [_numerical(fn, inputs, t, oi, eps) for t in diff]
        for k in range(out.numel()):
            seed = np.zeros(out.numel())
            seed[k] = 1.0
            g = Tensor._wrap(seed.reshape(out.shape).astype(out.dtype.np))
            fresh = _outputs(fn, inputs)
            edges = [(t._grad_fn, t._output_nr) if t._grad_fn is not None else (grad_accumulator(t), 0)
                     for t in diff]
            capture = dict.fromkeys(edges)
            run_backward([fresh[oi]], [g], retain_graph=False, create_graph=False, capture=capture)
            for j, (t, e) in enumerate(zip(diff, edges)):
                a = capture[e]
                a = np.zeros(t.shape) if a is None else a.detach().numpy().astype(np.float64)
                n = numerical[j][k].reshape(t.shape)
                if not np.allclose(a, n, rtol=rtol, atol=atol):
                    msg = (f"Jacobian mismatch for output {oi} with respect to input {j},\n"
                           f"numerical:{n}\nanalytical:{a}\n")
                    if raise_exception:
                        raise GradcheckError(msg)
                    return False
    return True


def _outputs(fn, inputs):
    from .._tensor import Tensor
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _numerical(fn, inputs, t, oi, eps):
    """Rows: output element k; columns: input element (row-major): d out[k] / d t."""
    from .grad_mode import no_grad
    data = t.detach().numpy()
    cols = []
    with no_grad():
        for idx in np.ndindex(*data.shape):
            orig = data[idx]
            data[idx] = orig + eps
            plus = _outputs(fn, inputs)[oi].numpy().astype(np.float64).reshape(-1)
            data[idx] = orig - eps
            minus = _outputs(fn, inputs)[oi].numpy().astype(np.float64).reshape(-1)
            data[idx] = orig
            cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))
