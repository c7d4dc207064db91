# This file is generated: DO NOT EDIT.
# array-API backend, kernels of spec kernels_spec/mapping.py
# template: codegen/templates/xp/
# regenerate: nox -s generate  (or: python -m codegen)
"""Array-API kernels generated from ``kernels_spec/mapping.py``: any namespace, chunked in Python."""

from array_api_compat import array_namespace
from array_api_compat import device as _device

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size
from autojax._validate import validated


def _mapping_matrix_from_impl(
    pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    xp = array_namespace(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index)
    valid = xp.cumulative_prod(xp.astype(pix_indexes_for_sub_slim_index >= 0, xp.int64), axis=1) > 0
    hit = (
        pix_indexes_for_sub_slim_index[:, :, None]
        == xp.arange(pixels, device=_device(pix_indexes_for_sub_slim_index))[None, None, :]
    )
    weights = xp.where(valid, pix_weights_for_sub_slim_index, 0.0)
    return xp.sum(xp.where(hit, weights[:, :, None], 0.0), axis=1)


@validated(
    convert="keep",
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
    xp = array_namespace(mapping_matrix, dirty_image)
    return dirty_image @ mapping_matrix


@validated(convert="keep", mapping_matrix="f8[M,S] finite", dirty_image="f8[M] finite")
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


def _sparse_mapping_matrix_transpose_matmul_impl(
    matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    xp = array_namespace(matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index)
    mapping = _mapping_matrix_from_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )
    return mapping.T @ matrix


@validated(
    convert="keep",
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
