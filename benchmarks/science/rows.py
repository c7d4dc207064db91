"""The rows of each workload (one timed call each), and how a row is called and checked.

W1 and W2: every method of every backend's public kernel, plus ``original``'s upstream
preload loop, and for W2 the 4-loop ``direct`` kernel and JAX's BCOO products. W1 also has
the precompute's second NUFFT, the dirty image (``dirty_image_from``, its NUFFT methods:
``<backend> dirty image <method>``), and the bare library calls on the same points
(``backend="library"``: ducc0 and FINUFFT, type 1 and type 3, the inputs prepared outside
the timing), the floor the NUFFT rows are compared with.

W3 has two kinds of row, labelled for what they time:

- ``<backend> <method>: step (Likelihood, K-free)``: :meth:`autojax.Likelihood.log_evidence`,
  the step a modeller runs (under ``jax.jit`` for ``jax``, as the README does). Its
  per-observation constants (the compact form, the dirty image, the data chi-squared and
  the noise normalisation: what ``Likelihood.precompute`` computes once, W1's cost) are the
  problem's verified ones, so that a step costs nothing in K;
- ``jax auto: value_and_grad of step (weights, coefficient)``, ``jax auto: vmap of step
  over 8 mappings`` and ``jax auto: 8 calls of step``: what gradient-based and batched
  samplers run (``jax.jit`` of ``jax.value_and_grad`` / ``jax.vmap`` of the step, with the
  method ``auto`` picks on this machine). The 8 mappings are the problem's weights scaled
  by 8 factors (F scales by their squares, the data vector by them: each is checked against
  the reference evidence from the verified F); the gradient is checked against central
  finite differences of the Numba step along a random direction (see :data:`GRAD_RTOL`);
- ``<backend> <method>: seed-argument likelihood (recomputes K sums)``:
  ``log_likelihood_function_via_w_compact_from``, which takes the data and noise and
  redoes the K-sized sums (chi-squared, normalisation) on every call; and ``original``'s.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autojax import backends

from ..cases import blocking, converter
from ..harness import WrongAnswer, as_numpy
from .checks import (
    check_compact,
    check_curvature,
    check_dirty,
    check_likelihood,
    likelihood_from_curvature,
)
from .lattice import compact_from_preload
from .problem import Problem
from .workloads import (
    BARE,
    BASELINE,
    DEFAULT_METHOD,
    DIRTY,
    PUBLIC,
    SEED_ARGUMENTS,
    STEP,
    nufft_kwargs,
)

#: the kernel of ``original``'s row of each workload
ORIGINAL = {
    "W1": "w_tilde_curvature_preload_interferometer_from",
    "W2": "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
    "W3": "log_likelihood_function_via_w_compact_from",
}
#: the dirty image's ``nufft_ducc0`` rows pass this ``eps`` when none was chosen: the default
#: (1e-14) is below the smallest ducc0's type 3 accepts (1.44e-14), and that method refuses it
DUCC0_METHOD = "nufft_ducc0"
DUCC0_DIRTY_EPS = 2e-14
#: what a W3 step row times (its ``kernel`` in the JSON)
STEP_CALL = "Likelihood.log_evidence"
#: the W3 rows of samplers (``Row.variant`` -> label suffix), JAX only, method ``auto``
VARIANTS = {
    "grad": "value_and_grad of step (weights, coefficient)",
    "vmap": "vmap of step over 8 mappings",
    "calls": "8 calls of step",
}
#: the weight scales of the 8 mappings of the ``vmap`` and ``calls`` rows
BATCH_SCALES = (1.0, 0.9, 1.1, 0.8, 1.2, 0.95, 1.05, 0.7)
#: the relative tolerance of the gradient against central finite differences (fourth order,
#: step 1e-4 of the weights: the AD gradient agreed to 1e-8 at mid, where the second-order
#: stencil's truncation alone was 1.3e-5)
GRAD_RTOL = 1e-5


@dataclass(frozen=True)
class Row:
    """One timed line: a backend's kernel (with a method keyword or without), or for W3 a
    :class:`autojax.Likelihood` step (``step=True``, ``method`` its curvature method)."""

    workload: str
    backend: str
    method: str
    kernel: str
    keyword: bool  # call with method=<method>
    label: str
    baseline: bool = False  # the row the workload's ratios are taken against
    step: bool = False  # autojax.Likelihood.log_evidence rather than a kernel
    variant: str = ""  # a sampler's call of the step (see VARIANTS), "" for one step

    def function(self) -> Callable:
        """The kernel, looked up at call time (tests patch the backend modules)."""
        return getattr(backends.load(self.backend), self.kernel)

    @property
    def dirty(self) -> bool:
        """Whether the row computes the dirty image (W1's type-3 rows)."""
        return self.kernel in (DIRTY, "dirty")


def backend_methods(module, workload: str) -> tuple[tuple[str, ...], bool]:
    """(methods, whether to pass ``method=``) of ``module`` for ``workload``."""
    table = getattr(module, "METHODS", None)
    if not table or PUBLIC[workload] not in table:
        return (DEFAULT_METHOD[workload],), False
    methods = tuple(m for m in table[PUBLIC[workload]] if m != "auto")
    return methods or (DEFAULT_METHOD[workload],), bool(methods)


def step_methods(module) -> tuple[str, ...]:
    """The curvature methods a :class:`~autojax.Likelihood` on ``module`` can be given."""
    table = getattr(module, "METHODS", None) or {}
    return tuple(m for m in table.get(PUBLIC["W2"], ()) if m != "auto") or ("auto",)


def build_rows(workload: str, names: Sequence[str]) -> list[Row]:
    """Every row of ``workload`` for the backends ``names`` (that import), baseline first."""
    from autojax.likelihood import BACKENDS as STEP_BACKENDS

    seed = f": {SEED_ARGUMENTS}" if workload == "W3" else ""
    rows: list[Row] = []
    if "original" in names:
        label = f"original preload{seed}"
        rows.append(Row(workload, "original", "preload", ORIGINAL[workload], False, label))
    for name in names:
        if name == "original":
            continue
        module = backends.load(name)
        if workload == "W3" and name in STEP_BACKENDS:
            for method in step_methods(module):
                label = f"{name} {method}: {STEP}"
                rows.append(Row("W3", name, method, STEP_CALL, True, label, step=True))
            if name == "jax":
                for variant, what in VARIANTS.items():
                    label = f"{name} auto: {what}"
                    rows.append(
                        Row("W3", name, "auto", STEP_CALL, True, label, step=True, variant=variant)
                    )
        if not hasattr(module, PUBLIC[workload]):
            continue
        methods, keyword = backend_methods(module, workload)
        for method in methods:
            label = f"{name} {method}{seed}"
            rows.append(Row(workload, name, method, PUBLIC[workload], keyword, label))
        if workload == "W1" and DIRTY in (getattr(module, "METHODS", None) or {}):
            for method in module.METHODS[DIRTY]:
                if method.startswith("nufft"):
                    label = f"{name} dirty image {method}"
                    if method == DUCC0_METHOD:
                        label += f" (eps {DUCC0_DIRTY_EPS:g})"
                    rows.append(Row("W1", name, method, DIRTY, True, label))
        if workload == "W2":
            direct = PUBLIC["W2"].replace("_from", "_direct_from")
            if hasattr(module, direct):
                rows.append(Row("W2", name, "direct", direct, False, f"{name} direct (4-loop)"))
            if hasattr(module, PUBLIC["W2"] + "_BCOO"):
                rows.append(Row("W2", name, "BCOO", PUBLIC["W2"] + "_BCOO", False, f"{name} BCOO"))
    if workload == "W1":
        import importlib.util

        for label, (transform, library) in BARE.items():
            if importlib.util.find_spec(library) is not None:
                rows.append(Row("W1", "library", library, transform, False, label))
    rows = [dataclasses.replace(r, baseline=r.label == BASELINE[workload]) for r in rows]
    rows.sort(key=lambda r: not r.baseline)  # the baseline first: the ratios need it
    return rows


# ------------------------------------------------------------------------------ calling


def bind(row: Row, problem: Problem, eps: float | None = None) -> Callable[[], Any]:
    """A no-argument call of ``row`` on ``problem``: inputs converted, JAX blocked on."""
    if row.step:
        return bind_step(row, problem)
    if row.backend == "library":
        return bind_bare(row, problem, eps)
    fn = row.function()
    convert = converter(row.backend)
    args = [convert(a) for a in problem.args_for(fn)]
    if row.keyword:
        if row.dirty and row.method == DUCC0_METHOD and eps is None:
            eps = DUCC0_DIRTY_EPS  # the default 1e-14 is below ducc0's type-3 floor
        fn = functools.partial(fn, method=row.method, **nufft_kwargs(fn, row.method, eps))
    call = blocking(fn, row.backend)
    return lambda: call(*args)


def bind_bare(row: Row, problem: Problem, eps: float | None = None) -> Callable[[], Any]:
    """The bare library call of a ``library`` row on the points the kernels use.

    Coordinates, weights and the output are prepared here, outside the timing; the call
    returns what the kernel returns (the compact form's modes sliced, the real part), so
    the same check applies. ``eps``: the kernels' default (1e-14) unless one was chosen;
    ducc0's type 3 at its smallest, 1.44e-14, as the ``nufft`` method does.
    """
    import numpy as np

    from autojax import _runtime

    if row.kernel == "compact":
        n = problem.grid_size
        d = 2 * np.pi * problem.pixel_scale * np.pi / 648000
        uv = problem.uv_wavelengths
        coord = np.stack([-d * uv[:, 1], d * uv[:, 0]], axis=1)
        coord -= 2 * np.pi * np.floor((coord + np.pi) / (2 * np.pi))
        weights = (problem.noise_map_real**-2).astype(np.complex128)
        shape = (2 * n - 1, 2 * n - 1)
        tol = 1e-14 if eps is None else eps
        if row.method == "ducc0":
            import ducc0

            out = np.empty(shape, dtype=np.complex128)
            threads = _runtime.usable_cores()

            def call():
                ducc0.nufft.nu2u(
                    points=weights,
                    coord=coord,
                    forward=False,
                    epsilon=tol,
                    nthreads=threads,
                    out=out,
                )
                return np.ascontiguousarray(out[n - 1 :, :].real)

            return call
        import finufft

        x0, x1 = np.ascontiguousarray(coord[:, 0]), np.ascontiguousarray(coord[:, 1])

        def call():
            f = finufft.nufft2d1(x0, x1, weights, shape, eps=tol, isign=1, modeord=0)
            return np.ascontiguousarray(f[n - 1 :, :].real)

        return call
    uv, g = problem.uv_wavelengths, problem.grid_radians_slim
    c = problem.data.real / problem.noise_map.real**2 + 1j * (
        problem.data.imag / problem.noise_map.imag**2
    )
    coord = 2 * np.pi * uv
    target = np.ascontiguousarray(g[:, ::-1])
    tol = 1e-14 if eps is None else eps
    if row.method == "ducc0":
        import ducc0

        out = np.empty(len(g), dtype=np.complex128)
        threads = _runtime.usable_cores()
        tol = max(tol, _runtime.ducc0_min_eps(True))

        def call():
            ducc0.nufft.experimental.nu2nu(
                points_in=c,
                coord_in=coord,
                coord_out=target,
                forward=False,
                epsilon=tol,
                nthreads=threads,
                points_out=out,
            )
            return out.real.copy()

        return call
    import finufft

    x0, x1 = np.ascontiguousarray(coord[:, 0]), np.ascontiguousarray(coord[:, 1])
    s0, s1 = np.ascontiguousarray(target[:, 0]), np.ascontiguousarray(target[:, 1])

    def call():
        return finufft.nufft2d3(x0, x1, c, s0, s1, eps=tol, isign=1).real.copy()

    return call


def step_likelihood(row: Row, problem: Problem):
    """The :class:`autojax.Likelihood` of ``problem`` that a W3 step row calls.

    Its per-observation constants are set to the problem's (the verified compact form and
    its dirty image, with the data chi-squared and noise normalisation summed once by the
    backend's kernels, as ``Likelihood.precompute`` does), so that every W3 row is checked
    against the same reference; the precompute itself is W1's cost. The Likelihood has no
    public way to take constants computed elsewhere: they go into the ``_constants`` that
    ``precompute`` fills (``tests/test_science_bench.py`` checks them against a real one).
    """
    from autojax import Likelihood, Observation

    likelihood = Likelihood(
        Observation.from_dataset(problem), backend=row.backend, method=row.method
    )
    likelihood._constants = problem_constants(problem, likelihood.kernels, converter(row.backend))
    return likelihood


def problem_constants(problem: Problem, kernels, convert) -> dict:
    """The problem's verified per-observation constants, as ``Likelihood.precompute`` holds
    them: its compact form and dirty image, the two K-sized sums by ``kernels``."""
    data, noise = convert(problem.data), convert(problem.noise_map)
    return {
        "w_compact": convert(problem.w_compact),
        "dirty_image": convert(problem.dirty_image),
        "chi_squared_data": float(kernels.data_chi_squared_complex_from(data, noise)),
        "noise_normalization": float(kernels.noise_normalization_complex_from(noise)),
        "native_index_for_slim_index": convert(problem.native_index_for_slim_index),
    }


def bind_step(row: Row, problem: Problem) -> Callable[[], Any]:
    """``likelihood.log_evidence(mapping, neighbours, coefficient)``; for ``jax`` the step
    ``jax.jit(Likelihood.log_evidence)`` of the README, blocked on."""
    from autojax import Likelihood

    likelihood = step_likelihood(row, problem)
    convert = converter(row.backend)
    args = [
        convert(problem.pix_indexes_for_sub_slim_index),
        convert(problem.pix_weights_for_sub_slim_index),
        convert(problem.neighbors),
        convert(problem.neighbors_sizes),
        problem.coefficient,
    ]
    if row.backend == "jax":
        import jax

        if row.variant:
            return bind_variant(row, likelihood, args)
        step = jax.jit(Likelihood.log_evidence)
        return lambda: jax.block_until_ready(step(likelihood, *args))
    return lambda: likelihood.log_evidence(*args)


def bind_variant(row: Row, likelihood, args: list) -> Callable[[], Any]:
    """A sampler's call of the JAX step: value and gradient, or 8 mappings at once or in turn."""
    import jax
    import jax.numpy as jnp

    indexes, weights, neighbors, sizes, coefficient = args

    def step(w, c):
        return likelihood.log_evidence(indexes, w, neighbors, sizes, c)

    if row.variant == "grad":
        call = jax.jit(jax.value_and_grad(step, argnums=(0, 1)))
        c = jnp.asarray(coefficient, dtype=jnp.float64)
        return lambda: jax.block_until_ready(call(weights, c))
    batch = jnp.stack([weights * scale for scale in BATCH_SCALES])
    if row.variant == "vmap":
        call = jax.jit(jax.vmap(step, in_axes=(0, None)))
        return lambda: jax.block_until_ready(call(batch, coefficient))
    one = jax.jit(step)
    return lambda: jax.block_until_ready(jnp.stack([one(w, coefficient) for w in batch]))


def checker(row: Row, problem: Problem, expected) -> Callable[[Any], float]:
    what = f"{row.workload} {row.label} ({row.backend}.{row.kernel})"
    if row.dirty:
        return lambda r: check_dirty(r, expected, what)
    if row.workload == "W1":
        if row.backend == "original":
            return lambda r: check_compact(
                compact_from_preload(as_numpy(r), problem.grid_size), expected, what
            )
        return lambda r: check_compact(r, expected, what)
    if row.workload == "W2":
        return lambda r: check_curvature(r, expected, what)
    if row.variant == "grad":
        return lambda r: check_gradient(r, problem, expected, what)
    if row.variant:
        return lambda r: check_batch(r, problem, expected, what)
    return lambda r: check_likelihood(r, expected, what)


def check_batch(result, problem: Problem, expected, what: str) -> float:
    """Each of the 8 evidences against the reference from the verified F, scaled."""
    values = as_numpy(result)
    if values.shape != (len(BATCH_SCALES),):
        raise WrongAnswer(f"{what}: shape {values.shape}, expected {(len(BATCH_SCALES),)}")
    curvature = expected.curvature
    return max(
        check_likelihood(
            value,
            likelihood_from_curvature(problem, scale**2 * curvature, scale),
            f"{what} [mapping {n}, weights x{scale:g}]",
        )
        for n, (value, scale) in enumerate(zip(values, BATCH_SCALES))
    )


def check_gradient(result, problem: Problem, expected, what: str) -> float:
    """The value against the reference; the gradient (weights, coefficient) against central
    finite differences of the Numba step along a random direction of the live weights and
    along the coefficient; returns the larger relative error of the two derivatives."""
    import numpy as np

    value, (d_weights, d_coefficient) = result
    check_likelihood(value, expected, what)
    likelihood = step_likelihood(Row("W3", "numba", "conv", STEP_CALL, True, "fd"), problem)
    indexes, weights = (
        problem.pix_indexes_for_sub_slim_index,
        problem.pix_weights_for_sub_slim_index,
    )
    live = np.cumprod(indexes >= 0, axis=1).astype(bool)
    direction = np.where(live, np.random.default_rng(16).uniform(-1, 1, weights.shape), 0.0)
    h = 1e-4

    def step(w, c):
        return float(
            likelihood.log_evidence(indexes, w, problem.neighbors, problem.neighbors_sizes, c)
        )

    def central(f, h):
        # the fourth-order stencil: the second-order one's truncation error, h**2 / 6 of the
        # third derivative, measured 1.3e-5 of the derivative along the weights at mid
        return (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h)

    c = float(problem.coefficient)
    fd_w = central(lambda t: step(weights + t * direction, c), h)
    fd_c = central(lambda t: step(weights, c + t), h * abs(c))
    ad_w = float(np.sum(as_numpy(d_weights) * direction))
    ad_c = float(as_numpy(d_coefficient))
    errors = [abs(ad_w - fd_w) / abs(fd_w), abs(ad_c - fd_c) / abs(fd_c)]
    if not max(errors) <= GRAD_RTOL:
        raise WrongAnswer(
            f"{what}: gradient along a random direction {ad_w!r} vs finite differences "
            f"{fd_w!r}, d/dcoefficient {ad_c!r} vs {fd_c!r}: relative errors "
            f"{errors[0]:.3g}, {errors[1]:.3g} (allowed {GRAD_RTOL:g})"
        )
    return max(errors)
