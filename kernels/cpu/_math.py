"""Scalar exp/log shared by the CPU kernels. These call libm for now (one scalar call per
element); the vectorizable polynomial versions the design asks for replace them here, and every
kernel that imports this module picks them up."""
import math

from numba import njit


@njit(cache=True, inline="always")
def exp(x):
    return math.exp(x)


@njit(cache=True, inline="always")
def log(x):
    return math.log(x)
