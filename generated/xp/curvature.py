# This file is generated: DO NOT EDIT.
# array-API backend, kernels of spec kernels_spec/curvature.py
# template: codegen/templates/xp/
# regenerate: nox -s generate  (or: python -m codegen)
"""Array-API kernels generated from ``kernels_spec/curvature.py``: any namespace, chunked in Python."""

from array_api_compat import array_namespace
from array_api_compat import device as _device

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size
from autojax._validate import validated

from .mapping import _mapping_matrix_from_impl
from .mapping import _sparse_mapping_matrix_transpose_matmul_impl
from .w_tilde import _w_tilde_via_compact_from_impl


def _curvature_matrix_via_w_tilde_from_impl(w_tilde, mapping_matrix):
    xp = array_namespace(w_tilde, mapping_matrix)
    return mapping_matrix.T @ (w_tilde @ mapping_matrix)


@validated(convert="keep", w_tilde="f8[M,M] finite", mapping_matrix="f8[M,S] finite")
def curvature_matrix_via_w_tilde_from(w_tilde, mapping_matrix):
    """``F = T^T W T`` with dense W-tilde and dense mapping matrix.

    Method: ``dense`` (family ``curvature_matrix``).

    Parameters
    ----------
    w_tilde
        float64 array of shape (M, M), finite
    mapping_matrix
        float64 array of shape (M, S), finite

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
    w_tilde="f8[M,M] finite",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def _w_tilde_matmul_sparse_mapping_matrix_from(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    """``W T`` (M, S) from dense W-tilde and the sparse rows of T.

    Method: ``direct`` (family ``sparse_matmul``).

    Parameters
    ----------
    w_tilde
        float64 array of shape (M, M), finite
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
    w_tilde="f8[M,M] finite",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def curvature_matrix_via_w_wilde_sparse_mapping_matrix_from(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    """``F = T^T (W T)`` from dense W-tilde and the sparse rows of T (the seed's spelling, "wilde").

    Method: ``sparse`` (family ``curvature_matrix``).

    Parameters
    ----------
    w_tilde
        float64 array of shape (M, M), finite
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    pixels
        int (= S), positive

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
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
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
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
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
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
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
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    pixels
        int (= S), positive

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


def _curvature_matrix_via_w_compact_fft_from_impl(
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
    _dev = _device(native_index_for_slim_index)
    N = w_compact.shape[0]
    S = pixels
    _H, _W = N, N
    _L1, _L2 = _runtime.fft_size(2 * _H - 1), _runtime.fft_size(2 * _W - 1)
    dr = xp.reshape(xp.arange(-(_H - 1), _H, device=_dev), (-1, 1))
    dc = xp.reshape(xp.arange(-(_W - 1), _W, device=_dev), (1, -1))
    _table = xp.broadcast_to(
        xp.astype(w_compact[xp.abs(dr), xp.where(dr >= 0, dc, -dc) + N - 1], xp.float64),
        (2 * _H - 1, 2 * _W - 1),
    )
    _khat = _runtime.rfftn(xp, _runtime.circular_layout(xp, _table, _H, _W, _L1, _L2), (0, 1))
    _M = native_index_for_slim_index.shape[0]
    _cols_out = S
    _mapping = _mapping_matrix_from_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, _cols_out
    )
    # the columns are placed on the (_H, _W) box only: the transforms pad it to the lattice
    # and read back the box's rows (_runtime.lattice_convolve)
    _flat = native_index_for_slim_index[:, 0] * _W + native_index_for_slim_index[:, 1]
    _flat_out = native_index_for_slim_index[:, 0] * _L2 + native_index_for_slim_index[:, 1]
    _gather = _runtime.inverse_positions(xp, _flat, _H * _W)
    _chunk = _runtime.fft_chunk(_L1 * _L2, _cols_out)
    _blocks = []
    for _s0 in range(0, _cols_out, _chunk):
        _t = _mapping[:, _s0 : min(_s0 + _chunk, _cols_out)]
        _n = _t.shape[1]
        # the columns lead (n, H, W): every transform then runs over contiguous or evenly
        # strided lines of one column (alma, 20 columns: 7.5 ms against 10.8 ms trailing)
        _padded = xp.concat(
            [xp.matrix_transpose(_t), xp.zeros((_n, 1), dtype=xp.float64, device=_dev)], axis=1
        )
        _grid = xp.reshape(xp.take(_padded, _gather, axis=1), (_n, _H, _W))
        _wt = _runtime.lattice_convolve(xp, _grid, _khat[None, :, :], _L1, _L2, (1, 2))
        _wt = xp.matrix_transpose(xp.take(xp.reshape(_wt, (_n, _H * _L2)), _flat_out, axis=1))
        _blocks.append(xp.matmul(xp.matrix_transpose(_mapping), _wt))
    return xp.concat(_blocks, axis=1)


@validated(
    convert="keep",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def curvature_matrix_via_w_compact_fft_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """``F = T^T (W T)`` with W T by FFTs on the zero-padded lattice (batched over columns).

    Each chunk of source columns is placed on a lattice of at least (2N-1) x (2N-1) (rounded
    up to FFT-friendly lengths), transformed, multiplied by the transform of the compact
    form's kernel table in circular layout, transformed back and read at the mask's pixels;
    then ``T^T``. Cost: two real FFTs of the padded lattice per source pixel; the natural GPU
    route.

    Method: ``fft`` (family ``curvature_matrix``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    pixels
        int (= S), positive

    Returns
    -------
    float64 array of shape (S, S)
    """

    return _curvature_matrix_via_w_compact_fft_from_impl(
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
        M = native_index_for_slim_index.shape[0]
        method = "two_pass" if M <= 4000 else "fft"
    if method == "two_pass":
        return _curvature_matrix_via_w_compact_two_pass_from_impl(
            w_compact=w_compact,
            native_index_for_slim_index=native_index_for_slim_index,
            pix_indexes_for_sub_slim_index=pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index=pix_weights_for_sub_slim_index,
            pixels=pixels,
        )
    elif method == "fft":
        return _curvature_matrix_via_w_compact_fft_from_impl(
            w_compact=w_compact,
            native_index_for_slim_index=native_index_for_slim_index,
            pix_indexes_for_sub_slim_index=pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index=pix_weights_for_sub_slim_index,
            pixels=pixels,
        )
    raise ValueError(
        "curvature_matrix_via_w_compact_sparse_mapping_matrix_from: argument 'method' is "
        f"{method!r}; the xp backend has auto, two_pass, fft"
    )


@validated(
    convert="keep",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
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

    Methods: ``two_pass`` (W T by a scatter over pixel pairs, then T^T), ``conv`` (direct
    convolution over the mask's bounding box: Numba's loop, in JAX called on the host) and ``fft`` (batched FFTs on the padded
    lattice). ``auto`` picks by the measured crossovers (README, "Methods").

    Method: ``compact_sparse`` (family ``curvature_matrix``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B), finite
    pixels
        int (= S), positive
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
