# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/w_tilde.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/w_tilde.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from autojax import _runtime
from autojax._runtime import chunk_size, require_x64, scan_chunks, scatter_chunk_size
from autojax._validate import validated


xp = jnp


@partial(jax.jit, static_argnames=[])
def _w_tilde_data_interferometer_from_impl(
    visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim
):
    K = visibilities_real.shape[0]
    M = grid_radians_slim.shape[0]
    i = jnp.arange(M).reshape((M, 1))
    _total = K
    _chunk = chunk_size((M), _total)

    def _step(acc, _c):
        k = _c * _chunk + jnp.arange(_chunk).reshape((1, _chunk))
        live = k < _total
        k = jnp.minimum(k, _total - 1)
        term = jnp.where(
            live,
            (noise_map_real[k] ** 2 / visibilities_real[k]) ** 2
            * jnp.cos(
                2
                * jnp.pi
                * (
                    grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                    + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                )
            ),
            0.0,
        )
        return acc + jnp.sum(term, axis=-1), None

    out, _ = scan_chunks(_step, jnp.zeros((M,), dtype=jnp.float64), -(-_total // _chunk))
    return out


@validated(
    convert="keep",
    visibilities_real="f8[K]",
    noise_map_real="f8[K]",
    uv_wavelengths="f8[K,2]",
    grid_radians_slim="f8[M,2]",
)
def w_tilde_data_interferometer_from(
    visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim
):
    """``out[i] = sum_k (noise_k**2 / vis_k)**2 cos(2 pi (x_i u_k + y_i v_k))``.

    The weight ``(noise**2 / vis)**2`` is the upstream one, kept on purpose.

    Method: ``direct`` (family ``w_tilde_data``).

    Parameters
    ----------
    visibilities_real
        float64 array of shape (K,)
    noise_map_real
        float64 array of shape (K,)
    uv_wavelengths
        float64 array of shape (K, 2)
    grid_radians_slim
        float64 array of shape (M, 2)

    Returns
    -------
    float64 array of shape (M,)
    """

    require_x64("w_tilde_data_interferometer_from")
    return _w_tilde_data_interferometer_from_impl(
        visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim
    )


@partial(jax.jit, static_argnames=[])
def _w_tilde_curvature_interferometer_from_impl(noise_map_real, uv_wavelengths, grid_radians_slim):
    K = noise_map_real.shape[0]
    M = grid_radians_slim.shape[0]
    i = jnp.arange(M).reshape((-1, 1))
    _total = K
    _chunk = chunk_size(2 * ((M) + (M)), _total)

    def _step(acc, _c):
        k = _c * _chunk + jnp.arange(_chunk).reshape((1, -1))
        live = k < _total
        k = jnp.minimum(k, _total - 1)
        _weight = jnp.where(live, noise_map_real[k] ** (-2), 0.0)
        _right = jnp.concatenate(
            [
                jnp.broadcast_to(
                    jnp.cos(
                        2
                        * jnp.pi
                        * (
                            grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                            + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                        )
                    ),
                    (M, _chunk),
                ),
                jnp.broadcast_to(
                    jnp.sin(
                        2
                        * jnp.pi
                        * (
                            grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                            + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                        )
                    ),
                    (M, _chunk),
                ),
            ],
            axis=1,
        )
        _left = _right * jnp.tile(_weight, (1, 2))
        return acc + lax.dot_general(_left, _right, (((1,), (1,)), ((), ()))), None

    out, _ = scan_chunks(_step, jnp.zeros((M, M), dtype=jnp.float64), -(-_total // _chunk))
    return jnp.where(i <= i.T, out, out.T)


@validated(
    convert="keep", noise_map_real="f8[K]", uv_wavelengths="f8[K,2]", grid_radians_slim="f8[M,2]"
)
def w_tilde_curvature_interferometer_from(noise_map_real, uv_wavelengths, grid_radians_slim):
    """Dense W-tilde: ``W[i,j] = sum_k noise_k**-2 cos(2 pi ((x_i-x_j) u_k + (y_i-y_j) v_k))``.

    Symmetric, (M, M). With ``phi_i = 2 pi (x_i u_k + y_i v_k)``, ``cos(phi_i - phi_j) =
    cos phi_i cos phi_j + sin phi_i sin phi_j``: per chunk of visibilities, the (M, chunk)
    tables of cosines and sines are built once and multiplied, so the cost is 2 M K cosines
    and sines plus a matrix product, not M**2 K cosines.

    Method: ``direct`` (family ``w_tilde``).

    Parameters
    ----------
    noise_map_real
        float64 array of shape (K,)
    uv_wavelengths
        float64 array of shape (K, 2)
    grid_radians_slim
        float64 array of shape (M, 2)

    Returns
    -------
    float64 array of shape (M, M)
    """

    require_x64("w_tilde_curvature_interferometer_from")
    return _w_tilde_curvature_interferometer_from_impl(
        noise_map_real, uv_wavelengths, grid_radians_slim
    )


@partial(jax.jit, static_argnames=["grid_size"])
def _w_compact_curvature_interferometer_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale
):
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * jnp.pi * pixel_scale * jnp.pi / 648000
    m = jnp.arange(N).reshape((-1, 1))
    n = jnp.arange(2 * N - 1).reshape((-1, 1))
    _total = K
    _chunk = chunk_size(2 * ((N) + (2 * N - 1)), _total)

    def _step(acc, _c):
        k = _c * _chunk + jnp.arange(_chunk).reshape((1, -1))
        live = k < _total
        k = jnp.minimum(k, _total - 1)
        _weight = jnp.where(live, noise_map_real[k] ** (-2), 0.0)
        _left = jnp.concatenate(
            [
                jnp.broadcast_to(_weight * (jnp.cos(d * m * uv_wavelengths[k, 1])), (N, _chunk)),
                jnp.broadcast_to(_weight * (jnp.sin(d * m * uv_wavelengths[k, 1])), (N, _chunk)),
            ],
            axis=1,
        )
        _right = jnp.concatenate(
            [
                jnp.broadcast_to(
                    jnp.cos(d * (n - (N - 1)) * uv_wavelengths[k, 0]), (2 * N - 1, _chunk)
                ),
                jnp.broadcast_to(
                    jnp.sin(d * (n - (N - 1)) * uv_wavelengths[k, 0]), (2 * N - 1, _chunk)
                ),
            ],
            axis=1,
        )
        return acc + lax.dot_general(_left, _right, (((1,), (1,)), ((), ()))), None

    out, _ = scan_chunks(_step, jnp.zeros((N, 2 * N - 1), dtype=jnp.float64), -(-_total // _chunk))
    return out


@validated(
    convert="keep",
    grid_size="int -> N",
    noise_map_real="f8[K]",
    uv_wavelengths="f8[K,2]",
    pixel_scale="float",
)
def w_compact_curvature_interferometer_from(grid_size, noise_map_real, uv_wavelengths, pixel_scale):
    """The compact form of W-tilde: one value per lattice offset, (N, 2N-1).

    ``C[m, n] = sum_k noise_k**-2 cos(d (n-(N-1)) u_k - d m v_k)`` with
    ``d = 2 pi pixel_scale pi/648000``. Only non-negative row offsets are stored
    (cos is even), and no grid is needed, only the pixel scale. Evaluated as
    ``cos(a - b) = cos a cos b + sin a sin b`` with ``a = d (n-(N-1)) u_k`` and ``b = d m v_k``:
    (N + 2N-1) K cosines and sines and a matrix product per chunk of visibilities.

    Method: ``compact`` (family ``w_tilde``).

    Parameters
    ----------
    grid_size
        int (= N)
    noise_map_real
        float64 array of shape (K,)
    uv_wavelengths
        float64 array of shape (K, 2)
    pixel_scale
        float

    Returns
    -------
    float64 array of shape (N, W)
    """

    require_x64("w_compact_curvature_interferometer_from")
    return _w_compact_curvature_interferometer_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale
    )


@partial(jax.jit, static_argnames=[])
def _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index):
    N = w_compact.shape[0]
    M = native_index_for_slim_index.shape[0]
    a = jnp.arange(M).reshape((M, 1))
    b = jnp.arange(M).reshape((1, M))
    return jnp.broadcast_to(
        w_compact[
            jnp.abs(native_index_for_slim_index[a, 0] - native_index_for_slim_index[b, 0]),
            jnp.where(
                native_index_for_slim_index[a, 0] >= native_index_for_slim_index[b, 0],
                native_index_for_slim_index[a, 1] - native_index_for_slim_index[b, 1],
                native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1],
            )
            + N
            - 1,
        ],
        (M, M),
    ).astype(jnp.float64)


@validated(convert="keep", w_compact="f8[N,W]", native_index_for_slim_index="i8[M,2] in [0,N)")
def w_tilde_via_compact_from(w_compact, native_index_for_slim_index):
    """Expand the compact form to the dense (M, M) W-tilde.

    For pixels a, b with ``dr = row_a - row_b``, ``dc = col_a - col_b``:
    ``W[a,b] = C[|dr|, (dc if dr >= 0 else -dc) + N - 1]``.

    Method: ``compact_expand`` (family ``w_tilde``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W)
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)

    Returns
    -------
    float64 array of shape (M, M)
    """

    require_x64("w_tilde_via_compact_from")
    return _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index)
