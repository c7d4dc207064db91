# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/curvature.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/curvature.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size, require_x64, scan_chunks, scatter_chunk_size
from autojax._validate import validated

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
        _grid = jnp.zeros((_chunk, _L1, _L2), dtype=jnp.float64)
        _grid = _grid.at[jnp.where(_live, _local, _chunk), _rows[:, None], _cols[:, None]].add(
            jnp.where(_live, pix_weights_for_sub_slim_index, 0.0), mode="drop"
        )
        _wt = jnp.fft.irfft2(jnp.fft.rfft2(_grid) * _khat, s=(_L1, _L2))[:, _rows, _cols]
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
        method = "fft" if gpu else "two_pass"
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
        f"{method!r}; the jax backend has auto, two_pass, fft"
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
    convolution over the mask's bounding box; Numba) and ``fft`` (batched FFTs on the padded
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
