"""Float64 NumPy reference for every kernel: dense formulas straight from docs/contract.md.

This is the test oracle. It shares no code with ``original`` or the generated backends and
deliberately uses the plainest dense formulation (broadcasting, dense matrices, scipy
linear algebra), trading speed and memory for obviousness. Sizes beyond a few thousand
image pixels are not what it is for.

Every function is named after the kernel it checks; where backends differ in their
argument lists (``original`` versus numba/jax), the reference takes the *numba/jax*
arguments, and :mod:`autojax.datasets` feeds each backend its own list.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

ARCSEC = np.pi / 648000.0


def _valid(indexes: np.ndarray) -> np.ndarray:
    """Mask of the entries before the first -1 of every row."""
    return np.cumprod(indexes >= 0, axis=1).astype(bool)


# --------------------------------------------------------------------------- geometry


def mask_2d_centres_from(shape_native, pixel_scales, centre):
    return (
        (shape_native[0] - 1) / 2 - centre[0] / pixel_scales[0],
        (shape_native[1] - 1) / 2 + centre[1] / pixel_scales[1],
    )


def mask_2d_circular_from(shape_native, pixel_scales, radius, centre=(0.0, 0.0)):
    yc, xc = mask_2d_centres_from(shape_native, pixel_scales, centre)
    y = (np.arange(shape_native[0])[:, None] - yc) * pixel_scales[0]
    x = (np.arange(shape_native[1])[None, :] - xc) * pixel_scales[1]
    return ~(y**2 + x**2 <= radius**2)


# --------------------------------------------------------------------------- w-tilde


def _phases(grid_radians_slim, uv_wavelengths):
    """phi[i, k] = 2 pi (x_i u_k + y_i v_k), shape (M, K)."""
    return (
        2
        * np.pi
        * (
            np.outer(grid_radians_slim[:, 1], uv_wavelengths[:, 0])
            + np.outer(grid_radians_slim[:, 0], uv_wavelengths[:, 1])
        )
    )


def w_tilde_data_interferometer_from(
    visibilities_real, noise_map_real, uv_wavelengths, grid_radians_slim
):
    weight = (noise_map_real**2 / visibilities_real) ** 2
    return np.cos(_phases(grid_radians_slim, uv_wavelengths)) @ weight


def dirty_image_from(visibilities, noise_map, uv_wavelengths, grid_radians_slim):
    """The noise-weighted dirty image: explicit (M, K) cosine and sine matrices."""
    phi = _phases(grid_radians_slim, uv_wavelengths)
    real = visibilities.real / noise_map.real**2
    imag = visibilities.imag / noise_map.imag**2
    return np.cos(phi) @ real - np.sin(phi) @ imag


def w_tilde_curvature_interferometer_from(noise_map_real, uv_wavelengths, grid_radians_slim):
    phi = _phases(grid_radians_slim, uv_wavelengths)
    weight = noise_map_real**-2.0
    m, k = phi.shape
    out = np.empty((m, m))
    step = max(1, 2**22 // max(m * k, 1))  # rows per block: bounded (block, M, K) temporaries
    for start in range(0, m, step):
        dphi = phi[start : start + step, None, :] - phi[None, :, :]
        out[start : start + step] = np.cos(dphi) @ weight
    return out


def w_tilde_curvature_preload_interferometer_from(
    noise_map_real, uv_wavelengths, shape_masked_pixels_2d, grid_radians_2d
):
    """The preload rebuilt from its defining property ``W[a,b] = P[dr, dc]`` (negative wrap)."""
    ny, nx = shape_masked_pixels_2d
    # the lattice spacing (a 1-pixel-wide grid has only the offset 0, any spacing will do)
    dy = grid_radians_2d[1, 0, 0] - grid_radians_2d[0, 0, 0] if ny > 1 else 0.0
    dx = grid_radians_2d[0, 1, 1] - grid_radians_2d[0, 0, 1] if nx > 1 else 0.0
    rows = np.arange(2 * ny)
    cols = np.arange(2 * nx)
    dr = np.where(rows < ny, rows, rows - 2 * ny)  # offsets stored at negative indices
    dc = np.where(cols < nx, cols, cols - 2 * nx)
    # W[a, b] with b - a = (dr, dc): grid offset of a relative to b is -(dr*dy, dc*dx)
    y_off = -dr[:, None] * dy
    x_off = -dc[None, :] * dx
    phase = (
        2
        * np.pi
        * (x_off[..., None] * uv_wavelengths[:, 0] + y_off[..., None] * uv_wavelengths[:, 1])
    )
    preload = np.cos(phase) @ noise_map_real**-2.0
    preload[ny, :] = 0.0  # offsets of +-Ny are never stored
    preload[:, nx] = 0.0
    return preload


def w_tilde_via_preload_from(w_tilde_preload, native_index_for_slim_index):
    r, c = native_index_for_slim_index[:, 0], native_index_for_slim_index[:, 1]
    return w_tilde_preload[r[None, :] - r[:, None], c[None, :] - c[:, None]]


def w_compact_curvature_interferometer_from(grid_size, noise_map_real, uv_wavelengths, pixel_scale):
    n = grid_size
    d = 2 * np.pi * pixel_scale * ARCSEC
    m = np.arange(n)[:, None, None]
    nn = np.arange(2 * n - 1)[None, :, None] - (n - 1)
    phase = d * nn * uv_wavelengths[:, 0] - d * m * uv_wavelengths[:, 1]
    return np.cos(phase) @ noise_map_real**-2.0


def w_tilde_via_compact_from(w_compact, native_index_for_slim_index):
    n = w_compact.shape[0]
    r, c = native_index_for_slim_index[:, 0], native_index_for_slim_index[:, 1]
    dr = r[:, None] - r[None, :]
    dc = c[:, None] - c[None, :]
    return w_compact[np.abs(dr), np.where(dr >= 0, dc, -dc) + n - 1]


# --------------------------------------------------------------------------- mapping and inversion


def mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels):
    valid = _valid(pix_indexes_for_sub_slim_index)
    m = pix_indexes_for_sub_slim_index.shape[0]
    onehot = pix_indexes_for_sub_slim_index[:, :, None] == np.arange(pixels)[None, None, :]
    weights = np.where(valid, pix_weights_for_sub_slim_index, 0.0)
    out = np.einsum("mbs,mb->ms", onehot & valid[:, :, None], weights)
    assert out.shape == (m, pixels)
    return out


def mapping_matrix_original_from(
    pix_indexes_for_sub_slim_index,
    pix_size_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    total_mask_pixels,
    slim_index_for_sub_slim_index,
    sub_fraction,
):
    """The original's 7-argument mapping matrix, as a dense scatter with ``np.add.at``."""
    b = pix_indexes_for_sub_slim_index.shape[1]
    used = np.arange(b)[None, :] < pix_size_for_sub_slim_index[:, None]
    sub, col = np.nonzero(used)
    slim = slim_index_for_sub_slim_index[sub]
    out = np.zeros((total_mask_pixels, pixels))
    np.add.at(
        out,
        (slim, pix_indexes_for_sub_slim_index[sub, col]),
        sub_fraction[slim] * pix_weights_for_sub_slim_index[sub, col],
    )
    return out


def data_vector_from(mapping_matrix, dirty_image):
    return mapping_matrix.T @ dirty_image


def curvature_matrix_via_w_tilde_from(w_tilde, mapping_matrix):
    return mapping_matrix.T @ w_tilde @ mapping_matrix


def sparse_mapping_matrix_transpose_matmul(
    matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    return (
        mapping_matrix_from(
            pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
        ).T
        @ matrix
    )


def curvature_matrix_via_w_tilde_curvature_preload_interferometer_from(
    curvature_preload,
    pix_indexes_for_sub_slim_index,
    pix_size_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    native_index_for_slim_index,
    pix_pixels,
):
    b = pix_indexes_for_sub_slim_index.shape[1]
    used = np.arange(b)[None, :] < pix_size_for_sub_slim_index[:, None]
    idx = np.where(used, pix_indexes_for_sub_slim_index, -1)
    t = mapping_matrix_from(idx, pix_weights_for_sub_slim_index, pix_pixels)
    w = w_tilde_via_preload_from(curvature_preload, native_index_for_slim_index)
    return t.T @ w @ t


def curvature_matrix_via_w_compact_sparse_mapping_matrix_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    t = mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
    return t.T @ w_tilde_via_compact_from(w_compact, native_index_for_slim_index) @ t


def curvature_matrix_cross_via_w_compact_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    pix_indexes_other,
    pix_weights_other,
    pixels_other,
):
    """``T^T W T_other`` (S, R) with dense matrices."""
    t = mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
    t_other = mapping_matrix_from(pix_indexes_other, pix_weights_other, pixels_other)
    return t.T @ w_tilde_via_compact_from(w_compact, native_index_for_slim_index) @ t_other


def w_compact_matmul_function_columns_from(
    w_compact, native_index_for_slim_index, function_columns
):
    """``W B`` (M, L) with dense W."""
    return w_tilde_via_compact_from(w_compact, native_index_for_slim_index) @ function_columns


def curvature_matrix_mapping_functions_via_w_compact_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    function_columns,
):
    """``T^T W B`` (S, L) with dense matrices."""
    t = mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
    w = w_tilde_via_compact_from(w_compact, native_index_for_slim_index)
    return t.T @ w @ function_columns


def curvature_matrix_functions_via_w_compact_from(
    w_compact, native_index_for_slim_index, function_columns
):
    """``B^T W B`` (L, L) with dense W."""
    w = w_tilde_via_compact_from(w_compact, native_index_for_slim_index)
    return function_columns.T @ w @ function_columns


def data_vector_functions_from(dirty_image, function_columns):
    """``B^T d`` (L,)."""
    return function_columns.T @ dirty_image


def curvature_matrix_via_w_tilde_sparse_mapping_matrix_from(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    t = mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
    return t.T @ w_tilde @ t


def w_compact_matmul_sparse_mapping_matrix_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    t = mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
    return w_tilde_via_compact_from(w_compact, native_index_for_slim_index) @ t


def w_tilde_matmul_sparse_mapping_matrix_from(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    return w_tilde @ mapping_matrix_from(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


def neighbor_adjacency_from(neighbors):
    valid = _valid(neighbors)
    rows, cols = np.nonzero(valid)
    out = np.zeros((neighbors.shape[0], neighbors.shape[0]))
    np.add.at(out, (rows, neighbors[rows, cols]), 1.0)
    return out


def constant_regularization_matrix_from(coefficient, neighbors, neighbors_sizes):
    s, p = neighbors.shape
    used = np.arange(p)[None, :] < neighbors_sizes[:, None]
    h = np.diag(1e-8 + coefficient**2 * neighbors_sizes.astype(float))
    rows, cols = np.nonzero(used)
    np.add.at(h, (rows, neighbors[rows, cols]), -(coefficient**2))
    return h


def reconstruction_positive_negative_from(data_vector, curvature_reg_matrix):
    return scipy.linalg.solve(curvature_reg_matrix, data_vector)


def noise_normalization_complex_from(noise_map):
    return float(
        np.sum(np.log(2 * np.pi * noise_map.real**2) + np.log(2 * np.pi * noise_map.imag**2))
    )


def data_chi_squared_complex_from(data, noise_map):
    return float(np.sum(data.real**2 / noise_map.real**2 + data.imag**2 / noise_map.imag**2))


def _evidence(data_vector, curvature_matrix, regularization, chi_squared_data, noise_normalization):
    """The contract's evidence from D, F, H and the two per-dataset sums (``-inf`` when F + H or
    H is not positive definite): one Cholesky factor each for the solve and the determinants."""
    try:
        factor = scipy.linalg.cho_factor(curvature_matrix + regularization, lower=True)
    except np.linalg.LinAlgError:
        return -np.inf
    logdet_h = _regularization_logdet(regularization)
    if not np.isfinite(logdet_h):
        return -np.inf
    s = scipy.linalg.cho_solve(factor, data_vector)
    return float(
        -0.5
        * (
            chi_squared_data
            - s @ data_vector
            + 2 * np.sum(np.log(np.diagonal(factor[0])))
            - logdet_h
            + noise_normalization
        )
    )


def _regularization_logdet(h):
    """log det of the constant regularization H (NaN when not positive definite), accurately.

    H = 1e-8 I + (a graph Laplacian): a plain Cholesky gets each connected component's last
    pivot (about 1e-8) by cancellation, about 1e-8 absolute error in the log-determinant. With
    ``H = L L^T`` (the lower triangle, as LAPACK reads it), the row sums ``rho = H 1`` summed
    exactly (``math.fsum``) and ``w = L^-1 rho``, each pivot is
    ``d_k = L_kk (w_k - sum_{j>k} L_jk)``, a sum of terms of one sign.
    """
    import math

    sym = np.tril(h) + np.tril(h, -1).T
    try:
        lower = scipy.linalg.cholesky(sym, lower=True)
    except np.linalg.LinAlgError:
        return np.nan
    rho = np.array([math.fsum(row) for row in sym])
    w = scipy.linalg.solve_triangular(lower, rho, lower=True)
    diag = np.diagonal(lower)
    pivots = diag * (w - (lower.sum(axis=0) - diag))
    if not np.all(pivots > 0):
        return np.nan
    return float(np.sum(np.log(pivots)))


def log_evidence_via_w_compact_from(
    dirty_image,
    chi_squared_data,
    noise_normalization,
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    neighbors,
    neighbors_sizes,
    coefficient=1.0,
):
    """The compact-form evidence with the two per-dataset sums given (dense T, dense W)."""
    t = mapping_matrix_from(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, neighbors.shape[0]
    )
    w_tilde = w_tilde_via_compact_from(w_compact, native_index_for_slim_index)
    return _evidence(
        t.T @ dirty_image,
        t.T @ w_tilde @ t,
        constant_regularization_matrix_from(coefficient, neighbors, neighbors_sizes),
        chi_squared_data,
        noise_normalization,
    )


def _logdet(a):
    sign, value = np.linalg.slogdet(a)
    return value


def log_likelihood_from_curvature(
    dirty_image,
    data,
    noise_map,
    mapping_matrix,
    curvature_matrix,
    neighbors,
    neighbors_sizes,
    coefficient=1.0,
):
    """The contract's formula, given T and F (``-inf`` when F + H is not positive definite)."""
    return _evidence(
        mapping_matrix.T @ dirty_image,
        curvature_matrix,
        constant_regularization_matrix_from(coefficient, neighbors, neighbors_sizes),
        data_chi_squared_complex_from(data, noise_map),
        noise_normalization_complex_from(noise_map),
    )


def log_likelihood_function_via_w_tilde_from(
    dirty_image,
    data,
    noise_map,
    w_tilde,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    neighbors,
    neighbors_sizes,
    coefficient=1.0,
):
    t = mapping_matrix_from(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, neighbors.shape[0]
    )
    return log_likelihood_from_curvature(
        dirty_image, data, noise_map, t, t.T @ w_tilde @ t, neighbors, neighbors_sizes, coefficient
    )


def log_likelihood_function_via_w_compact_from(
    dirty_image,
    data,
    noise_map,
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    neighbors,
    neighbors_sizes,
    coefficient=1.0,
):
    w_tilde = w_tilde_via_compact_from(w_compact, native_index_for_slim_index)
    return log_likelihood_function_via_w_tilde_from(
        dirty_image,
        data,
        noise_map,
        w_tilde,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        neighbors,
        neighbors_sizes,
        coefficient,
    )


def log_likelihood_dense_from(
    data, noise_map, uv_wavelengths, grid_radians_slim, mapping_matrix, neighbors, neighbors_sizes
):
    """Independent evaluation from the visibilities themselves, no W-tilde, no dirty image.

    Builds the transfer matrix ``A[k, i] = exp(-2j pi (x_i u_k + y_i v_k))`` and the
    whitened real design matrix, solves the regularised least squares problem, and returns
    ``-0.5 (chi^2 + s^T H s + logdet(F+H) - logdet(H) + noise_norm)`` with chi^2 from the
    residuals. It equals the W-tilde form when ``Re(sigma) == Im(sigma)`` and the dirty image
    is the noise-weighted one of ``data``.
    """
    a = np.exp(-1j * _phases(grid_radians_slim, uv_wavelengths)).T @ mapping_matrix  # (K, S)
    design = np.concatenate([a.real / noise_map.real[:, None], a.imag / noise_map.imag[:, None]])
    target = np.concatenate([data.real / noise_map.real, data.imag / noise_map.imag])
    f = design.T @ design
    h = constant_regularization_matrix_from(1.0, neighbors, neighbors_sizes)
    s = scipy.linalg.solve(f + h, design.T @ target)
    chi2 = np.sum((target - design @ s) ** 2)
    return float(
        -0.5
        * (
            chi2
            + s @ h @ s
            + _logdet(f + h)
            - _logdet(h)
            + noise_normalization_complex_from(noise_map)
        )
    )


# --------------------------------------------------------------------------- whole lens model


def lens_model_inversion_from(
    visibilities,
    noise_map,
    uv_wavelengths,
    grid_radians_slim,
    mapping_matrices,
    regularization_matrices,
    function_columns=None,
    no_regularization_value=1e-3,
):
    """A whole lens model's inversion in visibility space: no W-tilde, no dirty image.

    ``A = [T_1 | ... | T_n | B]`` (``mapping_matrices`` the dense (M, S_i) T_i, pixelizations
    first, then the (M, L) ``function_columns`` B or None). Each column is taken to the
    visibilities by a direct Fourier sum ``exp(-2j pi (x u + y v))`` (the sign of
    :func:`dirty_image_from`'s adjoint), whitened by the noise, real and imaginary parts
    stacked: the real (2K, P) design matrix ``G``. Then, as upstream autoarray 2026.10.26.1:

    - ``F = G^T G`` plus ``no_regularization_value`` on the diagonal at every function column
      (in F itself, so it reaches the solve and the chi-squared of the evidence);
    - ``D = G^T y`` (y the whitened visibilities), ``H`` block-diagonal (the given
      ``regularization_matrices``, zero on the function columns);
    - ``s = (F + H)^-1 D`` over the whole system;
    - log det (F + H) and log det H over the pixelizations' leading block alone;
    - ``log_evidence = -0.5 (chi2 + s^T H s + logdet(F+H)_pix - logdet(H)_pix + noise_norm)``
      with upstream's "fast" chi-squared ``s^T F s - 2 s^T D + y^T y``, which is the
      visibility chi-squared plus ``no_regularization_value * |s_B|^2`` (the ridge is in F).

    Returns a dict: ``curvature_matrix`` (F, ridge included), ``data_vector``,
    ``reconstruction``, ``chi_squared`` (of the residual visibilities, no ridge),
    ``regularization_term``, ``log_det_curvature_reg``, ``log_det_regularization``,
    ``noise_normalization`` and ``log_evidence`` (``-inf`` when F + H's pixelization block or
    H is not positive definite). Re(sigma) = Im(sigma) makes it the W-tilde evidence.
    """
    columns = [np.asarray(t, dtype=np.float64) for t in mapping_matrices]
    n_functions = 0
    if function_columns is not None:
        function_columns = np.asarray(function_columns, dtype=np.float64)
        columns.append(function_columns)
        n_functions = function_columns.shape[1]
    a = np.concatenate(columns, axis=1)  # (M, P)
    transformed = np.exp(-1j * _phases(grid_radians_slim, uv_wavelengths)).T @ a  # (K, P)
    design = np.concatenate(
        [transformed.real / noise_map.real[:, None], transformed.imag / noise_map.imag[:, None]]
    )
    target = np.concatenate(
        [visibilities.real / noise_map.real, visibilities.imag / noise_map.imag]
    )
    n_params = a.shape[1]
    n_pix = n_params - n_functions
    f = design.T @ design
    f[np.arange(n_pix, n_params), np.arange(n_pix, n_params)] += no_regularization_value
    d = design.T @ target
    h = np.zeros((n_params, n_params))
    h[:n_pix, :n_pix] = scipy.linalg.block_diag(*regularization_matrices)
    s = scipy.linalg.solve(f + h, d, assume_a="sym")
    chi_squared = float(np.sum((target - design @ s) ** 2))
    regularization_term = float(s[:n_pix] @ h[:n_pix, :n_pix] @ s[:n_pix])
    noise_normalization = noise_normalization_complex_from(noise_map)
    try:
        factor = scipy.linalg.cholesky((f + h)[:n_pix, :n_pix], lower=True)
        log_det_curvature_reg = float(2 * np.sum(np.log(np.diagonal(factor))))
    except np.linalg.LinAlgError:
        log_det_curvature_reg = np.nan
    log_det_regularization = float(sum(_regularization_logdet(r) for r in regularization_matrices))
    fast_chi_squared = chi_squared + no_regularization_value * float(np.sum(s[n_pix:] ** 2))
    log_evidence = -0.5 * (
        fast_chi_squared
        + regularization_term
        + log_det_curvature_reg
        - log_det_regularization
        + noise_normalization
    )
    return {
        "curvature_matrix": f,
        "data_vector": d,
        "reconstruction": s,
        "chi_squared": chi_squared,
        "regularization_term": regularization_term,
        "log_det_curvature_reg": log_det_curvature_reg,
        "log_det_regularization": log_det_regularization,
        "noise_normalization": noise_normalization,
        "log_evidence": float(log_evidence) if np.isfinite(log_evidence) else -np.inf,
    }
