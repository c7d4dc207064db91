"""The blocks of ``F = A^T W A`` and of ``D = A^T d`` for a whole lens model.

A lens model's columns are ``A = [T_1 | ... | T_n | B]``: each ``T_i`` a sparse mapping
(its own rows of pixel indexes and weights, -1 ending a row, and its own source-pixel
count), ``B`` dense (M, L) function columns (linear light profiles evaluated at the
unmasked pixel centres, not weighted: W already holds the noise). W is W-tilde, read from
its compact form. The diagonal blocks ``T_i^T W T_i`` are the curvature kernels of
``curvature.py``; this file adds the others:

- ``T^T W T_other`` (S, R), the cross block of two different mappings;
- ``W B`` (M, L), then ``T^T (W B)`` (S, L) and ``B^T W B`` (L, L);
- ``B^T d`` (L), the function columns' part of the data vector.
"""

from codegen.kinds import Composite, Dispatch, Lattice

# W[a, b] as a function of the lattice offset (dr, dc) = r_a - r_b (curvature.py's W_OFFSET)
W_OFFSET = "w_compact[abs(dr), where(dr >= 0, dc, -dc) + N - 1]"
LATTICE_W = {
    "w_compact": "f8[N,W=2*N-1] finite",
    "native_index_for_slim_index": "i8[M,2] in [0,N)",
}
MAPPING = {
    "pix_indexes_for_sub_slim_index": "i8[M,B] in [-1,S)",
    "pix_weights_for_sub_slim_index": "f8[M,B] finite",
    "pixels": "int -> S >0",
}
OTHER = {
    "pix_indexes_other": "i8[M,Q] in [-1,R)",
    "pix_weights_other": "f8[M,Q] finite",
    "pixels_other": "int -> R >0",
}
FUNCTIONS = {"function_columns": "f8[M,L] finite"}
CROSS_ARGS = {**LATTICE_W, **MAPPING, **OTHER}
#: T^T W T_other as a lattice sandwich: convolve the columns of T_other, gather through T
LATTICE_CROSS = dict(
    args=CROSS_ARGS,
    returns="f8[S,R]",
    family="curvature_matrix_cross",
    kernel=W_OFFSET,
    extent=("N", "N"),
    positions="native_index_for_slim_index",
    indexes="pix_indexes_other",
    weights="pix_weights_other",
    columns="R",
    left_indexes="pix_indexes_for_sub_slim_index",
    left_weights="pix_weights_for_sub_slim_index",
    rows="S",
)
W_B = "w_compact_matmul_function_columns_from(w_compact, native_index_for_slim_index, function_columns)"

KERNELS = [
    Lattice(
        name="curvature_matrix_cross_via_w_compact_conv_from",
        doc="""``T^T W T_other`` (S, R), two different mappings, by direct convolution (loops).

For each column of ``T_other`` (in parallel), the rows of ``W t`` over the mask's bounding
box are sums of contiguous slices of the compact form's kernel table; each finished row
is gathered at once through the sparse rows of ``T``. Every pair is formed: the block is
not symmetric. Cost: (entries of ``T_other``) x M multiply-adds plus the gather,
O(N^2 + S R) memory. Only Numba: JAX and the array API use ``method='fft'``.""",
        method="conv",
        **LATTICE_CROSS,
        lowering={"numba": "conv"},
        skip={
            "jax": "the host conv path's gradient assumes one mapping on both sides; "
            "JAX uses method='fft', which is differentiable array code",
            "xp": "a direct convolution is a loop; vectorised backends use method='fft'",
        },
    ),
    Lattice(
        name="curvature_matrix_cross_via_w_compact_fft_from",
        doc="""``T^T W T_other`` (S, R), two different mappings, with ``W T_other`` by FFTs.

Chunks of the columns of ``T_other`` are placed on the zero-padded lattice (each side at
least 2N - 1, rounded up to an FFT-friendly length), multiplied in Fourier space by the
transform of the kernel table, read back at the mask's pixels and gathered through the
sparse rows of ``T``. Cost: two real FFTs of the padded lattice per column of
``T_other``; in JAX plain array code (jit, vmap and grad work).""",
        method="fft",
        **LATTICE_CROSS,
        lowering={"numba": "fft", "jax": "fft", "xp": "fft"},
    ),
    Dispatch(
        name="curvature_matrix_cross_via_w_compact_from",
        doc="""``T^T W T_other`` (S, R), the block of F between two mappings, by ``method``.

Methods: ``conv`` (direct convolution, Numba only) and ``fft`` (batched FFTs on the padded
lattice, every backend). ``auto``: ``conv`` in Numba, ``fft`` in JAX and the array API
(the only method they have). The transpose of the block is
``curvature_matrix_cross_via_w_compact_from`` with the two mappings swapped.""",
        args={**CROSS_ARGS, "method": "str"},
        defaults={"method": "'auto'"},
        returns="f8[S,R]",
        family="curvature_matrix_cross",
        method="compact_sparse",
        methods={
            "conv": "curvature_matrix_cross_via_w_compact_conv_from",
            "fft": "curvature_matrix_cross_via_w_compact_fft_from",
        },
        auto={"numba": "'conv'", "jax": "'fft'", "xp": "'fft'"},
    ),
    Lattice(
        name="w_compact_matmul_function_columns_from",
        doc="""``W B`` (M, L): W-tilde, from its compact form, times dense function columns B.

Chunks of the columns of B are placed on the zero-padded lattice at the mask's pixels,
multiplied in Fourier space by the transform of the kernel table and read back at the
mask's pixels; no sparse gather on either side. Cost: two real FFTs of the padded lattice
(at least (2N - 1)^2 points) per column of B, O(N^2) memory per column in a chunk. In
JAX plain array code, so jit, vmap and grad (with respect to B and ``w_compact``) work.""",
        args={**LATTICE_W, **FUNCTIONS},
        returns="f8[M,L]",
        family="w_tilde_matmul_function_columns",
        method="fft",
        kernel=W_OFFSET,
        extent=("N", "N"),
        positions="native_index_for_slim_index",
        dense_columns="function_columns",
        columns="L",
        lowering={"numba": "fft", "jax": "fft", "xp": "fft"},
    ),
    Composite(
        name="curvature_matrix_mapping_functions_via_w_compact_from",
        doc="""``T^T (W B)`` (S, L), the block of F between a mapping and the function columns.

``W B`` by FFTs on the padded lattice (``w_compact_matmul_function_columns_from``), then
the sparse ``T^T`` (``sparse_mapping_matrix_transpose_matmul``). Cost: two real FFTs of
the padded lattice per function column, plus (entries of T) x L multiply-adds.""",
        args={**LATTICE_W, **MAPPING, **FUNCTIONS},
        returns="f8[S,L]",
        family="curvature_matrix_mapping_functions",
        method="fft",
        calls=["w_compact_matmul_function_columns_from", "sparse_mapping_matrix_transpose_matmul"],
        body=f"""
w_b = {W_B}
return sparse_mapping_matrix_transpose_matmul(w_b, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
""",
    ),
    Composite(
        name="curvature_matrix_functions_via_w_compact_from",
        doc="""``B^T W B`` (L, L), the block of F between the function columns, symmetrised.

``W B`` by FFTs on the padded lattice, then the dense product ``B^T (W B)``, returned as
``0.5 (X + X^T)`` so the block is exactly symmetric. Cost: two real FFTs of the padded
lattice per function column plus M L^2 multiply-adds.""",
        args={**LATTICE_W, **FUNCTIONS},
        returns="f8[L,L]",
        family="curvature_matrix_functions",
        method="fft",
        calls=["w_compact_matmul_function_columns_from"],
        body=f"""
product = function_columns.T @ {W_B}
return 0.5 * (product + product.T)
""",
    ),
    Composite(
        name="data_vector_functions_from",
        doc="""``B^T d`` (L): the function columns' entries of the data vector ``D = A^T d``.

``d`` is the (noise-weighted) dirty image over the mask. Cost: M L multiply-adds.""",
        args={"dirty_image": "f8[M] finite", **FUNCTIONS},
        returns="f8[L]",
        family="data_vector_functions",
        body="return function_columns.T @ dirty_image",
    ),
]
