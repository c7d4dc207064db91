"""Regularization, the linear solve, the noise normalisation and the log-likelihood (the MCMC step)."""

from codegen.kinds import Composite, Scatter

PIX = "i8[M,B] in [-1,S)"
#: neighbour counts must agree with the -1 that ends each row of neighbors
SIZES = "i8[S] in [0,P] counts neighbors"
#: W-tilde and the lattice forms use only Re(sigma): the likelihoods refuse Re != Im
LIKELIHOOD_NOISE = "c16[K] finite !=0 re==im"

# one Cholesky factor of F + H gives the solve and its log-determinant; H is sparse, so F + H
# is formed from H's entries and log det H comes from a sparse factorisation (NumPy; JAX and
# other namespaces factor a dense H); a matrix that is not positive definite makes the
# evidence -inf (src/autojax/_linalg.py)
EVIDENCE_TAIL = """
data_vector = sparse_mapping_matrix_transpose_matmul(xp.reshape(dirty_image, (-1, 1)), pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)[:, 0]
curvature_reg = _linalg.plus_constant_regularization(xp, curvature, coefficient, neighbors, neighbors_sizes)
reconstruction, logdet_curvature_reg, ok_curvature_reg = _linalg.cholesky_solve_logdet(xp, curvature_reg, data_vector, overwrite=True)
_, logdet_regularization, ok_regularization = _linalg.constant_regularization_logdet(xp, coefficient, neighbors, neighbors_sizes)
ok = ok_curvature_reg & ok_regularization
if ok is False:
    return -xp.inf
value = -0.5 * (
    chi_squared_data
    - xp.sum(reconstruction * data_vector)
    + logdet_curvature_reg
    - logdet_regularization
    + noise_normalization
)
return _linalg.value_or_minus_inf(xp, ok, value)
"""
# the two per-dataset constants (sums over the K visibilities), computed per call by the
# seed's argument lists and once per dataset by log_evidence_via_w_compact_from's callers
DATA_CONSTANTS = """
chi_squared_data = data_chi_squared_complex_from(data, noise_map)
noise_normalization = noise_normalization_complex_from(noise_map)
"""
LIKELIHOOD_TAIL = DATA_CONSTANTS + EVIDENCE_TAIL
EVIDENCE_CALLS = ["sparse_mapping_matrix_transpose_matmul"]
LIKELIHOOD_CALLS = [
    *EVIDENCE_CALLS,
    "data_chi_squared_complex_from",
    "noise_normalization_complex_from",
]
LIKELIHOOD_ARGS = {
    "pix_indexes_for_sub_slim_index": PIX,
    "pix_weights_for_sub_slim_index": "f8[M,B] finite",
    "neighbors": "i8[S,P] in [-1,S)",
    "neighbors_sizes": SIZES,
    "coefficient": "float finite >=0",
}

KERNELS = [
    Scatter(
        name="_neighbor_adjacency_from",
        doc="Adjacency (S, S) of the source-pixel graph: 1 where j is a neighbour of i (rows end at -1).",
        args={"neighbors": "i8[S,P] in [-1,S)"},
        returns="f8[S,S]",
        family="regularization",
        loops={"i": "S", "p": "P"},
        out_shape=("S", "S"),
        stops={"p": "neighbors[i, p] >= 0"},
        updates=["out[i, neighbors[i, p]] += 1.0"],
        bodies={
            "xp": """
valid = xp.cumulative_prod(xp.astype(neighbors >= 0, xp.int64), axis=1) > 0
hit = (neighbors[:, :, None] == xp.arange(neighbors.shape[0], device=_device(neighbors))[None, None, :]) & valid[:, :, None]
return xp.sum(xp.astype(hit, xp.float64), axis=1)
"""
        },
    ),
    Composite(
        name="constant_regularization_matrix_from",
        doc="""Constant regularization H (S, S): ``H[i,i] = 1e-8 + c**2 n_i``; ``H[i,j] -= c**2`` per neighbour j.""",
        args={
            "coefficient": "float finite",
            "neighbors": "i8[S,P] in [-1,S)",
            "neighbors_sizes": SIZES,
        },
        returns="f8[S,S]",
        family="regularization",
        calls=["_neighbor_adjacency_from"],
        body="""
c2 = coefficient**2
diagonal = 1e-8 + c2 * xp.astype(neighbors_sizes, xp.float64)
eye = xp.eye(neighbors.shape[0], dtype=xp.float64)
return eye * diagonal[None, :] - c2 * _neighbor_adjacency_from(neighbors)
""",
    ),
    Composite(
        name="reconstruction_positive_negative_from",
        doc="""Solve ``(F + H) s = D`` for the source s (S,); values may be negative.

A general LU solve (F + H need not be positive definite). Non-finite input is refused by
the argument checks (``ValueError``); a singular (exactly or to working precision) system
raises ``autojax.LinAlgError`` naming this kernel; under JAX tracing the solution is all NaN
instead (the policy of ``autojax._linalg``).""",
        args={"data_vector": "f8[S] finite", "curvature_reg_matrix": "f8[S,S] finite"},
        returns="f8[S]",
        family="reconstruction",
        # JAX's jitted body cannot raise: it returns NaN, which the check turns into the error
        result_check="solution_or_raise",
        body="""
return _linalg.solve(xp, curvature_reg_matrix, data_vector, "reconstruction_positive_negative_from")
""",
    ),
    Composite(
        name="noise_normalization_complex_from",
        doc="``sum_k log(2 pi Re(sigma_k)**2) + log(2 pi Im(sigma_k)**2)``.",
        args={"noise_map": "c16[K] finite !=0"},
        returns="float",
        family="noise_normalization",
        body="return xp.sum(xp.log(2 * xp.pi * xp.real(noise_map) ** 2) + xp.log(2 * xp.pi * xp.imag(noise_map) ** 2))",
    ),
    Composite(
        name="data_chi_squared_complex_from",
        doc="``sum_k Re(d_k)**2 / Re(sigma_k)**2 + Im(d_k)**2 / Im(sigma_k)**2``: the chi-squared of a zero model.",
        args={"data": "c16[K] finite", "noise_map": "c16[K] finite !=0"},
        returns="float",
        family="noise_normalization",
        body="return xp.sum(xp.real(data) ** 2 / xp.real(noise_map) ** 2 + xp.imag(data) ** 2 / xp.imag(noise_map) ** 2)",
    ),
    Composite(
        name="log_evidence_via_w_compact_from",
        doc="""Log evidence of one step from the per-dataset constants, with F from the compact form.

The MCMC step of ``log_likelihood_function_via_w_compact_from`` without its two sums over
the K visibilities: ``chi_squared_data`` (``data_chi_squared_complex_from``) and
``noise_normalization`` (``noise_normalization_complex_from``) are computed once per
dataset and passed in, so a step costs O(M B + S**2 ...) and nothing in K.
``-0.5 (chi_squared_data - s.D + logdet(F+H) - logdet(H) + noise_normalization)``;
``-inf`` when F + H or H is not positive definite. ``method`` as for
``curvature_matrix_via_w_compact_sparse_mapping_matrix_from``.""",
        args={
            "dirty_image": "f8[M] finite",
            "chi_squared_data": "float finite >=0",
            "noise_normalization": "float finite",
            "w_compact": "f8[N,W=2*N-1] finite",
            "native_index_for_slim_index": "i8[M,2] in [0,N)",
            **LIKELIHOOD_ARGS,
            "method": "str",
        },
        defaults={"coefficient": "1.0", "method": "'auto'"},
        returns="float",
        family="log_likelihood",
        method="w_compact_precomputed",
        calls=[*EVIDENCE_CALLS, "curvature_matrix_via_w_compact_sparse_mapping_matrix_from"],
        body="""
pixels = neighbors.shape[0]
curvature = curvature_matrix_via_w_compact_sparse_mapping_matrix_from(w_compact, native_index_for_slim_index, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels, method=method)
"""
        + EVIDENCE_TAIL,
    ),
    Composite(
        name="log_likelihood_function_via_w_tilde_from",
        doc="""Log evidence of the linear inversion from dense W-tilde (the MCMC step).

``-0.5 (chi2_data - s.D + logdet(F+H) - logdet(H) + noise_norm)`` with D = T^T d and
F = T^T W T from the sparse rows of T (no dense mapping matrix), H the constant
regularization with ``coefficient`` (1.0, the seed's value, by default), one Cholesky
factor of F + H for the solve and its log-determinant and one of H. ``-inf`` when F + H
is not positive definite.""",
        args={
            "dirty_image": "f8[M] finite",
            "data": "c16[K] finite",
            "noise_map": LIKELIHOOD_NOISE,
            "w_tilde": "f8[M,M] finite",
            **LIKELIHOOD_ARGS,
        },
        defaults={"coefficient": "1.0"},
        returns="float",
        family="log_likelihood",
        method="w_tilde",
        calls=[*LIKELIHOOD_CALLS, "curvature_matrix_via_w_wilde_sparse_mapping_matrix_from"],
        body="""
pixels = neighbors.shape[0]
curvature = curvature_matrix_via_w_wilde_sparse_mapping_matrix_from(w_tilde, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, pixels)
"""
        + LIKELIHOOD_TAIL,
    ),
    Composite(
        name="log_likelihood_function_via_w_compact_from",
        doc="""Log evidence as above, with F from the compact form by ``method``.

``method`` is the curvature method (``two_pass``, ``conv``, ``fft`` where the backend has
it, or ``auto``: the rule of ``curvature_matrix_via_w_compact_sparse_mapping_matrix_from``).
The regularization coefficient is an argument (default 1.0); ``-inf`` when F + H is not
positive definite.""",
        args={
            "dirty_image": "f8[M] finite",
            "data": "c16[K] finite",
            "noise_map": LIKELIHOOD_NOISE,
            "w_compact": "f8[N,W=2*N-1] finite",
            "native_index_for_slim_index": "i8[M,2] in [0,N)",
            **LIKELIHOOD_ARGS,
            "method": "str",
        },
        defaults={"coefficient": "1.0", "method": "'auto'"},
        returns="float",
        family="log_likelihood",
        method="w_compact",
        calls=[
            "data_chi_squared_complex_from",
            "noise_normalization_complex_from",
            "log_evidence_via_w_compact_from",
        ],
        body=DATA_CONSTANTS
        + """
return log_evidence_via_w_compact_from(dirty_image, chi_squared_data, noise_normalization, w_compact, native_index_for_slim_index, pix_indexes_for_sub_slim_index, pix_weights_for_sub_slim_index, neighbors, neighbors_sizes, coefficient, method=method)
""",
    ),
]
