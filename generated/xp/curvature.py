# This file is generated: DO NOT EDIT.
# array-API backend, kernels of spec kernels_spec/curvature.py
# template: codegen/templates/xp/
# regenerate: nox -s generate  (or: python -m codegen)
"""Array-API kernels generated from ``kernels_spec/curvature.py``: any namespace, chunked in Python."""

from array_api_compat import array_namespace
from array_api_compat import device as _device

from autojax import _runtime
from autojax._runtime import chunk_size
from autojax._validate import validated

from .mapping import _mapping_matrix_from_impl
from .mapping import _sparse_mapping_matrix_transpose_matmul_impl
from .w_tilde import _w_tilde_via_compact_from_impl


def _curvature_matrix_via_w_tilde_from_impl(w_tilde, mapping_matrix):
    xp = array_namespace(w_tilde, mapping_matrix)
    return mapping_matrix.T @ (w_tilde @ mapping_matrix)


@validated(convert="keep", w_tilde="f8[M,M]", mapping_matrix="f8[M,S]")
def curvature_matrix_via_w_tilde_from(w_tilde, mapping_matrix):
    """``F = T^T W T`` with dense W-tilde and dense mapping matrix.

    Method: ``dense`` (family ``curvature_matrix``).

    Parameters
    ----------
    w_tilde
        float64 array of shape (M, M)
    mapping_matrix
        float64 array of shape (M, S)

    Returns
    -------
    float64 array of shape (S, S)
    """

    return _curvature_matrix_via_w_tilde_from_impl(w_tilde, mapping_matrix)


def _w_tilde_matmul_sparse_mapping_matrix_from_impl(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    xp = array_namespace(w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index)
    return w_tilde @ _mapping_matrix_from_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@validated(
    convert="keep",
    w_tilde="f8[M,M]",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B]",
    pixels="int -> S",
)
def _w_tilde_matmul_sparse_mapping_matrix_from(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    """``W T`` (M, S) from dense W-tilde and the sparse rows of T.

    Method: ``direct`` (family ``sparse_matmul``).

    Parameters
    ----------
    w_tilde
        float64 array of shape (M, M)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (M, S)
    """

    return _w_tilde_matmul_sparse_mapping_matrix_from_impl(
        w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


def _curvature_matrix_via_w_wilde_sparse_mapping_matrix_from_impl(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    xp = array_namespace(w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index)
    omega = _w_tilde_matmul_sparse_mapping_matrix_from_impl(
        w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )
    return _sparse_mapping_matrix_transpose_matmul_impl(
        omega, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@validated(
    convert="keep",
    w_tilde="f8[M,M]",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B]",
    pixels="int -> S",
)
def curvature_matrix_via_w_wilde_sparse_mapping_matrix_from(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    """``F = T^T (W T)`` from dense W-tilde and the sparse rows of T (the seed's spelling, "wilde").

    Method: ``sparse`` (family ``curvature_matrix``).

    Parameters
    ----------
    w_tilde
        float64 array of shape (M, M)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (S, S)
    """

    return _curvature_matrix_via_w_wilde_sparse_mapping_matrix_from_impl(
        w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


def _w_compact_matmul_sparse_mapping_matrix_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    xp = array_namespace(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
    )
    w_tilde = _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index)
    return w_tilde @ _mapping_matrix_from_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@validated(
    convert="keep",
    w_compact="f8[N,W]",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B]",
    pixels="int -> S",
)
def _w_compact_matmul_sparse_mapping_matrix_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """``W T`` (M, S), reading W-tilde from the compact form and T from its sparse rows.

    Method: ``compact`` (family ``sparse_matmul``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W)
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (M, S)
    """

    return _w_compact_matmul_sparse_mapping_matrix_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


def _curvature_matrix_via_w_compact_two_pass_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    xp = array_namespace(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
    )
    omega = _w_compact_matmul_sparse_mapping_matrix_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )
    return _sparse_mapping_matrix_transpose_matmul_impl(
        omega, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@validated(
    convert="keep",
    w_compact="f8[N,W]",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B]",
    pixels="int -> S",
)
def curvature_matrix_via_w_compact_two_pass_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """``F = T^T (W T)`` from the compact form and sparse T, in two passes.

    Method: ``two_pass`` (family ``curvature_matrix``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W)
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (S, S)
    """

    return _curvature_matrix_via_w_compact_two_pass_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


def _curvature_matrix_via_w_compact_sparse_mapping_matrix_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    method="auto",
):
    if method == "auto":
        method = "two_pass"
    if method == "two_pass":
        return _curvature_matrix_via_w_compact_two_pass_from_impl(
            w_compact=w_compact,
            native_index_for_slim_index=native_index_for_slim_index,
            pix_indexes_for_sub_slim_index=pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index=pix_weights_for_sub_slim_index,
            pixels=pixels,
        )
    raise ValueError(
        "curvature_matrix_via_w_compact_sparse_mapping_matrix_from: argument 'method' is "
        f"{method!r}; the xp backend has auto, two_pass"
    )


@validated(
    convert="keep",
    w_compact="f8[N,W]",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B]",
    pixels="int -> S",
    method="str",
)
def curvature_matrix_via_w_compact_sparse_mapping_matrix_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    method="auto",
):
    """``F = T^T W T`` from the compact form and the sparse rows of T, by ``method``.

    Methods: ``two_pass`` (W T by a scatter over pixel pairs, then T^T).

    Method: ``compact_sparse`` (family ``curvature_matrix``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W)
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B)
    pixels
        int (= S)
    method
        str

    Returns
    -------
    float64 array of shape (S, S)
    """

    return _curvature_matrix_via_w_compact_sparse_mapping_matrix_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        method,
    )


curvature_matrix_via_w_tilde_sparse_mapping_matrix_from = (
    curvature_matrix_via_w_wilde_sparse_mapping_matrix_from
)
"""Alias of ``curvature_matrix_via_w_wilde_sparse_mapping_matrix_from``: the correctly spelled name."""

curvature_matrix_via_w_tilde_curvature_preload_interferometer_from = (
    curvature_matrix_via_w_compact_sparse_mapping_matrix_from
)
"""Alias of ``curvature_matrix_via_w_compact_sparse_mapping_matrix_from``: the upstream name, served by the compact form (arguments as the compact method)."""
