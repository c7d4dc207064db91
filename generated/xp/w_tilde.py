# This file is generated: DO NOT EDIT.
# array-API backend, kernels of spec kernels_spec/w_tilde.py
# template: codegen/templates/xp/
# regenerate: nox -s generate  (or: python -m codegen)
"""Array-API kernels generated from ``kernels_spec/w_tilde.py``: any namespace, chunked in Python."""

from array_api_compat import array_namespace
from array_api_compat import device as _device

from autojax import _linalg, _runtime
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
    visibilities_real="f8[K] finite",
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
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
        float64 array of shape (K,), finite
    noise_map_real
        float64 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    grid_radians_slim
        float64 array of shape (M, 2), finite

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
    convert="keep",
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
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
        float64 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    grid_radians_slim
        float64 array of shape (M, 2), finite

    Returns
    -------
    float64 array of shape (M, M)
    """

    return _w_tilde_curvature_interferometer_from_impl(
        noise_map_real, uv_wavelengths, grid_radians_slim
    )


def _w_compact_curvature_interferometer_exact_from_impl(
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
                xp.broadcast_to(
                    _weight * (xp.cos(d * xp.astype(m, xp.float64) * uv_wavelengths[k, 1])), (N, _n)
                ),
                xp.broadcast_to(
                    _weight * (xp.sin(d * xp.astype(m, xp.float64) * uv_wavelengths[k, 1])), (N, _n)
                ),
            ],
            axis=1,
        )
        _right = xp.concat(
            [
                xp.broadcast_to(
                    xp.cos(d * (xp.astype(n, xp.float64) - (N - 1)) * uv_wavelengths[k, 0]),
                    (2 * N - 1, _n),
                ),
                xp.broadcast_to(
                    xp.sin(d * (xp.astype(n, xp.float64) - (N - 1)) * uv_wavelengths[k, 0]),
                    (2 * N - 1, _n),
                ),
            ],
            axis=1,
        )
        out = out + xp.matmul(_left, xp.matrix_transpose(_right))
    return out


@validated(
    convert="keep",
    grid_size="int -> N >0",
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    pixel_scale="float finite >0",
)
def w_compact_curvature_interferometer_exact_from(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale
):
    """The compact form of W-tilde by the exact sum: one value per lattice offset, (N, 2N-1).

    ``C[m, n] = sum_k noise_k**-2 cos(d (n-(N-1)) u_k - d m v_k)`` with
    ``d = 2 pi pixel_scale pi/648000``. Only non-negative row offsets are stored
    (cos is even), and no grid is needed, only the pixel scale. Evaluated as
    ``cos(a - b) = cos a cos b + sin a sin b`` with ``a = d (n-(N-1)) u_k`` and ``b = d m v_k``:
    (N + 2N-1) K cosines and sines and a matrix product per chunk of visibilities.

    Method: ``exact`` (family ``w_compact``).

    Parameters
    ----------
    grid_size
        int (= N), positive
    noise_map_real
        float64 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    pixel_scale
        float, finite, positive

    Returns
    -------
    float64 array of shape (N, W = 2*N-1), finite
    """

    return _w_compact_curvature_interferometer_exact_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale
    )


def _w_compact_curvature_interferometer_nufft_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    from array_api_compat import is_jax_namespace, is_numpy_namespace

    xp = array_namespace(noise_map_real, uv_wavelengths)
    if is_jax_namespace(xp):
        from autojax._runtime import require_x64

        from ..jax.w_tilde import _w_compact_curvature_interferometer_nufft_from_impl as _jax_impl

        require_x64("w_compact_curvature_interferometer_nufft_from")
        return _jax_impl(grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps)
    if not is_numpy_namespace(xp):
        raise TypeError(
            "w_compact_curvature_interferometer_nufft_from: the NUFFT methods support NumPy arrays (ducc0, FINUFFT) and JAX "
            f"arrays (ducc0, jax-finufft, nufftax); got arrays of {xp.__name__}. Use method 'exact' or "
            "convert the inputs."
        )
    import numpy as np

    if (
        _runtime.nufft_library("w_compact_curvature_interferometer_nufft_from", "auto", eps, False)
        == "ducc0"
    ):
        return _w_compact_curvature_interferometer_nufft_from_impl_ducc0(
            grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
        )
    return _w_compact_curvature_interferometer_nufft_from_impl_finufft(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


def _w_compact_curvature_interferometer_nufft_from_impl_ducc0(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    import numpy as np

    xp = np  # NumPy arrays only here

    try:
        import ducc0
    except ImportError as _exc:
        raise ImportError(
            "w_compact_curvature_interferometer_nufft_from: this NUFFT needs ducc0, part of the optional 'nufft' extra: "
            f"{_runtime.NUFFT_EXTRA} (ducc0 does not import: {_exc})"
        ) from _exc
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * xp.pi * pixel_scale * xp.pi / 648000
    _eps = _runtime.ducc0_eps("w_compact_curvature_interferometer_nufft_from", eps, False, True)
    _total = K
    _lo0 = 0
    _half0 = max(abs(_lo0), abs(_lo0 + (N) - 1))
    _lo1 = -(N - 1)
    _half1 = max(abs(_lo1), abs(_lo1 + (2 * N - 1) - 1))
    if _total == 0:
        return np.zeros((N, 2 * N - 1), dtype=np.float64)
    k = slice(None)
    # the points are scaled columns of uv_wavelengths: ducc0 reads it as it is, with
    # the period 2 pi / |scale| per axis (an axis with a negative scale read reversed)
    _scaled = _runtime.ducc0_scaled_points(
        "w_compact_curvature_interferometer_nufft_from", uv_wavelengths, True, (-d, d)
    )
    if _scaled is not None:
        _coord, _period, _flip = _scaled.coord, _scaled.period, _scaled.flip
    else:
        _coord = np.empty((_total, 2))
        _coord[:, 0] = -d * uv_wavelengths[k, 1]
        _coord[:, 1] = d * uv_wavelengths[k, 0]
        _coord = _runtime.ducc0_coordinates(
            "w_compact_curvature_interferometer_nufft_from", _coord, True
        )
        _period, _flip = 2 * np.pi, (False, False)
    # the parts written in place, in chunks (temporaries stay small and in cache)
    _c = _runtime.nufft_buffer("weights", (_total,))
    _cr, _ci = _c.real, _c.imag
    for _start in range(0, _total, _runtime.WEIGHT_CHUNK):
        k = slice(_start, _start + _runtime.WEIGHT_CHUNK)
        _j = k
        _cr[_j] = 1.0 / noise_map_real[k] ** 2
        _ci[_j] = 0.0
    _f = ducc0.nufft.nu2u(
        points=_c,
        coord=_coord,
        forward=False,
        epsilon=_eps,
        nthreads=_runtime.ducc0_threads(_total, (2 * _half0 + 1) * (2 * _half1 + 1)),
        out=_runtime.nufft_buffer("out", (2 * _half0 + 1, 2 * _half1 + 1)),
        periodicity=_period,
    )
    _f = _f[
        _runtime.mode_slice(_lo0, _half0, N, _flip[0]),
        _runtime.mode_slice(_lo1, _half1, 2 * N - 1, _flip[1]),
    ]
    # a copy: the library wrote into this thread's kept buffer
    return np.array(_f.real, order="C")


def _w_compact_curvature_interferometer_nufft_from_impl_finufft(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    import numpy as np

    xp = np  # NumPy arrays only here

    try:
        import finufft
    except ImportError as _exc:
        raise ImportError(
            "w_compact_curvature_interferometer_nufft_from: method 'nufft' needs the optional 'nufft' extra: "
            f"{_runtime.NUFFT_EXTRA} (FINUFFT does not import: {_exc})"
        ) from _exc
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * xp.pi * pixel_scale * xp.pi / 648000
    _total = K
    _lo0 = 0
    _half0 = max(abs(_lo0), abs(_lo0 + (N) - 1))
    _lo1 = -(N - 1)
    _half1 = max(abs(_lo1), abs(_lo1 + (2 * N - 1) - 1))
    if _total == 0:
        return np.zeros((N, 2 * N - 1), dtype=np.float64)
    k = np.arange(_total)
    _x0 = np.ascontiguousarray(
        np.broadcast_to(-d * uv_wavelengths[k, 1], (_total,)), dtype=np.float64
    )
    _x1 = np.ascontiguousarray(
        np.broadcast_to(d * uv_wavelengths[k, 0], (_total,)), dtype=np.float64
    )
    _runtime.refuse_non_finite("w_compact_curvature_interferometer_nufft_from", "points", _x0, _x1)
    _x0 = np.clip(_x0 - 2 * np.pi * np.floor((_x0 + np.pi) / (2 * np.pi)), -np.pi, np.pi)
    _x1 = np.clip(_x1 - 2 * np.pi * np.floor((_x1 + np.pi) / (2 * np.pi)), -np.pi, np.pi)
    _c = np.ascontiguousarray(
        np.broadcast_to(1.0 / noise_map_real[k] ** 2, (_total,)), dtype=np.complex128
    )
    _f = finufft.nufft2d1(
        _x0,
        _x1,
        _c,
        (2 * _half0 + 1, 2 * _half1 + 1),
        eps=eps,
        isign=1,
        modeord=0,
        nthreads=_runtime.finufft_threads(_total, (2 * _half0 + 1) * (2 * _half1 + 1)),
    )
    _f = _f[
        _lo0 + _half0 : _lo0 + _half0 + (N),
        _lo1 + _half1 : _lo1 + _half1 + (2 * N - 1),
    ]
    return np.ascontiguousarray(_f.real)


@validated(
    convert="keep",
    grid_size="int -> N >0",
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    pixel_scale="float finite >0",
    eps="float finite >0",
)
def w_compact_curvature_interferometer_nufft_from(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    """The compact form of W-tilde by a type-1 NUFFT, to the relative tolerance ``eps``.

    ``C[m, n] = Re sum_k noise_k**-2 exp(i ((n-(N-1)) d u_k + m (-d v_k)))``: the weights
    ``noise_k**-2`` at the points ``(d u_k, -d v_k)`` (folded into [-pi, pi)) onto the integer
    modes ``n - (N-1)`` and ``m``. O(K + N**2 log N) instead of O(K N**2). The default
    ``eps`` keeps every entry above 1e-6 of the peak within 1e-9 relative of the exact sum
    (measured: at 1e-12, FINUFFT gives up to 3e-9; at 1e-13 nufftax up to 2e-9).
    By ducc0 when it is installed and ``eps >= 1e-14`` (measured 1.2-2x faster than
    FINUFFT at the same accuracy; below ducc0's smallest tolerance, 7.2e-15 for type 1 and
    1.44e-14 for type 3, it runs at that one), else by FINUFFT; JAX: ducc0 through
    a host callback on the CPU (jax-finufft without ducc0), nufftax elsewhere. Needs the optional 'nufft' extra.

    Method: ``nufft`` (family ``w_compact``).

    Parameters
    ----------
    grid_size
        int (= N), positive
    noise_map_real
        float64 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    pixel_scale
        float, finite, positive
    eps
        float, finite, positive

    Returns
    -------
    float64 array of shape (N, W = 2*N-1), finite
    """

    return _w_compact_curvature_interferometer_nufft_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


def _w_compact_curvature_interferometer_nufft_ducc0_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    from array_api_compat import is_jax_namespace, is_numpy_namespace

    xp = array_namespace(noise_map_real, uv_wavelengths)
    if is_jax_namespace(xp):
        from autojax._runtime import require_x64

        from ..jax.w_tilde import (
            _w_compact_curvature_interferometer_nufft_ducc0_from_impl as _jax_impl,
        )

        require_x64("w_compact_curvature_interferometer_nufft_ducc0_from")
        return _jax_impl(grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps)
    if not is_numpy_namespace(xp):
        raise TypeError(
            "w_compact_curvature_interferometer_nufft_ducc0_from: the NUFFT methods support NumPy arrays (ducc0, FINUFFT) and JAX "
            f"arrays (ducc0, jax-finufft, nufftax); got arrays of {xp.__name__}. Use method 'exact' or "
            "convert the inputs."
        )
    import numpy as np

    try:
        import ducc0
    except ImportError as _exc:
        raise ImportError(
            "w_compact_curvature_interferometer_nufft_ducc0_from: this NUFFT needs ducc0, part of the optional 'nufft' extra: "
            f"{_runtime.NUFFT_EXTRA} (ducc0 does not import: {_exc})"
        ) from _exc
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * xp.pi * pixel_scale * xp.pi / 648000
    _eps = _runtime.ducc0_eps(
        "w_compact_curvature_interferometer_nufft_ducc0_from", eps, False, False
    )
    _total = K
    _lo0 = 0
    _half0 = max(abs(_lo0), abs(_lo0 + (N) - 1))
    _lo1 = -(N - 1)
    _half1 = max(abs(_lo1), abs(_lo1 + (2 * N - 1) - 1))
    if _total == 0:
        return np.zeros((N, 2 * N - 1), dtype=np.float64)
    k = slice(None)
    # the points are scaled columns of uv_wavelengths: ducc0 reads it as it is, with
    # the period 2 pi / |scale| per axis (an axis with a negative scale read reversed)
    _scaled = _runtime.ducc0_scaled_points(
        "w_compact_curvature_interferometer_nufft_ducc0_from", uv_wavelengths, True, (-d, d)
    )
    if _scaled is not None:
        _coord, _period, _flip = _scaled.coord, _scaled.period, _scaled.flip
    else:
        _coord = np.empty((_total, 2))
        _coord[:, 0] = -d * uv_wavelengths[k, 1]
        _coord[:, 1] = d * uv_wavelengths[k, 0]
        _coord = _runtime.ducc0_coordinates(
            "w_compact_curvature_interferometer_nufft_ducc0_from", _coord, True
        )
        _period, _flip = 2 * np.pi, (False, False)
    # the parts written in place, in chunks (temporaries stay small and in cache)
    _c = _runtime.nufft_buffer("weights", (_total,))
    _cr, _ci = _c.real, _c.imag
    for _start in range(0, _total, _runtime.WEIGHT_CHUNK):
        k = slice(_start, _start + _runtime.WEIGHT_CHUNK)
        _j = k
        _cr[_j] = 1.0 / noise_map_real[k] ** 2
        _ci[_j] = 0.0
    _f = ducc0.nufft.nu2u(
        points=_c,
        coord=_coord,
        forward=False,
        epsilon=_eps,
        nthreads=_runtime.ducc0_threads(_total, (2 * _half0 + 1) * (2 * _half1 + 1)),
        out=_runtime.nufft_buffer("out", (2 * _half0 + 1, 2 * _half1 + 1)),
        periodicity=_period,
    )
    _f = _f[
        _runtime.mode_slice(_lo0, _half0, N, _flip[0]),
        _runtime.mode_slice(_lo1, _half1, 2 * N - 1, _flip[1]),
    ]
    # a copy: the library wrote into this thread's kept buffer
    return np.array(_f.real, order="C")


@validated(
    convert="keep",
    grid_size="int -> N >0",
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    pixel_scale="float finite >0",
    eps="float finite >0",
)
def w_compact_curvature_interferometer_nufft_ducc0_from(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    """The compact form of W-tilde by a type-1 NUFFT, to the relative tolerance ``eps``.

    ``C[m, n] = Re sum_k noise_k**-2 exp(i ((n-(N-1)) d u_k + m (-d v_k)))``: the weights
    ``noise_k**-2`` at the points ``(d u_k, -d v_k)`` (folded into [-pi, pi)) onto the integer
    modes ``n - (N-1)`` and ``m``. O(K + N**2 log N) instead of O(K N**2). The default
    ``eps`` keeps every entry above 1e-6 of the peak within 1e-9 relative of the exact sum
    (measured: at 1e-12, FINUFFT gives up to 3e-9; at 1e-13 nufftax up to 2e-9).
    By ducc0 (``ducc0.nufft``; JAX: through a host callback, with no derivative
    rule). ``eps`` must be at least ducc0's smallest tolerance (7.2e-15 for type
    1, 1.44e-14 for type 3): a ValueError naming ``eps`` otherwise. Needs the optional 'nufft' extra.

    Method: ``nufft_ducc0`` (family ``w_compact``).

    Parameters
    ----------
    grid_size
        int (= N), positive
    noise_map_real
        float64 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    pixel_scale
        float, finite, positive
    eps
        float, finite, positive

    Returns
    -------
    float64 array of shape (N, W = 2*N-1), finite
    """

    return _w_compact_curvature_interferometer_nufft_ducc0_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


def _w_compact_curvature_interferometer_nufft_finufft_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    from array_api_compat import is_jax_namespace, is_numpy_namespace

    xp = array_namespace(noise_map_real, uv_wavelengths)
    if is_jax_namespace(xp):
        from autojax._runtime import require_x64

        from ..jax.w_tilde import (
            _w_compact_curvature_interferometer_nufft_finufft_from_impl as _jax_impl,
        )

        require_x64("w_compact_curvature_interferometer_nufft_finufft_from")
        return _jax_impl(grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps)
    if not is_numpy_namespace(xp):
        raise TypeError(
            "w_compact_curvature_interferometer_nufft_finufft_from: the NUFFT methods support NumPy arrays (ducc0, FINUFFT) and JAX "
            f"arrays (ducc0, jax-finufft, nufftax); got arrays of {xp.__name__}. Use method 'exact' or "
            "convert the inputs."
        )
    import numpy as np

    try:
        import finufft
    except ImportError as _exc:
        raise ImportError(
            "w_compact_curvature_interferometer_nufft_finufft_from: method 'nufft' needs the optional 'nufft' extra: "
            f"{_runtime.NUFFT_EXTRA} (FINUFFT does not import: {_exc})"
        ) from _exc
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * xp.pi * pixel_scale * xp.pi / 648000
    _total = K
    _lo0 = 0
    _half0 = max(abs(_lo0), abs(_lo0 + (N) - 1))
    _lo1 = -(N - 1)
    _half1 = max(abs(_lo1), abs(_lo1 + (2 * N - 1) - 1))
    if _total == 0:
        return np.zeros((N, 2 * N - 1), dtype=np.float64)
    k = np.arange(_total)
    _x0 = np.ascontiguousarray(
        np.broadcast_to(-d * uv_wavelengths[k, 1], (_total,)), dtype=np.float64
    )
    _x1 = np.ascontiguousarray(
        np.broadcast_to(d * uv_wavelengths[k, 0], (_total,)), dtype=np.float64
    )
    _runtime.refuse_non_finite(
        "w_compact_curvature_interferometer_nufft_finufft_from", "points", _x0, _x1
    )
    _x0 = np.clip(_x0 - 2 * np.pi * np.floor((_x0 + np.pi) / (2 * np.pi)), -np.pi, np.pi)
    _x1 = np.clip(_x1 - 2 * np.pi * np.floor((_x1 + np.pi) / (2 * np.pi)), -np.pi, np.pi)
    _c = np.ascontiguousarray(
        np.broadcast_to(1.0 / noise_map_real[k] ** 2, (_total,)), dtype=np.complex128
    )
    _f = finufft.nufft2d1(
        _x0,
        _x1,
        _c,
        (2 * _half0 + 1, 2 * _half1 + 1),
        eps=eps,
        isign=1,
        modeord=0,
        nthreads=_runtime.finufft_threads(_total, (2 * _half0 + 1) * (2 * _half1 + 1)),
    )
    _f = _f[
        _lo0 + _half0 : _lo0 + _half0 + (N),
        _lo1 + _half1 : _lo1 + _half1 + (2 * N - 1),
    ]
    return np.ascontiguousarray(_f.real)


@validated(
    convert="keep",
    grid_size="int -> N >0",
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    pixel_scale="float finite >0",
    eps="float finite >0",
)
def w_compact_curvature_interferometer_nufft_finufft_from(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    """The compact form of W-tilde by a type-1 NUFFT, to the relative tolerance ``eps``.

    ``C[m, n] = Re sum_k noise_k**-2 exp(i ((n-(N-1)) d u_k + m (-d v_k)))``: the weights
    ``noise_k**-2`` at the points ``(d u_k, -d v_k)`` (folded into [-pi, pi)) onto the integer
    modes ``n - (N-1)`` and ``m``. O(K + N**2 log N) instead of O(K N**2). The default
    ``eps`` keeps every entry above 1e-6 of the peak within 1e-9 relative of the exact sum
    (measured: at 1e-12, FINUFFT gives up to 3e-9; at 1e-13 nufftax up to 2e-9).
    By FINUFFT (JAX: jax-finufft on the CPU, nufftax elsewhere). Needs the optional 'nufft' extra.

    Method: ``nufft_finufft`` (family ``w_compact``).

    Parameters
    ----------
    grid_size
        int (= N), positive
    noise_map_real
        float64 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    pixel_scale
        float, finite, positive
    eps
        float, finite, positive

    Returns
    -------
    float64 array of shape (N, W = 2*N-1), finite
    """

    return _w_compact_curvature_interferometer_nufft_finufft_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


def _w_compact_curvature_interferometer_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, method="auto", eps=1e-14
):
    if method == "auto":
        N = grid_size
        K = noise_map_real.shape[0]
        have_nufft = _runtime.have_nufft("xp", noise_map_real)
        method = "nufft" if have_nufft and K > 3 * N and K * N > 20000 else "exact"
    if method == "exact":
        return _w_compact_curvature_interferometer_exact_from_impl(
            grid_size=grid_size,
            noise_map_real=noise_map_real,
            uv_wavelengths=uv_wavelengths,
            pixel_scale=pixel_scale,
        )
    elif method == "nufft":
        return _w_compact_curvature_interferometer_nufft_from_impl(
            grid_size=grid_size,
            noise_map_real=noise_map_real,
            uv_wavelengths=uv_wavelengths,
            pixel_scale=pixel_scale,
            eps=eps,
        )
    elif method == "nufft_ducc0":
        return _w_compact_curvature_interferometer_nufft_ducc0_from_impl(
            grid_size=grid_size,
            noise_map_real=noise_map_real,
            uv_wavelengths=uv_wavelengths,
            pixel_scale=pixel_scale,
            eps=eps,
        )
    elif method == "nufft_finufft":
        return _w_compact_curvature_interferometer_nufft_finufft_from_impl(
            grid_size=grid_size,
            noise_map_real=noise_map_real,
            uv_wavelengths=uv_wavelengths,
            pixel_scale=pixel_scale,
            eps=eps,
        )
    raise ValueError(
        "w_compact_curvature_interferometer_from: argument 'method' is "
        f"{method!r}; the xp backend has auto, exact, nufft, nufft_ducc0, nufft_finufft"
    )


@validated(
    convert="keep",
    grid_size="int -> N >0",
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    pixel_scale="float finite >0",
    method="str",
    eps="float finite >0",
)
def w_compact_curvature_interferometer_from(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, method="auto", eps=1e-14
):
    """The compact form of W-tilde, (N, 2N-1), by ``method``.

    ``C[m, n] = sum_k noise_k**-2 cos(d (n-(N-1)) u_k - d m v_k)`` with
    ``d = 2 pi pixel_scale pi/648000``. Methods: ``exact`` (the sum, O(K N**2)) and ``nufft``
    (a type-1 NUFFT to the tolerance ``eps``, O(K + N**2 log N); the optional 'nufft'
    extra: ducc0 when installed, else FINUFFT), or ``nufft_ducc0`` / ``nufft_finufft`` to name
    the library. ``auto`` takes ``nufft`` above the measured crossover when its libraries are
    installed (and, for array-API, the inputs are NumPy or JAX arrays), else ``exact``.

    Method: ``compact`` (family ``w_tilde``).

    Parameters
    ----------
    grid_size
        int (= N), positive
    noise_map_real
        float64 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    pixel_scale
        float, finite, positive
    method
        str
    eps
        float, finite, positive

    Returns
    -------
    float64 array of shape (N, W = 2*N-1), finite
    """

    return _w_compact_curvature_interferometer_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, method, eps
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


@validated(
    convert="keep", w_compact="f8[N,W=2*N-1] finite", native_index_for_slim_index="i8[M,2] in [0,N)"
)
def w_tilde_via_compact_from(w_compact, native_index_for_slim_index):
    """Expand the compact form to the dense (M, M) W-tilde.

    For pixels a, b with ``dr = row_a - row_b``, ``dc = col_a - col_b``:
    ``W[a,b] = C[|dr|, (dc if dr >= 0 else -dc) + N - 1]``.

    Method: ``compact_expand`` (family ``w_tilde``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)

    Returns
    -------
    float64 array of shape (M, M)
    """

    return _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index)


def _w_tilde_via_preload_from_impl(w_tilde_preload, native_index_for_slim_index):
    xp = array_namespace(w_tilde_preload, native_index_for_slim_index)
    _dev = _device(w_tilde_preload)
    Ry = w_tilde_preload.shape[0]
    Rx = w_tilde_preload.shape[1]
    M = native_index_for_slim_index.shape[0]
    a = xp.reshape(xp.arange(M, device=_dev), (M, 1))
    b = xp.reshape(xp.arange(M, device=_dev), (1, M))
    return xp.astype(
        xp.broadcast_to(
            w_tilde_preload[
                (native_index_for_slim_index[b, 0] - native_index_for_slim_index[a, 0]) % Ry,
                (native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1]) % Rx,
            ],
            (M, M),
        ),
        xp.float64,
    )


@validated(
    convert="keep",
    w_tilde_preload="f8[Ry,Rx] finite",
    native_index_for_slim_index="i8[M,2] in [0,Ry//2)x[0,Rx//2)",
)
def w_tilde_via_preload_from(w_tilde_preload, native_index_for_slim_index):
    """Expand the upstream preload, (2Ny, 2Nx), to the dense (M, M) W-tilde.

    ``W[a,b] = P[row_b - row_a, col_b - col_a]`` with negative offsets stored from the end of
    each axis (Python's negative indexing), written as the offset modulo the axis length so
    every backend reads it the same way. The native indices must lie in the preload's
    (Ny, Nx) = (Ry // 2, Rx // 2) crop, so that every offset is below Ny (Nx) in size (a
    declared rule: an index outside, or a preload of half the size, is refused).

    Method: ``preload_expand`` (family ``w_tilde``).

    Parameters
    ----------
    w_tilde_preload
        float64 array of shape (Ry, Rx), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, Ry//2) x [0, Rx//2) (one range per column)

    Returns
    -------
    float64 array of shape (M, M)
    """

    return _w_tilde_via_preload_from_impl(w_tilde_preload, native_index_for_slim_index)


def _dirty_image_exact_from_impl(visibilities, noise_map, uv_wavelengths, grid_radians_slim):
    xp = array_namespace(visibilities, noise_map, uv_wavelengths, grid_radians_slim)
    _dev = _device(visibilities)
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    i = xp.reshape(xp.arange(M, device=_dev), (-1, 1))
    _total = K
    _chunk = chunk_size(2 * ((M) + (1)), _total)
    out = xp.zeros((M,), dtype=xp.float64, device=_dev)
    for _start in range(0, _total, _chunk):
        k = xp.reshape(xp.arange(_start, min(_start + _chunk, _total), device=_dev), (1, -1))
        _n = k.shape[1]
        _weight = 1.0 + xp.zeros((1, _n), dtype=xp.float64, device=_dev)
        _left = xp.concat(
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
        _right = xp.concat(
            [
                xp.broadcast_to(
                    _weight * (xp.real(visibilities[k]) / xp.real(noise_map[k]) ** 2), (1, _n)
                ),
                xp.broadcast_to(
                    _weight * (-xp.imag(visibilities[k]) / xp.imag(noise_map[k]) ** 2), (1, _n)
                ),
            ],
            axis=1,
        )
        out = out + xp.matmul(_left, xp.reshape(_right, (-1,)))
    return out


@validated(
    convert="keep",
    visibilities="c16[K] finite",
    noise_map="c16[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
)
def dirty_image_exact_from(visibilities, noise_map, uv_wavelengths, grid_radians_slim):
    """The noise-weighted dirty image by the direct sum over the visibilities, (M,).

    ``out[i] = sum_k [cos(phi_ik) Re(d_k) / Re(sigma_k)**2 - sin(phi_ik) Im(d_k) / Im(sigma_k)**2]``
    with ``phi_ik = 2 pi (x_i u_k + y_i v_k)``. Per chunk of visibilities the (M, chunk) tables
    of cos and sin are built once and multiplied by the weighted data (a matrix-vector
    product): 2 M K cosines and sines, memory flat in K. Unlike
    ``w_tilde_data_interferometer_from`` (the upstream weight) the real and imaginary parts
    are weighted by their own noise.

    Method: ``exact`` (family ``dirty_image``).

    Parameters
    ----------
    visibilities
        complex128 array of shape (K,), finite
    noise_map
        complex128 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    grid_radians_slim
        float64 array of shape (M, 2), finite

    Returns
    -------
    float64 array of shape (M,)
    """

    return _dirty_image_exact_from_impl(visibilities, noise_map, uv_wavelengths, grid_radians_slim)


def _dirty_image_nufft_from_impl(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=1e-14
):
    from array_api_compat import is_jax_namespace, is_numpy_namespace

    xp = array_namespace(visibilities, noise_map, uv_wavelengths, grid_radians_slim)
    if is_jax_namespace(xp):
        from autojax._runtime import require_x64

        from ..jax.w_tilde import _dirty_image_nufft_from_impl as _jax_impl

        require_x64("dirty_image_nufft_from")
        return _jax_impl(visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps)
    if not is_numpy_namespace(xp):
        raise TypeError(
            "dirty_image_nufft_from: the NUFFT methods support NumPy arrays (ducc0, FINUFFT) and JAX "
            f"arrays (ducc0, jax-finufft, nufftax); got arrays of {xp.__name__}. Use method 'exact' or "
            "convert the inputs."
        )
    import numpy as np

    if _runtime.nufft_library("dirty_image_nufft_from", "auto", eps, True) == "ducc0":
        return _dirty_image_nufft_from_impl_ducc0(
            visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
        )
    return _dirty_image_nufft_from_impl_finufft(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
    )


def _dirty_image_nufft_from_impl_ducc0(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=1e-14
):
    import numpy as np

    xp = np  # NumPy arrays only here

    try:
        import ducc0
    except ImportError as _exc:
        raise ImportError(
            "dirty_image_nufft_from: this NUFFT needs ducc0, part of the optional 'nufft' extra: "
            f"{_runtime.NUFFT_EXTRA} (ducc0 does not import: {_exc})"
        ) from _exc
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    _eps = _runtime.ducc0_eps("dirty_image_nufft_from", eps, True, True)
    _total = K
    _count = M
    if _total == 0 or _count == 0:
        return np.zeros((_count,), dtype=np.float64)
    k = slice(None)
    i = np.arange(_count)
    _target = np.empty((_count, 2))
    _target[:, 0] = grid_radians_slim[i, 1]
    _target[:, 1] = grid_radians_slim[i, 0]
    # the points are scaled columns of uv_wavelengths: ducc0 reads it as it is and the
    # scales go onto the targets (x . (s t) = (s x) . t), no (K, 2) array built
    _scaled = _runtime.ducc0_scaled_points(
        "dirty_image_nufft_from", uv_wavelengths, False, (2 * xp.pi, 2 * xp.pi)
    )
    if _scaled is not None:
        _coord = _scaled.coord
        _target *= _scaled.scales
        _target = _runtime.ducc0_coordinates("dirty_image_nufft_from", _target, False)
        # extents whose fine grid cannot be allocated abort the process: a ValueError instead
        _runtime.refuse_big_type3_grid("dirty_image_nufft_from", _scaled, _target)
    else:
        _coord = np.empty((_total, 2))
        _coord[:, 0] = 2 * xp.pi * uv_wavelengths[k, 0]
        _coord[:, 1] = 2 * xp.pi * uv_wavelengths[k, 1]
        _coord = _runtime.ducc0_coordinates("dirty_image_nufft_from", _coord, False)
        _target = _runtime.ducc0_coordinates("dirty_image_nufft_from", _target, False)
        # extents whose fine grid cannot be allocated abort the process: a ValueError instead
        _runtime.refuse_bad_type3(
            "dirty_image_nufft_from", [_coord[:, 0], _coord[:, 1]], [_target[:, 0], _target[:, 1]]
        )
    # both parts of the weights in one elementwise pass over the interleaved floats, in
    # chunks (temporaries stay small and in cache)
    _iv_visibilities = _runtime.interleaved(visibilities)
    _iv_noise_map = _runtime.interleaved(noise_map)
    _c = _runtime.nufft_buffer("weights", (_total,))
    _cv = _c.view(np.float64)
    for _start in range(0, 2 * _total, _runtime.WEIGHT_CHUNK):
        _j = slice(_start, _start + _runtime.WEIGHT_CHUNK)
        _cv[_j] = _iv_visibilities[_j] / _iv_noise_map[_j] ** 2
    _f = ducc0.nufft.experimental.nu2nu(
        points_in=_c,
        coord_in=_coord,
        coord_out=_target,
        forward=False,
        epsilon=_eps,
        nthreads=_runtime.ducc0_threads(_total, _count),
        points_out=_runtime.nufft_buffer("out", (_count,)),
    )
    # a copy: the library wrote into this thread's kept buffer
    return np.array(_f.real, order="C")


def _dirty_image_nufft_from_impl_finufft(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=1e-14
):
    import numpy as np

    xp = np  # NumPy arrays only here

    try:
        import finufft
    except ImportError as _exc:
        raise ImportError(
            "dirty_image_nufft_from: method 'nufft' needs the optional 'nufft' extra: "
            f"{_runtime.NUFFT_EXTRA} (FINUFFT does not import: {_exc})"
        ) from _exc
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    _total = K
    _count = M
    if _total == 0 or _count == 0:
        return np.zeros((_count,), dtype=np.float64)
    k = np.arange(_total)
    i = np.arange(_count)
    _x0 = np.ascontiguousarray(
        np.broadcast_to(2 * xp.pi * uv_wavelengths[k, 0], (_total,)), dtype=np.float64
    )
    _s0 = np.ascontiguousarray(
        np.broadcast_to(grid_radians_slim[i, 1], (_count,)), dtype=np.float64
    )
    _x1 = np.ascontiguousarray(
        np.broadcast_to(2 * xp.pi * uv_wavelengths[k, 1], (_total,)), dtype=np.float64
    )
    _s1 = np.ascontiguousarray(
        np.broadcast_to(grid_radians_slim[i, 0], (_count,)), dtype=np.float64
    )
    _runtime.refuse_bad_type3("dirty_image_nufft_from", [_x0, _x1], [_s0, _s1])
    _c = np.ascontiguousarray(
        np.broadcast_to(
            xp.real(visibilities[k]) / xp.real(noise_map[k]) ** 2
            + 1j * (xp.imag(visibilities[k]) / xp.imag(noise_map[k]) ** 2),
            (_total,),
        ),
        dtype=np.complex128,
    )
    _f = finufft.nufft2d3(
        _x0,
        _x1,
        _c,
        _s0,
        _s1,
        eps=eps,
        isign=1,
        nthreads=_runtime.finufft_threads(_total, _count),
    )
    return np.ascontiguousarray(_f.real)


@validated(
    convert="keep",
    visibilities="c16[K] finite",
    noise_map="c16[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
    eps="float finite >0",
)
def dirty_image_nufft_from(visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=1e-14):
    """The noise-weighted dirty image by a type-3 NUFFT, to the relative tolerance ``eps``.

    ``out[i] = Re sum_k c_k exp(i (x_i 2 pi u_k + y_i 2 pi v_k))`` with
    ``c_k = Re(d_k) / Re(sigma_k)**2 + i Im(d_k) / Im(sigma_k)**2``: from the non-uniform
    points ``2 pi (u_k, v_k)`` to the non-uniform targets ``(x_i, y_i)``. About
    O(K + M + G log G) with G the fine grid (set by the product of the uv and image extents)
    instead of O(M K). By ducc0 when it is installed and ``eps >= 1e-14`` (measured 1.2-2x faster than
    FINUFFT at the same accuracy; below ducc0's smallest tolerance, 7.2e-15 for type 1 and
    1.44e-14 for type 3, it runs at that one), else by FINUFFT; JAX: ducc0 through
    a host callback on the CPU (jax-finufft without ducc0), nufftax elsewhere. Needs the optional 'nufft' extra.

    Accuracy at the default ``eps = 1e-14``, as max |nufft - exact| / max |exact|: DataLoaded
    (M 716, K 190) FINUFFT 1.1e-14, jax-finufft 1.1e-14, nufftax 1.9e-14; DataGenerated
    (N 30, K 1024) 1.1e-14, 1.1e-14, 2.3e-14; (N 20, K 3001) 7.7e-15, 7.7e-15, 3.4e-14 (also in
    nufftax chunks of 97 points); at ``eps = 1e-12`` all about 2e-12. The contract (1e-9 of
    the peak) holds with five orders to spare.

    Method: ``nufft`` (family ``dirty_image``).

    Parameters
    ----------
    visibilities
        complex128 array of shape (K,), finite
    noise_map
        complex128 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    grid_radians_slim
        float64 array of shape (M, 2), finite
    eps
        float, finite, positive

    Returns
    -------
    float64 array of shape (M,)
    """

    return _dirty_image_nufft_from_impl(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
    )


def _dirty_image_nufft_ducc0_from_impl(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=2e-14
):
    from array_api_compat import is_jax_namespace, is_numpy_namespace

    xp = array_namespace(visibilities, noise_map, uv_wavelengths, grid_radians_slim)
    if is_jax_namespace(xp):
        from autojax._runtime import require_x64

        from ..jax.w_tilde import _dirty_image_nufft_ducc0_from_impl as _jax_impl

        require_x64("dirty_image_nufft_ducc0_from")
        return _jax_impl(visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps)
    if not is_numpy_namespace(xp):
        raise TypeError(
            "dirty_image_nufft_ducc0_from: the NUFFT methods support NumPy arrays (ducc0, FINUFFT) and JAX "
            f"arrays (ducc0, jax-finufft, nufftax); got arrays of {xp.__name__}. Use method 'exact' or "
            "convert the inputs."
        )
    import numpy as np

    try:
        import ducc0
    except ImportError as _exc:
        raise ImportError(
            "dirty_image_nufft_ducc0_from: this NUFFT needs ducc0, part of the optional 'nufft' extra: "
            f"{_runtime.NUFFT_EXTRA} (ducc0 does not import: {_exc})"
        ) from _exc
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    _eps = _runtime.ducc0_eps("dirty_image_nufft_ducc0_from", eps, True, False)
    _total = K
    _count = M
    if _total == 0 or _count == 0:
        return np.zeros((_count,), dtype=np.float64)
    k = slice(None)
    i = np.arange(_count)
    _target = np.empty((_count, 2))
    _target[:, 0] = grid_radians_slim[i, 1]
    _target[:, 1] = grid_radians_slim[i, 0]
    # the points are scaled columns of uv_wavelengths: ducc0 reads it as it is and the
    # scales go onto the targets (x . (s t) = (s x) . t), no (K, 2) array built
    _scaled = _runtime.ducc0_scaled_points(
        "dirty_image_nufft_ducc0_from", uv_wavelengths, False, (2 * xp.pi, 2 * xp.pi)
    )
    if _scaled is not None:
        _coord = _scaled.coord
        _target *= _scaled.scales
        _target = _runtime.ducc0_coordinates("dirty_image_nufft_ducc0_from", _target, False)
        # extents whose fine grid cannot be allocated abort the process: a ValueError instead
        _runtime.refuse_big_type3_grid("dirty_image_nufft_ducc0_from", _scaled, _target)
    else:
        _coord = np.empty((_total, 2))
        _coord[:, 0] = 2 * xp.pi * uv_wavelengths[k, 0]
        _coord[:, 1] = 2 * xp.pi * uv_wavelengths[k, 1]
        _coord = _runtime.ducc0_coordinates("dirty_image_nufft_ducc0_from", _coord, False)
        _target = _runtime.ducc0_coordinates("dirty_image_nufft_ducc0_from", _target, False)
        # extents whose fine grid cannot be allocated abort the process: a ValueError instead
        _runtime.refuse_bad_type3(
            "dirty_image_nufft_ducc0_from",
            [_coord[:, 0], _coord[:, 1]],
            [_target[:, 0], _target[:, 1]],
        )
    # both parts of the weights in one elementwise pass over the interleaved floats, in
    # chunks (temporaries stay small and in cache)
    _iv_visibilities = _runtime.interleaved(visibilities)
    _iv_noise_map = _runtime.interleaved(noise_map)
    _c = _runtime.nufft_buffer("weights", (_total,))
    _cv = _c.view(np.float64)
    for _start in range(0, 2 * _total, _runtime.WEIGHT_CHUNK):
        _j = slice(_start, _start + _runtime.WEIGHT_CHUNK)
        _cv[_j] = _iv_visibilities[_j] / _iv_noise_map[_j] ** 2
    _f = ducc0.nufft.experimental.nu2nu(
        points_in=_c,
        coord_in=_coord,
        coord_out=_target,
        forward=False,
        epsilon=_eps,
        nthreads=_runtime.ducc0_threads(_total, _count),
        points_out=_runtime.nufft_buffer("out", (_count,)),
    )
    # a copy: the library wrote into this thread's kept buffer
    return np.array(_f.real, order="C")


@validated(
    convert="keep",
    visibilities="c16[K] finite",
    noise_map="c16[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
    eps="float finite >0",
)
def dirty_image_nufft_ducc0_from(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=2e-14
):
    """The noise-weighted dirty image by a type-3 NUFFT, to the relative tolerance ``eps``.

    ``out[i] = Re sum_k c_k exp(i (x_i 2 pi u_k + y_i 2 pi v_k))`` with
    ``c_k = Re(d_k) / Re(sigma_k)**2 + i Im(d_k) / Im(sigma_k)**2``: from the non-uniform
    points ``2 pi (u_k, v_k)`` to the non-uniform targets ``(x_i, y_i)``. About
    O(K + M + G log G) with G the fine grid (set by the product of the uv and image extents)
    instead of O(M K). By ducc0 (``ducc0.nufft``; JAX: through a host callback, with no derivative
    rule). ``eps`` must be at least ducc0's smallest tolerance (7.2e-15 for type
    1, 1.44e-14 for type 3): a ValueError naming ``eps`` otherwise. Needs the optional 'nufft' extra.

    Accuracy at the default ``eps = 1e-14``, as max |nufft - exact| / max |exact|: DataLoaded
    (M 716, K 190) FINUFFT 1.1e-14, jax-finufft 1.1e-14, nufftax 1.9e-14; DataGenerated
    (N 30, K 1024) 1.1e-14, 1.1e-14, 2.3e-14; (N 20, K 3001) 7.7e-15, 7.7e-15, 3.4e-14 (also in
    nufftax chunks of 97 points); at ``eps = 1e-12`` all about 2e-12. The contract (1e-9 of
    the peak) holds with five orders to spare.

    Method: ``nufft_ducc0`` (family ``dirty_image``).

    Parameters
    ----------
    visibilities
        complex128 array of shape (K,), finite
    noise_map
        complex128 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    grid_radians_slim
        float64 array of shape (M, 2), finite
    eps
        float, finite, positive

    Returns
    -------
    float64 array of shape (M,)
    """

    return _dirty_image_nufft_ducc0_from_impl(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
    )


def _dirty_image_nufft_finufft_from_impl(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=1e-14
):
    from array_api_compat import is_jax_namespace, is_numpy_namespace

    xp = array_namespace(visibilities, noise_map, uv_wavelengths, grid_radians_slim)
    if is_jax_namespace(xp):
        from autojax._runtime import require_x64

        from ..jax.w_tilde import _dirty_image_nufft_finufft_from_impl as _jax_impl

        require_x64("dirty_image_nufft_finufft_from")
        return _jax_impl(visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps)
    if not is_numpy_namespace(xp):
        raise TypeError(
            "dirty_image_nufft_finufft_from: the NUFFT methods support NumPy arrays (ducc0, FINUFFT) and JAX "
            f"arrays (ducc0, jax-finufft, nufftax); got arrays of {xp.__name__}. Use method 'exact' or "
            "convert the inputs."
        )
    import numpy as np

    try:
        import finufft
    except ImportError as _exc:
        raise ImportError(
            "dirty_image_nufft_finufft_from: method 'nufft' needs the optional 'nufft' extra: "
            f"{_runtime.NUFFT_EXTRA} (FINUFFT does not import: {_exc})"
        ) from _exc
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    _total = K
    _count = M
    if _total == 0 or _count == 0:
        return np.zeros((_count,), dtype=np.float64)
    k = np.arange(_total)
    i = np.arange(_count)
    _x0 = np.ascontiguousarray(
        np.broadcast_to(2 * xp.pi * uv_wavelengths[k, 0], (_total,)), dtype=np.float64
    )
    _s0 = np.ascontiguousarray(
        np.broadcast_to(grid_radians_slim[i, 1], (_count,)), dtype=np.float64
    )
    _x1 = np.ascontiguousarray(
        np.broadcast_to(2 * xp.pi * uv_wavelengths[k, 1], (_total,)), dtype=np.float64
    )
    _s1 = np.ascontiguousarray(
        np.broadcast_to(grid_radians_slim[i, 0], (_count,)), dtype=np.float64
    )
    _runtime.refuse_bad_type3("dirty_image_nufft_finufft_from", [_x0, _x1], [_s0, _s1])
    _c = np.ascontiguousarray(
        np.broadcast_to(
            xp.real(visibilities[k]) / xp.real(noise_map[k]) ** 2
            + 1j * (xp.imag(visibilities[k]) / xp.imag(noise_map[k]) ** 2),
            (_total,),
        ),
        dtype=np.complex128,
    )
    _f = finufft.nufft2d3(
        _x0,
        _x1,
        _c,
        _s0,
        _s1,
        eps=eps,
        isign=1,
        nthreads=_runtime.finufft_threads(_total, _count),
    )
    return np.ascontiguousarray(_f.real)


@validated(
    convert="keep",
    visibilities="c16[K] finite",
    noise_map="c16[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
    eps="float finite >0",
)
def dirty_image_nufft_finufft_from(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=1e-14
):
    """The noise-weighted dirty image by a type-3 NUFFT, to the relative tolerance ``eps``.

    ``out[i] = Re sum_k c_k exp(i (x_i 2 pi u_k + y_i 2 pi v_k))`` with
    ``c_k = Re(d_k) / Re(sigma_k)**2 + i Im(d_k) / Im(sigma_k)**2``: from the non-uniform
    points ``2 pi (u_k, v_k)`` to the non-uniform targets ``(x_i, y_i)``. About
    O(K + M + G log G) with G the fine grid (set by the product of the uv and image extents)
    instead of O(M K). By FINUFFT (JAX: jax-finufft on the CPU, nufftax elsewhere). Needs the optional 'nufft' extra.

    Accuracy at the default ``eps = 1e-14``, as max |nufft - exact| / max |exact|: DataLoaded
    (M 716, K 190) FINUFFT 1.1e-14, jax-finufft 1.1e-14, nufftax 1.9e-14; DataGenerated
    (N 30, K 1024) 1.1e-14, 1.1e-14, 2.3e-14; (N 20, K 3001) 7.7e-15, 7.7e-15, 3.4e-14 (also in
    nufftax chunks of 97 points); at ``eps = 1e-12`` all about 2e-12. The contract (1e-9 of
    the peak) holds with five orders to spare.

    Method: ``nufft_finufft`` (family ``dirty_image``).

    Parameters
    ----------
    visibilities
        complex128 array of shape (K,), finite
    noise_map
        complex128 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    grid_radians_slim
        float64 array of shape (M, 2), finite
    eps
        float, finite, positive

    Returns
    -------
    float64 array of shape (M,)
    """

    return _dirty_image_nufft_finufft_from_impl(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
    )


def _dirty_image_from_impl(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, method="auto", eps=1e-14
):
    if method == "auto":
        K = visibilities.shape[0]
        M = grid_radians_slim.shape[0]
        have_nufft = _runtime.have_nufft("xp", visibilities)
        method = "nufft" if have_nufft and K > 60 and M * K > 10**5 else "exact"
    if method == "exact":
        return _dirty_image_exact_from_impl(
            visibilities=visibilities,
            noise_map=noise_map,
            uv_wavelengths=uv_wavelengths,
            grid_radians_slim=grid_radians_slim,
        )
    elif method == "nufft":
        return _dirty_image_nufft_from_impl(
            visibilities=visibilities,
            noise_map=noise_map,
            uv_wavelengths=uv_wavelengths,
            grid_radians_slim=grid_radians_slim,
            eps=eps,
        )
    elif method == "nufft_ducc0":
        return _dirty_image_nufft_ducc0_from_impl(
            visibilities=visibilities,
            noise_map=noise_map,
            uv_wavelengths=uv_wavelengths,
            grid_radians_slim=grid_radians_slim,
            eps=eps,
        )
    elif method == "nufft_finufft":
        return _dirty_image_nufft_finufft_from_impl(
            visibilities=visibilities,
            noise_map=noise_map,
            uv_wavelengths=uv_wavelengths,
            grid_radians_slim=grid_radians_slim,
            eps=eps,
        )
    raise ValueError(
        "dirty_image_from: argument 'method' is "
        f"{method!r}; the xp backend has auto, exact, nufft, nufft_ducc0, nufft_finufft"
    )


@validated(
    convert="keep",
    visibilities="c16[K] finite",
    noise_map="c16[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
    method="str",
    eps="float finite >0",
)
def dirty_image_from(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, method="auto", eps=1e-14
):
    """The noise-weighted dirty image, (M,), by ``method``.

    ``out[i] = sum_k [cos(phi_ik) Re(d_k) / Re(sigma_k)**2 - sin(phi_ik) Im(d_k) / Im(sigma_k)**2]``
    with ``phi_ik = 2 pi (x_i u_k + y_i v_k)``; the data vector is ``T^T`` of it. Methods:
    ``exact`` (the direct sum, O(M K)) and ``nufft`` (a type-3 NUFFT to the tolerance ``eps``;
    the optional 'nufft' extra: ducc0 when installed, else FINUFFT), or ``nufft_ducc0`` (eps at
    least 1.44e-14, ducc0's smallest; ValueError otherwise) / ``nufft_finufft`` to name the
    library. ``auto`` takes ``nufft`` above the measured crossover when
    its libraries are installed (and, for array-API, the inputs are NumPy or JAX arrays).

    Method: ``dispatch`` (family ``dirty_image``).

    Parameters
    ----------
    visibilities
        complex128 array of shape (K,), finite
    noise_map
        complex128 array of shape (K,), finite, non-zero
    uv_wavelengths
        float64 array of shape (K, 2), finite
    grid_radians_slim
        float64 array of shape (M, 2), finite
    method
        str
    eps
        float, finite, positive

    Returns
    -------
    float64 array of shape (M,)
    """

    return _dirty_image_from_impl(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, method, eps
    )
