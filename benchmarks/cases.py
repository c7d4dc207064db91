"""What the benchmark suites time: cases, grouped the way the report shows them.

A :class:`Case` is one timed call: a backend, one kernel (or a kernel followed by the
expansion of its result to the dense matrix), and the reference it must agree with. Three
kinds of group:

- ``kernel``: one kernel, every backend that has it (the ``original`` backend first when
  it has the kernel); built from :func:`kernel_cases`;
- ``method``: the seed document's two comparisons, *w-tilde* and *curvature matrix*: every
  way of computing the same matrix, across backends and methods (:data:`METHODS`);
- ``likelihood``: the full log-likelihood, the MCMC step, per backend and W-tilde form.

Kernels that a method or likelihood group already times are not timed again on their own;
the report shows those entries in their kernel's table too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autojax import backends
from autojax.util.testing import expected as reference_result


@dataclass(frozen=True)
class Case:
    """One timed call and the reference it is checked against."""

    group: str  # "w-tilde", "curvature", "likelihood", or a kernel name
    kind: str  # "kernel", "method" or "likelihood"
    label: str  # the row name in the report
    backend: str  # whose module provides the kernels (and how inputs are converted)
    kernel: str  # the timed kernel
    then: str | None = None  # a kernel applied to the result (its other arguments from data)
    expect: str | None = None  # dataset attribute holding the reference result
    baseline: bool = False  # the row ratios are taken against

    @property
    def single_kernel(self) -> str | None:
        """The kernel this case times on its own (None for chained cases)."""
        return None if self.then else self.kernel

    def reference(self, dataset):
        if self.expect is not None:
            return getattr(dataset, self.expect)
        return reference_result(self.then or self.kernel, dataset)

    def bind(self, module, dataset, convert) -> tuple[Callable, list]:
        """The callable to time and its positional arguments (converted for the backend).

        A chained case's second kernel takes the first one's result, then its own remaining
        arguments from the dataset (converted once, outside the timed call).
        """
        first = getattr(module, self.kernel)
        args = [convert(a) for a in dataset.args_for(first)]
        if self.then is None:
            return first, args
        second = getattr(module, self.then)
        rest = [convert(a) for a in dataset.args_for(second)[1:]]

        def chained(*args):
            return second(first(*args), *rest)

        return chained, args


def on_jax(backend: str) -> bool:
    """Whether ``backend`` computes with JAX arrays: the JAX backend, and the array-API
    backend when ``AUTOJAX_BENCH_XP_ARRAYS=jax`` (the GPU run) gives it jax.numpy arrays."""
    return backend == "jax" or (
        backend == "xp" and os.environ.get("AUTOJAX_BENCH_XP_ARRAYS", "numpy") == "jax"
    )


def converter(backend: str) -> Callable:
    """How one input is prepared for ``backend`` (outside any timed region)."""
    if on_jax(backend):
        import jax.numpy as jnp

        return lambda a: jnp.asarray(a) if isinstance(a, np.ndarray) else a
    return lambda a: a


def blocking(fn: Callable, backend: str) -> Callable:
    """``fn`` that waits for its result: JAX dispatches asynchronously."""
    if not on_jax(backend):
        return fn
    import jax

    def call(*args):
        return jax.block_until_ready(fn(*args))

    return call


def _has(backend: str, kernel: str) -> bool:
    try:
        return hasattr(backends.load(backend), kernel)
    except ImportError:
        return False


def _w_tilde_cases() -> list[Case]:
    g, k = "w-tilde", "method"
    cases = [
        Case(
            g,
            k,
            "original direct",
            "original",
            "w_tilde_curvature_interferometer_from",
            baseline=True,
            expect="w_tilde",
        ),
        Case(
            g,
            k,
            "original preload",
            "original",
            "w_tilde_curvature_preload_interferometer_from",
            expect="w_tilde_preload",
        ),
        Case(
            g,
            k,
            "original preload + expand",
            "original",
            "w_tilde_curvature_preload_interferometer_from",
            then="w_tilde_via_preload_from",
            expect="w_tilde",
        ),
    ]
    for b in ("numba", "jax", "xp"):
        cases.append(
            Case(g, k, f"{b} direct", b, "w_tilde_curvature_interferometer_from", expect="w_tilde")
        )
    for b in ("numba", "jax", "xp"):
        for method in ("exact", "nufft"):
            cases.append(
                Case(
                    g,
                    k,
                    f"{b} compact {method}",
                    b,
                    f"w_compact_curvature_interferometer_{method}_from",
                    expect="w_compact",
                )
            )
        cases.append(
            Case(
                g,
                k,
                f"{b} compact exact + expand",
                b,
                "w_compact_curvature_interferometer_exact_from",
                then="w_tilde_via_compact_from",
                expect="w_tilde",
            )
        )
    return cases


def _curvature_cases() -> list[Case]:
    g, k, f = "curvature", "method", "curvature_matrix"
    cases = [
        Case(
            g,
            k,
            "original dense (T^T W T)",
            "original",
            "curvature_matrix_via_w_tilde_from",
            baseline=True,
            expect=f,
        ),
        Case(
            g,
            k,
            "original preload direct",
            "original",
            "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
            expect=f,
        ),
    ]
    for b in ("numba", "jax", "xp"):
        cases += [
            Case(g, k, f"{b} dense (T^T W T)", b, "curvature_matrix_via_w_tilde_from", expect=f),
            Case(
                g,
                k,
                f"{b} sparse (from W)",
                b,
                "curvature_matrix_via_w_tilde_sparse_mapping_matrix_from",
                expect=f,
            ),
            *(
                Case(
                    g,
                    k,
                    f"{b} compact {method}",
                    b,
                    f"curvature_matrix_via_w_compact_{method}_from",
                    expect=f,
                )
                for method in ("two_pass", "conv", "fft")
            ),
            Case(
                g,
                k,
                f"{b} compact sparse direct (4-loop)",
                b,
                "curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from",
                expect=f,
            ),
            Case(
                g,
                k,
                f"{b} compact sparse BCOO",
                b,
                "curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO",
                expect=f,
            ),
        ]
    return cases


def _likelihood_cases() -> list[Case]:
    g, k = "likelihood", "likelihood"
    cases = []
    for b in backends.NAMES:
        form = "preload" if b == "original" else "compact"
        cases += [
            Case(
                g,
                k,
                f"{b} via W-tilde",
                b,
                "log_likelihood_function_via_w_tilde_from",
                baseline=b == "original",
            ),
            Case(
                g,
                k,
                f"{b} via {form}" + ("" if b == "original" else " (method auto)"),
                b,
                "log_likelihood_function_via_w_compact_from",
            ),
        ]
        if b != "original":
            # the step autojax.Likelihood runs: the K-sized sums computed once per dataset
            cases.append(
                Case(g, k, f"{b} step (Likelihood object)", b, "log_evidence_via_w_compact_from")
            )
    return cases


#: The method and likelihood groups, in report order.
METHODS: dict[str, Callable[[], list[Case]]] = {
    "w-tilde": _w_tilde_cases,
    "curvature": _curvature_cases,
    "likelihood": _likelihood_cases,
}

#: Kernels that are not benchmarked on their own (the seed's upstream name of the
#: compact-sparse method is an alias: the same function under a second name).
ALIASES = {
    "curvature_matrix_via_w_wilde_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
}


def method_cases(selected_backends) -> list[Case]:
    """Every method/likelihood case whose backend is selected and has the kernels."""
    out = []
    for make in METHODS.values():
        for case in make():
            if case.backend in selected_backends and _has(case.backend, case.kernel):
                if case.then is None or _has(case.backend, case.then):
                    out.append(case)
    return out


def kernel_cases(selected_backends) -> list[Case]:
    """One case per kernel x backend not already timed by a method or likelihood group."""
    timed = {(c.backend, c.single_kernel) for c in method_cases(selected_backends)}
    names = set()
    for b in selected_backends:
        names.update(backends.kernels(b))
    cases = []
    for kernel in sorted(names):
        for b in backends.NAMES:
            if b not in selected_backends or not _has(b, kernel) or (b, kernel) in timed:
                continue
            if kernel in ALIASES and b != "original":
                continue
            cases.append(Case(kernel, "kernel", b, b, kernel, baseline=b == "original"))
    return cases
