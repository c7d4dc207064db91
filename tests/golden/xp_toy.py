# This file is generated: DO NOT EDIT.
# array-API backend, kernels of spec kernels_spec/toy.py
# template: codegen/templates/xp/
# regenerate: nox -s generate  (or: python -m codegen)
"""Array-API kernels generated from ``kernels_spec/toy.py``: any namespace, chunked in Python."""

from array_api_compat import array_namespace
from array_api_compat import device as _device

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size
from autojax._validate import validated


def _toy_sine_power_from_impl(weights, uv_wavelengths, grid_radians_slim):
    xp = array_namespace(weights, uv_wavelengths, grid_radians_slim)
    _dev = _device(weights)
    K = weights.shape[0]
    M = grid_radians_slim.shape[0]
    i = xp.reshape(xp.arange(M, device=_dev), (M, 1))
    _total = K
    _chunk = chunk_size((M), _total)
    out = xp.zeros((M,), dtype=xp.float64, device=_dev)
    for _start in range(0, _total, _chunk):
        k = xp.reshape(xp.arange(_start, min(_start + _chunk, _total), device=_dev), (1, -1))
        out = out + xp.sum(
            weights[k] * xp.sin(grid_radians_slim[i, 1] * uv_wavelengths[k, 0]) ** 2, axis=-1
        )
    return out


@validated(convert="keep", weights="f8[K]", uv_wavelengths="f8[K,2]", grid_radians_slim="f8[M,2]")
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
