# This file is generated: DO NOT EDIT.
# The numba backend: every kernel the specs give it.
# template: codegen/templates/package_init.py.j2
# regenerate: nox -s generate  (or: python -m codegen)

from .curvature import (
    curvature_matrix_via_w_tilde_from,
    _w_tilde_matmul_sparse_mapping_matrix_from,
    curvature_matrix_via_w_wilde_sparse_mapping_matrix_from,
    _w_compact_matmul_sparse_mapping_matrix_from,
    curvature_matrix_via_w_compact_two_pass_from,
    curvature_matrix_via_w_compact_conv_from,
    curvature_matrix_via_w_compact_fft_from,
    curvature_matrix_via_w_compact_sparse_mapping_matrix_from,
    curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from,
    curvature_matrix_via_w_tilde_sparse_mapping_matrix_from,
    curvature_matrix_via_w_tilde_curvature_preload_interferometer_from,
)
from .geometry import (
    mask_2d_centres_from,
    mask_2d_circular_from,
)
from .inversion import (
    _neighbor_adjacency_from,
    constant_regularization_matrix_from,
    reconstruction_positive_negative_from,
    noise_normalization_complex_from,
    data_chi_squared_complex_from,
    log_evidence_via_w_compact_from,
    log_likelihood_function_via_w_tilde_from,
    log_likelihood_function_via_w_compact_from,
)
from .lens_model import (
    curvature_matrix_cross_via_w_compact_conv_from,
    curvature_matrix_cross_via_w_compact_fft_from,
    curvature_matrix_cross_via_w_compact_from,
    w_compact_matmul_function_columns_from,
    curvature_matrix_mapping_functions_via_w_compact_from,
    curvature_matrix_functions_via_w_compact_from,
    data_vector_functions_from,
)
from .mapping import (
    mapping_matrix_from,
    data_vector_from,
    sparse_mapping_matrix_transpose_matmul,
)
from .w_tilde import (
    w_tilde_data_interferometer_from,
    w_tilde_curvature_interferometer_from,
    w_compact_curvature_interferometer_exact_from,
    w_compact_curvature_interferometer_nufft_from,
    w_compact_curvature_interferometer_nufft_ducc0_from,
    w_compact_curvature_interferometer_nufft_finufft_from,
    w_compact_curvature_interferometer_from,
    w_tilde_via_compact_from,
    w_tilde_via_preload_from,
    dirty_image_exact_from,
    dirty_image_nufft_from,
    dirty_image_nufft_ducc0_from,
    dirty_image_nufft_finufft_from,
    dirty_image_from,
)

#: public kernel -> the methods its ``method=`` keyword takes in this backend (besides "auto")
METHODS = {
    "curvature_matrix_cross_via_w_compact_from": (
        "conv",
        "fft",
    ),
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_from": (
        "two_pass",
        "conv",
        "fft",
    ),
    "dirty_image_from": (
        "exact",
        "nufft",
        "nufft_ducc0",
        "nufft_finufft",
    ),
    "log_evidence_via_w_compact_from": (
        "two_pass",
        "conv",
        "fft",
    ),
    "log_likelihood_function_via_w_compact_from": (
        "two_pass",
        "conv",
        "fft",
    ),
    "w_compact_curvature_interferometer_from": (
        "exact",
        "nufft",
        "nufft_ducc0",
        "nufft_finufft",
    ),
}

__all__ = [
    "curvature_matrix_via_w_tilde_from",
    "_w_tilde_matmul_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_wilde_sparse_mapping_matrix_from",
    "_w_compact_matmul_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_two_pass_from",
    "curvature_matrix_via_w_compact_conv_from",
    "curvature_matrix_via_w_compact_fft_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from",
    "curvature_matrix_via_w_tilde_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
    "mask_2d_centres_from",
    "mask_2d_circular_from",
    "_neighbor_adjacency_from",
    "constant_regularization_matrix_from",
    "reconstruction_positive_negative_from",
    "noise_normalization_complex_from",
    "data_chi_squared_complex_from",
    "log_evidence_via_w_compact_from",
    "log_likelihood_function_via_w_tilde_from",
    "log_likelihood_function_via_w_compact_from",
    "curvature_matrix_cross_via_w_compact_conv_from",
    "curvature_matrix_cross_via_w_compact_fft_from",
    "curvature_matrix_cross_via_w_compact_from",
    "w_compact_matmul_function_columns_from",
    "curvature_matrix_mapping_functions_via_w_compact_from",
    "curvature_matrix_functions_via_w_compact_from",
    "data_vector_functions_from",
    "mapping_matrix_from",
    "data_vector_from",
    "sparse_mapping_matrix_transpose_matmul",
    "w_tilde_data_interferometer_from",
    "w_tilde_curvature_interferometer_from",
    "w_compact_curvature_interferometer_exact_from",
    "w_compact_curvature_interferometer_nufft_from",
    "w_compact_curvature_interferometer_nufft_ducc0_from",
    "w_compact_curvature_interferometer_nufft_finufft_from",
    "w_compact_curvature_interferometer_from",
    "w_tilde_via_compact_from",
    "w_tilde_via_preload_from",
    "dirty_image_exact_from",
    "dirty_image_nufft_from",
    "dirty_image_nufft_ducc0_from",
    "dirty_image_nufft_finufft_from",
    "dirty_image_from",
]
