# This file is generated: DO NOT EDIT.
# Numba backend, kernels of spec kernels_spec/w_tilde.py
# template: codegen/templates/numba/
# regenerate: nox -s generate  (or: python -m codegen)
"""Numba kernels generated from ``kernels_spec/w_tilde.py``: loops, ``prange`` where race-free."""

import numba as nb
import numpy as np

from autojax import _runtime
from autojax._validate import validated


xp = np


@nb.njit(cache=True, parallel=True, nogil=True)
def _w_tilde_data_interferometer_from_impl(
    visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim
):
    K = visibilities_real.shape[0]
    M = grid_radians_slim.shape[0]
    out = np.empty((M,), dtype=np.float64)
    for i in nb.prange(M):
        acc = 0.0
        for k in range(K):
            acc += (noise_map_real[k] ** 2 / visibilities_real[k]) ** 2 * np.cos(
                2
                * np.pi
                * (
                    grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                    + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                )
            )
        out[i] = acc
    return out


@validated(
    convert="numpy",
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

    return _w_tilde_data_interferometer_from_impl(
        visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim
    )


@nb.njit(cache=True, parallel=True, nogil=True)
def _w_tilde_curvature_interferometer_from_impl(
    noise_map_real, uv_wavelengths, grid_radians_slim, _budget=2097152
):
    K = noise_map_real.shape[0]
    M = grid_radians_slim.shape[0]
    _total = K
    _chunk = max(1, min(_total, _budget // max(1, 2 * ((M) + (M)))))
    out = np.zeros((M, M), dtype=np.float64)
    for _start in range(0, _total, _chunk):
        _n = min(_chunk, _total - _start)
        _left = np.empty((M, 2 * _n), dtype=np.float64)
        _right = np.empty((M, 2 * _n), dtype=np.float64)
        for i in nb.prange(M):
            for _step in range(_n):
                k = _start + _step
                _weight = noise_map_real[k] ** (-2)
                _left[i, 0 * _n + _step] = _weight * (
                    np.cos(
                        2
                        * np.pi
                        * (
                            grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                            + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                        )
                    )
                )
                _right[i, 0 * _n + _step] = np.cos(
                    2
                    * np.pi
                    * (
                        grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                        + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                    )
                )
                _left[i, 1 * _n + _step] = _weight * (
                    np.sin(
                        2
                        * np.pi
                        * (
                            grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                            + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                        )
                    )
                )
                _right[i, 1 * _n + _step] = np.sin(
                    2
                    * np.pi
                    * (
                        grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                        + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                    )
                )
        out += _left @ _right.T
    for i in nb.prange(M):
        for j in range(i + 1, M):
            out[j, i] = out[i, j]
    return out


@validated(
    convert="numpy", noise_map_real="f8[K]", uv_wavelengths="f8[K,2]", grid_radians_slim="f8[M,2]"
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

    return _w_tilde_curvature_interferometer_from_impl(
        noise_map_real, uv_wavelengths, grid_radians_slim, _runtime.CHUNK_BUDGET
    )


@nb.njit(cache=True, parallel=True, nogil=True)
def _w_compact_curvature_interferometer_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, _budget=2097152
):
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * np.pi * pixel_scale * np.pi / 648000
    _total = K
    _chunk = max(1, min(_total, _budget // max(1, 2 * ((N) + (2 * N - 1)))))
    out = np.zeros((N, 2 * N - 1), dtype=np.float64)
    for _start in range(0, _total, _chunk):
        _n = min(_chunk, _total - _start)
        _left = np.empty((N, 2 * _n), dtype=np.float64)
        _right = np.empty((2 * N - 1, 2 * _n), dtype=np.float64)
        for m in nb.prange(N):
            for _step in range(_n):
                k = _start + _step
                _weight = noise_map_real[k] ** (-2)
                _left[m, 0 * _n + _step] = _weight * (np.cos(d * m * uv_wavelengths[k, 1]))
                _left[m, 1 * _n + _step] = _weight * (np.sin(d * m * uv_wavelengths[k, 1]))
        for n in nb.prange(2 * N - 1):
            for _step in range(_n):
                k = _start + _step
                _right[n, 0 * _n + _step] = np.cos(d * (n - (N - 1)) * uv_wavelengths[k, 0])
                _right[n, 1 * _n + _step] = np.sin(d * (n - (N - 1)) * uv_wavelengths[k, 0])
        out += _left @ _right.T
    return out


@validated(
    convert="numpy",
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

    return _w_compact_curvature_interferometer_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, _runtime.CHUNK_BUDGET
    )


@nb.njit(cache=True, parallel=True, nogil=True)
def _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index):
    N = w_compact.shape[0]
    M = native_index_for_slim_index.shape[0]
    out = np.empty((M, M), dtype=np.float64)
    for a in nb.prange(M):
        for b in range(M):
            out[a, b] = w_compact[
                abs(native_index_for_slim_index[a, 0] - native_index_for_slim_index[b, 0]),
                (
                    native_index_for_slim_index[a, 1] - native_index_for_slim_index[b, 1]
                    if native_index_for_slim_index[a, 0] >= native_index_for_slim_index[b, 0]
                    else native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1]
                )
                + N
                - 1,
            ]
    return out


@validated(convert="numpy", w_compact="f8[N,W]", native_index_for_slim_index="i8[M,2] in [0,N)")
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

    return _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index)
