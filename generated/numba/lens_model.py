# This file is generated: DO NOT EDIT.
# Numba backend, kernels of spec kernels_spec/lens_model.py
# template: codegen/templates/numba/
# regenerate: nox -s generate  (or: python -m codegen)
"""Numba kernels generated from ``kernels_spec/lens_model.py``: loops, ``prange`` where race-free."""

import numba as nb
import numpy as np

from autojax import _linalg, _runtime
from autojax._validate import validated

from .mapping import _mapping_matrix_from_impl
from .mapping import _sparse_mapping_matrix_transpose_matmul_impl

xp = np


@nb.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def _curvature_matrix_cross_via_w_compact_conv_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    pix_indexes_other,
    pix_weights_other,
    pixels_other,
):
    N = w_compact.shape[0]
    S = pixels
    R = pixels_other
    _M, _B = pix_indexes_other.shape
    _cols_out = R
    _BL = pix_indexes_for_sub_slim_index.shape[1]
    _rows_out = S
    # out^T: row s (a column of T) is written by one prange iteration only
    out = np.zeros((_cols_out, _rows_out), dtype=np.float64)
    if _M == 0:
        return np.ascontiguousarray(out.T)
    # the mask's bounding box
    _r0 = native_index_for_slim_index[0, 0]
    _r1 = _r0
    _c0 = native_index_for_slim_index[0, 1]
    _c1 = _c0
    for _a in range(_M):
        _r0 = min(_r0, native_index_for_slim_index[_a, 0])
        _r1 = max(_r1, native_index_for_slim_index[_a, 0])
        _c0 = min(_c0, native_index_for_slim_index[_a, 1])
        _c1 = max(_c1, native_index_for_slim_index[_a, 1])
    _H = _r1 - _r0 + 1
    _W = _c1 - _c0 + 1
    _KW = 2 * _W - 1
    # the kernel table over every offset inside the box, row-major: [dr + H - 1, dc + W - 1]
    _table = np.empty((2 * _H - 1) * _KW, dtype=np.float64)
    for _i in nb.prange(2 * _H - 1):
        dr = _i - (_H - 1)
        for _j in range(_KW):
            dc = _j - (_W - 1)
            _table[_i * _KW + _j] = w_compact[abs(dr), (dc if dr >= 0 else -dc) + N - 1]
    # per box row: the first and last column the mask uses, and its pixels
    _lo = np.full(_H, _W, dtype=np.int64)
    _hi = np.full(_H, -1, dtype=np.int64)
    _start = np.zeros(_H + 1, dtype=np.int64)
    for _a in range(_M):
        _y = native_index_for_slim_index[_a, 0] - _r0
        _x = native_index_for_slim_index[_a, 1] - _c0
        _lo[_y] = min(_lo[_y], _x)
        _hi[_y] = max(_hi[_y], _x)
        _start[_y + 1] += 1
    for _y in range(_H):
        _start[_y + 1] += _start[_y]
    _fill = _start[:-1].copy()
    _by_row = np.empty(_M, dtype=np.int64)
    for _a in range(_M):
        _y = native_index_for_slim_index[_a, 0] - _r0
        _by_row[_fill[_y]] = _a
        _fill[_y] += 1
    # the columns of T: (row, column, weight) of each entry, grouped by column
    _colstart = np.zeros(_cols_out + 1, dtype=np.int64)
    for _a in range(_M):
        for _i in range(_B):
            _p = pix_indexes_other[_a, _i]
            if _p < 0:
                break
            _colstart[_p + 1] += 1
    for _s in range(_cols_out):
        _colstart[_s + 1] += _colstart[_s]
    _nnz = _colstart[_cols_out]
    _er = np.empty(_nnz, dtype=np.int64)
    _ec = np.empty(_nnz, dtype=np.int64)
    _ew = np.empty(_nnz, dtype=np.float64)
    _fill = _colstart[:-1].copy()
    for _a in range(_M):
        for _i in range(_B):
            _p = pix_indexes_other[_a, _i]
            if _p < 0:
                break
            _q = _fill[_p]
            _fill[_p] += 1
            _er[_q] = native_index_for_slim_index[_a, 0] - _r0
            _ec[_q] = native_index_for_slim_index[_a, 1] - _c0
            _ew[_q] = pix_weights_other[_a, _i]
    _first_row = np.zeros(_cols_out, dtype=np.int64)
    _order = np.arange(_cols_out)
    for _q in nb.prange(_cols_out):
        if _q % 2 == 0:
            _s = _order[_q // 2]
        else:
            _s = _order[_cols_out - 1 - _q // 2]
        _buf = np.empty(_W, dtype=np.float64)
        _e0 = _colstart[_s]
        _e1 = _colstart[_s + 1]
        if _e1 == _e0:
            continue
        for _y in range(_first_row[_s], _H):
            _l = _lo[_y]
            _n = _hi[_y] - _l + 1
            if _n <= 0:
                continue
            _row = _buf[_l:]
            for _c in range(_n):
                _row[_c] = 0.0
            _base = (_y + _H - 1) * _KW + _l + _W - 1
            _e = _e0
            while _e + 3 < _e1:
                _w1 = _ew[_e]
                _w2 = _ew[_e + 1]
                _w3 = _ew[_e + 2]
                _w4 = _ew[_e + 3]
                _k1 = _table[_base - _er[_e] * _KW - _ec[_e] :]
                _k2 = _table[_base - _er[_e + 1] * _KW - _ec[_e + 1] :]
                _k3 = _table[_base - _er[_e + 2] * _KW - _ec[_e + 2] :]
                _k4 = _table[_base - _er[_e + 3] * _KW - _ec[_e + 3] :]
                for _c in range(_n):
                    _row[_c] += (_w1 * _k1[_c] + _w2 * _k2[_c]) + (_w3 * _k3[_c] + _w4 * _k4[_c])
                _e += 4
            while _e < _e1:
                _w1 = _ew[_e]
                _k1 = _table[_base - _er[_e] * _KW - _ec[_e] :]
                for _c in range(_n):
                    _row[_c] += _w1 * _k1[_c]
                _e += 1
            for _q2 in range(_start[_y], _start[_y + 1]):
                _a = _by_row[_q2]
                _value = _buf[native_index_for_slim_index[_a, 1] - _c0]
                for _i in range(_BL):
                    _p = pix_indexes_for_sub_slim_index[_a, _i]
                    if _p < 0:
                        break
                    out[_s, _p] += pix_weights_for_sub_slim_index[_a, _i] * _value
    return np.ascontiguousarray(out.T)


@validated(
    convert="numpy",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
    pix_indexes_other="i8[M,Q] in [-1,R)",
    pix_weights_other="f8[M,Q] finite",
    pixels_other="int -> R >0",
)
def curvature_matrix_cross_via_w_compact_conv_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    pix_indexes_other,
    pix_weights_other,
    pixels_other,
):
    """``T^T W T_other`` (S, R), two different mappings, by direct convolution (loops).

    For each column of ``T_other`` (in parallel), the rows of ``W t`` over the mask's bounding
    box are sums of contiguous slices of the compact form's kernel table; each finished row
    is gathered at once through the sparse rows of ``T``. Every pair is formed: the block is
    not symmetric. Cost: (entries of ``T_other``) x M multiply-adds plus the gather,
    O(N^2 + S R) memory. Only Numba: JAX and the array API use ``method='fft'``.

    Method: ``conv`` (family ``curvature_matrix_cross``).

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
    pix_indexes_other
        int64 array of shape (M, Q), values in [-1, R)
    pix_weights_other
        float64 array of shape (M, Q), finite
    pixels_other
        int (= R), positive

    Returns
    -------
    float64 array of shape (S, R)
    """

    return _curvature_matrix_cross_via_w_compact_conv_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        pix_indexes_other,
        pix_weights_other,
        pixels_other,
    )


def _curvature_matrix_cross_via_w_compact_fft_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    pix_indexes_other,
    pix_weights_other,
    pixels_other,
):
    _dev = None
    N = w_compact.shape[0]
    S = pixels
    R = pixels_other
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
    _cols_out = R
    _mapping = _mapping_matrix_from_impl(pix_indexes_other, pix_weights_other, _cols_out)
    _left = _mapping_matrix_from_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, S
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
        _blocks.append(xp.matmul(xp.matrix_transpose(_left), _wt))
    return xp.concat(_blocks, axis=1)


@validated(
    convert="numpy",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
    pix_indexes_other="i8[M,Q] in [-1,R)",
    pix_weights_other="f8[M,Q] finite",
    pixels_other="int -> R >0",
)
def curvature_matrix_cross_via_w_compact_fft_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    pix_indexes_other,
    pix_weights_other,
    pixels_other,
):
    """``T^T W T_other`` (S, R), two different mappings, with ``W T_other`` by FFTs.

    Chunks of the columns of ``T_other`` are placed on the zero-padded lattice (each side at
    least 2N - 1, rounded up to an FFT-friendly length), multiplied in Fourier space by the
    transform of the kernel table, read back at the mask's pixels and gathered through the
    sparse rows of ``T``. Cost: two real FFTs of the padded lattice per column of
    ``T_other``; in JAX plain array code (jit, vmap and grad work).

    Method: ``fft`` (family ``curvature_matrix_cross``).

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
    pix_indexes_other
        int64 array of shape (M, Q), values in [-1, R)
    pix_weights_other
        float64 array of shape (M, Q), finite
    pixels_other
        int (= R), positive

    Returns
    -------
    float64 array of shape (S, R)
    """

    return _curvature_matrix_cross_via_w_compact_fft_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        pix_indexes_other,
        pix_weights_other,
        pixels_other,
    )


def _curvature_matrix_cross_via_w_compact_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    pix_indexes_other,
    pix_weights_other,
    pixels_other,
    method="auto",
):
    if method == "auto":
        method = "conv"
    if method == "conv":
        return _curvature_matrix_cross_via_w_compact_conv_from_impl(
            w_compact=w_compact,
            native_index_for_slim_index=native_index_for_slim_index,
            pix_indexes_for_sub_slim_index=pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index=pix_weights_for_sub_slim_index,
            pixels=pixels,
            pix_indexes_other=pix_indexes_other,
            pix_weights_other=pix_weights_other,
            pixels_other=pixels_other,
        )
    elif method == "fft":
        return _curvature_matrix_cross_via_w_compact_fft_from_impl(
            w_compact=w_compact,
            native_index_for_slim_index=native_index_for_slim_index,
            pix_indexes_for_sub_slim_index=pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index=pix_weights_for_sub_slim_index,
            pixels=pixels,
            pix_indexes_other=pix_indexes_other,
            pix_weights_other=pix_weights_other,
            pixels_other=pixels_other,
        )
    raise ValueError(
        "curvature_matrix_cross_via_w_compact_from: argument 'method' is "
        f"{method!r}; the numba backend has auto, conv, fft"
    )


@validated(
    convert="numpy",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
    pix_indexes_other="i8[M,Q] in [-1,R)",
    pix_weights_other="f8[M,Q] finite",
    pixels_other="int -> R >0",
    method="str",
)
def curvature_matrix_cross_via_w_compact_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    pix_indexes_other,
    pix_weights_other,
    pixels_other,
    method="auto",
):
    """``T^T W T_other`` (S, R), the block of F between two mappings, by ``method``.

    Methods: ``conv`` (direct convolution, Numba only) and ``fft`` (batched FFTs on the padded
    lattice, every backend). ``auto``: ``conv`` in Numba, ``fft`` in JAX and the array API
    (the only method they have). The transpose of the block is
    ``curvature_matrix_cross_via_w_compact_from`` with the two mappings swapped.

    Method: ``compact_sparse`` (family ``curvature_matrix_cross``).

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
    pix_indexes_other
        int64 array of shape (M, Q), values in [-1, R)
    pix_weights_other
        float64 array of shape (M, Q), finite
    pixels_other
        int (= R), positive
    method
        str

    Returns
    -------
    float64 array of shape (S, R)
    """

    return _curvature_matrix_cross_via_w_compact_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        pix_indexes_other,
        pix_weights_other,
        pixels_other,
        method,
    )


def _w_compact_matmul_function_columns_from_impl(
    w_compact, native_index_for_slim_index, function_columns
):
    _dev = None
    N = w_compact.shape[0]
    L = function_columns.shape[1]
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
    _cols_out = L
    _mapping = function_columns
    # the columns are placed on the (_H, _W) box only: the transforms pad it to the lattice
    # and read back the box's rows (_runtime.lattice_convolve)
    _flat = native_index_for_slim_index[:, 0] * _W + native_index_for_slim_index[:, 1]
    _flat_out = native_index_for_slim_index[:, 0] * _L2 + native_index_for_slim_index[:, 1]
    _gather = _runtime.inverse_positions(xp, _flat, _H * _W)
    _chunk = _runtime.fft_chunk(_L1 * _L2, _cols_out)
    # W B row-major whatever the chunks' layout (a transposed gather): its consumers (T^T W B,
    # a loop over rows) read rows
    _out = xp.empty((_M, _cols_out), dtype=xp.float64, device=_dev)
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
        _out[:, _s0 : _s0 + _n] = _wt
    return _out


@validated(
    convert="numpy",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    function_columns="f8[M,L] finite",
)
def w_compact_matmul_function_columns_from(
    w_compact, native_index_for_slim_index, function_columns
):
    """``W B`` (M, L): W-tilde, from its compact form, times dense function columns B.

    Chunks of the columns of B are placed on the zero-padded lattice at the mask's pixels,
    multiplied in Fourier space by the transform of the kernel table and read back at the
    mask's pixels; no sparse gather on either side. Cost: two real FFTs of the padded lattice
    (at least (2N - 1)^2 points) per column of B, O(N^2) memory per column in a chunk. In
    JAX plain array code, so jit, vmap and grad (with respect to B and ``w_compact``) work.

    Method: ``fft`` (family ``w_tilde_matmul_function_columns``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    function_columns
        float64 array of shape (M, L), finite

    Returns
    -------
    float64 array of shape (M, L)
    """

    return _w_compact_matmul_function_columns_from_impl(
        w_compact, native_index_for_slim_index, function_columns
    )


def _curvature_matrix_mapping_functions_via_w_compact_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    function_columns,
):
    w_b = _w_compact_matmul_function_columns_from_impl(
        w_compact, native_index_for_slim_index, function_columns
    )
    return _sparse_mapping_matrix_transpose_matmul_impl(
        w_b, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@validated(
    convert="numpy",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
    function_columns="f8[M,L] finite",
)
def curvature_matrix_mapping_functions_via_w_compact_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    function_columns,
):
    """``T^T (W B)`` (S, L), the block of F between a mapping and the function columns.

    ``W B`` by FFTs on the padded lattice (``w_compact_matmul_function_columns_from``), then
    the sparse ``T^T`` (``sparse_mapping_matrix_transpose_matmul``). Cost: two real FFTs of
    the padded lattice per function column, plus (entries of T) x L multiply-adds.

    Method: ``fft`` (family ``curvature_matrix_mapping_functions``).

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
    function_columns
        float64 array of shape (M, L), finite

    Returns
    -------
    float64 array of shape (S, L)
    """

    return _curvature_matrix_mapping_functions_via_w_compact_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        function_columns,
    )


def _curvature_matrix_functions_via_w_compact_from_impl(
    w_compact, native_index_for_slim_index, function_columns
):
    product = function_columns.T @ _w_compact_matmul_function_columns_from_impl(
        w_compact, native_index_for_slim_index, function_columns
    )
    return 0.5 * (product + product.T)


@validated(
    convert="numpy",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    function_columns="f8[M,L] finite",
)
def curvature_matrix_functions_via_w_compact_from(
    w_compact, native_index_for_slim_index, function_columns
):
    """``B^T W B`` (L, L), the block of F between the function columns, symmetrised.

    ``W B`` by FFTs on the padded lattice, then the dense product ``B^T (W B)``, returned as
    ``0.5 (X + X^T)`` so the block is exactly symmetric. Cost: two real FFTs of the padded
    lattice per function column plus M L^2 multiply-adds.

    Method: ``fft`` (family ``curvature_matrix_functions``).

    Parameters
    ----------
    w_compact
        float64 array of shape (N, W = 2*N-1), finite
    native_index_for_slim_index
        int64 array of shape (M, 2), values in [0, N)
    function_columns
        float64 array of shape (M, L), finite

    Returns
    -------
    float64 array of shape (L, L)
    """

    return _curvature_matrix_functions_via_w_compact_from_impl(
        w_compact, native_index_for_slim_index, function_columns
    )


def _data_vector_functions_from_impl(dirty_image, function_columns):
    return function_columns.T @ dirty_image


@validated(convert="numpy", dirty_image="f8[M] finite", function_columns="f8[M,L] finite")
def data_vector_functions_from(dirty_image, function_columns):
    """``B^T d`` (L): the function columns' entries of the data vector ``D = A^T d``.

    ``d`` is the (noise-weighted) dirty image over the mask. Cost: M L multiply-adds.

    Method: ``direct`` (family ``data_vector_functions``).

    Parameters
    ----------
    dirty_image
        float64 array of shape (M,), finite
    function_columns
        float64 array of shape (M, L), finite

    Returns
    -------
    float64 array of shape (L,)
    """

    return _data_vector_functions_from_impl(dirty_image, function_columns)
