# This file is generated: DO NOT EDIT.
# Numba backend, kernels of spec kernels_spec/inversion.py
# template: codegen/templates/numba/
# regenerate: nox -s generate  (or: python -m codegen)
"""Numba kernels generated from ``kernels_spec/inversion.py``: loops, ``prange`` where race-free."""

import numba as nb
import numpy as np

from autojax import _linalg, _runtime
from autojax._validate import validated

from .curvature import _curvature_matrix_via_w_compact_sparse_mapping_matrix_from_impl
from .curvature import _curvature_matrix_via_w_wilde_sparse_mapping_matrix_from_impl
from .mapping import _sparse_mapping_matrix_transpose_matmul_impl

xp = np


@nb.njit(cache=True, parallel=True, nogil=True)
def _neighbor_adjacency_from_impl(neighbors):
    S = neighbors.shape[0]
    P = neighbors.shape[1]
    out = np.zeros((S, S), dtype=np.float64)
    for i in nb.prange(S):
        for p in range(P):
            if not (neighbors[i, p] >= 0):
                break
            out[i, neighbors[i, p]] += 1.0
    return out


@validated(convert="numpy", neighbors="i8[S,P] in [-1,S)")
def _neighbor_adjacency_from(neighbors):
    """Adjacency (S, S) of the source-pixel graph: 1 where j is a neighbour of i (rows end at -1).

    Method: ``direct`` (family ``regularization``).

    Parameters
    ----------
    neighbors
        int64 array of shape (S, P), values in [-1, S)

    Returns
    -------
    float64 array of shape (S, S)
    """

    return _neighbor_adjacency_from_impl(neighbors)


def _constant_regularization_matrix_from_impl(coefficient, neighbors, neighbors_sizes):
    c2 = coefficient**2
    diagonal = 1e-08 + c2 * xp.astype(neighbors_sizes, xp.float64)
    eye = xp.eye(neighbors.shape[0], dtype=xp.float64)
    return eye * diagonal[None, :] - c2 * _neighbor_adjacency_from_impl(neighbors)


@validated(
    convert="numpy",
    coefficient="float finite",
    neighbors="i8[S,P] in [-1,S)",
    neighbors_sizes="i8[S] in [0,P] counts neighbors",
)
def constant_regularization_matrix_from(coefficient, neighbors, neighbors_sizes):
    """Constant regularization H (S, S): ``H[i,i] = 1e-8 + c**2 n_i``; ``H[i,j] -= c**2`` per neighbour j.

    Method: ``direct`` (family ``regularization``).

    Parameters
    ----------
    coefficient
        float, finite
    neighbors
        int64 array of shape (S, P), values in [-1, S)
    neighbors_sizes
        int64 array of shape (S,), values in [0, P], counting the entries of each row of neighbors before its first -1

    Returns
    -------
    float64 array of shape (S, S)
    """

    return _constant_regularization_matrix_from_impl(coefficient, neighbors, neighbors_sizes)


def _reconstruction_positive_negative_from_impl(data_vector, curvature_reg_matrix):
    return _linalg.solve(
        xp, curvature_reg_matrix, data_vector, "reconstruction_positive_negative_from"
    )


@validated(convert="numpy", data_vector="f8[S] finite", curvature_reg_matrix="f8[S,S] finite")
def reconstruction_positive_negative_from(data_vector, curvature_reg_matrix):
    """Solve ``(F + H) s = D`` for the source s (S,); values may be negative.

    A general LU solve (F + H need not be positive definite). Non-finite input is refused by
    the argument checks (``ValueError``); a singular (exactly or to working precision) system
    raises ``autojax.LinAlgError`` naming this kernel; under JAX tracing the solution is all NaN
    instead (the policy of ``autojax._linalg``).

    Method: ``direct`` (family ``reconstruction``).

    Parameters
    ----------
    data_vector
        float64 array of shape (S,), finite
    curvature_reg_matrix
        float64 array of shape (S, S), finite

    Returns
    -------
    float64 array of shape (S,)
    """

    return _linalg.solution_or_raise(
        "reconstruction_positive_negative_from",
        _reconstruction_positive_negative_from_impl(data_vector, curvature_reg_matrix),
        data_vector,
        curvature_reg_matrix,
    )


def _noise_normalization_complex_from_impl(noise_map):
    return xp.sum(
        xp.log(2 * xp.pi * xp.real(noise_map) ** 2) + xp.log(2 * xp.pi * xp.imag(noise_map) ** 2)
    )


@validated(convert="numpy", noise_map="c16[K] finite !=0")
def noise_normalization_complex_from(noise_map):
    """``sum_k log(2 pi Re(sigma_k)**2) + log(2 pi Im(sigma_k)**2)``.

    Method: ``direct`` (family ``noise_normalization``).

    Parameters
    ----------
    noise_map
        complex128 array of shape (K,), finite, non-zero

    Returns
    -------
    float
    """

    return _noise_normalization_complex_from_impl(noise_map)


def _data_chi_squared_complex_from_impl(data, noise_map):
    return xp.sum(
        xp.real(data) ** 2 / xp.real(noise_map) ** 2 + xp.imag(data) ** 2 / xp.imag(noise_map) ** 2
    )


@validated(convert="numpy", data="c16[K] finite", noise_map="c16[K] finite !=0")
def data_chi_squared_complex_from(data, noise_map):
    """``sum_k Re(d_k)**2 / Re(sigma_k)**2 + Im(d_k)**2 / Im(sigma_k)**2``: the chi-squared of a zero model.

    Method: ``direct`` (family ``noise_normalization``).

    Parameters
    ----------
    data
        complex128 array of shape (K,), finite
    noise_map
        complex128 array of shape (K,), finite, non-zero

    Returns
    -------
    float
    """

    return _data_chi_squared_complex_from_impl(data, noise_map)


def _log_evidence_via_w_compact_from_impl(
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
    method="auto",
):
    pixels = neighbors.shape[0]
    curvature = _curvature_matrix_via_w_compact_sparse_mapping_matrix_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        method=method,
    )
    data_vector = _sparse_mapping_matrix_transpose_matmul_impl(
        xp.reshape(dirty_image, (-1, 1)),
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )[:, 0]
    curvature_reg = _linalg.plus_constant_regularization(
        xp, curvature, coefficient, neighbors, neighbors_sizes
    )
    reconstruction, logdet_curvature_reg, ok_curvature_reg = _linalg.cholesky_solve_logdet(
        xp, curvature_reg, data_vector, overwrite=True
    )
    _, logdet_regularization, ok_regularization = _linalg.constant_regularization_logdet(
        xp, coefficient, neighbors, neighbors_sizes
    )
    ok = ok_curvature_reg & ok_regularization
    if ok is False:
        return -xp.inf
    value = -0.5 * (
        chi_squared_data
        - xp.sum(reconstruction * data_vector)
        + logdet_curvature_reg
        - logdet_regularization
        + noise_normalization
    )
    return _linalg.value_or_minus_inf(xp, ok, value)


@validated(
    convert="numpy",
    dirty_image="f8[M] finite",
    chi_squared_data="float finite >=0",
    noise_normalization="float finite",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    neighbors="i8[S,P] in [-1,S)",
    neighbors_sizes="i8[S] in [0,P] counts neighbors",
    coefficient="float finite >=0",
    method="str",
)
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
    method="auto",
):
    """Log evidence of one step from the per-dataset constants, with F from the compact form.

    The MCMC step of ``log_likelihood_function_via_w_compact_from`` without its two sums over
    the K visibilities: ``chi_squared_data`` (``data_chi_squared_complex_from``) and
    ``noise_normalization`` (``noise_normalization_complex_from``) are computed once per
    dataset and passed in, so a step costs O(M B + S**2 ...) and nothing in K.
    ``-0.5 (chi_squared_data - s.D + logdet(F+H) - logdet(H) + noise_normalization)``;
    ``-inf`` when F + H or H is not positive definite. ``method`` as for
    ``curvature_matrix_via_w_compact_sparse_mapping_matrix_from``.

    Method: ``w_compact_precomputed`` (family ``log_likelihood``).

    Parameters
    ----------
    dirty_image
        float64 array of shape (M,), finite
    chi_squared_data
        float, finite, non-negative
    noise_normalization
        float, finite
    w_compact
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    neighbors
        int64 array of shape (S, P), values in [-1, S)
    neighbors_sizes
        int64 array of shape (S,), values in [0, P], counting the entries of each row of neighbors before its first -1
    coefficient
        float, finite, non-negative
    method
        str

    Returns
    -------
    float
    """

    return _log_evidence_via_w_compact_from_impl(
        dirty_image,
        chi_squared_data,
        noise_normalization,
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        neighbors,
        neighbors_sizes,
        coefficient,
        method,
    )


def _log_likelihood_function_via_w_tilde_from_impl(
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
    pixels = neighbors.shape[0]
    curvature = _curvature_matrix_via_w_wilde_sparse_mapping_matrix_from_impl(
        w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )
    chi_squared_data = _data_chi_squared_complex_from_impl(data, noise_map)
    noise_normalization = _noise_normalization_complex_from_impl(noise_map)
    data_vector = _sparse_mapping_matrix_transpose_matmul_impl(
        xp.reshape(dirty_image, (-1, 1)),
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )[:, 0]
    curvature_reg = _linalg.plus_constant_regularization(
        xp, curvature, coefficient, neighbors, neighbors_sizes
    )
    reconstruction, logdet_curvature_reg, ok_curvature_reg = _linalg.cholesky_solve_logdet(
        xp, curvature_reg, data_vector, overwrite=True
    )
    _, logdet_regularization, ok_regularization = _linalg.constant_regularization_logdet(
        xp, coefficient, neighbors, neighbors_sizes
    )
    ok = ok_curvature_reg & ok_regularization
    if ok is False:
        return -xp.inf
    value = -0.5 * (
        chi_squared_data
        - xp.sum(reconstruction * data_vector)
        + logdet_curvature_reg
        - logdet_regularization
        + noise_normalization
    )
    return _linalg.value_or_minus_inf(xp, ok, value)


@validated(
    convert="numpy",
    dirty_image="f8[M] finite",
    data="c16[K] finite",
    noise_map="c16[K] finite !=0 re==im",
    w_tilde="f8[M,M] finite",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    neighbors="i8[S,P] in [-1,S)",
    neighbors_sizes="i8[S] in [0,P] counts neighbors",
    coefficient="float finite >=0",
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
    """Log evidence of the linear inversion from dense W-tilde (the MCMC step).

    ``-0.5 (chi2_data - s.D + logdet(F+H) - logdet(H) + noise_norm)`` with D = T^T d and
    F = T^T W T from the sparse rows of T (no dense mapping matrix), H the constant
    regularization with ``coefficient`` (1.0, the seed's value, by default), one Cholesky
    factor of F + H for the solve and its log-determinant and one of H. ``-inf`` when F + H
    is not positive definite.

    Method: ``w_tilde`` (family ``log_likelihood``).

    Parameters
    ----------
    dirty_image
        float64 array of shape (M,), finite
    data
        complex128 array of shape (K,), finite
    noise_map
        complex128 array of shape (K,), finite, non-zero, real part equal to imaginary part
    w_tilde
        float64 array of shape (M, M), finite
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    neighbors
        int64 array of shape (S, P), values in [-1, S)
    neighbors_sizes
        int64 array of shape (S,), values in [0, P], counting the entries of each row of neighbors before its first -1
    coefficient
        float, finite, non-negative

    Returns
    -------
    float
    """

    return _log_likelihood_function_via_w_tilde_from_impl(
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


def _log_likelihood_function_via_w_compact_from_impl(
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
    method="auto",
):
    chi_squared_data = _data_chi_squared_complex_from_impl(data, noise_map)
    noise_normalization = _noise_normalization_complex_from_impl(noise_map)
    return _log_evidence_via_w_compact_from_impl(
        dirty_image,
        chi_squared_data,
        noise_normalization,
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        neighbors,
        neighbors_sizes,
        coefficient,
        method=method,
    )


@validated(
    convert="numpy",
    dirty_image="f8[M] finite",
    data="c16[K] finite",
    noise_map="c16[K] finite !=0 re==im",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    neighbors="i8[S,P] in [-1,S)",
    neighbors_sizes="i8[S] in [0,P] counts neighbors",
    coefficient="float finite >=0",
    method="str",
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
    method="auto",
):
    """Log evidence as above, with F from the compact form by ``method``.

    ``method`` is the curvature method (``two_pass``, ``conv``, ``fft`` where the backend has
    it, or ``auto``: the rule of ``curvature_matrix_via_w_compact_sparse_mapping_matrix_from``).
    The regularization coefficient is an argument (default 1.0); ``-inf`` when F + H is not
    positive definite.

    Method: ``w_compact`` (family ``log_likelihood``).

    Parameters
    ----------
    dirty_image
        float64 array of shape (M,), finite
    data
        complex128 array of shape (K,), finite
    noise_map
        complex128 array of shape (K,), finite, non-zero, real part equal to imaginary part
    w_compact
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    neighbors
        int64 array of shape (S, P), values in [-1, S)
    neighbors_sizes
        int64 array of shape (S,), values in [0, P], counting the entries of each row of neighbors before its first -1
    coefficient
        float, finite, non-negative
    method
        str

    Returns
    -------
    float
    """

    return _log_likelihood_function_via_w_compact_from_impl(
        dirty_image,
        data,
        noise_map,
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        neighbors,
        neighbors_sizes,
        coefficient,
        method,
    )
