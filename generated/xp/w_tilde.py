# This file is generated: DO NOT EDIT.
# array-API backend, kernels of spec kernels_spec/w_tilde.py
# template: codegen/templates/xp/
# regenerate: nox -s generate  (or: python -m codegen)
"""Array-API kernels generated from ``kernels_spec/w_tilde.py``: any namespace, chunked in Python."""

from array_api_compat import array_namespace
from array_api_compat import device as _device

from autojax import _runtime
from autojax._runtime import chunk_size
from autojax._validate import validated


def _w_tilde_data_interferometer_from_impl(
    visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim
):
    xp = array_namespace(visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim)
    _dev = _device(visibilities_real)
    K = visibilities_real.shape[0]
    M = grid_radians_slim.shape[0]
    i = xp.reshape(xp.arange(M, device=_dev), (M, 1))
    _total = K
    _chunk = chunk_size((M), _total)
    out = xp.zeros((M,), dtype=xp.float64, device=_dev)
    for _start in range(0, _total, _chunk):
        k = xp.reshape(xp.arange(_start, min(_start + _chunk, _total), device=_dev), (1, -1))
        out = out + xp.sum(
            (noise_map_real[k] ** 2 / visibilities_real[k]) ** 2
            * xp.cos(
                2
                * xp.pi
                * (
                    grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                    + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                )
            ),
            axis=-1,
        )
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

    return _w_tilde_data_interferometer_from_impl(
        visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim
    )


def _w_tilde_curvature_interferometer_from_impl(noise_map_real, uv_wavelengths, grid_radians_slim):
    xp = array_namespace(noise_map_real, uv_wavelengths, grid_radians_slim)
    _dev = _device(noise_map_real)
    K = noise_map_real.shape[0]
    M = grid_radians_slim.shape[0]
    i = xp.reshape(xp.arange(M, device=_dev), (-1, 1))
    _total = K
    _chunk = chunk_size(2 * ((M) + (M)), _total)
    out = xp.zeros((M, M), dtype=xp.float64, device=_dev)
    for _start in range(0, _total, _chunk):
        k = xp.reshape(xp.arange(_start, min(_start + _chunk, _total), device=_dev), (1, -1))
        _n = k.shape[1]
        _weight = noise_map_real[k] ** (-2) + xp.zeros((1, _n), dtype=xp.float64, device=_dev)
        _right = xp.concat(
            [
                xp.broadcast_to(
                    xp.cos(
                        2
                        * xp.pi
                        * (
                            grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                            + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                        )
                    ),
                    (M, _n),
                ),
                xp.broadcast_to(
                    xp.sin(
                        2
                        * xp.pi
                        * (
                            grid_radians_slim[i, 1] * uv_wavelengths[k, 0]
                            + grid_radians_slim[i, 0] * uv_wavelengths[k, 1]
                        )
                    ),
                    (M, _n),
                ),
            ],
            axis=1,
        )
        _left = _right * xp.concat([_weight] * 2, axis=1)
        out = out + xp.matmul(_left, xp.matrix_transpose(_right))
    _upper = xp.reshape(xp.arange(M, device=_dev), (-1, 1)) <= xp.reshape(
        xp.arange(M, device=_dev), (1, -1)
    )
    return xp.where(_upper, out, xp.matrix_transpose(out))


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

    return _w_tilde_curvature_interferometer_from_impl(
        noise_map_real, uv_wavelengths, grid_radians_slim
    )


def _w_compact_curvature_interferometer_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale
):
    xp = array_namespace(noise_map_real, uv_wavelengths)
    _dev = _device(noise_map_real)
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * xp.pi * pixel_scale * xp.pi / 648000
    m = xp.reshape(xp.arange(N, device=_dev), (-1, 1))
    n = xp.reshape(xp.arange(2 * N - 1, device=_dev), (-1, 1))
    _total = K
    _chunk = chunk_size(2 * ((N) + (2 * N - 1)), _total)
    out = xp.zeros((N, 2 * N - 1), dtype=xp.float64, device=_dev)
    for _start in range(0, _total, _chunk):
        k = xp.reshape(xp.arange(_start, min(_start + _chunk, _total), device=_dev), (1, -1))
        _n = k.shape[1]
        _weight = noise_map_real[k] ** (-2) + xp.zeros((1, _n), dtype=xp.float64, device=_dev)
        _left = xp.concat(
            [
                xp.broadcast_to(_weight * (xp.cos(d * m * uv_wavelengths[k, 1])), (N, _n)),
                xp.broadcast_to(_weight * (xp.sin(d * m * uv_wavelengths[k, 1])), (N, _n)),
            ],
            axis=1,
        )
        _right = xp.concat(
            [
                xp.broadcast_to(xp.cos(d * (n - (N - 1)) * uv_wavelengths[k, 0]), (2 * N - 1, _n)),
                xp.broadcast_to(xp.sin(d * (n - (N - 1)) * uv_wavelengths[k, 0]), (2 * N - 1, _n)),
            ],
            axis=1,
        )
        out = out + xp.matmul(_left, xp.matrix_transpose(_right))
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

    return _w_compact_curvature_interferometer_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale
    )


def _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index):
    xp = array_namespace(w_compact, native_index_for_slim_index)
    _dev = _device(w_compact)
    N = w_compact.shape[0]
    M = native_index_for_slim_index.shape[0]
    a = xp.reshape(xp.arange(M, device=_dev), (M, 1))
    b = xp.reshape(xp.arange(M, device=_dev), (1, M))
    return xp.astype(
        xp.broadcast_to(
            w_compact[
                xp.abs(native_index_for_slim_index[a, 0] - native_index_for_slim_index[b, 0]),
                xp.where(
                    native_index_for_slim_index[a, 0] >= native_index_for_slim_index[b, 0],
                    native_index_for_slim_index[a, 1] - native_index_for_slim_index[b, 1],
                    native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1],
                )
                + N
                - 1,
            ],
            (M, M),
        ),
        xp.float64,
    )


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

    return _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index)
