"""The numerical gradient of the kernel tests' backward checks: float64 central differences."""
import numpy as np


def central_differences(f, x, g=1.0, h=1e-6):
    """d sum(g * f()) / dx, element by element: ``f`` reads ``x``, which is perturbed in place
    (and restored)."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        keep = x[i]
        x[i] = keep + h
        plus = f()
        x[i] = keep - h
        minus = f()
        x[i] = keep
        grad[i] = np.sum(g * (plus - minus)) / (2 * h)
    return grad
