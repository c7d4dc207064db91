# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/curvature.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/curvature.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

import numba as nb
import numpy as np
from jax.custom_derivatives import SymbolicZero

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size, require_x64, scan_chunks, scatter_chunk_size
from autojax._validate import validated

from ..numba.curvature import (
    _curvature_matrix_via_w_compact_conv_from_impl as _curvature_matrix_via_w_compact_conv_from_impl_numba,
)
from ..numba.curvature import (
    _curvature_matrix_via_w_compact_conv_from_impl_serial as _curvature_matrix_via_w_compact_conv_from_impl_numba_serial,
)
from .mapping import _mapping_matrix_from_BCOO_impl
from .mapping import _mapping_matrix_from_impl
from .mapping import _sparse_mapping_matrix_transpose_matmul_impl
from .w_tilde import _w_tilde_via_compact_from_impl

xp = jnp


@partial(jax.jit, static_argnames=[])
def _curvature_matrix_via_w_tilde_from_impl(w_tilde, mapping_matrix):
    return mapping_matrix.T @ (w_tilde @ mapping_matrix)


@validated(convert="jax", w_tilde="f8[M,M] finite", mapping_matrix="f8[M,S] finite")
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

    require_x64("curvature_matrix_via_w_tilde_from")
    return _curvature_matrix_via_w_tilde_from_impl(w_tilde, mapping_matrix)


@partial(jax.jit, static_argnames=["pixels"])
def _w_tilde_matmul_sparse_mapping_matrix_from_impl(
    w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    M = w_tilde.shape[0]
    B = pix_indexes_for_sub_slim_index.shape[1]
    S = pixels
    b = jnp.arange(M).reshape((-1, 1, 1))
    j = jnp.arange(B).reshape((1, -1, 1))
    _outer = M
    if _outer == 0:  # nothing to add (e.g. M = 0); gathers from empty arrays would fail
        return jnp.zeros((M, S), dtype=jnp.float64)
    _chunk = chunk_size((M) * (B), _outer)

    def _step(_, _c):
        a = _c * _chunk + jnp.arange(_chunk).reshape((1, 1, -1))
        live = a < _outer
        a = jnp.minimum(a, _outer - 1)
        live = live & (
            jnp.cumprod((pix_indexes_for_sub_slim_index[b, j] >= 0).astype(jnp.int32), axis=1) > 0
        )
        live = jnp.broadcast_to(live, (M, B, _chunk))
        block = jnp.zeros((S, _chunk), dtype=jnp.float64)
        _index0 = jnp.broadcast_to(pix_indexes_for_sub_slim_index[b, j], (M, B, 1)).reshape(-1)
        _value = jnp.broadcast_to(
            jnp.where(live, w_tilde[a, b] * pix_weights_for_sub_slim_index[b, j], 0.0),
            (M, B, _chunk),
        )
        block = block.at[_index0].add(_value.reshape((-1, _chunk)))
        return None, block

    _, blocks = scan_chunks(_step, None, -(-_outer // _chunk))
    out = jnp.moveaxis(blocks, 0, 1).reshape((S, -1))
    out = lax.slice_in_dim(out, 0, _outer, axis=1)
    return jnp.transpose(out, (1, 0))


@validated(
    convert="jax",
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

    require_x64("_w_tilde_matmul_sparse_mapping_matrix_from")
    return _w_tilde_matmul_sparse_mapping_matrix_from_impl(
        w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@partial(jax.jit, static_argnames=["pixels"])
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
    convert="jax",
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

    require_x64("curvature_matrix_via_w_wilde_sparse_mapping_matrix_from")
    return _curvature_matrix_via_w_wilde_sparse_mapping_matrix_from_impl(
        w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@partial(jax.jit, static_argnames=["pixels"])
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
    b = jnp.arange(M).reshape((-1, 1, 1))
    j = jnp.arange(B).reshape((1, -1, 1))
    _outer = M
    if _outer == 0:  # nothing to add (e.g. M = 0); gathers from empty arrays would fail
        return jnp.zeros((M, S), dtype=jnp.float64)
    _chunk = chunk_size((M) * (B), _outer)

    def _step(_, _c):
        a = _c * _chunk + jnp.arange(_chunk).reshape((1, 1, -1))
        live = a < _outer
        a = jnp.minimum(a, _outer - 1)
        live = live & (
            jnp.cumprod((pix_indexes_for_sub_slim_index[b, j] >= 0).astype(jnp.int32), axis=1) > 0
        )
        live = jnp.broadcast_to(live, (M, B, _chunk))
        block = jnp.zeros((S, _chunk), dtype=jnp.float64)
        _index0 = jnp.broadcast_to(pix_indexes_for_sub_slim_index[b, j], (M, B, 1)).reshape(-1)
        _value = jnp.broadcast_to(
            jnp.where(
                live,
                w_compact[
                    jnp.abs(native_index_for_slim_index[a, 0] - native_index_for_slim_index[b, 0]),
                    jnp.where(
                        native_index_for_slim_index[a, 0] >= native_index_for_slim_index[b, 0],
                        native_index_for_slim_index[a, 1] - native_index_for_slim_index[b, 1],
                        native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1],
                    )
                    + N
                    - 1,
                ]
                * pix_weights_for_sub_slim_index[b, j],
                0.0,
            ),
            (M, B, _chunk),
        )
        block = block.at[_index0].add(_value.reshape((-1, _chunk)))
        return None, block

    _, blocks = scan_chunks(_step, None, -(-_outer // _chunk))
    out = jnp.moveaxis(blocks, 0, 1).reshape((S, -1))
    out = lax.slice_in_dim(out, 0, _outer, axis=1)
    return jnp.transpose(out, (1, 0))


@validated(
    convert="jax",
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

    require_x64("_w_compact_matmul_sparse_mapping_matrix_from")
    return _w_compact_matmul_sparse_mapping_matrix_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


@partial(jax.jit, static_argnames=["pixels"])
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
    convert="jax",
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

    require_x64("curvature_matrix_via_w_compact_two_pass_from")
    return _curvature_matrix_via_w_compact_two_pass_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


@partial(jax.jit, static_argnames=["pixels"])
def _curvature_matrix_via_w_compact_conv_from_impl_array(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    N = w_compact.shape[0]
    S = pixels
    _H, _W = N, N
    _L1, _L2 = _runtime.fft_size(2 * _H - 1), _runtime.fft_size(2 * _W - 1)
    dr = jnp.arange(-(_H - 1), _H).reshape((-1, 1))
    dc = jnp.arange(-(_W - 1), _W).reshape((1, -1))
    _table = jnp.broadcast_to(
        (w_compact[jnp.abs(dr), jnp.where(dr >= 0, dc, -dc) + N - 1]).astype(jnp.float64),
        (2 * _H - 1, 2 * _W - 1),
    )
    _khat = jnp.fft.rfft2(_runtime.circular_layout(jnp, _table, _H, _W, _L1, _L2))
    _cols_out = S
    _rows = native_index_for_slim_index[:, 0]
    _cols = native_index_for_slim_index[:, 1]
    _valid = jnp.cumprod((pix_indexes_for_sub_slim_index >= 0).astype(jnp.int32), axis=1) > 0
    _chunk = _runtime.fft_chunk(_L1 * _L2, _cols_out)

    def _step(carry, _c):
        _local = pix_indexes_for_sub_slim_index - _c * _chunk
        _live = _valid & (_local >= 0) & (_local < _chunk)
        _grid = jnp.zeros((_chunk, _H, _W), dtype=jnp.float64)
        _grid = _grid.at[jnp.where(_live, _local, _chunk), _rows[:, None], _cols[:, None]].add(
            jnp.where(_live, pix_weights_for_sub_slim_index, 0.0), mode="drop"
        )
        _wt = _runtime.lattice_convolve(jnp, _grid, _khat, _L1, _L2, (1, 2))[:, _rows, _cols]
        return carry, _sparse_mapping_matrix_transpose_matmul_impl(
            _wt.T, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, _cols_out
        )

    _steps = -(-_cols_out // _chunk)
    _, _blocks = scan_chunks(_step, 0, _steps)
    return jnp.transpose(_blocks, (1, 0, 2)).reshape((_cols_out, _steps * _chunk))[:, :_cols_out]


@nb.njit(cache=True, parallel=True, nogil=True, fastmath={"contract"})
def _curvature_matrix_via_w_compact_conv_from_impl_weights_cotangent(
    gs,
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    blocks,
):
    """dL/dw[m, b] = sum_j gs[j, p] (W T)[m, j], p = indexes[m, b], for a symmetric gs = G + G^T.

    The conv loop of the Numba backend, run again over every row (the forward loop forms
    half of them), 8 columns at a time, each group's columns gathered while in cache instead
    of being stored."""
    N = w_compact.shape[0]
    S = pixels
    _M, _B = pix_indexes_for_sub_slim_index.shape
    _cols_out = S
    out = np.zeros((_M, _B), dtype=np.float64)
    if _M == 0:
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
    # columns in groups of 8 (consecutive), groups in blocks (more blocks than threads, for
    # balance), each block summing into its own (M, B) part. A group's columns W t_j are
    # finished over the whole box first (one column at a time, as the forward loop does),
    # then each mask pixel m gathers its 8 values against gs[p, j..j+8] for its B pixels p:
    # one update of dL/dw[m, b] per group, not one per column (89 -> 62 ms at alma)
    _groups = (_cols_out + 7) // 8
    _blocks = max(1, min(blocks, _groups))
    _size = -(-_groups // _blocks)
    _parts = np.zeros((_blocks, _M, _B), dtype=np.float64)
    for _k in nb.prange(_blocks):
        # zeros: a buffer past the last column (in the last group) is read, times 0
        _buf = np.zeros((8, _H * _W), dtype=np.float64)
        _gb = np.zeros((_cols_out, 8), dtype=np.float64)
        _part = _parts[_k]
        for _gi in range(_k * _size, min(_k * _size + _size, _groups)):
            _s0 = _gi * 8
            _ng = min(8, _cols_out - _s0)
            # the group's 8 columns of gs, side by side (gs is symmetric: its rows are read)
            for _j in range(8):
                if _j < _ng:
                    _gs_row = gs[_s0 + _j]
                    for _p in range(_cols_out):
                        _gb[_p, _j] = _gs_row[_p]
                else:
                    for _p in range(_cols_out):
                        _gb[_p, _j] = 0.0
            for _j in range(_ng):
                _e0 = _colstart[_s0 + _j]
                _e1 = _colstart[_s0 + _j + 1]
                _bj = _buf[_j]
                for _y in range(_H):
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
            _b0 = _buf[0]
            _b1 = _buf[1]
            _b2 = _buf[2]
            _b3 = _buf[3]
            _b4 = _buf[4]
            _b5 = _buf[5]
            _b6 = _buf[6]
            _b7 = _buf[7]
            for _y in range(_H):
                for _q in range(_start[_y], _start[_y + 1]):
                    _a = _by_row[_q]
                    _x = _y * _W + native_index_for_slim_index[_a, 1] - _c0
                    _v0 = _b0[_x]
                    _v1 = _b1[_x]
                    _v2 = _b2[_x]
                    _v3 = _b3[_x]
                    _v4 = _b4[_x]
                    _v5 = _b5[_x]
                    _v6 = _b6[_x]
                    _v7 = _b7[_x]
                    for _i in range(_B):
                        _p = pix_indexes_for_sub_slim_index[_a, _i]
                        if _p < 0:
                            break
                        _part[_a, _i] += (
                            (_gb[_p, 0] * _v0 + _gb[_p, 1] * _v1)
                            + (_gb[_p, 2] * _v2 + _gb[_p, 3] * _v3)
                        ) + (
                            (_gb[_p, 4] * _v4 + _gb[_p, 5] * _v5)
                            + (_gb[_p, 6] * _v6 + _gb[_p, 7] * _v7)
                        )
    for _k in range(_blocks):
        out += _parts[_k]
    return out


def _curvature_matrix_via_w_compact_conv_from_impl_in_range(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """Whether the loops may run: positions inside the extent, indexes in [-1, columns).

    The arguments were checked before tracing when they could be; inside jax.jit their values
    arrive here unchecked (the result is poisoned with NaN where a rule fails), and a loop
    must not read or write out of bounds."""
    N = w_compact.shape[0]
    S = pixels
    _pos = np.asarray(native_index_for_slim_index)
    _idx = np.asarray(pix_indexes_for_sub_slim_index)
    return bool(
        np.all((_pos >= 0) & (_pos < np.array([N, N]))) and np.all((_idx >= -1) & (_idx < S))
    )


def _curvature_matrix_via_w_compact_conv_from_impl_host(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    _into=None,
):
    """out on the host (NumPy in and out): the Numba backend's conv loop, written into _into
    (a C-ordered float64 array of out's shape, every entry overwritten) when given. Under
    jax.vmap (leading walker axes on the arguments) a batch: see _curvature_matrix_via_w_compact_conv_from_impl_host_batch."""
    _lead, _per_walker, _arrays = _runtime.walker_axes(
        (
            w_compact,
            native_index_for_slim_index,
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
        ),
        [2, 2, 2, 2],
    )
    if _lead:
        return _curvature_matrix_via_w_compact_conv_from_impl_host_batch(
            _lead, _per_walker, *_arrays, pixels=pixels, _into=_into
        )
    if not _curvature_matrix_via_w_compact_conv_from_impl_in_range(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    ):
        if _into is None:
            return np.full(
                _curvature_matrix_via_w_compact_conv_from_impl_shapes(
                    w_compact,
                    native_index_for_slim_index,
                    pix_indexes_for_sub_slim_index,
                    pix_weights_for_sub_slim_index,
                    pixels,
                ).shape,
                np.nan,
            )
        _into[...] = np.nan
        return _into
    return _curvature_matrix_via_w_compact_conv_from_impl_numba(
        np.ascontiguousarray(w_compact),
        np.ascontiguousarray(native_index_for_slim_index),
        np.ascontiguousarray(pix_indexes_for_sub_slim_index),
        np.ascontiguousarray(pix_weights_for_sub_slim_index),
        pixels,
        _into,
    )


def _curvature_matrix_via_w_compact_conv_from_impl_host_batch(
    _lead,
    _per_walker,
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
    _into=None,
):
    """A batch of walkers in one callback (arguments as _runtime.walker_axes gives them),
    written into _into (of shape (*_lead, *out's shape)) when given.
    When only the sparse rows differ between walkers: the walkers in parallel
    (_runtime.for_each_walker), each through the serial twin of the conv loop (one thread per
    walker: no pool woken per loop, no column split); else (and for one walker) one walker
    after another, each through the conv loop as outside vmap.
    """
    _walkers = int(np.prod(_lead))
    (
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
    ) = (
        w_compact if _per_walker[0] else w_compact[None],
        native_index_for_slim_index if _per_walker[1] else native_index_for_slim_index[None],
        pix_indexes_for_sub_slim_index if _per_walker[2] else pix_indexes_for_sub_slim_index[None],
        pix_weights_for_sub_slim_index if _per_walker[3] else pix_weights_for_sub_slim_index[None],
    )
    _index = [
        np.arange(_walkers) if _p else np.zeros(_walkers, dtype=np.int64) for _p in _per_walker
    ]
    _shape = _curvature_matrix_via_w_compact_conv_from_impl_shapes(
        w_compact[0],
        native_index_for_slim_index[0],
        pix_indexes_for_sub_slim_index[0],
        pix_weights_for_sub_slim_index[0],
        pixels=pixels,
    ).shape
    if _into is None:
        _result = np.empty((_walkers, *_shape), dtype=np.float64)
    else:
        # a view: the buffer is C-ordered
        _result = _into.reshape((_walkers, *_shape))
    _rows_only = not any(
        _p
        for _a, _p in zip(
            [
                "w_compact",
                "native_index_for_slim_index",
                "pix_indexes_for_sub_slim_index",
                "pix_weights_for_sub_slim_index",
            ],
            _per_walker,
        )
        if _a not in ("pix_indexes_for_sub_slim_index", "pix_weights_for_sub_slim_index")
    )
    if _rows_only and _walkers > 1:
        _w_args = [
            np.ascontiguousarray(w_compact[0]),
            np.ascontiguousarray(native_index_for_slim_index[0]),
            None,
            None,
            None,
        ]
        pix_indexes_for_sub_slim_index = np.ascontiguousarray(
            np.broadcast_to(
                pix_indexes_for_sub_slim_index,
                (_walkers, *pix_indexes_for_sub_slim_index.shape[1:]),
            )
        )
        pix_weights_for_sub_slim_index = np.ascontiguousarray(
            np.broadcast_to(
                pix_weights_for_sub_slim_index,
                (_walkers, *pix_weights_for_sub_slim_index.shape[1:]),
            )
        )

        def _one(_k):
            if not _curvature_matrix_via_w_compact_conv_from_impl_in_range(
                w_compact[_index[0][_k]],
                native_index_for_slim_index[_index[1][_k]],
                pix_indexes_for_sub_slim_index[_index[2][_k]],
                pix_weights_for_sub_slim_index[_index[3][_k]],
                pixels=pixels,
            ):
                _result[_k] = np.nan
                return
            # the serial twin writes F straight into the walker's slice of the result
            _curvature_matrix_via_w_compact_conv_from_impl_numba_serial(
                _w_args[0],
                _w_args[1],
                pix_indexes_for_sub_slim_index[_k],
                pix_weights_for_sub_slim_index[_k],
                pixels,
                _result[_k],
            )

        _runtime.for_each_walker(_one, _walkers)
        return _result.reshape((*_lead, *_shape))
    for _k in range(_walkers):
        _curvature_matrix_via_w_compact_conv_from_impl_host(
            w_compact[_index[0][_k]],
            native_index_for_slim_index[_index[1][_k]],
            pix_indexes_for_sub_slim_index[_index[2][_k]],
            pix_weights_for_sub_slim_index[_index[3][_k]],
            pixels=pixels,
            _into=_result[_k],
        )
    return _result.reshape((*_lead, *_shape))


def _curvature_matrix_via_w_compact_conv_from_impl_host_weights_cotangent(
    gs,
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """The backward pass on the host: NaN where the loop may not run (see _in_range)."""
    if not _curvature_matrix_via_w_compact_conv_from_impl_in_range(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    ):
        return np.full(pix_indexes_for_sub_slim_index.shape, np.nan)
    return _curvature_matrix_via_w_compact_conv_from_impl_weights_cotangent(
        np.ascontiguousarray(gs),
        np.ascontiguousarray(w_compact),
        np.ascontiguousarray(native_index_for_slim_index),
        np.ascontiguousarray(pix_indexes_for_sub_slim_index),
        np.ascontiguousarray(pix_weights_for_sub_slim_index),
        pixels,
        4 * nb.get_num_threads(),
    )


def _curvature_matrix_via_w_compact_conv_from_impl_shapes(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """The result's shape and dtype."""
    N = w_compact.shape[0]
    S = pixels
    _cols_out = S
    return jax.ShapeDtypeStruct((_cols_out, _cols_out), jnp.float64)


def _curvature_matrix_via_w_compact_conv_from_impl_forward(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """out by the host loop. Where JAX has buffer_callback (on the CPU) the loop writes into
    the output buffer XLA allocates: no copy of out (10 ms for the 72 MB of F at S = 3,000),
    and the buffer's pages are asked to be huge before the loop first touches them
    (_runtime.advise_huge_pages: 4 KiB faults through 72 MB took 30 ms). Else
    jax.pure_callback."""
    _out = _curvature_matrix_via_w_compact_conv_from_impl_shapes(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )
    _buffer_callback = _runtime.jax_buffer_callback()
    if _buffer_callback is None:
        _host = partial(_curvature_matrix_via_w_compact_conv_from_impl_host, pixels=pixels)
        return jax.pure_callback(
            _host,
            _out,
            w_compact,
            native_index_for_slim_index,
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
            vmap_method="expand_dims",
        )

    def _into(
        _context,
        _result,
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
    ):
        _result = np.asarray(_result)
        _runtime.advise_huge_pages(_result)
        _curvature_matrix_via_w_compact_conv_from_impl_host(
            np.asarray(w_compact),
            np.asarray(native_index_for_slim_index),
            np.asarray(pix_indexes_for_sub_slim_index),
            np.asarray(pix_weights_for_sub_slim_index),
            pixels=pixels,
            _into=_result,
        )

    return _buffer_callback(_into, _out, vmap_method="expand_dims")(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
    )


@partial(jax.custom_vjp, nondiff_argnums=[4])
def _curvature_matrix_via_w_compact_conv_from_impl_call(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    return _curvature_matrix_via_w_compact_conv_from_impl_forward(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


def _curvature_matrix_via_w_compact_conv_from_impl_fwd(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    # with symbolic zeros: each traced argument is a CustomVJPPrimal (value, perturbed)
    w_compact, _w_compact_perturbed = w_compact.value, w_compact.perturbed
    native_index_for_slim_index, _native_index_for_slim_index_perturbed = (
        native_index_for_slim_index.value,
        native_index_for_slim_index.perturbed,
    )
    pix_indexes_for_sub_slim_index, _pix_indexes_for_sub_slim_index_perturbed = (
        pix_indexes_for_sub_slim_index.value,
        pix_indexes_for_sub_slim_index.perturbed,
    )
    pix_weights_for_sub_slim_index, _pix_weights_for_sub_slim_index_perturbed = (
        pix_weights_for_sub_slim_index.value,
        pix_weights_for_sub_slim_index.perturbed,
    )
    out = _curvature_matrix_via_w_compact_conv_from_impl_forward(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )
    # The residuals have one structure whatever is perturbed: the arguments themselves (JAX
    # forwards them, nothing is stored) and one boolean per derivative the backward pass may
    # form. A structure that depended on the perturbation broke a jitted caller re-linearized
    # with other inputs perturbed (JAX's residual forwarding ran past its list: StopIteration).
    _wanted = jnp.asarray([_pix_weights_for_sub_slim_index_perturbed, _w_compact_perturbed])
    return out, (
        (
            w_compact,
            native_index_for_slim_index,
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
        ),
        _wanted,
    )


def _curvature_matrix_via_w_compact_conv_from_impl_bwd(pixels, _res, g):
    loop_args, _wanted = _res
    if isinstance(g, SymbolicZero):
        return (
            None,
            None,
            None,
            None,
        )
    (
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
    ) = loop_args
    _host = partial(
        _curvature_matrix_via_w_compact_conv_from_impl_host_weights_cotangent, pixels=pixels
    )
    _weights_shape = jax.ShapeDtypeStruct(pix_indexes_for_sub_slim_index.shape, jnp.float64)

    def _weights_cotangent(g):
        # through buffer_callback on the CPU: the S x S cotangent is read in XLA's buffer,
        # not copied (pure_callback's copies: 9 ms per 16 MB)
        return _runtime.host_array_call(_host, _weights_shape, g + g.T, *loop_args)

    # the loop runs only when the weights were perturbed (a branch taken at run time)
    _d_weights = jax.lax.cond(
        _wanted[0], _weights_cotangent, lambda g: jnp.zeros(_weights_shape.shape, jnp.float64), g
    )

    def _array(w_compact):
        return _curvature_matrix_via_w_compact_conv_from_impl_array(
            w_compact,
            native_index_for_slim_index,
            pix_indexes_for_sub_slim_index,
            pix_weights_for_sub_slim_index,
            pixels,
        )

    def _floats_cotangent(g):
        # the kernel table's float arguments: through the array form
        return jax.vjp(_array, w_compact)[1](g)

    _d_floats = jax.lax.cond(
        _wanted[1],
        _floats_cotangent,
        lambda g: (jnp.zeros_like(w_compact),),
        g,
    )
    return (
        _d_floats[0],
        None,
        None,
        _d_weights,
    )


_curvature_matrix_via_w_compact_conv_from_impl_call.defvjp(
    _curvature_matrix_via_w_compact_conv_from_impl_fwd,
    _curvature_matrix_via_w_compact_conv_from_impl_bwd,
    symbolic_zeros=True,
)


@partial(jax.jit, static_argnames=["pixels"])
def _curvature_matrix_via_w_compact_conv_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    return _curvature_matrix_via_w_compact_conv_from_impl_call(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


@validated(
    convert="jax",
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

    require_x64("curvature_matrix_via_w_compact_conv_from")
    return _curvature_matrix_via_w_compact_conv_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


@partial(jax.jit, static_argnames=["pixels"])
def _curvature_matrix_via_w_compact_fft_from_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    N = w_compact.shape[0]
    S = pixels
    _H, _W = N, N
    _L1, _L2 = _runtime.fft_size(2 * _H - 1), _runtime.fft_size(2 * _W - 1)
    dr = jnp.arange(-(_H - 1), _H).reshape((-1, 1))
    dc = jnp.arange(-(_W - 1), _W).reshape((1, -1))
    _table = jnp.broadcast_to(
        (w_compact[jnp.abs(dr), jnp.where(dr >= 0, dc, -dc) + N - 1]).astype(jnp.float64),
        (2 * _H - 1, 2 * _W - 1),
    )
    _khat = jnp.fft.rfft2(_runtime.circular_layout(jnp, _table, _H, _W, _L1, _L2))
    _cols_out = S
    _rows = native_index_for_slim_index[:, 0]
    _cols = native_index_for_slim_index[:, 1]
    _valid = jnp.cumprod((pix_indexes_for_sub_slim_index >= 0).astype(jnp.int32), axis=1) > 0
    _chunk = _runtime.fft_chunk(_L1 * _L2, _cols_out)

    def _step(carry, _c):
        _local = pix_indexes_for_sub_slim_index - _c * _chunk
        _live = _valid & (_local >= 0) & (_local < _chunk)
        _grid = jnp.zeros((_chunk, _H, _W), dtype=jnp.float64)
        _grid = _grid.at[jnp.where(_live, _local, _chunk), _rows[:, None], _cols[:, None]].add(
            jnp.where(_live, pix_weights_for_sub_slim_index, 0.0), mode="drop"
        )
        _wt = _runtime.lattice_convolve(jnp, _grid, _khat, _L1, _L2, (1, 2))[:, _rows, _cols]
        return carry, _sparse_mapping_matrix_transpose_matmul_impl(
            _wt.T, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, _cols_out
        )

    _steps = -(-_cols_out // _chunk)
    _, _blocks = scan_chunks(_step, 0, _steps)
    return jnp.transpose(_blocks, (1, 0, 2)).reshape((_cols_out, _steps * _chunk))[:, :_cols_out]


@validated(
    convert="jax",
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

    require_x64("curvature_matrix_via_w_compact_fft_from")
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
        gpu = _runtime.jax_on_gpu()
        method = "fft" if gpu else "conv"
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
        f"{method!r}; the jax backend has auto, two_pass, conv, fft"
    )


@validated(
    convert="jax",
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

    require_x64("curvature_matrix_via_w_compact_sparse_mapping_matrix_from")
    return _curvature_matrix_via_w_compact_sparse_mapping_matrix_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
        method,
    )


@partial(jax.jit, static_argnames=["pixels"])
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
    i = jnp.arange(B).reshape((1, -1, 1, 1))
    b = jnp.arange(M).reshape((1, 1, -1, 1))
    j = jnp.arange(B).reshape((1, 1, 1, -1))
    _outer = M
    if _outer == 0:  # nothing to add (e.g. M = 0); gathers from empty arrays would fail
        return jnp.zeros((S, S), dtype=jnp.float64)
    _chunk = scatter_chunk_size((B) * (M) * (B), _outer)

    def _step(out, _c):
        a = _c * _chunk + jnp.arange(_chunk).reshape((-1, 1, 1, 1))
        live = a < _outer
        a = jnp.minimum(a, _outer - 1)
        live = live & (
            jnp.cumprod((pix_indexes_for_sub_slim_index[a, i] >= 0).astype(jnp.int32), axis=1) > 0
        )
        live = live & (
            jnp.cumprod((pix_indexes_for_sub_slim_index[b, j] >= 0).astype(jnp.int32), axis=3) > 0
        )
        live = jnp.broadcast_to(live, (_chunk, B, M, B))
        _index = (
            (pix_indexes_for_sub_slim_index[a, i]) * (S) + (pix_indexes_for_sub_slim_index[b, j])
        )
        out = out.at[jnp.where(live, _index, 0).reshape(-1)].add(
            jnp.where(
                live,
                w_compact[
                    jnp.abs(native_index_for_slim_index[a, 0] - native_index_for_slim_index[b, 0]),
                    jnp.where(
                        native_index_for_slim_index[a, 0] >= native_index_for_slim_index[b, 0],
                        native_index_for_slim_index[a, 1] - native_index_for_slim_index[b, 1],
                        native_index_for_slim_index[b, 1] - native_index_for_slim_index[a, 1],
                    )
                    + N
                    - 1,
                ]
                * pix_weights_for_sub_slim_index[a, i]
                * pix_weights_for_sub_slim_index[b, j],
                0.0,
            ).reshape(-1)
        )
        return out, None

    # element-wise updates go to the flattened array (one index per element, not one per axis)
    out, _ = scan_chunks(_step, jnp.zeros((S) * (S), dtype=jnp.float64), -(-_outer // _chunk))
    out = out.reshape((S, S))
    return out


@validated(
    convert="jax",
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

    require_x64("curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from")
    return _curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from_impl(
        w_compact,
        native_index_for_slim_index,
        pix_indexes_for_sub_slim_index,
        pix_weights_for_sub_slim_index,
        pixels,
    )


@partial(jax.jit, static_argnames=["pixels"])
def _curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO_impl(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    mapping = _mapping_matrix_from_BCOO_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )
    w_tilde = _w_tilde_via_compact_from_impl(w_compact, native_index_for_slim_index)
    tw = mapping.T @ w_tilde
    return mapping.T @ tw.T


@validated(
    convert="jax",
    w_compact="f8[N,W=2*N-1] finite",
    native_index_for_slim_index="i8[M,2] in [0,N)",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO(
    w_compact,
    native_index_for_slim_index,
    pix_indexes_for_sub_slim_index,
    pix_weights_for_sub_slim_index,
    pixels,
):
    """F with T as a JAX BCOO sparse matrix and W-tilde expanded from the compact form.

    Method: ``compact_sparse_BCOO`` (family ``curvature_matrix``).

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

    require_x64("curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO")
    return _curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO_impl(
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
