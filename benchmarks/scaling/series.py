"""What each series sweeps: its methods, the reference they are checked against, its sizes."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autojax import backends
from autojax import reference as ref

from ..harness import as_numpy
from .problems import Problem, Size, image_pixels

SERIES_KEYS = ("precompute", "curvature", "likelihood")


def _compact_to_dense(result, problem: Problem) -> np.ndarray:
    return ref.w_tilde_via_compact_from(as_numpy(result), problem.native_index_for_slim_index)


def _preload_to_dense(result, problem: Problem) -> np.ndarray:
    return ref.w_tilde_via_preload_from(as_numpy(result), problem.native_index_for_slim_index)


def _unchanged(result, problem: Problem) -> np.ndarray:
    return as_numpy(result)


@dataclass(frozen=True)
class Method:
    """One kernel of one backend, as a line of a series.

    ``comparable`` turns its result into the form the series' reference has (W-tilde forms
    are expanded to the dense matrix); ``dense_w`` marks methods that need or build the dense
    M x M W-tilde, to which the memory cap applies.
    """

    backend: str
    kernel: str
    kind: str
    comparable: Callable[[Any, Problem], np.ndarray] = _unchanged
    dense_w: bool = False

    @property
    def label(self) -> str:
        return f"{self.backend} {self.kind}"

    def function(self) -> Callable:
        """The kernel, looked up at call time (so that tests may patch the backend module)."""
        return getattr(backends.load(self.backend), self.kernel)


@dataclass
class Series:
    """A sweep over sizes of a set of methods, with the reference used to check them."""

    key: str
    title: str
    x_name: str
    x_label: str
    fixed: str
    sizes: list[Size]
    methods: list[Method]
    reference: Callable[[Problem], np.ndarray]
    #: lower bound of the growth exponent used to predict the next point's time
    exponent: float


# ------------------------------------------------------------------------------ references


def _ref_dense_w(problem: Problem) -> np.ndarray:
    return ref.w_tilde_curvature_interferometer_from(
        problem.noise_map_real, problem.uv_wavelengths, problem.grid_radians_slim
    )


def _ref_w_compact(problem: Problem) -> np.ndarray:
    return ref.w_compact_curvature_interferometer_from(
        problem.grid_size, problem.noise_map_real, problem.uv_wavelengths, problem.pixel_scale
    )


def _ref_curvature(problem: Problem) -> np.ndarray:
    return ref.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(
        _ref_w_compact(problem),
        problem.native_index_for_slim_index,
        problem.pix_indexes_for_sub_slim_index,
        problem.pix_weights_for_sub_slim_index,
        problem.pixels,
    )


def _ref_likelihood(problem: Problem) -> np.ndarray:
    value = ref.log_likelihood_function_via_w_compact_from(
        problem.dirty_image,
        problem.data,
        problem.noise_map,
        _ref_w_compact(problem),
        problem.native_index_for_slim_index,
        problem.pix_indexes_for_sub_slim_index,
        problem.pix_weights_for_sub_slim_index,
        problem.neighbors,
        problem.neighbors_sizes,
    )
    return np.asarray(value, dtype=np.float64)


# ------------------------------------------------------------------------------ methods


PRECOMPUTE_METHODS = [
    Method(
        "original", "w_tilde_curvature_preload_interferometer_from", "preload", _preload_to_dense
    ),
    *(
        Method(b, "w_compact_curvature_interferometer_from", "compact", _compact_to_dense)
        for b in ("numba", "jax", "xp")
    ),
    *(
        Method(b, "w_tilde_curvature_interferometer_from", "dense", dense_w=True)
        for b in ("original", "numba", "jax")
    ),
]

_TWO_PASS = "curvature_matrix_via_w_compact_sparse_mapping_matrix_from"
CURVATURE_METHODS = [
    Method(
        "original", "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from", "preload"
    ),
    *(Method(b, _TWO_PASS, "two-pass") for b in ("numba", "jax", "xp")),
    *(Method(b, _TWO_PASS.replace("_from", "_direct_from"), "direct") for b in ("numba", "jax")),
    Method("jax", _TWO_PASS + "_BCOO", "BCOO"),
    *(
        Method(b, "curvature_matrix_via_w_tilde_from", "dense", dense_w=True)
        for b in ("numba", "jax", "xp")
    ),
]

LIKELIHOOD_METHODS = [
    Method("original", "log_likelihood_function_via_w_compact_from", "preload"),
    *(
        Method(b, "log_likelihood_function_via_w_compact_from", "compact")
        for b in ("numba", "jax", "xp")
    ),
    *(
        Method(b, "log_likelihood_function_via_w_tilde_from", "dense", dense_w=True)
        for b in backends.NAMES
    ),
]


# ------------------------------------------------------------------------------ sizes


@dataclass(frozen=True)
class Plan:
    """Sizes of the sweep: the full one, or the tiny ``--quick`` one."""

    precompute_N: int
    precompute_K: tuple[int, ...]
    grid_N: tuple[int, ...]
    grid_K: int
    grid_S: int
    B: int = 3
    P: int = 32


def _log_steps(start: float, stop: float, per_decade: int) -> tuple[int, ...]:
    """Integers from ``start`` to ``stop`` (inclusive), ``per_decade`` steps per factor 10."""
    count = round(math.log10(stop / start) * per_decade)
    return tuple(round(start * 10 ** (i / per_decade)) for i in range(count + 1))


FULL = Plan(
    precompute_N=30,
    precompute_K=_log_steps(1e2, 1e6, 2),  # 100, 316, 1000, ..., 1e6
    grid_N=(10, 14, 20, 28, 40, 57, 80, 113),  # M = 80, 156, ..., 5024, 10185 (x ~2 per step)
    grid_K=64,
    grid_S=256,
)
QUICK = Plan(precompute_N=12, precompute_K=(100, 316), grid_N=(8, 12), grid_K=16, grid_S=64, P=8)


def build_series(plan: Plan, keys: Sequence[str], names: Sequence[str], k_max, m_max) -> list:
    """The series to run, their sizes cut at ``k_max``/``m_max`` and methods at ``names``."""
    keep = lambda methods: [m for m in methods if m.backend in names]
    series = []
    if "precompute" in keys:
        n = plan.precompute_N
        m = image_pixels(n)
        sizes = [
            Size(N=n, M=m, K=k, S=plan.grid_S, B=plan.B, P=plan.P, x=k)
            for k in plan.precompute_K
            if k <= k_max
        ]
        series.append(
            Series(
                key="precompute",
                title="W-tilde precompute vs K",
                x_name="K",
                x_label="K (visibilities)",
                fixed=f"N = {n}, M = {m}",
                sizes=sizes,
                methods=keep(PRECOMPUTE_METHODS),
                reference=_ref_dense_w,
                exponent=1.0,
            )
        )
    grid = [(n, image_pixels(n)) for n in plan.grid_N]
    grid_sizes = [
        Size(N=n, M=m, K=plan.grid_K, S=plan.grid_S, B=plan.B, P=plan.P, x=m)
        for n, m in grid
        if m <= m_max
    ]
    fixed = f"K = {plan.grid_K}, S = {plan.grid_S}, B = {plan.B}, P = {plan.P}"
    on_m = {
        "curvature": ("curvature matrix vs M", CURVATURE_METHODS, _ref_curvature),
        "likelihood": ("log-likelihood vs M", LIKELIHOOD_METHODS, _ref_likelihood),
    }
    for key, (title, methods, reference) in on_m.items():
        if key in keys:
            series.append(
                Series(
                    key=key,
                    title=title,
                    x_name="M",
                    x_label="M (unmasked image pixels)",
                    fixed=fixed,
                    sizes=list(grid_sizes),
                    methods=keep(methods),
                    reference=reference,
                    exponent=2.0,
                )
            )
    return series
