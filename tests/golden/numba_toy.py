# This file is generated: DO NOT EDIT.
# Numba backend, kernels of spec kernels_spec/toy.py
# template: codegen/templates/numba/
# regenerate: nox -s generate  (or: python -m codegen)
"""Numba kernels generated from ``kernels_spec/toy.py``: loops, ``prange`` where race-free."""

import numba as nb
import numpy as np

from autojax import _linalg, _runtime
from autojax._validate import validated


xp = np


@nb.njit(cache=True, parallel=True, nogil=True)
def _toy_sine_power_from_impl(weights, uv_wavelengths, grid_radians_slim):
    K = weights.shape[0]
    M = grid_radians_slim.shape[0]
    out = np.empty((M,), dtype=np.float64)
    for i in nb.prange(M):
        acc = 0.0
        for k in range(K):
            acc += weights[k] * np.sin(grid_radians_slim[i, 1] * uv_wavelengths[k, 0]) ** 2
        out[i] = acc
    return out


@validated(convert="numpy", weights="f8[K]", uv_wavelengths="f8[K,2]", grid_radians_slim="f8[M,2]")
def toy_sine_power_from(weights, uv_wavelengths, grid_radians_slim):
    """out[i] = sum_k weight_k * sin(x_i * u_k)**2.

    Method: ``direct`` (family ``toy_sine_power_from``).

    Parameters
    ----------
    weights
        float64 array of shape (K,)
    uv_wavelengths
        float64 array of shape (K, 2)
    grid_radians_slim
        float64 array of shape (M, 2)

    Returns
    -------
    float64 array of shape (M,)
    """

    return _toy_sine_power_from_impl(weights, uv_wavelengths, grid_radians_slim)
