"""Faithful ports of the upstream (PyAutoArray) loop algorithms: the benchmark baseline.

These follow the upstream loop structure on purpose, quirks included:

- ``w_tilde_data_interferometer_from`` weighs every visibility by ``(noise**2 / vis)**2``
  (upstream divides by the noise squared and then raises to the power -2);
- ``mapping_matrix_from`` scales by ``sub_fraction[slim_index]``, indexed by the image
  pixel rather than the sub-pixel;
- the "preload" stores four quadrants of lattice offsets and is read back with Python's
  negative indexing;
- the curvature matrix from the preload runs a 4-deep loop over image-pixel pairs
  ``a < b`` and their mappings, symmetrises with ``F + F.T``, then adds the ``a == b``
  terms in a separate diagonal pass.

Nothing here is optimised: every other backend is measured against these. Only input
checking (clear ``TypeError``/``ValueError`` instead of a crash) is added around them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _linalg
from ._validate import validated

__all__ = [
    "mask_2d_centres_from",
    "mask_2d_circular_from",
    "w_tilde_data_interferometer_from",
    "w_tilde_curvature_interferometer_from",
    "w_tilde_curvature_preload_interferometer_from",
    "w_tilde_via_preload_from",
    "mapping_matrix_from",
    "data_vector_from",
    "curvature_matrix_via_w_tilde_from",
    "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
    "constant_regularization_matrix_from",
    "reconstruction_positive_negative_from",
    "noise_normalization_complex_from",
    "log_likelihood_function_via_w_tilde_from",
    "log_likelihood_function_via_w_compact_from",
]

_jit = njit(cache=True, nogil=True)

# declarations shared by several functions (the language of autojax._validate, as in the
# specs): counts must agree with the -1 that ends each row they count
PIX_SIZE = "i8[Msub] in [0,B] counts pix_indexes_for_sub_slim_index"
SIZES = "i8[S] in [0,P] counts neighbors"
#: the native (row, col) of each image pixel lies in the (Ry // 2, Rx // 2) box of the preload
PRELOAD_NATIVE = "i8[M,2] in [0,Ry//2)x[0,Rx//2)"


# --------------------------------------------------------------------------- geometry


@_jit
def _mask_2d_centres(shape_native, pixel_scales, centre):
    y_centre = float(shape_native[0] - 1) / 2.0 - centre[0] / pixel_scales[0]
    x_centre = float(shape_native[1] - 1) / 2.0 + centre[1] / pixel_scales[1]
    return (y_centre, x_centre)


@validated(shape_native="int2 >0", pixel_scales="float2 finite >0", centre="float2 finite")
def mask_2d_centres_from(shape_native, pixel_scales, centre):
    """(y, x) centre of a mask in pixel units, from its shape, pixel scales and centre."""
    return _mask_2d_centres(shape_native, pixel_scales, centre)


@_jit
def _mask_2d_circular(shape_native, pixel_scales, radius, centre):
    mask = np.full(shape_native, True)
    yc, xc = _mask_2d_centres(shape_native, pixel_scales, centre)
    for y in range(mask.shape[0]):
        for x in range(mask.shape[1]):
            y_scaled = (y - yc) * pixel_scales[0]
            x_scaled = (x - xc) * pixel_scales[1]
            # docs/contract.md compares squares; sqrt(d2) <= r keeps pixels whose d2 rounds
            # just above r2
            if x_scaled**2 + y_scaled**2 <= radius**2:
                mask[y, x] = False
    return mask


@validated(
    shape_native="int2 >0",
    pixel_scales="float2 finite >0",
    radius="float finite >=0",
    centre="float2 finite",
)
def mask_2d_circular_from(shape_native, pixel_scales, radius, centre=(0.0, 0.0)):
    """Circular mask (True = masked) of the given radius in arcsec."""
    return _mask_2d_circular(shape_native, pixel_scales, radius, centre)


# --------------------------------------------------------------------------- w-tilde


@validated(
    visibilities_real="f8[K] finite",
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
    native_index_for_slim_index="any",
)
@_jit
def w_tilde_data_interferometer_from(
    visibilities_real,
    noise_map_real,
    uv_wavelengths,
    grid_radians_slim,
    native_index_for_slim_index,
):
    """``out[i] = sum_k (noise_k**2/vis_k)**2 cos(2 pi (x_i u_k + y_i v_k))``; the 5th argument is unused."""
    image_pixels = grid_radians_slim.shape[0]
    out = np.zeros(image_pixels)
    weight_map_real = visibilities_real / noise_map_real**2.0
    for ip0 in range(image_pixels):
        value = 0.0
        x = grid_radians_slim[ip0, 1]
        y = grid_radians_slim[ip0, 0]
        for k in range(uv_wavelengths.shape[0]):
            value += weight_map_real[k] ** -2.0 * np.cos(
                2.0 * np.pi * (x * uv_wavelengths[k, 0] + y * uv_wavelengths[k, 1])
            )
        out[ip0] = value
    return out


@validated(
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    grid_radians_slim="f8[M,2] finite",
)
@_jit
def w_tilde_curvature_interferometer_from(noise_map_real, uv_wavelengths, grid_radians_slim):
    """Dense W-tilde: loop i, j >= i, k; then mirror the upper triangle."""
    m_pixels = grid_radians_slim.shape[0]
    w_tilde = np.zeros((m_pixels, m_pixels))
    for i in range(m_pixels):
        for j in range(i, m_pixels):
            x_offset = grid_radians_slim[i, 1] - grid_radians_slim[j, 1]
            y_offset = grid_radians_slim[i, 0] - grid_radians_slim[j, 0]
            for k in range(uv_wavelengths.shape[0]):
                w_tilde[i, j] += noise_map_real[k] ** -2.0 * np.cos(
                    2.0
                    * np.pi
                    * (x_offset * uv_wavelengths[k, 0] + y_offset * uv_wavelengths[k, 1])
                )
    for i in range(m_pixels):
        for j in range(i, m_pixels):
            w_tilde[j, i] = w_tilde[i, j]
    return w_tilde


@_jit
def _preload_offset_sum(noise_map_real, uv_wavelengths, y_offset, x_offset):
    total = 0.0
    for k in range(uv_wavelengths.shape[0]):
        total += noise_map_real[k] ** -2.0 * np.cos(
            2.0 * np.pi * (x_offset * uv_wavelengths[k, 0] + y_offset * uv_wavelengths[k, 1])
        )
    return total


@_jit
def _preload(noise_map_real, uv_wavelengths, shape_masked_pixels_2d, grid_radians_2d):
    y_shape = shape_masked_pixels_2d[0]
    x_shape = shape_masked_pixels_2d[1]
    grid = grid_radians_2d[:y_shape, :x_shape]
    preload = np.zeros((2 * y_shape, 2 * x_shape))

    # quadrant (+, +): offsets from the top-left corner
    for i in range(y_shape):
        for j in range(x_shape):
            y_offset = grid[0, 0, 0] - grid[i, j, 0]
            x_offset = grid[0, 0, 1] - grid[i, j, 1]
            preload[i, j] = _preload_offset_sum(noise_map_real, uv_wavelengths, y_offset, x_offset)

    # quadrant (+, -): offsets from the top-right corner, stored at negative columns
    for i in range(y_shape):
        for j in range(1, x_shape):
            y_offset = grid[0, x_shape - 1, 0] - grid[i, x_shape - 1 - j, 0]
            x_offset = grid[0, x_shape - 1, 1] - grid[i, x_shape - 1 - j, 1]
            preload[i, -j] = _preload_offset_sum(noise_map_real, uv_wavelengths, y_offset, x_offset)

    # quadrant (-, +): offsets from the bottom-left corner, stored at negative rows
    for i in range(1, y_shape):
        for j in range(x_shape):
            y_offset = grid[y_shape - 1, 0, 0] - grid[y_shape - 1 - i, j, 0]
            x_offset = grid[y_shape - 1, 0, 1] - grid[y_shape - 1 - i, j, 1]
            preload[-i, j] = _preload_offset_sum(noise_map_real, uv_wavelengths, y_offset, x_offset)

    # quadrant (-, -): offsets from the bottom-right corner
    for i in range(1, y_shape):
        for j in range(1, x_shape):
            y_offset = grid[y_shape - 1, x_shape - 1, 0] - grid[y_shape - 1 - i, x_shape - 1 - j, 0]
            x_offset = grid[y_shape - 1, x_shape - 1, 1] - grid[y_shape - 1 - i, x_shape - 1 - j, 1]
            preload[-i, -j] = _preload_offset_sum(
                noise_map_real, uv_wavelengths, y_offset, x_offset
            )

    return preload


@validated(
    noise_map_real="f8[K] finite !=0",
    uv_wavelengths="f8[K,2] finite",
    shape_masked_pixels_2d="int2 >0",
    grid_radians_2d="f8[Gy,Gx,2] finite",
)
def w_tilde_curvature_preload_interferometer_from(
    noise_map_real, uv_wavelengths, shape_masked_pixels_2d, grid_radians_2d
):
    """The upstream "preload": W-tilde's distinct values, one per lattice offset, (2Ny, 2Nx)."""
    ny, nx = shape_masked_pixels_2d
    if not (0 < ny <= grid_radians_2d.shape[0] and 0 < nx <= grid_radians_2d.shape[1]):
        raise ValueError(
            "w_tilde_curvature_preload_interferometer_from: argument 'shape_masked_pixels_2d' "
            f"{(ny, nx)} must be positive and fit in grid_radians_2d of shape {grid_radians_2d.shape[:2]}"
        )
    return _preload(noise_map_real, uv_wavelengths, (ny, nx), grid_radians_2d)


@_jit
def _w_tilde_via_preload(w_tilde_preload, native_index_for_slim_index):
    m_pixels = native_index_for_slim_index.shape[0]
    w_tilde = np.zeros((m_pixels, m_pixels))
    for i in range(m_pixels):
        i_y = native_index_for_slim_index[i, 0]
        i_x = native_index_for_slim_index[i, 1]
        for j in range(i, m_pixels):
            y_diff = native_index_for_slim_index[j, 0] - i_y
            x_diff = native_index_for_slim_index[j, 1] - i_x
            w_tilde[i, j] = w_tilde_preload[y_diff, x_diff]
    for i in range(m_pixels):
        for j in range(i, m_pixels):
            w_tilde[j, i] = w_tilde[i, j]
    return w_tilde


@validated(w_tilde_preload="f8[Ry,Rx] finite", native_index_for_slim_index=PRELOAD_NATIVE)
def w_tilde_via_preload_from(w_tilde_preload, native_index_for_slim_index):
    """Expand the preload to the dense (M, M) W-tilde: ``W[a,b] = P[row_b-row_a, col_b-col_a]``."""
    return _w_tilde_via_preload(w_tilde_preload, native_index_for_slim_index)


# --------------------------------------------------------------------------- mapping


@validated(
    pix_indexes_for_sub_slim_index="i8[Msub,B] in [-1,S)",
    pix_size_for_sub_slim_index=PIX_SIZE,
    pix_weights_for_sub_slim_index="f8[Msub,B] finite",
    pixels="int -> S >0",
    total_mask_pixels="int -> M",
    slim_index_for_sub_slim_index="i8[Msub] in [0,M)",
    sub_fraction="f8[M] finite",
)
def mapping_matrix_from(
    pix_indexes_for_sub_slim_index,
    pix_size_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    total_mask_pixels,
    slim_index_for_sub_slim_index,
    sub_fraction,
):
    """Dense (M, S) mapping matrix T from the sub-pixel mappings (upstream loop)."""
    b = pix_indexes_for_sub_slim_index.shape[1]
    if pix_size_for_sub_slim_index.size and (
        pix_size_for_sub_slim_index.min() < 0 or pix_size_for_sub_slim_index.max() > b
    ):
        raise ValueError(
            f"mapping_matrix_from: argument 'pix_size_for_sub_slim_index' must lie in [0, {b}] "
            "(the columns of pix_indexes_for_sub_slim_index)"
        )
    return _mapping_matrix(
        pix_indexes_for_sub_slim_index,
        pix_size_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        total_mask_pixels,
        slim_index_for_sub_slim_index,
        sub_fraction,
    )


@_jit
def _mapping_matrix(
    pix_indexes_for_sub_slim_index,
    pix_size_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    total_mask_pixels,
    slim_index_for_sub_slim_index,
    sub_fraction,
):
    mapping_matrix = np.zeros((total_mask_pixels, pixels))
    for sub_slim_index in range(slim_index_for_sub_slim_index.shape[0]):
        slim_index = slim_index_for_sub_slim_index[sub_slim_index]
        for pix_count in range(pix_size_for_sub_slim_index[sub_slim_index]):
            pix_index = pix_indexes_for_sub_slim_index[sub_slim_index, pix_count]
            pix_weight = pix_weights_for_sub_slim_index[sub_slim_index, pix_count]
            mapping_matrix[slim_index, pix_index] += sub_fraction[slim_index] * pix_weight
    return mapping_matrix


@validated(mapping_matrix="f8[M,S] finite", dirty_image="f8[M] finite")
def data_vector_from(mapping_matrix, dirty_image):
    """Data vector ``D = T^T d``."""
    return np.dot(mapping_matrix.T, dirty_image)


@validated(w_tilde="f8[M,M] finite", mapping_matrix="f8[M,S] finite")
def curvature_matrix_via_w_tilde_from(w_tilde, mapping_matrix):
    """Curvature matrix ``F = T^T W T`` with dense matrices."""
    return np.dot(mapping_matrix.T, np.dot(w_tilde, mapping_matrix))


@_jit
def _curvature_via_preload(
    curvature_preload,
    pix_indexes_for_sub_slim_index,
    pix_size_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    native_index_for_slim_index,
    pix_pixels,
):
    curvature_matrix = np.zeros((pix_pixels, pix_pixels))
    image_pixels = native_index_for_slim_index.shape[0]

    for ip0 in range(image_pixels):
        ip0_y = native_index_for_slim_index[ip0, 0]
        ip0_x = native_index_for_slim_index[ip0, 1]
        for ip0_pix in range(pix_size_for_sub_slim_index[ip0]):
            sp0 = pix_indexes_for_sub_slim_index[ip0, ip0_pix]
            ip0_weight = pix_weights_for_sub_slim_index[ip0, ip0_pix]
            for ip1 in range(ip0 + 1, image_pixels):
                y_diff = native_index_for_slim_index[ip1, 0] - ip0_y
                x_diff = native_index_for_slim_index[ip1, 1] - ip0_x
                for ip1_pix in range(pix_size_for_sub_slim_index[ip1]):
                    sp1 = pix_indexes_for_sub_slim_index[ip1, ip1_pix]
                    ip1_weight = pix_weights_for_sub_slim_index[ip1, ip1_pix]
                    curvature_matrix[sp0, sp1] += (
                        curvature_preload[y_diff, x_diff] * ip0_weight * ip1_weight
                    )

    curvature_matrix_new = curvature_matrix + curvature_matrix.T

    for ip0 in range(image_pixels):
        for ip0_pix in range(pix_size_for_sub_slim_index[ip0]):
            sp0 = pix_indexes_for_sub_slim_index[ip0, ip0_pix]
            ip0_weight = pix_weights_for_sub_slim_index[ip0, ip0_pix]
            for ip1_pix in range(pix_size_for_sub_slim_index[ip0]):
                sp1 = pix_indexes_for_sub_slim_index[ip0, ip1_pix]
                ip1_weight = pix_weights_for_sub_slim_index[ip0, ip1_pix]
                curvature_matrix_new[sp0, sp1] += curvature_preload[0, 0] * ip0_weight * ip1_weight

    return curvature_matrix_new


@validated(
    curvature_preload="f8[Ry,Rx] finite",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_size_for_sub_slim_index=PIX_SIZE.replace("Msub", "M"),
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    native_index_for_slim_index=PRELOAD_NATIVE,
    pix_pixels="int -> S >0",
)
def curvature_matrix_via_w_tilde_curvature_preload_interferometer_from(
    curvature_preload,
    pix_indexes_for_sub_slim_index,
    pix_size_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    native_index_for_slim_index,
    pix_pixels,
):
    """Curvature matrix straight from the preload: 4-deep loop over pixel pairs, then the diagonal."""
    return _curvature_via_preload(
        curvature_preload,
        pix_indexes_for_sub_slim_index,
        pix_size_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        native_index_for_slim_index,
        pix_pixels,
    )


# --------------------------------------------------------------------------- inversion


@_jit
def _constant_regularization(coefficient, neighbors, neighbors_sizes):
    parameters = neighbors.shape[0]
    regularization_matrix = np.zeros((parameters, parameters))
    regularization_coefficient = coefficient**2.0
    for i in range(parameters):
        regularization_matrix[i, i] += 1e-8
        for j in range(neighbors_sizes[i]):
            neighbor_index = neighbors[i, j]
            regularization_matrix[i, i] += regularization_coefficient
            regularization_matrix[i, neighbor_index] -= regularization_coefficient
    return regularization_matrix


@validated(coefficient="float finite", neighbors="i8[S,P] in [-1,S)", neighbors_sizes=SIZES)
def constant_regularization_matrix_from(coefficient, neighbors, neighbors_sizes):
    """Constant regularization: ``H[i,i] = 1e-8 + c**2 n_i``, ``H[i,j] -= c**2`` per neighbour."""
    return _constant_regularization(coefficient, neighbors, neighbors_sizes)


@validated(data_vector="f8[S] finite", curvature_reg_matrix="f8[S,S] finite")
def reconstruction_positive_negative_from(data_vector, curvature_reg_matrix):
    """Solve ``(F + H) s = D`` (upstream's LU solve, with the failure policy of ``_linalg``)."""
    return _linalg.solve(
        np, curvature_reg_matrix, data_vector, "reconstruction_positive_negative_from"
    )


@validated(noise_map="c16[K] finite !=0")
def noise_normalization_complex_from(noise_map):
    """``sum_k log(2 pi Re(sigma_k)**2) + log(2 pi Im(sigma_k)**2)``."""
    noise_normalization_real = np.sum(np.log(2 * np.pi * noise_map.real**2.0))
    noise_normalization_imag = np.sum(np.log(2 * np.pi * noise_map.imag**2.0))
    return float(noise_normalization_real + noise_normalization_imag)


def _log_likelihood(
    dirty_image, data, noise_map, mapping_matrix, curvature_matrix, neighbors, neighbors_sizes
):
    """Upstream likelihood arithmetic once F is known (chi-squared from the three terms)."""
    data_vector = data_vector_from(mapping_matrix, dirty_image)
    regularization_matrix = constant_regularization_matrix_from(1.0, neighbors, neighbors_sizes)
    curvature_reg_matrix = curvature_matrix + regularization_matrix
    reconstruction = reconstruction_positive_negative_from(data_vector, curvature_reg_matrix)

    chi_squared_term_1 = reconstruction @ curvature_matrix @ reconstruction
    chi_squared_term_2 = -2.0 * (reconstruction @ data_vector)
    chi_squared_term_3 = np.sum(data.real**2.0 / noise_map.real**2.0) + np.sum(
        data.imag**2.0 / noise_map.imag**2.0
    )
    chi_squared = chi_squared_term_1 + chi_squared_term_2 + chi_squared_term_3
    regularization_term = reconstruction @ regularization_matrix @ reconstruction
    log_curvature_reg_matrix_term = np.linalg.slogdet(curvature_reg_matrix)[1]
    log_regularization_matrix_term = np.linalg.slogdet(regularization_matrix)[1]
    noise_normalization = noise_normalization_complex_from(noise_map)
    return float(
        -0.5
        * (
            chi_squared
            + regularization_term
            + log_curvature_reg_matrix_term
            - log_regularization_matrix_term
            + noise_normalization
        )
    )


_LIKELIHOOD_DECLS = dict(
    dirty_image="f8[M] finite",
    data="c16[K] finite",
    noise_map="c16[K] finite !=0 re==im",
    pix_indexes_for_sub_slim_index="i8[Msub,B] in [-1,S)",
    pix_size_for_sub_slim_index=PIX_SIZE,
    pix_weights_for_sub_slim_index="f8[Msub,B] finite",
    slim_index_for_sub_slim_index="i8[Msub] in [0,M)",
    sub_fraction="f8[M] finite",
    neighbors="i8[S,P] in [-1,S)",
    neighbors_sizes=SIZES,
)


@validated(w_tilde="f8[M,M] finite", **_LIKELIHOOD_DECLS)
def log_likelihood_function_via_w_tilde_from(
    dirty_image,
    data,
    noise_map,
    w_tilde,
    pix_indexes_for_sub_slim_index,
    pix_size_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    slim_index_for_sub_slim_index,
    sub_fraction,
    neighbors,
    neighbors_sizes,
):
    """Log evidence of the linear inversion with a dense W-tilde (the MCMC step)."""
    pixels = neighbors.shape[0]
    mapping_matrix = mapping_matrix_from(
        pix_indexes_for_sub_slim_index,
        pix_size_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        dirty_image.shape[0],
        slim_index_for_sub_slim_index,
        sub_fraction,
    )
    curvature_matrix = curvature_matrix_via_w_tilde_from(w_tilde, mapping_matrix)
    return _log_likelihood(
        dirty_image, data, noise_map, mapping_matrix, curvature_matrix, neighbors, neighbors_sizes
    )


@validated(
    w_tilde_preload="f8[Ry,Rx] finite",
    native_index_for_slim_index=PRELOAD_NATIVE,
    **_LIKELIHOOD_DECLS,
)
def log_likelihood_function_via_w_compact_from(
    dirty_image,
    data,
    noise_map,
    w_tilde_preload,
    pix_indexes_for_sub_slim_index,
    pix_size_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    slim_index_for_sub_slim_index,
    sub_fraction,
    neighbors,
    neighbors_sizes,
    native_index_for_slim_index,
):
    """Log evidence with F from the upstream preload (original's counterpart of the compact form)."""
    pixels = neighbors.shape[0]
    mapping_matrix = mapping_matrix_from(
        pix_indexes_for_sub_slim_index,
        pix_size_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        dirty_image.shape[0],
        slim_index_for_sub_slim_index,
        sub_fraction,
    )
    curvature_matrix = curvature_matrix_via_w_tilde_curvature_preload_interferometer_from(
        w_tilde_preload,
        pix_indexes_for_sub_slim_index,
        pix_size_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        native_index_for_slim_index,
        pixels,
    )
    return _log_likelihood(
        dirty_image, data, noise_map, mapping_matrix, curvature_matrix, neighbors, neighbors_sizes
    )
