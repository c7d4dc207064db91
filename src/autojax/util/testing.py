"""Helpers for checking a backend against the float64 reference (tests and benchmarks).

``assert_close`` is the one comparison rule for kernel outputs; ``expected`` gives the
reference result of any kernel on any dataset (computed once and cached).
"""

from __future__ import annotations

import numpy as np

from autojax import reference as ref

__all__ = ["to_numpy", "assert_close", "reference_function", "expected", "REFERENCE_NAME"]

#: Kernel names whose reference function has another name.
REFERENCE_NAME = {
    "curvature_matrix_via_w_wilde_sparse_mapping_matrix_from": "curvature_matrix_via_w_tilde_sparse_mapping_matrix_from",
    "_w_compact_matmul_sparse_mapping_matrix_from": "w_compact_matmul_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "mapping_matrix_from_BCOO": "mapping_matrix_from",
    "curvature_matrix_via_w_compact_two_pass_from": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_conv_from": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_fft_from": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "_w_tilde_matmul_sparse_mapping_matrix_from": "w_tilde_matmul_sparse_mapping_matrix_from",
    "_neighbor_adjacency_from": "neighbor_adjacency_from",
    "w_compact_curvature_interferometer_exact_from": "w_compact_curvature_interferometer_from",
    "w_compact_curvature_interferometer_nufft_from": "w_compact_curvature_interferometer_from",
    "dirty_image_exact_from": "dirty_image_from",
    "dirty_image_nufft_from": "dirty_image_from",
    "w_compact_curvature_interferometer_nufft_ducc0_from": "w_compact_curvature_interferometer_from",
    "w_compact_curvature_interferometer_nufft_finufft_from": "w_compact_curvature_interferometer_from",
    "dirty_image_nufft_ducc0_from": "dirty_image_from",
    "dirty_image_nufft_finufft_from": "dirty_image_from",
    "curvature_matrix_cross_via_w_compact_conv_from": "curvature_matrix_cross_via_w_compact_from",
    "curvature_matrix_cross_via_w_compact_fft_from": "curvature_matrix_cross_via_w_compact_from",
}


def to_numpy(value):
    """Any backend's array (NumPy, JAX, array-api-strict, ...) as a NumPy array."""
    if isinstance(value, np.ndarray):
        return value
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        return np.from_dlpack(value)


def assert_close(actual, expected, *, rtol: float = 1e-10, namespace=None, err_msg: str = ""):
    """The one assertion for kernel outputs.

    Checks, in this order: the array namespace (when ``namespace`` is given), the kind of
    dtype (bool, integer, real, complex), the shape, then the values with ``rtol`` and an
    absolute tolerance ``rtol * max|expected|`` (docs/contract.md's rule). Tuples compare
    element by element; scalars compare as 0-d arrays.
    """
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), (
            f"{err_msg}: expected a tuple of {len(expected)}, got {type(actual).__name__}"
        )
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, namespace=namespace, err_msg=err_msg)
        return
    if namespace is not None and np.ndim(expected) > 0:
        from array_api_compat import array_namespace

        got = array_namespace(actual)
        assert got is namespace or getattr(got, "__name__", None) == getattr(
            namespace, "__name__", 0
        ), f"{err_msg}: result lives in {got.__name__}, expected {namespace.__name__}"
    a = to_numpy(actual)
    e = np.asarray(expected)
    kind = {"b": "bool", "i": "integer", "u": "integer", "f": "real", "c": "complex"}
    assert kind.get(a.dtype.kind) == kind.get(e.dtype.kind), (
        f"{err_msg}: dtype {a.dtype} is not of the same kind as the reference's {e.dtype}"
    )
    assert a.shape == e.shape, f"{err_msg}: shape {a.shape} != reference shape {e.shape}"
    if e.dtype.kind in "biu":
        np.testing.assert_array_equal(a, e, err_msg=err_msg)
        return
    assert np.all(np.isfinite(a)), f"{err_msg}: result has non-finite values"
    scale = float(np.max(np.abs(e))) if e.size else 0.0
    np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * scale, err_msg=err_msg)


def reference_function(kernel: str):
    return getattr(ref, REFERENCE_NAME.get(kernel, kernel))


_EXPECTED: dict[tuple[str, int], object] = {}


def expected(kernel: str, dataset):
    """The reference result, computed once per kernel and dataset (datasets are session-wide)."""
    key = (kernel, id(dataset))
    if key not in _EXPECTED:
        func = reference_function(kernel)
        _EXPECTED[key] = func(*dataset.args_for(func))
    return _EXPECTED[key]
