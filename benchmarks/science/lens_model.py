"""W4: a whole lens model, two pixelized sources of S pixels each plus L = 20 linear functions.

The second source is a second source plane: the same lens (a singular isothermal sphere)
with a smaller Einstein radius and another centre, its own jittered Delaunay mesh of S
pixels and its own neighbours. The functions are a multi-Gaussian expansion of the lens
light: ``FUNCTIONS`` round Gaussians at the lens centre, widths log-spaced from 2% to the
mask radius, evaluated at the unmasked pixel centres, each scaled to unit sum over them.

Why unit sum: the pixelizations' columns nearly span smooth images (a constant one exactly,
inside a mesh), so the functions' Schur complement ``E - C^T A^-1 C`` is upstream's 1e-3
diagonal plus a little, left after a cancellation of ``B^T W B``-sized terms. Gaussians of
unit peak made those terms 1e12 here, their rounding (1e-4) as large as what is left, and
whether F + H came out positive definite in floating point (or the step ``-inf``) a matter
of rounding: a change of summation order in W B flipped it. At unit sum the terms are about
1e4 and the rounding 1e-12.

Rows per backend (``numba``, ``jax``, ``xp`` where asked; ``auto`` methods):

- ``F one pixelization`` (the baseline: ``numba``'s) and ``F two pixelizations (one
  pass)``: the curvature kernel on T_1, and on the concatenated mapping [T_1 | T_2] (what
  ``Likelihood`` runs for a two-source model: every pixelization block in one pass). The
  issue's target: two at most 2.5x one;
- ``cross block T_1^T W T_2``: the cross kernel alone;
- ``W B (L functions)``: ``w_compact_matmul_function_columns_from``;
- ``step: two pixelizations`` and ``step: two pixelizations + L functions``:
  :meth:`autojax.Likelihood.log_evidence` of the model (``jax.jit`` for ``jax``). Target:
  the functions add at most 15%.

Each target's ratio is also measured paired (:func:`paired_ratio`): the two rows called
back to back in interleaved rounds, the median of the per-round ratios and the ratio of the
fastest calls, in the note column and the log; the ratio of the rows' own medians (timed
one after the other) moves with the machine's load between them.

Every row is checked before it is timed, against routes that share no code with it: F's
blocks against the fft lowering (numba) and the one-pixelization F of each mapping; the
cross block against its fft method; W B at ``SPOT_ROWS`` rows against rows of W built from
the compact form with NumPy; the steps against the numba evidence with F by fft (to the
rounding the 1e-8 ridge allows: see :func:`_evidence_tolerance`).
"""

from __future__ import annotations

import functools
import zlib

import numpy as np

from autojax import backends
from autojax.datasets import ARCSEC

from ..cases import converter
from ..harness import WrongAnswer, as_numpy, measure, paired_ratio
from .problem import Problem, _barycentric_mapping, _delaunay_neighbors, _jittered_disk, _trace_sis
from .rows import problem_constants

WORKLOAD = "W4"
TITLE = "W4 whole lens model: two pixelizations + linear functions"
#: the number of linear functions (multi-Gaussian expansion columns)
FUNCTIONS = 20
#: rows of W B checked against rows of W built with NumPy
SPOT_ROWS = 40
#: F entries: relative to the largest entry (sums of ~M B^2 products in different orders)
F_RTOL = 1e-9
BACKENDS = ("numba", "jax", "xp")


def second_pixelization(problem: Problem):
    """The second source plane's ``(indexes, weights, neighbors, sizes)`` (module doc)."""
    from scipy.spatial import Delaunay

    preset = problem.preset
    rng = np.random.default_rng([zlib.crc32(b"second-source"), preset.seed, preset.N, preset.S])
    radius = problem.radius
    centre = np.array([-0.023, 0.031]) * radius
    traced = _trace_sis(problem.grid_radians_slim / ARCSEC, 0.3 * radius, centre)
    mesh = _jittered_disk(preset.S, 0.7 * radius, centre, rng)
    tri = Delaunay(mesh)
    indexes, weights = _barycentric_mapping(tri, traced)
    neighbors, sizes = _delaunay_neighbors(tri, preset.P)
    return indexes, weights, neighbors, sizes


def function_columns(problem: Problem, count: int = FUNCTIONS) -> np.ndarray:
    """(M, count) round Gaussians at the lens centre, widths log-spaced (module doc)."""
    grid = problem.grid_radians_slim / ARCSEC
    centre = np.array([0.011, -0.017]) * problem.radius
    r2 = np.sum((grid - centre) ** 2, axis=1)
    widths = np.geomspace(0.02, 1.0, count) * problem.radius
    columns = np.exp(-0.5 * r2[:, None] / widths[None, :] ** 2)
    return columns / np.sum(columns, axis=0)


def _w_rows(problem: Problem, rows: np.ndarray) -> np.ndarray:
    """Rows ``rows`` of W (len(rows), M), read from the compact form by the contract's rule."""
    native = problem.native_index_for_slim_index
    n = problem.w_compact.shape[0]
    dr = native[rows, 0][:, None] - native[None, :, 0]
    dc = native[rows, 1][:, None] - native[None, :, 1]
    return problem.w_compact[np.abs(dr), np.where(dr >= 0, dc, -dc) + n - 1]


def _evidence_tolerance(f_max: float, value: float) -> float:
    """Two routes to F differ by ~eps max|F| per entry; with two pixelizations F + H has
    H's 1e-8 eigenvalue, whose log carries that rounding divided by 1e-8."""
    return 64 * np.finfo(float).eps * f_max / 1e-8 + 1e-9 * abs(value)


class Model:
    """The problem's two pixelizations, function columns and the checked references."""

    def __init__(self, problem: Problem, log):
        from autojax.lens_model import LensModel, Pixelization, concatenated_mapping

        self.problem = problem
        p = problem
        second = second_pixelization(p)
        self.first = (
            p.pix_indexes_for_sub_slim_index,
            p.pix_weights_for_sub_slim_index,
            p.neighbors,
            p.neighbors_sizes,
        )
        self.second = second
        self.functions = function_columns(p)
        self.sizes = [p.S, len(second[2])]
        pix = [Pixelization(*self.first, p.coefficient), Pixelization(*second, p.coefficient)]
        self.pixelizations = pix
        self.model_two = LensModel(tuple(pix), None)
        self.model_full = LensModel(tuple(pix), self.functions)
        self.concatenated = concatenated_mapping(np, pix, self.sizes)
        numba = backends.load("numba")
        fft = functools.partial(
            numba.curvature_matrix_via_w_compact_sparse_mapping_matrix_from, method="fft"
        )
        args = (p.w_compact, p.native_index_for_slim_index)
        log("W4 references: F of each mapping and the cross block by fft (numba)")
        self.f_one = fft(*args, *self.first[:2], p.S)
        f_second = fft(*args, *second[:2], self.sizes[1])
        cross = numba.curvature_matrix_cross_via_w_compact_from(
            *args, *self.first[:2], p.S, *second[:2], self.sizes[1], method="fft"
        )
        self.f_two = np.block([[self.f_one, cross], [cross.T, f_second]])
        self.cross = cross
        spot = np.random.default_rng([zlib.crc32(b"w4-spot"), p.M]).choice(
            p.M, size=min(SPOT_ROWS, p.M), replace=False
        )
        self.spot = np.sort(spot)
        self.w_functions_spot = _w_rows(p, self.spot) @ self.functions
        self.f_max = float(np.max(np.abs(self.f_two)))
        log("W4 references: the evidences with F by fft (numba)")
        from autojax import Likelihood, Observation

        reference = Likelihood(Observation.from_dataset(p), backend="numba", method="fft")
        reference._constants = problem_constants(p, reference.kernels, np.asarray)
        self.evidence_two = float(reference.log_evidence(self.model_two))
        self.evidence_full = float(reference.log_evidence(self.model_full))


def _relative(got, expected, scale) -> float:
    return float(np.max(np.abs(as_numpy(got) - expected)) / scale)


def _check_within(what: str, error: float, tolerance: float) -> float:
    if not error <= tolerance:
        raise WrongAnswer(f"{what}: error {error:.3g} over the tolerance {tolerance:.3g}")
    return error


def rows_for(model: Model, backend: str):
    """``(label, call, check)`` of every W4 row of ``backend``."""
    from autojax import Likelihood, Observation

    p = model.problem
    k = backends.load(backend)
    convert = converter(backend)
    args = (convert(p.w_compact), convert(p.native_index_for_slim_index))
    first = [convert(a) for a in model.first[:2]]
    second = [convert(a) for a in model.second[:2]]
    joined = [convert(a) for a in model.concatenated]
    functions = convert(model.functions)
    f = k.curvature_matrix_via_w_compact_sparse_mapping_matrix_from
    cross = k.curvature_matrix_cross_via_w_compact_from
    w_b = k.w_compact_matmul_function_columns_from
    if backend == "jax":
        import jax

        f, cross, w_b = (
            jax.jit(g, static_argnums=s) for g, s in ((f, 4), (cross, (4, 7)), (w_b, ()))
        )
        block = jax.block_until_ready
    else:
        block = lambda value: value
    two = sum(model.sizes)
    scale = model.f_max
    rows = [
        (
            "F one pixelization",
            lambda: block(f(*args, *first, p.S)),
            lambda got: _check_within("F one", _relative(got, model.f_one, scale), F_RTOL),
        ),
        (
            "F two pixelizations (one pass)",
            lambda: block(f(*args, *joined, two)),
            lambda got: _check_within("F two", _relative(got, model.f_two, scale), F_RTOL),
        ),
        (
            "cross block T_1^T W T_2",
            lambda: block(cross(*args, *first, p.S, *second, model.sizes[1])),
            lambda got: _check_within("cross", _relative(got, model.cross, scale), F_RTOL),
        ),
        (
            f"W B ({FUNCTIONS} functions)",
            lambda: block(w_b(*args, functions)),
            lambda got: _check_within(
                "W B",
                _relative(
                    as_numpy(got)[model.spot],
                    model.w_functions_spot,
                    float(np.max(np.abs(model.w_functions_spot))),
                ),
                1e-10,
            ),
        ),
    ]
    likelihood = Likelihood(Observation.from_dataset(p), backend=backend)
    likelihood._constants = problem_constants(p, likelihood.kernels, convert)
    for label, lens_model, expected in (
        ("step: two pixelizations", model.model_two, model.evidence_two),
        (f"step: two pixelizations + {FUNCTIONS} functions", model.model_full, model.evidence_full),
    ):
        lens_model = _converted(lens_model, convert)
        if backend == "jax":
            import jax

            step = jax.jit(Likelihood.log_evidence)
            call = functools.partial(
                lambda s, m: jax.block_until_ready(s(likelihood, m)), step, lens_model
            )
        else:
            call = functools.partial(likelihood.log_evidence, lens_model)
        tolerance = _evidence_tolerance(model.f_max, expected)
        check = functools.partial(_check_evidence, expected, tolerance, label)
        rows.append((label, call, check))
    return rows


def _check_evidence(expected: float, tolerance: float, label: str, got) -> float:
    """The relative error of an evidence, failed when its absolute error is over
    ``tolerance`` (:func:`_evidence_tolerance`)."""
    # a non-finite reference would make the tolerance infinite and pass anything
    if not (np.isfinite(expected) and np.isfinite(float(got))):
        raise WrongAnswer(f"{label}: evidence {float(got)} against {expected}: not finite")
    error = abs(float(got) - expected)
    _check_within(label, error, tolerance)
    return error / abs(expected)


def _converted(lens_model, convert):
    pixelizations = tuple(
        p._replace(**{name: convert(getattr(p, name)) for name in p._fields[:4]})
        for p in lens_model.pixelizations
    )
    functions = None if lens_model.functions is None else convert(lens_model.functions)
    return lens_model._replace(pixelizations=pixelizations, functions=functions)


def run(runner, problem: Problem, names, refs, result_type) -> list:
    """W4's results for the backends ``names`` (see the module doc)."""
    if problem._w_compact is None:
        problem.set_w_compact(refs.w_compact_input)
    model = Model(problem, runner.log)
    results = []
    rows_by = {}  # (backend, label) -> (call, result)
    for backend in [n for n in names if n in BACKENDS]:
        for label, call, check in rows_for(model, backend):
            full = f"{backend} {label}"
            result = result_type(
                problem.preset.name,
                WORKLOAD,
                full,
                backend,
                "auto",
                label,
                False,
                full == "numba F one pixelization",
            )
            results.append(result)
            rows_by[(backend, label)] = (call, result)
            try:
                timing = measure(call, check, runner.rounds)
            except WrongAnswer as exc:
                result.status, result.reason = "failed", f"wrong answer, not timed: {exc}"
                runner.log(f"[bold red]W4 {full}: {result.reason}")
                continue
            except Exception as exc:
                result.status, result.reason = "failed", f"raised {exc!r}"
                runner.log(f"[bold red]W4 {full}: {result.reason}")
                continue
            result.record(timing)
            runner.log(f"W4 {full:<48} {timing.median_s * 1e3:10.2f} ms, error {timing.error:.2g}")
    base = next((r for r in results if r.baseline and r.status == "ok"), None)
    for r in results:
        if base is not None and r.median_s is not None:
            r.ratio = r.median_s / base.median_s
    for backend in sorted({r.backend for r in results}):
        times = {r.kernel: r.median_s for r in results if r.backend == backend and r.median_s}
        one, two = times.get("F one pixelization"), times.get("F two pixelizations (one pass)")
        plain = times.get("step: two pixelizations")
        full = times.get(f"step: two pixelizations + {FUNCTIONS} functions")
        if one and two:
            runner.log(f"W4 {backend}: F two / F one = {two / one:.2f} (target <= 2.5)")
        if plain and full:
            runner.log(
                f"W4 {backend}: step with {FUNCTIONS} functions / without = {full / plain:.3f} "
                "(target <= 1.15)"
            )
    for backend, (numerator, denominator, target) in _paired_targets(results, rows_by):
        paired = paired_ratio(rows_by[numerator][0], rows_by[denominator][0])
        runner.log(
            f"W4 {backend}: {numerator[1]} / {denominator[1]} = {paired.describe()} "
            f"(target <= {target})"
        )
        rows_by[numerator][1].reason = f"{paired.describe()} {denominator[1]}"
    return results


#: the issue's two ratio targets: (row, row it is compared with, target)
PAIRED_TARGETS = (
    ("F two pixelizations (one pass)", "F one pixelization", 2.5),
    (f"step: two pixelizations + {FUNCTIONS} functions", "step: two pixelizations", 1.15),
)


def _paired_targets(results, rows_by):
    for backend in sorted({r.backend for r in results}):
        for numerator, denominator, target in PAIRED_TARGETS:
            a, b = (backend, numerator), (backend, denominator)
            if a in rows_by and b in rows_by and all(rows_by[k][1].status == "ok" for k in (a, b)):
                yield backend, (a, b, target)
