"""The mapping matrix T (image pixel -> source pixels) and products with it, from its sparse rows.

Rows of ``pix_indexes_for_sub_slim_index`` end at their first -1.
"""

from codegen.kinds import Composite, Scatter

PIX = "i8[M,B] in [-1,S)"
VALID_B = "pix_indexes_for_sub_slim_index[m, b] >= 0"

# one-hot form of T for the array API, which has no accumulating scatter-add
ONEHOT_T = """
valid = xp.cumulative_prod(xp.astype(pix_indexes_for_sub_slim_index >= 0, xp.int64), axis=1) > 0
hit = pix_indexes_for_sub_slim_index[:, :, None] == xp.arange(pixels, device=_device(pix_indexes_for_sub_slim_index))[None, None, :]
weights = xp.where(valid, pix_weights_for_sub_slim_index, 0.0)
return xp.sum(xp.where(hit, weights[:, :, None], 0.0), axis=1)
"""

KERNELS = [
    Scatter(
        name="mapping_matrix_from",
        doc="Dense (M, S) mapping matrix T: ``T[m, pix[m, b]] += weight[m, b]`` over each row's valid entries.",
        args={
            "pix_indexes_for_sub_slim_index": PIX,
            "pix_weights_for_sub_slim_index": "f8[M,B] finite",
            "pixels": "int -> S >0",
        },
        returns="f8[M,S] finite",
        family="mapping_matrix",
        loops={"m": "M", "b": "B"},
        out_shape=("M", "S"),
        stops={"b": VALID_B},
        updates=[
            "out[m, pix_indexes_for_sub_slim_index[m, b]] += pix_weights_for_sub_slim_index[m, b]"
        ],
        bodies={"xp": ONEHOT_T},
    ),
    Composite(
        name="mapping_matrix_from_BCOO",
        doc="""The mapping matrix as a ``jax.experimental.sparse.BCOO`` (M, S), B stored entries per row.

Entries after a row's first -1 are stored as explicit zeros at column 0.""",
        args={
            "pix_indexes_for_sub_slim_index": PIX,
            "pix_weights_for_sub_slim_index": "f8[M,B] finite",
            "pixels": "int -> S >0",
        },
        returns="any",
        family="mapping_matrix",
        method="BCOO",
        skip={"numba": "BCOO is JAX's sparse format", "xp": "BCOO is JAX's sparse format"},
        bodies={
            "jax": """
from jax.experimental import sparse

m, b = pix_indexes_for_sub_slim_index.shape
valid = xp.cumprod(pix_indexes_for_sub_slim_index >= 0, axis=1) > 0
rows = xp.broadcast_to(xp.arange(m)[:, None], (m, b))
cols = xp.where(valid, pix_indexes_for_sub_slim_index, 0)
data = xp.where(valid, pix_weights_for_sub_slim_index, 0.0)
indices = xp.stack([rows, cols], axis=-1).reshape(m * b, 2)
return sparse.BCOO((data.reshape(m * b), indices), shape=(m, pixels))
"""
        },
    ),
    Composite(
        name="data_vector_from",
        doc="Data vector ``D = T^T d`` (S,), from the dense mapping matrix and the dirty image.",
        args={"mapping_matrix": "f8[M,S] finite", "dirty_image": "f8[M] finite"},
        returns="f8[S]",
        family="data_vector",
        body="return dirty_image @ mapping_matrix",
    ),
    Scatter(
        name="sparse_mapping_matrix_transpose_matmul",
        doc="``T^T @ matrix`` (S, C) without forming T: each valid mapping adds a scaled row of ``matrix``.",
        args={
            "matrix": "f8[M,C] finite",
            "pix_indexes_for_sub_slim_index": PIX,
            "pix_weights_for_sub_slim_index": "f8[M,B] finite",
            "pixels": "int -> S >0",
        },
        returns="f8[S,C]",
        family="sparse_matmul",
        loops={"m": "M", "b": "B", "c": "C"},
        out_shape=("S", "C"),
        stops={"b": VALID_B},
        updates=[
            "out[pix_indexes_for_sub_slim_index[m, b], c] += pix_weights_for_sub_slim_index[m, b] * matrix[m, c]"
        ],
        calls=["mapping_matrix_from"],
        bodies={
            "xp": """
mapping = mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
return mapping.T @ matrix
""",
        },
    ),
]
