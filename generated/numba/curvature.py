# This file is generated: DO NOT EDIT.
# Numba backend, kernels of spec kernels_spec/curvature.py
# template: codegen/templates/numba/
# regenerate: nox -s generate  (or: python -m codegen)
"""Numba kernels generated from ``kernels_spec/curvature.py``: loops, ``prange`` where race-free."""

import numba as nb
import numpy as np

from autojax import _linalg, _runtime
from autojax._validate import validated

from .mapping import _mapping_matrix_from_impl
from .mapping import _sparse_mapping_matrix_transpose_matmul_impl
from .w_tilde import _w_tilde_via_compact_from_impl

xp = np


def _curvature_matrix_via_w_tilde_from_impl(w_tilde, mapping_matrix):
    return mapping_matrix.T @ (w_tilde @ mapping_matrix)


@validated(convert="numpy", w_tilde="f8[M,M] finite", mapping_matrix="f8[M,S] finite")
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


@nb.njit(cache=True, parallel=True, nogil=True)
def _w_tilde_matmul_sparse_mapping_matrix_from_impl(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    M = w_tilde.shape[0]
    B = pix_indexes_for_sub_slim_index.shape[1]
    S = pixels
    out = np.zeros((M, S), dtype=np.float64)
    for a in nb.prange(M):
        for b in range(M):
            for j in range(B):
                if not (pix_indexes_for_sub_slim_index[b, j] >= 0):
                    break
                out[a, pix_indexes_for_sub_slim_index[b, j]] += (
                    w_tilde[a, b] * pix_weights_for_sub_slim_index[b, j]
                )
    return out


@validated(
    convert="numpy",
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
    omega = _w_tilde_matmul_sparse_mapping_matrix_from_impl(
        w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )
    return _sparse_mapping_matrix_transpose_matmul_impl(
        omega, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@validated(
    convert="numpy",
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


@nb.njit(cache=True, parallel=True, nogil=True)
def _w_compact_matmul_sparse_mapping_matrix_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    N = w_compact.shape[0]
    M = native_index_for_slim_index.shape[0]
    B = pix_indexes_for_sub_slim_index.shape[1]
    S = pixels
    out = np.zeros((M, S), dtype=np.float64)
    for a in nb.prange(M):
        for b in range(M):
            for j in range(B):
                if not (pix_indexes_for_sub_slim_index[b, j] >= 0):
                    break
                out[a, pix_indexes_for_sub_slim_index[b, j]] += (
                    w_compact[
                        abs(native_index_for_slim_index[a, 0] - native_index_for_slim_index[b, 0]),
                        (
                            native_index_for_slim_index[a, 1] - native_index_for_slim_index[b, 1]
                            if native_index_for_slim_index[a, 0]
                            >= native_index_for_slim_index[b, 0]
                            else native_index_for_slim_index[b, 1]
                            - native_index_for_slim_index[a, 1]
                        )
                        + N
                        - 1,
                    ]
                    * pix_weights_for_sub_slim_index[b, j]
                )
    return out


@validated(
    convert="numpy",
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
    convert="numpy",
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


@nb.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def _curvature_matrix_via_w_compact_conv_from_impl_parallel(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    out,
):
    N = w_compact.shape[0]
    S = pixels
    _M, _B = pix_indexes_for_sub_slim_index.shape
    _cols_out = S
    # out (S, S) comes from the impl, allocated by NumPy
    if _M == 0:
        out[:] = 0.0
        return out
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
            _p = pix_indexes_for_sub_slim_index[_a, _i]
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
            _p = pix_indexes_for_sub_slim_index[_a, _i]
            if _p < 0:
                break
            _q = _fill[_p]
            _fill[_p] += 1
            _er[_q] = native_index_for_slim_index[_a, 0] - _r0
            _ec[_q] = native_index_for_slim_index[_a, 1] - _c0
            _ew[_q] = pix_weights_for_sub_slim_index[_a, _i]
    # rank: the columns ordered by their first entry (row-major); _first_row: its row
    _key = np.empty(_cols_out, dtype=np.int64)
    _first_row = np.zeros(_cols_out, dtype=np.int64)
    for _s in range(_cols_out):
        _best = _H * _W
        for _e in range(_colstart[_s], _colstart[_s + 1]):
            _best = min(_best, _er[_e] * _W + _ec[_e])
        if _best < _H * _W:
            _first_row[_s] = _best // _W
        _key[_s] = _best * _cols_out + _s
    _order = np.argsort(_key)
    _rank = np.empty(_cols_out, dtype=np.int64)
    for _q in range(_cols_out):
        _rank[_order[_q]] = _q
    if _H * _W <= 25600:
        # a small box: 8 columns at a time (consecutive ranks), W t over the whole box
        # for each (a buffer per column, together in cache), then every pair (s, p) with
        # rank[p] >= the group's first rank as one dot product over T's column p: no
        # scatter, the sparse rows read once per group, the pairs written once each
        _tstart = np.zeros(_cols_out + 1, dtype=np.int64)
        for _q in range(_cols_out):
            _p = _order[_q]
            _tstart[_q + 1] = _tstart[_q] + _colstart[_p + 1] - _colstart[_p]
        _tpos = np.empty(_nnz, dtype=np.int64)
        _tw = np.empty(_nnz, dtype=np.float64)
        for _q in range(_cols_out):
            _p = _order[_q]
            _t = _tstart[_q]
            for _e in range(_colstart[_p], _colstart[_p + 1]):
                _tpos[_t] = _er[_e] * _W + _ec[_e]
                _tw[_t] = _ew[_e]
                _t += 1
        _groups = (_cols_out + 7) // 8
        for _g in nb.prange(_groups):
            # long (low rank) and short groups interleaved, so prange's chunks are balanced
            if _g % 2 == 0:
                _g0 = (_g // 2) * 8
            else:
                _g0 = (_groups - 1 - _g // 2) * 8
            _ng = min(8, _cols_out - _g0)
            # the group's first row: the least first row of its columns (a column without
            # entries has first row 0 and its buffer is zero)
            _y0 = _H
            for _j in range(_ng):
                _y0 = min(_y0, _first_row[_order[_g0 + _j]])
            # only the mask's part of rows _y0.. is written and read: no need to zero the rest
            _buf = np.empty((8, _H * _W), dtype=np.float64)
            for _j in range(8):
                _e0 = 0
                _e1 = 0
                if _j < _ng:
                    _s = _order[_g0 + _j]
                    _e0 = _colstart[_s]
                    _e1 = _colstart[_s + 1]
                _bj = _buf[_j]
                for _y in range(_y0, _H):
                    _l = _lo[_y]
                    _n = _hi[_y] - _l + 1
                    if _n <= 0:
                        continue
                    _row = _bj[_y * _W + _l :]
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
                            _row[_c] += (_w1 * _k1[_c] + _w2 * _k2[_c]) + (
                                _w3 * _k3[_c] + _w4 * _k4[_c]
                            )
                        _e += 4
                    while _e < _e1:
                        _w1 = _ew[_e]
                        _k1 = _table[_base - _er[_e] * _KW - _ec[_e] :]
                        for _c in range(_n):
                            _row[_c] += _w1 * _k1[_c]
                        _e += 1
            # the group's pairs go to out in rank order (row g0 + j, column q2: the pair of
            # ranks g0 + j and q2) from column j's buffer, and the same values as one cache
            # line of each later row (the transpose); lanes past the last column are not written
            _b0 = _buf[0]
            _b1 = _buf[1]
            _b2 = _buf[2]
            _b3 = _buf[3]
            _b4 = _buf[4]
            _b5 = _buf[5]
            _b6 = _buf[6]
            _b7 = _buf[7]
            for _q2 in range(_g0, _cols_out):
                _a0 = 0.0
                _a1 = 0.0
                _a2 = 0.0
                _a3 = 0.0
                _a4 = 0.0
                _a5 = 0.0
                _a6 = 0.0
                _a7 = 0.0
                for _t in range(_tstart[_q2], _tstart[_q2 + 1]):
                    _w = _tw[_t]
                    _x = _tpos[_t]
                    _a0 += _w * _b0[_x]
                    _a1 += _w * _b1[_x]
                    _a2 += _w * _b2[_x]
                    _a3 += _w * _b3[_x]
                    _a4 += _w * _b4[_x]
                    _a5 += _w * _b5[_x]
                    _a6 += _w * _b6[_x]
                    _a7 += _w * _b7[_x]
                out[_g0, _q2] = _a0
                if 1 < _ng:
                    out[_g0 + 1, _q2] = _a1
                if 2 < _ng:
                    out[_g0 + 2, _q2] = _a2
                if 3 < _ng:
                    out[_g0 + 3, _q2] = _a3
                if 4 < _ng:
                    out[_g0 + 4, _q2] = _a4
                if 5 < _ng:
                    out[_g0 + 5, _q2] = _a5
                if 6 < _ng:
                    out[_g0 + 6, _q2] = _a6
                if 7 < _ng:
                    out[_g0 + 7, _q2] = _a7
                out[_q2, _g0] = _a0
                if 1 < _ng:
                    out[_q2, _g0 + 1] = _a1
                if 2 < _ng:
                    out[_q2, _g0 + 2] = _a2
                if 3 < _ng:
                    out[_q2, _g0 + 3] = _a3
                if 4 < _ng:
                    out[_q2, _g0 + 4] = _a4
                if 5 < _ng:
                    out[_q2, _g0 + 5] = _a5
                if 6 < _ng:
                    out[_q2, _g0 + 6] = _a6
                if 7 < _ng:
                    out[_q2, _g0 + 7] = _a7
        # a pair inside a group is written twice, the later write (from the column of lower
        # rank, as for every other pair) on both sides, so F is exactly symmetric. Then the
        # columns' own order, in place: row s becomes row rank[s] gathered through rank (a
        # row read in cache; the mirror this replaces read one entry per cache line). Rows
        # move along the cycles of s -> rank[s]: row s first (from row rank[s]), then row
        # rank[s], ..., the last from a copy of the first. A long cycle is cut into pieces
        # (of 64 rows) run in parallel, the row after each piece saved before any row moves.
        _piece = 64
        _seen = np.zeros(_cols_out, dtype=np.bool_)
        _cyc = np.empty(_cols_out, dtype=np.int64)
        _pstart = np.empty(_cols_out + 1, dtype=np.int64)
        _pnext = np.empty(_cols_out, dtype=np.int64)
        _n = 0
        _pieces = 0
        for _s in range(_cols_out):
            if _seen[_s]:
                continue
            _c0 = _n
            _x = _s
            while not _seen[_x]:
                _seen[_x] = True
                _cyc[_n] = _x
                _n += 1
                _x = _rank[_x]
            if _n - _c0 <= _piece:
                # a short cycle: one piece, its first row copied by the piece itself
                _pstart[_pieces] = _c0
                _pnext[_pieces] = -1
                _pieces += 1
            else:
                for _a in range(_c0, _n, _piece):
                    _pstart[_pieces] = _a
                    _pnext[_pieces] = _cyc[_a + _piece] if _a + _piece < _n else _cyc[_c0]
                    _pieces += 1
        _pstart[_pieces] = _n
        _saved_at = np.full(_pieces, -1, dtype=np.int64)
        _cut = 0
        for _k in range(_pieces):
            if _pnext[_k] >= 0:
                _saved_at[_k] = _cut
                _cut += 1
        _saved = np.empty((_cut, _cols_out), dtype=np.float64)
        for _k in nb.prange(_pieces):
            if _pnext[_k] >= 0:
                _saved[_saved_at[_k], :] = out[_pnext[_k]]
        for _k in nb.prange(_pieces):
            _a = _pstart[_k]
            _b = _pstart[_k + 1]
            if _pnext[_k] < 0:
                _last = out[_cyc[_a]].copy()
            else:
                _last = _saved[_saved_at[_k]]
            for _i in range(_a, _b):
                _to = out[_cyc[_i]]
                _from = out[_cyc[_i + 1]] if _i + 1 < _b else _last
                for _p in range(_cols_out):
                    _to[_p] = _from[_rank[_p]]
        return out
    out[:] = 0.0
    for _q in nb.prange(_cols_out):
        if _q % 2 == 0:
            _s = _order[_q // 2]
        else:
            _s = _order[_cols_out - 1 - _q // 2]
        _rs = _rank[_s]
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
                for _i in range(_B):
                    _p = pix_indexes_for_sub_slim_index[_a, _i]
                    if _p < 0:
                        break
                    if _rank[_p] >= _rs:
                        out[_s, _p] += pix_weights_for_sub_slim_index[_a, _i] * _value
    # the mirror: out[s, p] for rank[p] < rank[s] was formed as out[p, s]
    for _s in nb.prange(_cols_out):
        _rs = _rank[_s]
        for _p in range(_cols_out):
            if _rank[_p] < _rs:
                out[_s, _p] = out[_p, _s]
    return out


@nb.njit(cache=True, parallel=False, nogil=True, fastmath={"contract"})
def _curvature_matrix_via_w_compact_conv_from_impl_serial(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    out,
):
    N = w_compact.shape[0]
    S = pixels
    _M, _B = pix_indexes_for_sub_slim_index.shape
    _cols_out = S
    # out (S, S) comes from the impl, allocated by NumPy
    if _M == 0:
        out[:] = 0.0
        return out
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
            _p = pix_indexes_for_sub_slim_index[_a, _i]
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
            _p = pix_indexes_for_sub_slim_index[_a, _i]
            if _p < 0:
                break
            _q = _fill[_p]
            _fill[_p] += 1
            _er[_q] = native_index_for_slim_index[_a, 0] - _r0
            _ec[_q] = native_index_for_slim_index[_a, 1] - _c0
            _ew[_q] = pix_weights_for_sub_slim_index[_a, _i]
    # rank: the columns ordered by their first entry (row-major); _first_row: its row
    _key = np.empty(_cols_out, dtype=np.int64)
    _first_row = np.zeros(_cols_out, dtype=np.int64)
    for _s in range(_cols_out):
        _best = _H * _W
        for _e in range(_colstart[_s], _colstart[_s + 1]):
            _best = min(_best, _er[_e] * _W + _ec[_e])
        if _best < _H * _W:
            _first_row[_s] = _best // _W
        _key[_s] = _best * _cols_out + _s
    _order = np.argsort(_key)
    _rank = np.empty(_cols_out, dtype=np.int64)
    for _q in range(_cols_out):
        _rank[_order[_q]] = _q
    if _H * _W <= 25600:
        # a small box: 8 columns at a time (consecutive ranks), W t over the whole box
        # for each (a buffer per column, together in cache), then every pair (s, p) with
        # rank[p] >= the group's first rank as one dot product over T's column p: no
        # scatter, the sparse rows read once per group, the pairs written once each
        _tstart = np.zeros(_cols_out + 1, dtype=np.int64)
        for _q in range(_cols_out):
            _p = _order[_q]
            _tstart[_q + 1] = _tstart[_q] + _colstart[_p + 1] - _colstart[_p]
        _tpos = np.empty(_nnz, dtype=np.int64)
        _tw = np.empty(_nnz, dtype=np.float64)
        for _q in range(_cols_out):
            _p = _order[_q]
            _t = _tstart[_q]
            for _e in range(_colstart[_p], _colstart[_p + 1]):
                _tpos[_t] = _er[_e] * _W + _ec[_e]
                _tw[_t] = _ew[_e]
                _t += 1
        _groups = (_cols_out + 7) // 8
        for _g in nb.prange(_groups):
            # long (low rank) and short groups interleaved, so prange's chunks are balanced
            if _g % 2 == 0:
                _g0 = (_g // 2) * 8
            else:
                _g0 = (_groups - 1 - _g // 2) * 8
            _ng = min(8, _cols_out - _g0)
            # the group's first row: the least first row of its columns (a column without
            # entries has first row 0 and its buffer is zero)
            _y0 = _H
            for _j in range(_ng):
                _y0 = min(_y0, _first_row[_order[_g0 + _j]])
            # only the mask's part of rows _y0.. is written and read: no need to zero the rest
            _buf = np.empty((8, _H * _W), dtype=np.float64)
            for _j in range(8):
                _e0 = 0
                _e1 = 0
                if _j < _ng:
                    _s = _order[_g0 + _j]
                    _e0 = _colstart[_s]
                    _e1 = _colstart[_s + 1]
                _bj = _buf[_j]
                for _y in range(_y0, _H):
                    _l = _lo[_y]
                    _n = _hi[_y] - _l + 1
                    if _n <= 0:
                        continue
                    _row = _bj[_y * _W + _l :]
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
                            _row[_c] += (_w1 * _k1[_c] + _w2 * _k2[_c]) + (
                                _w3 * _k3[_c] + _w4 * _k4[_c]
                            )
                        _e += 4
                    while _e < _e1:
                        _w1 = _ew[_e]
                        _k1 = _table[_base - _er[_e] * _KW - _ec[_e] :]
                        for _c in range(_n):
                            _row[_c] += _w1 * _k1[_c]
                        _e += 1
            # the group's pairs go to out in rank order (row g0 + j, column q2: the pair of
            # ranks g0 + j and q2) from column j's buffer, and the same values as one cache
            # line of each later row (the transpose); lanes past the last column are not written
            _b0 = _buf[0]
            _b1 = _buf[1]
            _b2 = _buf[2]
            _b3 = _buf[3]
            _b4 = _buf[4]
            _b5 = _buf[5]
            _b6 = _buf[6]
            _b7 = _buf[7]
            for _q2 in range(_g0, _cols_out):
                _a0 = 0.0
                _a1 = 0.0
                _a2 = 0.0
                _a3 = 0.0
                _a4 = 0.0
                _a5 = 0.0
                _a6 = 0.0
                _a7 = 0.0
                for _t in range(_tstart[_q2], _tstart[_q2 + 1]):
                    _w = _tw[_t]
                    _x = _tpos[_t]
                    _a0 += _w * _b0[_x]
                    _a1 += _w * _b1[_x]
                    _a2 += _w * _b2[_x]
                    _a3 += _w * _b3[_x]
                    _a4 += _w * _b4[_x]
                    _a5 += _w * _b5[_x]
                    _a6 += _w * _b6[_x]
                    _a7 += _w * _b7[_x]
                out[_g0, _q2] = _a0
                if 1 < _ng:
                    out[_g0 + 1, _q2] = _a1
                if 2 < _ng:
                    out[_g0 + 2, _q2] = _a2
                if 3 < _ng:
                    out[_g0 + 3, _q2] = _a3
                if 4 < _ng:
                    out[_g0 + 4, _q2] = _a4
                if 5 < _ng:
                    out[_g0 + 5, _q2] = _a5
                if 6 < _ng:
                    out[_g0 + 6, _q2] = _a6
                if 7 < _ng:
                    out[_g0 + 7, _q2] = _a7
                out[_q2, _g0] = _a0
                if 1 < _ng:
                    out[_q2, _g0 + 1] = _a1
                if 2 < _ng:
                    out[_q2, _g0 + 2] = _a2
                if 3 < _ng:
                    out[_q2, _g0 + 3] = _a3
                if 4 < _ng:
                    out[_q2, _g0 + 4] = _a4
                if 5 < _ng:
                    out[_q2, _g0 + 5] = _a5
                if 6 < _ng:
                    out[_q2, _g0 + 6] = _a6
                if 7 < _ng:
                    out[_q2, _g0 + 7] = _a7
        # a pair inside a group is written twice, the later write (from the column of lower
        # rank, as for every other pair) on both sides, so F is exactly symmetric. Then the
        # columns' own order, in place: row s becomes row rank[s] gathered through rank (a
        # row read in cache; the mirror this replaces read one entry per cache line). Rows
        # move along the cycles of s -> rank[s]: row s first (from row rank[s]), then row
        # rank[s], ..., the last from a copy of the first. A long cycle is cut into pieces
        # (of 64 rows) run in parallel, the row after each piece saved before any row moves.
        _piece = 64
        _seen = np.zeros(_cols_out, dtype=np.bool_)
        _cyc = np.empty(_cols_out, dtype=np.int64)
        _pstart = np.empty(_cols_out + 1, dtype=np.int64)
        _pnext = np.empty(_cols_out, dtype=np.int64)
        _n = 0
        _pieces = 0
        for _s in range(_cols_out):
            if _seen[_s]:
                continue
            _c0 = _n
            _x = _s
            while not _seen[_x]:
                _seen[_x] = True
                _cyc[_n] = _x
                _n += 1
                _x = _rank[_x]
            if _n - _c0 <= _piece:
                # a short cycle: one piece, its first row copied by the piece itself
                _pstart[_pieces] = _c0
                _pnext[_pieces] = -1
                _pieces += 1
            else:
                for _a in range(_c0, _n, _piece):
                    _pstart[_pieces] = _a
                    _pnext[_pieces] = _cyc[_a + _piece] if _a + _piece < _n else _cyc[_c0]
                    _pieces += 1
        _pstart[_pieces] = _n
        _saved_at = np.full(_pieces, -1, dtype=np.int64)
        _cut = 0
        for _k in range(_pieces):
            if _pnext[_k] >= 0:
                _saved_at[_k] = _cut
                _cut += 1
        _saved = np.empty((_cut, _cols_out), dtype=np.float64)
        for _k in nb.prange(_pieces):
            if _pnext[_k] >= 0:
                _saved[_saved_at[_k], :] = out[_pnext[_k]]
        for _k in nb.prange(_pieces):
            _a = _pstart[_k]
            _b = _pstart[_k + 1]
            if _pnext[_k] < 0:
                _last = out[_cyc[_a]].copy()
            else:
                _last = _saved[_saved_at[_k]]
            for _i in range(_a, _b):
                _to = out[_cyc[_i]]
                _from = out[_cyc[_i + 1]] if _i + 1 < _b else _last
                for _p in range(_cols_out):
                    _to[_p] = _from[_rank[_p]]
        return out
    out[:] = 0.0
    for _q in nb.prange(_cols_out):
        if _q % 2 == 0:
            _s = _order[_q // 2]
        else:
            _s = _order[_cols_out - 1 - _q // 2]
        _rs = _rank[_s]
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
                for _i in range(_B):
                    _p = pix_indexes_for_sub_slim_index[_a, _i]
                    if _p < 0:
                        break
                    if _rank[_p] >= _rs:
                        out[_s, _p] += pix_weights_for_sub_slim_index[_a, _i] * _value
    # the mirror: out[s, p] for rank[p] < rank[s] was formed as out[p, s]
    for _s in nb.prange(_cols_out):
        _rs = _rank[_s]
        for _p in range(_cols_out):
            if _rank[_p] < _rs:
                out[_s, _p] = out[_p, _s]
    return out


def _curvature_matrix_via_w_compact_conv_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    out=None,
):
    """out = the result, written into ``out`` (C-ordered float64 of the result's shape, every
    entry overwritten) when given: JAX's host callback passes its output buffer."""
    S = pixels
    _M, _B = pix_indexes_for_sub_slim_index.shape
    _cols_out = S
    # the result is allocated here: NumPy backs large arrays with huge pages where the
    # system allows it, so their first touch costs a fraction of what Numba's allocation
    # does (about 25 ms per 72 MB on a VM with 4 KiB pages)
    if out is None:
        out = np.empty((_cols_out, _cols_out), dtype=np.float64)
    # little work: one thread (waking the pool for each parallel loop costs more there)
    if _M * _M * _B <= 2097152:
        return _curvature_matrix_via_w_compact_conv_from_impl_serial(
            w_compact,
            native_index_for_slim_index,
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
            pixels,
            out,
        )
    return _curvature_matrix_via_w_compact_conv_from_impl_parallel(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        out,
    )


@validated(
    convert="numpy",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def curvature_matrix_via_w_compact_conv_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """``F = T^T (W T)`` by direct convolution over the mask's bounding box (loops).

    W-tilde is stationary on the pixel lattice, ``W[a, b] = C(r_a - r_b)``, so for a source
    column t, ``W t`` is the 2-D convolution of t with the kernel table of the compact form.
    Per column (in parallel) and per row of the box, a row of ``W t`` is a sum of contiguous
    slices of the table, over the columns the mask uses; it is gathered through the sparse
    rows while in cache. A box of at most 160 x 160 takes eight columns at a time instead, W t
    over the whole box for each, and every entry of F as one dot product over a column of T
    (no scatter; at M = 716 about 2x faster). Cost: (entries of T) x M multiply-adds, O(N^2)
    memory. In JAX the same
    compiled loop runs on the host, writing F into the buffer XLA allocates for it
    (``jax.experimental.buffer_callback`` on the CPU, else ``jax.pure_callback``; jit, vmap and
    grad keep working: the gradient with respect to the weights of T is a generated gather over
    W T).

    Method: ``conv`` (family ``curvature_matrix``).

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

    return _curvature_matrix_via_w_compact_conv_from_impl(
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
    _dev = None
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
    convert="numpy",
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
        method = "conv"
    if method == "two_pass":
        return _curvature_matrix_via_w_compact_two_pass_from_impl(
            w_compact=w_compact,
            native_index_for_slim_index=native_index_for_slim_index,
            pix_indexes_for_sub_slim_index=pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index=pix_weights_for_sub_slim_index,
            pixels=pixels,
        )
    elif method == "conv":
        return _curvature_matrix_via_w_compact_conv_from_impl(
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
        f"{method!r}; the numba backend has auto, two_pass, conv, fft"
    )


@validated(
    convert="numpy",
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


@nb.njit(cache=True, parallel=False, nogil=True)
def _curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    N = w_compact.shape[0]
    M = native_index_for_slim_index.shape[0]
    B = pix_indexes_for_sub_slim_index.shape[1]
    S = pixels
    out = np.zeros((S, S), dtype=np.float64)
    for a in range(M):
        for i in range(B):
            if not (pix_indexes_for_sub_slim_index[a, i] >= 0):
                break
            for b in range(M):
                for j in range(B):
                    if not (pix_indexes_for_sub_slim_index[b, j] >= 0):
                        break
                    out[
                        pix_indexes_for_sub_slim_index[a, i], pix_indexes_for_sub_slim_index[b, j]
                    ] += (
                        w_compact[
                            abs(
                                native_index_for_slim_index[a, 0]
                                - native_index_for_slim_index[b, 0]
                            ),
                            (
                                native_index_for_slim_index[a, 1]
                                - native_index_for_slim_index[b, 1]
                                if native_index_for_slim_index[a, 0]
                                >= native_index_for_slim_index[b, 0]
                                else native_index_for_slim_index[b, 1]
                                - native_index_for_slim_index[a, 1]
                            )
                            + N
                            - 1,
                        ]
                        * pix_weights_for_sub_slim_index[a, i]
                        * pix_weights_for_sub_slim_index[b, j]
                    )
    return out


@validated(
    convert="numpy",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """F in one pass over image-pixel pairs (a, b) and their mappings (i, j).

    ``F[pix[a,i], pix[b,j]] += W[a,b] w[a,i] w[b,j]``: the least memory, the most flops.

    Method: ``compact_sparse_direct`` (family ``curvature_matrix``).

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

    return _curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


curvature_matrix_via_w_tilde_sparse_mapping_matrix_from = (
    curvature_matrix_via_w_wilde_sparse_mapping_matrix_from
)
"""Alias of ``curvature_matrix_via_w_wilde_sparse_mapping_matrix_from``: the correctly spelled name."""

curvature_matrix_via_w_tilde_curvature_preload_interferometer_from = (
    curvature_matrix_via_w_compact_sparse_mapping_matrix_from
)
"""Alias of ``curvature_matrix_via_w_compact_sparse_mapping_matrix_from``: the upstream name, served by the compact form (arguments as the compact method)."""
