# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/w_tilde.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/w_tilde.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from autojax import _linalg, _runtime
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
    if _total == 0:  # nothing to sum (and nothing to gather from): static under jit
        return jnp.zeros((M,), dtype=jnp.float64)
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
    convert="jax",
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
    if _total == 0:  # nothing to sum (and nothing to gather from): static under jit
        return jnp.zeros((M, M), dtype=jnp.float64)
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
    convert="jax",
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

    require_x64("w_tilde_curvature_interferometer_from")
    return _w_tilde_curvature_interferometer_from_impl(
        noise_map_real, uv_wavelengths, grid_radians_slim
    )


@partial(jax.jit, static_argnames=["grid_size"])
def _w_compact_curvature_interferometer_exact_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale
):
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * jnp.pi * pixel_scale * jnp.pi / 648000
    m = jnp.arange(N).reshape((-1, 1))
    n = jnp.arange(2 * N - 1).reshape((-1, 1))
    _total = K
    if _total == 0:  # nothing to sum (and nothing to gather from): static under jit
        return jnp.zeros((N, 2 * N - 1), dtype=jnp.float64)
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
    convert="jax",
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

    require_x64("w_compact_curvature_interferometer_exact_from")
    return _w_compact_curvature_interferometer_exact_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale
    )


def _w_compact_curvature_interferometer_nufft_from_impl_host(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    # the ducc0 route on the host: the NumPy code of the Numba and array-API backends (one
    # code path), called eagerly on concrete CPU arrays or in a host callback (_runtime.host_route)
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


@partial(jax.jit, static_argnames=["grid_size", "eps", "_library"])
def _w_compact_curvature_interferometer_nufft_from_impl_jit(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps, _library=None
):
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * jnp.pi * pixel_scale * jnp.pi / 648000
    _total = K
    _lo0 = 0
    _half0 = max(abs(_lo0), abs(_lo0 + (N) - 1))
    _lo1 = -(N - 1)
    _half1 = max(abs(_lo1), abs(_lo1 + (2 * N - 1) - 1))
    _modes = (2 * _half0 + 1, 2 * _half1 + 1)

    def _raw_points(k):
        # the points of the visibilities k (an index array), as computed (maybe not finite)
        return (
            jnp.broadcast_to(-d * uv_wavelengths[k, 1], k.shape).astype(jnp.float64),
            jnp.broadcast_to(d * uv_wavelengths[k, 0], k.shape).astype(jnp.float64),
        )

    def _terms(k, fold=True):
        # points and complex weights of the visibilities k (an index array); a non-finite
        # point becomes 0 (the library must never see one; the result is poisoned below);
        # folded into [-pi, pi] (clipped against rounding) unless the library folds itself
        # (ducc0 folds on the host, only when a point lies outside)
        _x0, _x1 = (jnp.where(jnp.isfinite(_x), _x, 0.0) for _x in _raw_points(k))
        if fold:
            _x0, _x1 = (
                jnp.clip(_x - 2 * jnp.pi * jnp.floor((_x + jnp.pi) / (2 * jnp.pi)), -jnp.pi, jnp.pi)
                for _x in (_x0, _x1)
            )
        return (
            _x0,
            _x1,
            jnp.broadcast_to(1.0 / noise_map_real[k] ** 2, k.shape).astype(jnp.complex128),
        )

    def _with_jax_finufft():
        import jax_finufft

        _x0, _x1, _c = _terms(jnp.arange(_total))
        return jax_finufft.nufft1(_modes, _c, _x0, _x1, iflag=1, eps=eps)

    def _with_ducc0():
        _x0, _x1, _c = _terms(jnp.arange(_total), fold=False)
        return _runtime.ducc0_jax(
            "w_compact_curvature_interferometer_nufft_from",
            jnp.stack([_x0, _x1], axis=1),
            _c,
            None,
            _modes,
            False,
            eps,
        )

    def _with_nufftax():
        import nufftax

        _chunk = chunk_size(128, _total)

        def _step(acc, _n):
            k = _n * _chunk + jnp.arange(_chunk)
            live = k < _total
            _x0, _x1, _c = _terms(jnp.minimum(k, _total - 1))
            _c = jnp.where(live, _c, 0.0)
            # nufftax returns (modes of its y, modes of its x): axis 1 goes in as x
            _f = nufftax.nufft2d1(_x1, _x0, _c, (_modes[1], _modes[0]), eps=eps, isign=1)
            return acc + _f, None

        out, _ = scan_chunks(_step, jnp.zeros(_modes, dtype=jnp.complex128), -(-_total // _chunk))
        return out

    _branches = {"jax_finufft": _with_jax_finufft, "nufftax": _with_nufftax, "ducc0": _with_ducc0}
    _plan = _runtime.jax_library_plan(
        "w_compact_curvature_interferometer_nufft_from", _library or "auto", eps, False, True
    )
    if _total == 0:
        _f = jnp.zeros(_modes, dtype=jnp.complex128)
    elif len(_plan) == 1:
        _f = _branches[_plan["default"]]()
    else:
        _f = lax.platform_dependent(**{p: _branches[lib] for p, lib in _plan.items()})
    if _total:
        # a non-finite point (NaN or inf input, or an overflow) makes the result NaN
        _x0, _x1 = _raw_points(jnp.arange(_total))
        _f = _f * jnp.where(jnp.all(jnp.isfinite(_x0)) & jnp.all(jnp.isfinite(_x1)), 1.0, jnp.nan)
    _f = _f[
        _lo0 + _half0 : _lo0 + _half0 + (N),
        _lo1 + _half1 : _lo1 + _half1 + (2 * N - 1),
    ]
    return _f.real


def _w_compact_curvature_interferometer_nufft_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
):
    N = grid_size
    K = noise_map_real.shape[0]
    if _runtime.jax_host_ducc0("w_compact_curvature_interferometer_nufft_from", "auto", eps, False):
        # ducc0 on the CPU: the NumPy code on the host, eagerly on concrete arrays (its
        # ValueErrors too), else the whole kernel in one callback (a NaN result for bad
        # values: it runs the argument checks of a traced call itself)
        return _runtime.host_route(
            _w_compact_curvature_interferometer_nufft_from_impl_host,
            (N, 2 * N - 1),
            "float64",
            {
                "grid_size": grid_size,
                "eps": eps,
            },
            {
                "noise_map_real": noise_map_real,
                "uv_wavelengths": uv_wavelengths,
                "pixel_scale": pixel_scale,
            },
            empty=not K,
            # the tangent (jax.grad, jax.jvp) by a library JAX differentiates
            derivative=partial(
                _w_compact_curvature_interferometer_nufft_from_impl_jit,
                grid_size=grid_size,
                eps=eps,
                _library="finufft",
            ),
        )
    # concrete points that overflowed to NaN or inf (the argument checks refuse non-finite
    # input): a ValueError before any library sees them; traced ones are replaced by 0 and
    # the result poisoned in the jitted part
    d = 2 * jnp.pi * pixel_scale * jnp.pi / 648000
    k = jnp.arange(K)
    _runtime.refuse_non_finite(
        "w_compact_curvature_interferometer_nufft_from",
        "points",
        jnp.broadcast_to(-d * uv_wavelengths[k, 1], k.shape),
        jnp.broadcast_to(d * uv_wavelengths[k, 0], k.shape),
    )
    return _w_compact_curvature_interferometer_nufft_from_impl_jit(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


@validated(
    convert="jax",
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

    require_x64("w_compact_curvature_interferometer_nufft_from")
    return _w_compact_curvature_interferometer_nufft_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


def _w_compact_curvature_interferometer_nufft_ducc0_from_impl_host(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps=1e-14
):
    # the ducc0 route on the host: the NumPy code of the Numba and array-API backends (one
    # code path), called eagerly on concrete CPU arrays or in a host callback (_runtime.host_route)
    import numpy as np

    xp = np  # NumPy arrays only here

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


@partial(jax.jit, static_argnames=["grid_size", "eps", "_library"])
def _w_compact_curvature_interferometer_nufft_ducc0_from_impl_jit(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps, _library=None
):
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * jnp.pi * pixel_scale * jnp.pi / 648000
    _total = K
    _lo0 = 0
    _half0 = max(abs(_lo0), abs(_lo0 + (N) - 1))
    _lo1 = -(N - 1)
    _half1 = max(abs(_lo1), abs(_lo1 + (2 * N - 1) - 1))
    _modes = (2 * _half0 + 1, 2 * _half1 + 1)

    def _raw_points(k):
        # the points of the visibilities k (an index array), as computed (maybe not finite)
        return (
            jnp.broadcast_to(-d * uv_wavelengths[k, 1], k.shape).astype(jnp.float64),
            jnp.broadcast_to(d * uv_wavelengths[k, 0], k.shape).astype(jnp.float64),
        )

    def _terms(k, fold=True):
        # points and complex weights of the visibilities k (an index array); a non-finite
        # point becomes 0 (the library must never see one; the result is poisoned below);
        # folded into [-pi, pi] (clipped against rounding) unless the library folds itself
        # (ducc0 folds on the host, only when a point lies outside)
        _x0, _x1 = (jnp.where(jnp.isfinite(_x), _x, 0.0) for _x in _raw_points(k))
        if fold:
            _x0, _x1 = (
                jnp.clip(_x - 2 * jnp.pi * jnp.floor((_x + jnp.pi) / (2 * jnp.pi)), -jnp.pi, jnp.pi)
                for _x in (_x0, _x1)
            )
        return (
            _x0,
            _x1,
            jnp.broadcast_to(1.0 / noise_map_real[k] ** 2, k.shape).astype(jnp.complex128),
        )

    def _with_jax_finufft():
        import jax_finufft

        _x0, _x1, _c = _terms(jnp.arange(_total))
        return jax_finufft.nufft1(_modes, _c, _x0, _x1, iflag=1, eps=eps)

    def _with_ducc0():
        _x0, _x1, _c = _terms(jnp.arange(_total), fold=False)
        return _runtime.ducc0_jax(
            "w_compact_curvature_interferometer_nufft_ducc0_from",
            jnp.stack([_x0, _x1], axis=1),
            _c,
            None,
            _modes,
            False,
            eps,
        )

    def _with_nufftax():
        import nufftax

        _chunk = chunk_size(128, _total)

        def _step(acc, _n):
            k = _n * _chunk + jnp.arange(_chunk)
            live = k < _total
            _x0, _x1, _c = _terms(jnp.minimum(k, _total - 1))
            _c = jnp.where(live, _c, 0.0)
            # nufftax returns (modes of its y, modes of its x): axis 1 goes in as x
            _f = nufftax.nufft2d1(_x1, _x0, _c, (_modes[1], _modes[0]), eps=eps, isign=1)
            return acc + _f, None

        out, _ = scan_chunks(_step, jnp.zeros(_modes, dtype=jnp.complex128), -(-_total // _chunk))
        return out

    _branches = {"jax_finufft": _with_jax_finufft, "nufftax": _with_nufftax, "ducc0": _with_ducc0}
    _plan = _runtime.jax_library_plan(
        "w_compact_curvature_interferometer_nufft_ducc0_from", _library or "ducc0", eps, False, True
    )
    if _total == 0:
        _f = jnp.zeros(_modes, dtype=jnp.complex128)
    elif len(_plan) == 1:
        _f = _branches[_plan["default"]]()
    else:
        _f = lax.platform_dependent(**{p: _branches[lib] for p, lib in _plan.items()})
    if _total:
        # a non-finite point (NaN or inf input, or an overflow) makes the result NaN
        _x0, _x1 = _raw_points(jnp.arange(_total))
        _f = _f * jnp.where(jnp.all(jnp.isfinite(_x0)) & jnp.all(jnp.isfinite(_x1)), 1.0, jnp.nan)
    _f = _f[
        _lo0 + _half0 : _lo0 + _half0 + (N),
        _lo1 + _half1 : _lo1 + _half1 + (2 * N - 1),
    ]
    return _f.real


def _w_compact_curvature_interferometer_nufft_ducc0_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
):
    N = grid_size
    K = noise_map_real.shape[0]
    if _runtime.jax_host_ducc0(
        "w_compact_curvature_interferometer_nufft_ducc0_from", "ducc0", eps, False
    ):
        # ducc0 on the CPU: the NumPy code on the host, eagerly on concrete arrays (its
        # ValueErrors too), else the whole kernel in one callback (a NaN result for bad
        # values: it runs the argument checks of a traced call itself)
        return _runtime.host_route(
            _w_compact_curvature_interferometer_nufft_ducc0_from_impl_host,
            (N, 2 * N - 1),
            "float64",
            {
                "grid_size": grid_size,
                "eps": eps,
            },
            {
                "noise_map_real": noise_map_real,
                "uv_wavelengths": uv_wavelengths,
                "pixel_scale": pixel_scale,
            },
            empty=not K,
            # the tangent (jax.grad, jax.jvp) by a library JAX differentiates
            derivative=partial(
                _w_compact_curvature_interferometer_nufft_ducc0_from_impl_jit,
                grid_size=grid_size,
                eps=eps,
                _library="finufft",
            ),
        )
    # concrete points that overflowed to NaN or inf (the argument checks refuse non-finite
    # input): a ValueError before any library sees them; traced ones are replaced by 0 and
    # the result poisoned in the jitted part
    d = 2 * jnp.pi * pixel_scale * jnp.pi / 648000
    k = jnp.arange(K)
    _runtime.refuse_non_finite(
        "w_compact_curvature_interferometer_nufft_ducc0_from",
        "points",
        jnp.broadcast_to(-d * uv_wavelengths[k, 1], k.shape),
        jnp.broadcast_to(d * uv_wavelengths[k, 0], k.shape),
    )
    return _w_compact_curvature_interferometer_nufft_ducc0_from_impl_jit(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


@validated(
    convert="jax",
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

    require_x64("w_compact_curvature_interferometer_nufft_ducc0_from")
    return _w_compact_curvature_interferometer_nufft_ducc0_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


@partial(jax.jit, static_argnames=["grid_size", "eps", "_library"])
def _w_compact_curvature_interferometer_nufft_finufft_from_impl_jit(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps, _library=None
):
    N = grid_size
    K = noise_map_real.shape[0]
    d = 2 * jnp.pi * pixel_scale * jnp.pi / 648000
    _total = K
    _lo0 = 0
    _half0 = max(abs(_lo0), abs(_lo0 + (N) - 1))
    _lo1 = -(N - 1)
    _half1 = max(abs(_lo1), abs(_lo1 + (2 * N - 1) - 1))
    _modes = (2 * _half0 + 1, 2 * _half1 + 1)

    def _raw_points(k):
        # the points of the visibilities k (an index array), as computed (maybe not finite)
        return (
            jnp.broadcast_to(-d * uv_wavelengths[k, 1], k.shape).astype(jnp.float64),
            jnp.broadcast_to(d * uv_wavelengths[k, 0], k.shape).astype(jnp.float64),
        )

    def _terms(k, fold=True):
        # points and complex weights of the visibilities k (an index array); a non-finite
        # point becomes 0 (the library must never see one; the result is poisoned below);
        # folded into [-pi, pi] (clipped against rounding) unless the library folds itself
        # (ducc0 folds on the host, only when a point lies outside)
        _x0, _x1 = (jnp.where(jnp.isfinite(_x), _x, 0.0) for _x in _raw_points(k))
        if fold:
            _x0, _x1 = (
                jnp.clip(_x - 2 * jnp.pi * jnp.floor((_x + jnp.pi) / (2 * jnp.pi)), -jnp.pi, jnp.pi)
                for _x in (_x0, _x1)
            )
        return (
            _x0,
            _x1,
            jnp.broadcast_to(1.0 / noise_map_real[k] ** 2, k.shape).astype(jnp.complex128),
        )

    def _with_jax_finufft():
        import jax_finufft

        _x0, _x1, _c = _terms(jnp.arange(_total))
        return jax_finufft.nufft1(_modes, _c, _x0, _x1, iflag=1, eps=eps)

    def _with_ducc0():
        _x0, _x1, _c = _terms(jnp.arange(_total), fold=False)
        return _runtime.ducc0_jax(
            "w_compact_curvature_interferometer_nufft_finufft_from",
            jnp.stack([_x0, _x1], axis=1),
            _c,
            None,
            _modes,
            False,
            eps,
        )

    def _with_nufftax():
        import nufftax

        _chunk = chunk_size(128, _total)

        def _step(acc, _n):
            k = _n * _chunk + jnp.arange(_chunk)
            live = k < _total
            _x0, _x1, _c = _terms(jnp.minimum(k, _total - 1))
            _c = jnp.where(live, _c, 0.0)
            # nufftax returns (modes of its y, modes of its x): axis 1 goes in as x
            _f = nufftax.nufft2d1(_x1, _x0, _c, (_modes[1], _modes[0]), eps=eps, isign=1)
            return acc + _f, None

        out, _ = scan_chunks(_step, jnp.zeros(_modes, dtype=jnp.complex128), -(-_total // _chunk))
        return out

    _branches = {"jax_finufft": _with_jax_finufft, "nufftax": _with_nufftax, "ducc0": _with_ducc0}
    _plan = _runtime.jax_library_plan(
        "w_compact_curvature_interferometer_nufft_finufft_from",
        _library or "finufft",
        eps,
        False,
        True,
    )
    if _total == 0:
        _f = jnp.zeros(_modes, dtype=jnp.complex128)
    elif len(_plan) == 1:
        _f = _branches[_plan["default"]]()
    else:
        _f = lax.platform_dependent(**{p: _branches[lib] for p, lib in _plan.items()})
    if _total:
        # a non-finite point (NaN or inf input, or an overflow) makes the result NaN
        _x0, _x1 = _raw_points(jnp.arange(_total))
        _f = _f * jnp.where(jnp.all(jnp.isfinite(_x0)) & jnp.all(jnp.isfinite(_x1)), 1.0, jnp.nan)
    _f = _f[
        _lo0 + _half0 : _lo0 + _half0 + (N),
        _lo1 + _half1 : _lo1 + _half1 + (2 * N - 1),
    ]
    return _f.real


def _w_compact_curvature_interferometer_nufft_finufft_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
):
    N = grid_size
    K = noise_map_real.shape[0]
    # concrete points that overflowed to NaN or inf (the argument checks refuse non-finite
    # input): a ValueError before any library sees them; traced ones are replaced by 0 and
    # the result poisoned in the jitted part
    d = 2 * jnp.pi * pixel_scale * jnp.pi / 648000
    k = jnp.arange(K)
    _runtime.refuse_non_finite(
        "w_compact_curvature_interferometer_nufft_finufft_from",
        "points",
        jnp.broadcast_to(-d * uv_wavelengths[k, 1], k.shape),
        jnp.broadcast_to(d * uv_wavelengths[k, 0], k.shape),
    )
    return _w_compact_curvature_interferometer_nufft_finufft_from_impl_jit(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


@validated(
    convert="jax",
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

    require_x64("w_compact_curvature_interferometer_nufft_finufft_from")
    return _w_compact_curvature_interferometer_nufft_finufft_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, eps
    )


def _w_compact_curvature_interferometer_from_impl(
    grid_size, noise_map_real, uv_wavelengths, pixel_scale, method="auto", eps=1e-14
):
    if method == "auto":
        N = grid_size
        K = noise_map_real.shape[0]
        have_nufft = _runtime.have_nufft("jax")
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
        f"{method!r}; the jax backend has auto, exact, nufft, nufft_ducc0, nufft_finufft"
    )


@validated(
    convert="jax",
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

    require_x64("w_compact_curvature_interferometer_from")
    return _w_compact_curvature_interferometer_from_impl(
        grid_size, noise_map_real, uv_wavelengths, pixel_scale, method, eps
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


@validated(
    convert="jax", w_compact="f8[N,W=2*N-1] finite", native_index_for_slim_index="i8[M,2] in [0,N)"
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

    require_x64("w_tilde_via_compact_from")
    return _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index)


@partial(jax.jit, static_argnames=[])
def _w_tilde_via_preload_from_impl(w_tilde_preload, native_index_for_slim_index):
    Ry = w_tilde_preload.shape[0]
    Rx = w_tilde_preload.shape[1]
    M = native_index_for_slim_index.shape[0]
    a = jnp.arange(M).reshape((M, 1))
    b = jnp.arange(M).reshape((1, M))
    return jnp.broadcast_to(
        w_tilde_preload[
            (native_index_for_slim_index[b, 0] - native_index_for_slim_index[a, 0]) % Ry,
            (native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1]) % Rx,
        ],
        (M, M),
    ).astype(jnp.float64)


@validated(
    convert="jax",
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

    require_x64("w_tilde_via_preload_from")
    return _w_tilde_via_preload_from_impl(w_tilde_preload, native_index_for_slim_index)


@partial(jax.jit, static_argnames=[])
def _dirty_image_exact_from_impl(visibilities, noise_map, uv_wavelengths, grid_radians_slim):
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    i = jnp.arange(M).reshape((-1, 1))
    _total = K
    if _total == 0:  # nothing to sum (and nothing to gather from): static under jit
        return jnp.zeros((M,), dtype=jnp.float64)
    _chunk = chunk_size(2 * ((M) + (1)), _total)

    def _step(acc, _c):
        k = _c * _chunk + jnp.arange(_chunk).reshape((1, -1))
        live = k < _total
        k = jnp.minimum(k, _total - 1)
        _weight = jnp.where(live, 1.0, 0.0)
        _left = jnp.concatenate(
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
        _right = jnp.concatenate(
            [
                jnp.broadcast_to(
                    _weight * (jnp.real(visibilities[k]) / jnp.real(noise_map[k]) ** 2), (1, _chunk)
                ),
                jnp.broadcast_to(
                    _weight * (-jnp.imag(visibilities[k]) / jnp.imag(noise_map[k]) ** 2),
                    (1, _chunk),
                ),
            ],
            axis=1,
        )
        return acc + _left @ _right[0], None

    out, _ = scan_chunks(_step, jnp.zeros((M,), dtype=jnp.float64), -(-_total // _chunk))
    return out


@validated(
    convert="jax",
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

    require_x64("dirty_image_exact_from")
    return _dirty_image_exact_from_impl(visibilities, noise_map, uv_wavelengths, grid_radians_slim)


def _dirty_image_nufft_from_impl_host(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=1e-14
):
    # the ducc0 route on the host: the NumPy code of the Numba and array-API backends (one
    # code path), called eagerly on concrete CPU arrays or in a host callback (_runtime.host_route)
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


@partial(jax.jit, static_argnames=["eps", "_grid", "_library"])
def _dirty_image_nufft_from_impl_jit(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps, _grid=None, _library=None
):
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    _total = K
    _count = M

    def _raw_sources(k):
        # coordinates of the visibilities k (an index array), as computed (maybe not finite)
        return (
            jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 0], k.shape).astype(jnp.float64),
            jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 1], k.shape).astype(jnp.float64),
        )

    def _raw_targets():
        i = jnp.arange(_count)
        return (
            jnp.broadcast_to(grid_radians_slim[i, 1], (_count,)).astype(jnp.float64),
            jnp.broadcast_to(grid_radians_slim[i, 0], (_count,)).astype(jnp.float64),
        )

    # the library must never see a non-finite coordinate, nor extents whose fine grid
    # cannot be allocated (both crash the process): then every coordinate is replaced by 0
    # and the result poisoned below
    _ok = jnp.asarray(True)
    if _total and _count:
        _ok = _runtime.type3_coordinates_ok(jnp, _raw_sources(jnp.arange(_total)), _raw_targets())

    def _sources(k):
        # coordinates and complex weights of the visibilities k (an index array)
        _x0, _x1 = (jnp.where(_ok & jnp.isfinite(_x), _x, 0.0) for _x in _raw_sources(k))
        return (
            _x0,
            _x1,
            jnp.broadcast_to(
                jnp.real(visibilities[k]) / jnp.real(noise_map[k]) ** 2
                + 1j * (jnp.imag(visibilities[k]) / jnp.imag(noise_map[k]) ** 2),
                k.shape,
            ).astype(jnp.complex128),
        )

    def _targets():
        _s0, _s1 = (jnp.where(_ok & jnp.isfinite(_s), _s, 0.0) for _s in _raw_targets())
        return _s0, _s1

    def _with_jax_finufft():
        import jax_finufft

        _x0, _x1, _c = _sources(jnp.arange(_total))
        _s0, _s1 = _targets()
        return jax_finufft.nufft3(_c, _x0, _x1, _s0, _s1, iflag=1, eps=eps)

    def _with_ducc0():
        _x0, _x1, _c = _sources(jnp.arange(_total))
        _s0, _s1 = _targets()
        return _runtime.ducc0_jax(
            "dirty_image_nufft_from",
            jnp.stack([_x0, _x1], axis=1),
            _c,
            jnp.stack([_s0, _s1], axis=1),
            (_count,),
            False,
            eps,
        )

    def _with_nufftax():
        import nufftax

        _s0, _s1 = _targets()
        _chunk = chunk_size(128, _total)

        def _step(acc, _n):
            k = _n * _chunk + jnp.arange(_chunk)
            live = k < _total
            _x0, _x1, _c = _sources(jnp.minimum(k, _total - 1))
            _c = jnp.where(live, _c, 0.0)
            _f = nufftax.nufft2d3(_x0, _x1, _c, _s0, _s1, _grid, eps=eps, isign=1)
            return acc + _f, None

        out, _ = scan_chunks(
            _step, jnp.zeros((_count,), dtype=jnp.complex128), -(-_total // _chunk)
        )
        return out

    _branches = {"jax_finufft": _with_jax_finufft, "nufftax": _with_nufftax, "ducc0": _with_ducc0}
    if _total == 0 or _count == 0:
        _f = jnp.zeros((_count,), dtype=jnp.complex128)
    else:
        _plan = _runtime.jax_library_plan(
            "dirty_image_nufft_from", _library or "auto", eps, True, _grid is not None
        )
        if len(_plan) == 1:
            _f = _branches[_plan["default"]]()
        else:
            _f = lax.platform_dependent(**{p: _branches[lib] for p, lib in _plan.items()})
        _f = _f * jnp.where(_ok, 1.0, jnp.nan)
    return _f.real


def _dirty_image_nufft_from_impl(visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps):
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    if _runtime.jax_host_ducc0("dirty_image_nufft_from", "auto", eps, True):
        # ducc0 on the CPU: the NumPy code on the host, eagerly on concrete arrays (its
        # ValueErrors too), else the whole kernel in one callback (a NaN result for bad
        # values: it runs the argument checks of a traced call itself)
        return _runtime.host_route(
            _dirty_image_nufft_from_impl_host,
            (M,),
            "float64",
            {
                "eps": eps,
            },
            {
                "visibilities": visibilities,
                "noise_map": noise_map,
                "uv_wavelengths": uv_wavelengths,
                "grid_radians_slim": grid_radians_slim,
            },
            empty=not (K and M),
            # the tangent (jax.grad, jax.jvp) by a library JAX differentiates
            derivative=partial(_dirty_image_nufft_from_impl_jit, eps=eps, _library="finufft"),
        )
    k = jnp.arange(K)
    i = jnp.arange(M)
    _points = [
        jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 0], k.shape),
        jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 1], k.shape),
    ]
    _targets = [
        jnp.broadcast_to(grid_radians_slim[i, 1], i.shape),
        jnp.broadcast_to(grid_radians_slim[i, 0], i.shape),
    ]
    # concrete coordinates that are not finite or too far apart: a ValueError before any
    # library sees them (traced ones are replaced and the result poisoned in the jitted part)
    _runtime.refuse_bad_type3("dirty_image_nufft_from", _points, _targets)
    _grid = None
    if (
        "nufftax"
        in _runtime.jax_library_plan("dirty_image_nufft_from", "auto", eps, True, True).values()
    ):
        # nufftax's fine grid from the extents of the points and targets (when concrete)
        _grid = _runtime.nufftax_type3_grid(eps, _points, _targets)
    return _dirty_image_nufft_from_impl_jit(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps, _grid=_grid
    )


@validated(
    convert="jax",
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

    require_x64("dirty_image_nufft_from")
    return _dirty_image_nufft_from_impl(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
    )


def _dirty_image_nufft_ducc0_from_impl_host(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps=2e-14
):
    # the ducc0 route on the host: the NumPy code of the Numba and array-API backends (one
    # code path), called eagerly on concrete CPU arrays or in a host callback (_runtime.host_route)
    import numpy as np

    xp = np  # NumPy arrays only here

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


@partial(jax.jit, static_argnames=["eps", "_grid", "_library"])
def _dirty_image_nufft_ducc0_from_impl_jit(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps, _grid=None, _library=None
):
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    _total = K
    _count = M

    def _raw_sources(k):
        # coordinates of the visibilities k (an index array), as computed (maybe not finite)
        return (
            jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 0], k.shape).astype(jnp.float64),
            jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 1], k.shape).astype(jnp.float64),
        )

    def _raw_targets():
        i = jnp.arange(_count)
        return (
            jnp.broadcast_to(grid_radians_slim[i, 1], (_count,)).astype(jnp.float64),
            jnp.broadcast_to(grid_radians_slim[i, 0], (_count,)).astype(jnp.float64),
        )

    # the library must never see a non-finite coordinate, nor extents whose fine grid
    # cannot be allocated (both crash the process): then every coordinate is replaced by 0
    # and the result poisoned below
    _ok = jnp.asarray(True)
    if _total and _count:
        _ok = _runtime.type3_coordinates_ok(jnp, _raw_sources(jnp.arange(_total)), _raw_targets())

    def _sources(k):
        # coordinates and complex weights of the visibilities k (an index array)
        _x0, _x1 = (jnp.where(_ok & jnp.isfinite(_x), _x, 0.0) for _x in _raw_sources(k))
        return (
            _x0,
            _x1,
            jnp.broadcast_to(
                jnp.real(visibilities[k]) / jnp.real(noise_map[k]) ** 2
                + 1j * (jnp.imag(visibilities[k]) / jnp.imag(noise_map[k]) ** 2),
                k.shape,
            ).astype(jnp.complex128),
        )

    def _targets():
        _s0, _s1 = (jnp.where(_ok & jnp.isfinite(_s), _s, 0.0) for _s in _raw_targets())
        return _s0, _s1

    def _with_jax_finufft():
        import jax_finufft

        _x0, _x1, _c = _sources(jnp.arange(_total))
        _s0, _s1 = _targets()
        return jax_finufft.nufft3(_c, _x0, _x1, _s0, _s1, iflag=1, eps=eps)

    def _with_ducc0():
        _x0, _x1, _c = _sources(jnp.arange(_total))
        _s0, _s1 = _targets()
        return _runtime.ducc0_jax(
            "dirty_image_nufft_ducc0_from",
            jnp.stack([_x0, _x1], axis=1),
            _c,
            jnp.stack([_s0, _s1], axis=1),
            (_count,),
            False,
            eps,
        )

    def _with_nufftax():
        import nufftax

        _s0, _s1 = _targets()
        _chunk = chunk_size(128, _total)

        def _step(acc, _n):
            k = _n * _chunk + jnp.arange(_chunk)
            live = k < _total
            _x0, _x1, _c = _sources(jnp.minimum(k, _total - 1))
            _c = jnp.where(live, _c, 0.0)
            _f = nufftax.nufft2d3(_x0, _x1, _c, _s0, _s1, _grid, eps=eps, isign=1)
            return acc + _f, None

        out, _ = scan_chunks(
            _step, jnp.zeros((_count,), dtype=jnp.complex128), -(-_total // _chunk)
        )
        return out

    _branches = {"jax_finufft": _with_jax_finufft, "nufftax": _with_nufftax, "ducc0": _with_ducc0}
    if _total == 0 or _count == 0:
        _f = jnp.zeros((_count,), dtype=jnp.complex128)
    else:
        _plan = _runtime.jax_library_plan(
            "dirty_image_nufft_ducc0_from", _library or "ducc0", eps, True, _grid is not None
        )
        if len(_plan) == 1:
            _f = _branches[_plan["default"]]()
        else:
            _f = lax.platform_dependent(**{p: _branches[lib] for p, lib in _plan.items()})
        _f = _f * jnp.where(_ok, 1.0, jnp.nan)
    return _f.real


def _dirty_image_nufft_ducc0_from_impl(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
):
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    if _runtime.jax_host_ducc0("dirty_image_nufft_ducc0_from", "ducc0", eps, True):
        # ducc0 on the CPU: the NumPy code on the host, eagerly on concrete arrays (its
        # ValueErrors too), else the whole kernel in one callback (a NaN result for bad
        # values: it runs the argument checks of a traced call itself)
        return _runtime.host_route(
            _dirty_image_nufft_ducc0_from_impl_host,
            (M,),
            "float64",
            {
                "eps": eps,
            },
            {
                "visibilities": visibilities,
                "noise_map": noise_map,
                "uv_wavelengths": uv_wavelengths,
                "grid_radians_slim": grid_radians_slim,
            },
            empty=not (K and M),
            # the tangent (jax.grad, jax.jvp) by a library JAX differentiates
            derivative=partial(_dirty_image_nufft_ducc0_from_impl_jit, eps=eps, _library="finufft"),
        )
    k = jnp.arange(K)
    i = jnp.arange(M)
    _points = [
        jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 0], k.shape),
        jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 1], k.shape),
    ]
    _targets = [
        jnp.broadcast_to(grid_radians_slim[i, 1], i.shape),
        jnp.broadcast_to(grid_radians_slim[i, 0], i.shape),
    ]
    # concrete coordinates that are not finite or too far apart: a ValueError before any
    # library sees them (traced ones are replaced and the result poisoned in the jitted part)
    _runtime.refuse_bad_type3("dirty_image_nufft_ducc0_from", _points, _targets)
    _grid = None
    if (
        "nufftax"
        in _runtime.jax_library_plan(
            "dirty_image_nufft_ducc0_from", "ducc0", eps, True, True
        ).values()
    ):
        # nufftax's fine grid from the extents of the points and targets (when concrete)
        _grid = _runtime.nufftax_type3_grid(eps, _points, _targets)
    return _dirty_image_nufft_ducc0_from_impl_jit(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps, _grid=_grid
    )


@validated(
    convert="jax",
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

    require_x64("dirty_image_nufft_ducc0_from")
    return _dirty_image_nufft_ducc0_from_impl(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
    )


@partial(jax.jit, static_argnames=["eps", "_grid", "_library"])
def _dirty_image_nufft_finufft_from_impl_jit(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps, _grid=None, _library=None
):
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    _total = K
    _count = M

    def _raw_sources(k):
        # coordinates of the visibilities k (an index array), as computed (maybe not finite)
        return (
            jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 0], k.shape).astype(jnp.float64),
            jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 1], k.shape).astype(jnp.float64),
        )

    def _raw_targets():
        i = jnp.arange(_count)
        return (
            jnp.broadcast_to(grid_radians_slim[i, 1], (_count,)).astype(jnp.float64),
            jnp.broadcast_to(grid_radians_slim[i, 0], (_count,)).astype(jnp.float64),
        )

    # the library must never see a non-finite coordinate, nor extents whose fine grid
    # cannot be allocated (both crash the process): then every coordinate is replaced by 0
    # and the result poisoned below
    _ok = jnp.asarray(True)
    if _total and _count:
        _ok = _runtime.type3_coordinates_ok(jnp, _raw_sources(jnp.arange(_total)), _raw_targets())

    def _sources(k):
        # coordinates and complex weights of the visibilities k (an index array)
        _x0, _x1 = (jnp.where(_ok & jnp.isfinite(_x), _x, 0.0) for _x in _raw_sources(k))
        return (
            _x0,
            _x1,
            jnp.broadcast_to(
                jnp.real(visibilities[k]) / jnp.real(noise_map[k]) ** 2
                + 1j * (jnp.imag(visibilities[k]) / jnp.imag(noise_map[k]) ** 2),
                k.shape,
            ).astype(jnp.complex128),
        )

    def _targets():
        _s0, _s1 = (jnp.where(_ok & jnp.isfinite(_s), _s, 0.0) for _s in _raw_targets())
        return _s0, _s1

    def _with_jax_finufft():
        import jax_finufft

        _x0, _x1, _c = _sources(jnp.arange(_total))
        _s0, _s1 = _targets()
        return jax_finufft.nufft3(_c, _x0, _x1, _s0, _s1, iflag=1, eps=eps)

    def _with_ducc0():
        _x0, _x1, _c = _sources(jnp.arange(_total))
        _s0, _s1 = _targets()
        return _runtime.ducc0_jax(
            "dirty_image_nufft_finufft_from",
            jnp.stack([_x0, _x1], axis=1),
            _c,
            jnp.stack([_s0, _s1], axis=1),
            (_count,),
            False,
            eps,
        )

    def _with_nufftax():
        import nufftax

        _s0, _s1 = _targets()
        _chunk = chunk_size(128, _total)

        def _step(acc, _n):
            k = _n * _chunk + jnp.arange(_chunk)
            live = k < _total
            _x0, _x1, _c = _sources(jnp.minimum(k, _total - 1))
            _c = jnp.where(live, _c, 0.0)
            _f = nufftax.nufft2d3(_x0, _x1, _c, _s0, _s1, _grid, eps=eps, isign=1)
            return acc + _f, None

        out, _ = scan_chunks(
            _step, jnp.zeros((_count,), dtype=jnp.complex128), -(-_total // _chunk)
        )
        return out

    _branches = {"jax_finufft": _with_jax_finufft, "nufftax": _with_nufftax, "ducc0": _with_ducc0}
    if _total == 0 or _count == 0:
        _f = jnp.zeros((_count,), dtype=jnp.complex128)
    else:
        _plan = _runtime.jax_library_plan(
            "dirty_image_nufft_finufft_from", _library or "finufft", eps, True, _grid is not None
        )
        if len(_plan) == 1:
            _f = _branches[_plan["default"]]()
        else:
            _f = lax.platform_dependent(**{p: _branches[lib] for p, lib in _plan.items()})
        _f = _f * jnp.where(_ok, 1.0, jnp.nan)
    return _f.real


def _dirty_image_nufft_finufft_from_impl(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
):
    K = visibilities.shape[0]
    M = grid_radians_slim.shape[0]
    k = jnp.arange(K)
    i = jnp.arange(M)
    _points = [
        jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 0], k.shape),
        jnp.broadcast_to(2 * jnp.pi * uv_wavelengths[k, 1], k.shape),
    ]
    _targets = [
        jnp.broadcast_to(grid_radians_slim[i, 1], i.shape),
        jnp.broadcast_to(grid_radians_slim[i, 0], i.shape),
    ]
    # concrete coordinates that are not finite or too far apart: a ValueError before any
    # library sees them (traced ones are replaced and the result poisoned in the jitted part)
    _runtime.refuse_bad_type3("dirty_image_nufft_finufft_from", _points, _targets)
    _grid = None
    if (
        "nufftax"
        in _runtime.jax_library_plan(
            "dirty_image_nufft_finufft_from", "finufft", eps, True, True
        ).values()
    ):
        # nufftax's fine grid from the extents of the points and targets (when concrete)
        _grid = _runtime.nufftax_type3_grid(eps, _points, _targets)
    return _dirty_image_nufft_finufft_from_impl_jit(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps, _grid=_grid
    )


@validated(
    convert="jax",
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

    require_x64("dirty_image_nufft_finufft_from")
    return _dirty_image_nufft_finufft_from_impl(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, eps
    )


def _dirty_image_from_impl(
    visibilities, noise_map, uv_wavelengths, grid_radians_slim, method="auto", eps=1e-14
):
    if method == "auto":
        K = visibilities.shape[0]
        M = grid_radians_slim.shape[0]
        have_nufft = _runtime.have_nufft("jax")
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
        f"{method!r}; the jax backend has auto, exact, nufft, nufft_ducc0, nufft_finufft"
    )


@validated(
    convert="jax",
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

    require_x64("dirty_image_from")
    return _dirty_image_from_impl(
        visibilities, noise_map, uv_wavelengths, grid_radians_slim, method, eps
    )
