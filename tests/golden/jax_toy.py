# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/toy.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/toy.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size, require_x64, scan_chunks, scatter_chunk_size
from autojax._validate import validated


xp = jnp


@partial(jax.jit, static_argnames=[])
def _toy_sine_power_from_impl(weights, uv_wavelengths, grid_radians_slim):
    K = weights.shape[0]
    M = grid_radians_slim.shape[0]
    i = jnp.arange(M).reshape((M, 1))
    _total = K
    if _total == 0:  # nothing to sum (and nothing to gather from): static under jit
        return jnp.zeros((M,), dtype=jnp.float64)
    _chunk = chunk_size((M), _total)

    def _step(acc, _c):
        k = _c * _chunk + jnp.arange(_chunk).reshape((1, _chunk))
        live = k < _total
        k = jnp.minimum(k, _total - 1)
        term = jnp.where(
            live, weights[k] * jnp.sin(grid_radians_slim[i, 1] * uv_wavelengths[k, 0]) ** 2, 0.0
        )
        return acc + jnp.sum(term, axis=-1), None

    out, _ = scan_chunks(_step, jnp.zeros((M,), dtype=jnp.float64), -(-_total // _chunk))
    return out


@validated(convert="jax", weights="f8[K]", uv_wavelengths="f8[K,2]", grid_radians_slim="f8[M,2]")
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

    require_x64("toy_sine_power_from")
    return _toy_sine_power_from_impl(weights, uv_wavelengths, grid_radians_slim)
