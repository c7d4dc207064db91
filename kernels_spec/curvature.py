"""The curvature matrix ``F = T^T W T`` (S, S), by every method the seed benchmarks.

- ``dense``: dense W-tilde and dense T;
- ``sparse``: dense W-tilde, sparse T (two custom products);
- ``compact_sparse``: W-tilde read from the compact form, sparse T (two passes, W T then T^T);
- ``compact_sparse_direct``: one loop over image-pixel pairs and their mappings (least memory);
- ``compact_sparse_BCOO``: JAX's sparse BCOO products.
"""

from codegen.kinds import Alias, Composite, Dispatch, Lattice, Scatter

PIX = "i8[M,B] in [-1,S)"
ROW_A, ROW_B = "native_index_for_slim_index[a, 0]", "native_index_for_slim_index[b, 0]"
COL_A, COL_B = "native_index_for_slim_index[a, 1]", "native_index_for_slim_index[b, 1]"
# W[a, b] read from the compact form (docs/contract.md: C[|dr|, (dc if dr >= 0 else -dc) + N - 1])
W_AB = f"w_compact[abs({ROW_A} - {ROW_B}), where({ROW_A} >= {ROW_B}, {COL_A} - {COL_B}, {COL_B} - {COL_A}) + N - 1]"
# the same value as a function of the offset (dr, dc) = r_a - r_b alone
W_OFFSET = "w_compact[abs(dr), where(dr >= 0, dc, -dc) + N - 1]"
COMPACT_ARGS = {
    "w_compact": "f8[N,W=2*N-1] finite",
    "native_index_for_slim_index": "i8[M,2] in [0,N)",
    "pix_indexes_for_sub_slim_index": PIX,
    "pix_weights_for_sub_slim_index": "f8[M,B] finite",
    "pixels": "int -> S >0",
}
#: F = T^T W T as a lattice sandwich: W from the compact form by offset, T from sparse rows
LATTICE_W_T = dict(
    args=COMPACT_ARGS,
    returns="f8[S,S]",
    family="curvature_matrix",
    kernel=W_OFFSET,
    extent=("N", "N"),
    positions="native_index_for_slim_index",
    indexes="pix_indexes_for_sub_slim_index",
    weights="pix_weights_for_sub_slim_index",
    columns="S",
    # W-tilde is symmetric: C(d) = C(-d)
    symmetric=True,
)
NO_XP_SCATTER = (
    "the array API has no accumulating scatter-add; a one-hot form needs O(M^2 B^2) memory"
)

KERNELS = [
    Composite(
        name="curvature_matrix_via_w_tilde_from",
        doc="``F = T^T W T`` with dense W-tilde and dense mapping matrix.",
        args={"w_tilde": "f8[M,M] finite", "mapping_matrix": "f8[M,S] finite"},
        returns="f8[S,S]",
        family="curvature_matrix",
        method="dense",
        body="return mapping_matrix.T @ (w_tilde @ mapping_matrix)",
    ),
    Scatter(
        name="_w_tilde_matmul_sparse_mapping_matrix_from",
        doc="``W T`` (M, S) from dense W-tilde and the sparse rows of T.",
        args={
            "w_tilde": "f8[M,M] finite",
            "pix_indexes_for_sub_slim_index": PIX,
            "pix_weights_for_sub_slim_index": "f8[M,B] finite",
            "pixels": "int -> S >0",
        },
        returns="f8[M,S] finite",
        family="sparse_matmul",
        loops={"a": "M", "b": "M", "j": "B"},
        out_shape=("M", "S"),
        stops={"j": "pix_indexes_for_sub_slim_index[b, j] >= 0"},
        updates=[
            "out[a, pix_indexes_for_sub_slim_index[b, j]] += w_tilde[a, b] * pix_weights_for_sub_slim_index[b, j]"
        ],
        calls=["mapping_matrix_from"],
        bodies={
            "xp": "return w_tilde @ mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)",
        },
    ),
    Composite(
        name="curvature_matrix_via_w_wilde_sparse_mapping_matrix_from",
        doc="""``F = T^T (W T)`` from dense W-tilde and the sparse rows of T (the seed's spelling, "wilde").""",
        args={
            "w_tilde": "f8[M,M] finite",
            "pix_indexes_for_sub_slim_index": PIX,
            "pix_weights_for_sub_slim_index": "f8[M,B] finite",
            "pixels": "int -> S >0",
        },
        returns="f8[S,S]",
        family="curvature_matrix",
        method="sparse",
        calls=[
            "_w_tilde_matmul_sparse_mapping_matrix_from",
            "sparse_mapping_matrix_transpose_matmul",
        ],
        body="""
omega = _w_tilde_matmul_sparse_mapping_matrix_from(w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
return sparse_mapping_matrix_transpose_matmul(omega, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
""",
    ),
    Alias(
        name="curvature_matrix_via_w_tilde_sparse_mapping_matrix_from",
        target="curvature_matrix_via_w_wilde_sparse_mapping_matrix_from",
        doc="the correctly spelled name",
    ),
    Scatter(
        name="_w_compact_matmul_sparse_mapping_matrix_from",
        doc="``W T`` (M, S), reading W-tilde from the compact form and T from its sparse rows.",
        args=COMPACT_ARGS,
        returns="f8[M,S] finite",
        family="sparse_matmul",
        method="compact",
        loops={"a": "M", "b": "M", "j": "B"},
        out_shape=("M", "S"),
        stops={"j": "pix_indexes_for_sub_slim_index[b, j] >= 0"},
        updates=[
            f"out[a, pix_indexes_for_sub_slim_index[b, j]] += {W_AB} * pix_weights_for_sub_slim_index[b, j]"
        ],
        calls=["w_tilde_via_compact_from", "mapping_matrix_from"],
        bodies={
            "xp": """
w_tilde = w_tilde_via_compact_from(w_compact, native_index_for_slim_index)
return w_tilde @ mapping_matrix_from(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
""",
        },
    ),
    Composite(
        name="curvature_matrix_via_w_compact_two_pass_from",
        doc="``F = T^T (W T)`` from the compact form and sparse T, in two passes.",
        args=COMPACT_ARGS,
        returns="f8[S,S]",
        family="curvature_matrix",
        method="two_pass",
        calls=[
            "_w_compact_matmul_sparse_mapping_matrix_from",
            "sparse_mapping_matrix_transpose_matmul",
        ],
        body="""
omega = _w_compact_matmul_sparse_mapping_matrix_from(w_compact, native_index_for_slim_index, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
return sparse_mapping_matrix_transpose_matmul(omega, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
""",
    ),
    Lattice(
        name="curvature_matrix_via_w_compact_conv_from",
        doc="""``F = T^T (W T)`` by direct convolution over the mask's bounding box (loops).

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
W T).""",
        method="conv",
        **LATTICE_W_T,
        lowering={"numba": "conv", "jax": "conv"},
        skip={"xp": "a direct convolution is a loop; vectorised backends use method='fft'"},
    ),
    Lattice(
        name="curvature_matrix_via_w_compact_fft_from",
        doc="""``F = T^T (W T)`` with W T by FFTs on the zero-padded lattice (batched over columns).

Each chunk of source columns is placed on a lattice of at least (2N-1) x (2N-1) (rounded
up to FFT-friendly lengths), transformed, multiplied by the transform of the compact
form's kernel table in circular layout, transformed back and read at the mask's pixels;
then ``T^T``. Cost: two real FFTs of the padded lattice per source pixel; the natural GPU
route.""",
        method="fft",
        **LATTICE_W_T,
        lowering={"numba": "fft", "jax": "fft", "xp": "fft"},
    ),
    Dispatch(
        name="curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
        doc="""``F = T^T W T`` from the compact form and the sparse rows of T, by ``method``.

Methods: ``two_pass`` (W T by a scatter over pixel pairs, then T^T), ``conv`` (direct
convolution over the mask's bounding box: Numba's loop, in JAX called on the host) and ``fft`` (batched FFTs on the padded
lattice). ``auto`` picks by the measured crossovers (README, "Methods").""",
        args={**COMPACT_ARGS, "method": "str"},
        defaults={"method": "'auto'"},
        returns="f8[S,S]",
        family="curvature_matrix",
        method="compact_sparse",
        methods={
            "two_pass": "curvature_matrix_via_w_compact_two_pass_from",
            "conv": "curvature_matrix_via_w_compact_conv_from",
            "fft": "curvature_matrix_via_w_compact_fft_from",
        },
        auto={
            "numba": "'conv'",
            "jax": "'fft' if gpu else 'conv'",
            "xp": "'two_pass' if M <= 4000 else 'fft'",
        },
    ),
    Alias(
        name="curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
        target="curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
        doc="the upstream name, served by the compact form (arguments as the compact method)",
    ),
    Scatter(
        name="curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from",
        doc="""F in one pass over image-pixel pairs (a, b) and their mappings (i, j).

``F[pix[a,i], pix[b,j]] += W[a,b] w[a,i] w[b,j]``: the least memory, the most flops.""",
        args=COMPACT_ARGS,
        returns="f8[S,S]",
        family="curvature_matrix",
        method="compact_sparse_direct",
        loops={"a": "M", "i": "B", "b": "M", "j": "B"},
        out_shape=("S", "S"),
        stops={
            "i": "pix_indexes_for_sub_slim_index[a, i] >= 0",
            "j": "pix_indexes_for_sub_slim_index[b, j] >= 0",
        },
        updates=[
            "out[pix_indexes_for_sub_slim_index[a, i], pix_indexes_for_sub_slim_index[b, j]] += "
            f"{W_AB} * pix_weights_for_sub_slim_index[a, i] * pix_weights_for_sub_slim_index[b, j]"
        ],
        skip={"xp": NO_XP_SCATTER},
    ),
    Composite(
        name="curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO",
        doc="F with T as a JAX BCOO sparse matrix and W-tilde expanded from the compact form.",
        args=COMPACT_ARGS,
        returns="f8[S,S]",
        family="curvature_matrix",
        method="compact_sparse_BCOO",
        skip={"numba": "BCOO is JAX's sparse format", "xp": "BCOO is JAX's sparse format"},
        calls=["w_tilde_via_compact_from", "mapping_matrix_from_BCOO"],
        bodies={
            "jax": """
mapping = mapping_matrix_from_BCOO(pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
w_tilde = w_tilde_via_compact_from(w_compact, native_index_for_slim_index)
tw = mapping.T @ w_tilde
return mapping.T @ tw.T
"""
        },
    ),
]
