"""Which kernels the tests know, and the reference each one is checked against."""

from __future__ import annotations

from autojax import backends
from autojax import reference as ref

#: Kernel names whose reference function has another name.
REFERENCE_NAME = {
    "curvature_matrix_via_w_wilde_sparse_mapping_matrix_from": "curvature_matrix_via_w_tilde_sparse_mapping_matrix_from",
    "_w_compact_matmul_sparse_mapping_matrix_from": "w_compact_matmul_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "mapping_matrix_from_BCOO": "mapping_matrix_from",
    "_w_tilde_matmul_sparse_mapping_matrix_from": "w_tilde_matmul_sparse_mapping_matrix_from",
    "_neighbor_adjacency_from": "neighbor_adjacency_from",
}

#: Kernels whose result is not a plain array; their own tests cover them.
SPECIAL: set[str] = set()


def skip_reason(backend: str, kernel: str) -> str:
    """Why ``backend`` lacks ``kernel``: the spec's reason, or that it is not specified for it."""
    from autojax.generated.capabilities import KERNELS

    entry = KERNELS.get(kernel)
    if backend == "original":
        return f"original has no {kernel} (upstream has no such function)"
    if entry is None:
        return f"{kernel} is original-only (no spec; the generated backends use the compact form)"
    return entry["skip"].get(backend, f"{backend} has no {kernel}")


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


def all_kernels() -> list[str]:
    """Every kernel any importable backend provides, sorted."""
    names = set()
    for name, reason in backends.available().items():
        if reason is None:
            names.update(backends.kernels(name))
    return sorted(names - SPECIAL)
