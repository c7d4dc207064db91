"""Which kernels the tests know, and the reference each one is checked against."""

from __future__ import annotations

from autojax import backends
from autojax.util.testing import REFERENCE_NAME, expected, reference_function  # noqa: F401

#: Kernels whose result is not a plain array, or whose arguments the datasets do not hold
#: (none today: the lens-model blocks take the datasets' second mapping and function
#: columns; tests/test_lens_model_blocks.py covers their awkward sizes).
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


def all_kernels() -> list[str]:
    """Every kernel any importable backend provides, sorted."""
    names = set()
    for name, reason in backends.available().items():
        if reason is None:
            names.update(backends.kernels(name))
    return sorted(names - SPECIAL)
