# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/mapping.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/mapping.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size, require_x64, scan_chunks, scatter_chunk_size
from autojax._validate import validated


xp = jnp


@partial(jax.jit, static_argnames=["pixels"])
def _mapping_matrix_from_impl(
    pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    M = pix_indexes_for_sub_slim_index.shape[0]
    B = pix_indexes_for_sub_slim_index.shape[1]
    S = pixels
    b = jnp.arange(B).reshape((1, -1))
    _outer = M
    if _outer == 0:  # nothing to add (e.g. M = 0); gathers from empty arrays would fail
        return jnp.zeros((M, S), dtype=jnp.float64)
    _chunk = scatter_chunk_size((B), _outer)

    def _step(out, _c):
        m = _c * _chunk + jnp.arange(_chunk).reshape((-1, 1))
        live = m < _outer
        m = jnp.minimum(m, _outer - 1)
        live = live & (
            jnp.cumprod((pix_indexes_for_sub_slim_index[m, b] >= 0).astype(jnp.int32), axis=1) > 0
        )
        live = jnp.broadcast_to(live, (_chunk, B))
        _index = (m) * (S) + (pix_indexes_for_sub_slim_index[m, b])
        out = out.at[jnp.where(live, _index, 0).reshape(-1)].add(
            jnp.where(live, pix_weights_for_sub_slim_index[m, b], 0.0).reshape(-1)
        )
        return out, None

    # element-wise updates go to the flattened array (one index per element, not one per axis)
    out, _ = scan_chunks(_step, jnp.zeros((M) * (S), dtype=jnp.float64), -(-_outer // _chunk))
    out = out.reshape((M, S))
    return out


@validated(
    convert="jax",
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

    require_x64("mapping_matrix_from")
    return _mapping_matrix_from_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@partial(jax.jit, static_argnames=["pixels"])
def _mapping_matrix_from_BCOO_impl(
    pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    from jax.experimental import sparse

    m, b = pix_indexes_for_sub_slim_index.shape
    valid = xp.cumprod(pix_indexes_for_sub_slim_index >= 0, axis=1) > 0
    rows = xp.broadcast_to(xp.arange(m)[:, None], (m, b))
    cols = xp.where(valid, pix_indexes_for_sub_slim_index, 0)
    data = xp.where(valid, pix_weights_for_sub_slim_index, 0.0)
    indices = xp.stack([rows, cols], axis=-1).reshape(m * b, 2)
    return sparse.BCOO((data.reshape(m * b), indices), shape=(m, pixels))


@validated(
    convert="jax",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B] finite",
    pixels="int -> S >0",
)
def mapping_matrix_from_BCOO(
    pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    """The mapping matrix as a ``jax.experimental.sparse.BCOO`` (M, S), B stored entries per row.

    Entries after a row's first -1 are stored as explicit zeros at column 0.

    Method: ``BCOO`` (family ``mapping_matrix``).

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
    any value
    """

    require_x64("mapping_matrix_from_BCOO")
    return _mapping_matrix_from_BCOO_impl(
        pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )


@partial(jax.jit, static_argnames=[])
def _data_vector_from_impl(mapping_matrix, dirty_image):
    return dirty_image @ mapping_matrix


@validated(convert="jax", mapping_matrix="f8[M,S] finite", dirty_image="f8[M] finite")
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

    require_x64("data_vector_from")
    return _data_vector_from_impl(mapping_matrix, dirty_image)


@partial(jax.jit, static_argnames=["pixels"])
def _sparse_mapping_matrix_transpose_matmul_impl(
    matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    M = matrix.shape[0]
    C = matrix.shape[1]
    B = pix_indexes_for_sub_slim_index.shape[1]
    S = pixels
    b = jnp.arange(B).reshape((1, -1, 1))
    c = jnp.arange(C).reshape((1, 1, -1))
    _outer = M
    if _outer == 0:  # nothing to add (e.g. M = 0); gathers from empty arrays would fail
        return jnp.zeros((S, C), dtype=jnp.float64)
    _chunk = chunk_size((B) * (C), _outer)

    def _step(out, _c):
        m = _c * _chunk + jnp.arange(_chunk).reshape((-1, 1, 1))
        live = m < _outer
        m = jnp.minimum(m, _outer - 1)
        live = live & (
            jnp.cumprod((pix_indexes_for_sub_slim_index[m, b] >= 0).astype(jnp.int32), axis=1) > 0
        )
        live = jnp.broadcast_to(live, (_chunk, B, C))
        _index0 = jnp.broadcast_to(pix_indexes_for_sub_slim_index[m, b], (_chunk, B, 1)).reshape(-1)
        _value = jnp.broadcast_to(
            jnp.where(live, pix_weights_for_sub_slim_index[m, b] * matrix[m, c], 0.0),
            (_chunk, B, C),
        )
        out = out.at[_index0].add(_value.reshape((-1, C)))
        return out, None

    out, _ = scan_chunks(_step, jnp.zeros((S, C), dtype=jnp.float64), -(-_outer // _chunk))
    return out


@validated(
    convert="jax",
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

    require_x64("sparse_mapping_matrix_transpose_matmul")
    return _sparse_mapping_matrix_transpose_matmul_impl(
        matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )
