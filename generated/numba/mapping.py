# This file is generated: DO NOT EDIT.
# Numba backend, kernels of spec kernels_spec/mapping.py
# template: codegen/templates/numba/
# regenerate: nox -s generate  (or: python -m codegen)
"""Numba kernels generated from ``kernels_spec/mapping.py``: loops, ``prange`` where race-free."""

import numba as nb
import numpy as np

from autojax import _linalg, _runtime
from autojax._validate import validated


xp = np


@nb.njit(cache=True, parallel=True, nogil=True)
def _mapping_matrix_from_impl(
    pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    M = pix_indexes_for_sub_slim_index.shape[0]
    B = pix_indexes_for_sub_slim_index.shape[1]
    S = pixels
    out = np.zeros((M, S), dtype=np.float64)
    for m in nb.prange(M):
        for b in range(B):
            if not (pix_indexes_for_sub_slim_index[m, b] >= 0):
                break
            out[m, pix_indexes_for_sub_slim_index[m, b]] += pix_weights_for_sub_slim_index[m, b]
    return out


@validated(
    convert="numpy",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels):
    """Dense (M, S) mapping matrix T: ``T[m, pix[m, b]] += weight[m, b]`` over each row's valid entries.

    Method: ``direct`` (family ``mapping_matrix``).

    Parameters
    ----------
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    pixels
        int (= S), positive

    Returns
    -------
    float64 array of shape (M, S), finite
    """

    return _mapping_matrix_from_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


def _data_vector_from_impl(mapping_matrix, dirty_image):
    return dirty_image @ mapping_matrix


@validated(convert="numpy", mapping_matrix="f8[M,S] finite", dirty_image="f8[M] finite")
def data_vector_from(mapping_matrix, dirty_image):
    """Data vector ``D = T^T d`` (S,), from the dense mapping matrix and the dirty image.

    Method: ``direct`` (family ``data_vector``).

    Parameters
    ----------
    mapping_matrix
        float64 array of shape (M, S), finite
    dirty_image
        float64 array of shape (M,), finite

    Returns
    -------
    float64 array of shape (S,)
    """

    return _data_vector_from_impl(mapping_matrix, dirty_image)


@nb.njit(cache=True, parallel=False, nogil=True)
def _sparse_mapping_matrix_transpose_matmul_impl(
    matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    M = matrix.shape[0]
    C = matrix.shape[1]
    B = pix_indexes_for_sub_slim_index.shape[1]
    S = pixels
    out = np.zeros((S, C), dtype=np.float64)
    for m in range(M):
        for b in range(B):
            if not (pix_indexes_for_sub_slim_index[m, b] >= 0):
                break
            for c in range(C):
                out[pix_indexes_for_sub_slim_index[m, b], c] += (
                    pix_weights_for_sub_slim_index[m, b] * matrix[m, c]
                )
    return out


@validated(
    convert="numpy",
    matrix="f8[M,C] finite",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def sparse_mapping_matrix_transpose_matmul(
    matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    """``T^T @ matrix`` (S, C) without forming T: each valid mapping adds a scaled row of ``matrix``.

    Method: ``direct`` (family ``sparse_matmul``).

    Parameters
    ----------
    matrix
        float64 array of shape (M, C), finite
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    pixels
        int (= S), positive

    Returns
    -------
    float64 array of shape (S, C)
    """

    return _sparse_mapping_matrix_transpose_matmul_impl(
        matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )
