# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/mapping.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/mapping.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from autojax._runtime import chunk_size, require_x64
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
    _chunk = chunk_size((B), _outer)

    def _step(out, c):
        m = c * _chunk + jnp.arange(_chunk).reshape((-1, 1))
        live = m < _outer
        m = jnp.minimum(m, _outer - 1)
        live = live & (
            jnp.cumprod((pix_indexes_for_sub_slim_index[m, b] >= 0).astype(jnp.int32), axis=1) > 0
        )
        live = jnp.broadcast_to(
            live,
            (
                _chunk,
                B,
            ),
        )
        out = out.at[
            jnp.broadcast_to(m, live.shape),
            jnp.where(live, pix_indexes_for_sub_slim_index[m, b], 0),
        ].add(jnp.where(live, pix_weights_for_sub_slim_index[m, b], 0.0))
        return out, None

    out, _ = lax.scan(
        _step,
        jnp.zeros(
            (
                M,
                S,
            ),
            dtype=jnp.float64,
        ),
        jnp.arange(-(-_outer // _chunk)),
    )
    return out


@validated(
    convert="keep",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B]",
    pixels="int -> S",
)
def mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels):
    """Dense (M, S) mapping matrix T: ``T[m, pix[m, b]] += weight[m, b]`` over each row's valid entries.

    Method: ``direct`` (family ``mapping_matrix``).

    Parameters
    ----------
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
    convert="keep",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B]",
    pixels="int -> S",
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
        float64 array of shape (M, B)
    pixels
        int (= S)

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
    return mapping_matrix.T @ dirty_image


@validated(convert="keep", mapping_matrix="f8[M,S]", dirty_image="f8[M]")
def data_vector_from(mapping_matrix, dirty_image):
    """Data vector ``D = T^T d`` (S,), from the dense mapping matrix and the dirty image.

    Method: ``direct`` (family ``data_vector``).

    Parameters
    ----------
    mapping_matrix
        float64 array of shape (M, S)
    dirty_image
        float64 array of shape (M,)

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
    valid = xp.cumprod(pix_indexes_for_sub_slim_index >= 0, axis=1) > 0
    rows = xp.where(valid, pix_indexes_for_sub_slim_index, 0).reshape(-1)
    weights = xp.where(valid, pix_weights_for_sub_slim_index, 0.0)
    values = (weights[:, :, None] * matrix[:, None, :]).reshape(-1, matrix.shape[1])
    return xp.zeros((pixels, matrix.shape[1]), dtype=matrix.dtype).at[rows].add(values)


@validated(
    convert="keep",
    matrix="f8[M,C]",
    pix_indexes_for_sub_slim_index="i8[M,B] in [-1,S)",
    pix_weights_for_sub_slim_index="f8[M,B]",
    pixels="int -> S",
)
def sparse_mapping_matrix_transpose_matmul(
    matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
):
    """``T^T @ matrix`` (S, C) without forming T: each valid mapping adds a scaled row of ``matrix``.

    Method: ``direct`` (family ``sparse_matmul``).

    Parameters
    ----------
    matrix
        float64 array of shape (M, C)
    pix_indexes_for_sub_slim_index
        int64 array of shape (M, B), values in [-1, S)
    pix_weights_for_sub_slim_index
        float64 array of shape (M, B)
    pixels
        int (= S)

    Returns
    -------
    float64 array of shape (S, C)
    """

    require_x64("sparse_mapping_matrix_transpose_matmul")
    return _sparse_mapping_matrix_transpose_matmul_impl(
        matrix, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels
    )
