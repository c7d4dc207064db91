# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/toy_scatter.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/toy_scatter.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size, require_x64, scan_chunks, scatter_chunk_size
from autojax._validate import validated


xp = jnp


@partial(jax.jit, static_argnames=["pixels"])
def _toy_rows_from_impl(x, idx, w, pixels):
    M = x.shape[0]
    N = x.shape[1]
    B = idx.shape[1]
    S = pixels
    n = jnp.arange(N).reshape((-1, 1, 1))
    b = jnp.arange(B).reshape((1, -1, 1))
    _outer = M
    if _outer == 0:  # nothing to add (e.g. M = 0); gathers from empty arrays would fail
        return jnp.zeros((M, S), dtype=jnp.float64)
    _chunk = chunk_size((N) * (B), _outer)

    def _step(_, _c):
        m = _c * _chunk + jnp.arange(_chunk).reshape((1, 1, -1))
        live = m < _outer
        m = jnp.minimum(m, _outer - 1)
        live = live & (jnp.cumprod((idx[n, b] >= 0).astype(jnp.int32), axis=1) > 0)
        live = jnp.broadcast_to(live, (N, B, _chunk))
        block = jnp.zeros((S, _chunk), dtype=jnp.float64)
        _index0 = jnp.broadcast_to(idx[n, b], (N, B, 1)).reshape(-1)
        _value = jnp.broadcast_to(jnp.where(live, x[m, n] * w[n, b], 0.0), (N, B, _chunk))
        block = block.at[_index0].add(_value.reshape((-1, _chunk)))
        return None, block

    _, blocks = scan_chunks(_step, None, -(-_outer // _chunk))
    out = jnp.moveaxis(blocks, 0, 1).reshape((S, -1))
    out = lax.slice_in_dim(out, 0, _outer, axis=1)
    return jnp.transpose(out, (1, 0))


@validated(convert="jax", x="f8[M,N]", idx="i8[N,B] in [-1,S)", w="f8[N,B]", pixels="int -> S")
def toy_rows_from(x, idx, w, pixels):
    """out[m, idx[n, b]] += x[m, n] w[n, b]: the outer loop is a window axis.

    Method: ``direct`` (family ``toy_rows_from``).

    Parameters
    ----------
    x
        float64 array of shape (M, N)
    idx
        int64 array of shape (N, B), values in [-1, S)
    w
        float64 array of shape (N, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (M, S)
    """

    require_x64("toy_rows_from")
    return _toy_rows_from_impl(x, idx, w, pixels)


@partial(jax.jit, static_argnames=["pixels"])
def _toy_columns_from_impl(x, idx, w, pixels):
    M = x.shape[0]
    N = x.shape[1]
    B = idx.shape[1]
    S = pixels
    m = jnp.arange(M).reshape((1, 1, -1))
    b = jnp.arange(B).reshape((1, -1, 1))
    _outer = N
    if _outer == 0:  # nothing to add (e.g. M = 0); gathers from empty arrays would fail
        return jnp.zeros((S, M), dtype=jnp.float64)
    _chunk = chunk_size((M) * (B), _outer)

    def _step(out, _c):
        n = _c * _chunk + jnp.arange(_chunk).reshape((-1, 1, 1))
        live = n < _outer
        n = jnp.minimum(n, _outer - 1)
        live = live & (jnp.cumprod((idx[n, b] >= 0).astype(jnp.int32), axis=1) > 0)
        live = jnp.broadcast_to(live, (_chunk, B, M))
        _index0 = jnp.broadcast_to(idx[n, b], (_chunk, B, 1)).reshape(-1)
        _value = jnp.broadcast_to(jnp.where(live, x[m, n] * w[n, b], 0.0), (_chunk, B, M))
        out = out.at[_index0].subtract(_value.reshape((-1, M)))
        return out, None

    out, _ = scan_chunks(_step, jnp.zeros((S, M), dtype=jnp.float64), -(-_outer // _chunk))
    return out


@validated(convert="jax", x="f8[M,N]", idx="i8[N,B] in [-1,S)", w="f8[N,B]", pixels="int -> S")
def toy_columns_from(x, idx, w, pixels):
    """out[idx[n, b], m] -= x[m, n] w[n, b]: an inner loop is a window axis.

    Method: ``direct`` (family ``toy_columns_from``).

    Parameters
    ----------
    x
        float64 array of shape (M, N)
    idx
        int64 array of shape (N, B), values in [-1, S)
    w
        float64 array of shape (N, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (S, M)
    """

    require_x64("toy_columns_from")
    return _toy_columns_from_impl(x, idx, w, pixels)


@partial(jax.jit, static_argnames=["pixels"])
def _toy_pairs_from_impl(idx, w, pixels):
    N = idx.shape[0]
    B = idx.shape[1]
    S = pixels
    b = jnp.arange(B).reshape((1, -1, 1))
    c = jnp.arange(B).reshape((1, 1, -1))
    _outer = N
    if _outer == 0:  # nothing to add (e.g. M = 0); gathers from empty arrays would fail
        return jnp.zeros((S, S), dtype=jnp.float64)
    _chunk = scatter_chunk_size((B) * (B), _outer)

    def _step(out, _c):
        n = _c * _chunk + jnp.arange(_chunk).reshape((-1, 1, 1))
        live = n < _outer
        n = jnp.minimum(n, _outer - 1)
        live = live & (jnp.cumprod((idx[n, b] >= 0).astype(jnp.int32), axis=1) > 0)
        live = live & (jnp.cumprod((idx[n, c] >= 0).astype(jnp.int32), axis=2) > 0)
        live = jnp.broadcast_to(live, (_chunk, B, B))
        _index = (idx[n, b]) * (S) + (idx[n, c])
        out = out.at[jnp.where(live, _index, 0).reshape(-1)].add(
            jnp.where(live, w[n, b] * w[n, c], 0.0).reshape(-1)
        )
        return out, None

    # element-wise updates go to the flattened array (one index per element, not one per axis)
    out, _ = scan_chunks(_step, jnp.zeros((S) * (S), dtype=jnp.float64), -(-_outer // _chunk))
    out = out.reshape((S, S))
    return out


@validated(convert="jax", idx="i8[N,B] in [-1,S)", w="f8[N,B]", pixels="int -> S")
def toy_pairs_from(idx, w, pixels):
    """out[idx[n, b], idx[n, c]] += w[n, b] w[n, c]: both axes gathered.

    Method: ``direct`` (family ``toy_pairs_from``).

    Parameters
    ----------
    idx
        int64 array of shape (N, B), values in [-1, S)
    w
        float64 array of shape (N, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (S, S)
    """

    require_x64("toy_pairs_from")
    return _toy_pairs_from_impl(idx, w, pixels)
