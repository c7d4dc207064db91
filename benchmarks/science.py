"""Science-size benchmark: the three workloads of an interferometer lens fit at real sizes.

``python -m benchmarks.science`` (``nox -s bench-science``) builds a realistic problem of a
chosen size, in seconds and deterministically, and times every backend and method of

- **W1**, the precompute: the compact W-tilde form (``exact`` sum, ``nufft``, ...) and
  ``original``'s upstream preload;
- **W2**, the curvature matrix F = T^T W T from the compact form (``two_pass``, ``conv``,
  ``fft``, ...), the 4-loop ``direct`` kernel, JAX's BCOO products and ``original``'s
  loop over the preload;
- **W3**, one likelihood step (the evidence, with F by each method), and ``original``'s.

Methods are discovered, not listed here: a backend module exporting ``METHODS`` (public
name -> the methods it has) gets one row per method, called with ``method=`` (``auto`` is
left out); for a public name without an entry the backend has one row, called without the
keyword, named after what it does today (W1 ``exact``, W2 ``two_pass``, W3 ``default``).

Presets (``--preset``; pixel scale 0.05 arcsec, |uv| up to 1e6 wavelengths):

==========  =====  ========  ======  ====  =====
preset      N      M         K       S     B, P
==========  =====  ========  ======  ====  =====
tiny        16     208       500     60    3, 10
mid         64     3,228     1e5     1000  3, 10
alma        140    15,380    1e6     1500  3, 10
alma_high   400    125,676   5e6     1500  3, 10
==========  =====  ========  ======  ====  =====

The problem (:class:`Problem`): a circular mask filling the N x N grid, seeded random uv
points (density falling as 1/|uv| from 1e4 to 1e6 wavelengths), noise equal in its real
and imaginary parts (the lattice methods need that), random data and dirty image, and a
lens-like mapping: the unmasked pixels are traced through a singular isothermal sphere
into the source plane, where S source pixels sit on a jittered grid; a Delaunay
triangulation gives B = 3 barycentric weights per pixel (pixels outside its hull map to
the nearest vertex with weight 1, the row padded with -1) and the neighbour lists
(Delaunay edges; where a vertex has more than P, its longest edges are dropped on both
sides, so the graph stays symmetric).

Correctness first: every row's first result is checked against an exact reference before
anything is timed, and a row that disagrees is reported as *failed*, never timed.

- W1: where affordable (tiny, mid, alma) the full exact compact form, computed with the
  ``numba`` backend's exact method and itself checked at ~300 random entries (and the
  peak) against a direct float64 sum over K; at alma_high only those entries. Rule:
  relative error <= 1e-9 on entries above 1e-6 of the peak, absolute error <= 1e-15 of
  the peak on the others (the same bound, continued below the threshold).
- W2: the full F from ``numba``'s two-pass kernel (tiny, mid, alma), itself checked at 8
  random columns computed exactly with NumPy (W t_s from the compact form over the
  column's non-zero pixels, then T^T); at alma_high only those columns. Rule: |error| <=
  1e-8 (|F| + max|F|).
- W3: NumPy float64 from a verified F (Cholesky of F + H and of H), relative 1e-8 on the
  total and on the part that depends on F (at large K the total is dominated by the data
  chi-squared and the noise normalisation, which would hide an error in F).

References are cached in ``.benchmarks/cache/`` (``--cache-dir``), keyed by preset and a
hash of their inputs, and re-checked on load.

Timing: the first call (JIT compilation, caches) is its own column; then one warm call,
then more until ``TARGET_S`` have passed (at least ``MIN_ROUNDS``, at most ``MAX_ROUNDS``)
unless the warm call took over ``SLOW_S`` (then it is the only round); ``--quick`` keeps
one warm call. JAX calls wait with ``block_until_ready``. Peak RSS growth is sampled every
millisecond during the warm calls (:class:`benchmarks.scaling.RssPeak`).

Rows a cost model predicts to exceed ``--time-limit`` seconds per call, or
``--mem-cap-gib`` of memory, are skipped with the prediction as the reason. The model
counts operations per method (exact compact ~ (3N) K sin/cos pairs + 4 N (2N-1) K flops;
two-pass ~ M^2 B; 4-loop ~ (M B)^2; FFT ~ 5 S (2N)^2 log (2N)^2; upstream preload ~ 4 N^2 K
cos on one core; dense W-tilde M^2 memory; ...) at rates
measured on a 2-core machine, scaled by the usable cores; once a row has been measured at
a smaller preset in the same run, its measured time scaled by the model replaces them.

Outputs, per preset: a rich table per workload on the console,
``benchmarks/report/science-<preset>-<time>.md`` (median, first call, peak RSS growth,
ratio to the workload's baseline row: W1 ``numba exact``, W2 ``numba two_pass``, W3
``numba two_pass``, or ``numba default`` while numba has no W3 methods), a bar chart per
workload in ``benchmarks/report/science-<preset>-<time>/``
and the raw results in ``.benchmarks/science-<preset>-<time>.json``. Exit status 2 when a
row failed (the reports are still written, the failures in them)::

    python -m benchmarks.science                       # --preset mid (~2 minutes)
    python -m benchmarks.science --preset alma         # ~7 minutes on 2 cores
    python -m benchmarks.science --preset tiny --quick # seconds
    python -m benchmarks.science --preset mid,alma --backends numba,jax --workloads W2,W3
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import inspect
import json
import math
import os
import shlex
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from rich.console import Console
from rich.table import Table

from autojax import backends
from autojax import reference as ref
from autojax.datasets import ARCSEC, Dataset

from .cases import blocking, converter
from .report import BACKEND_COLOURS, format_time
from .scaling import RssPeak, machine_info, machine_line

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = ("W1", "W2", "W3")
WORKLOAD_TITLES = {
    "W1": "W1 precompute: the compact W-tilde form",
    "W2": "W2 curvature matrix F = T^T W T",
    "W3": "W3 one likelihood step",
}
#: the public kernel of each workload (the name ``METHODS`` is keyed by)
PUBLIC = {
    "W1": "w_compact_curvature_interferometer_from",
    "W2": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "W3": "log_likelihood_function_via_w_compact_from",
}
#: the method a backend without ``METHODS`` has (called without the keyword)
DEFAULT_METHOD = {"W1": "exact", "W2": "two_pass", "W3": "default"}
#: the row each workload's ratios are taken against
BASELINE = {"W1": "numba exact", "W2": "numba two_pass", "W3": "numba two_pass"}
#: the baseline while numba has no METHODS entry for W3 (its likelihood's own choice of F)
BASELINE_FALLBACK = {"W3": "numba default"}
#: the tolerance passed to NUFFT methods with --nufft-eps (by default none is passed: the
#: kernel's own default is meant to meet the W1 rule; upstream uses 1e-12)
NUFFT_EPS: float | None = None

# timing
PROBE_S = 0.05  # a first call over this is followed by one warm call before choosing rounds
SLOW_S = 5.0  # a warm call over this is the only round
TARGET_S = 1.0  # faster calls repeat until this much time has passed...
MIN_ROUNDS = 3  # ...and at least this many rounds
MAX_ROUNDS = 25

# checks
W1_RTOL = 1e-9  # element-wise, on entries above W1_FLOOR of the peak
W1_FLOOR = 1e-6
W2_RTOL = 1e-8
W3_RTOL = 1e-8
SPOT_ENTRIES = 300  # W1 entries summed directly
SPOT_COLUMNS = 8  # W2 columns computed with NumPy


# ------------------------------------------------------------------------------ presets


@dataclass(frozen=True)
class Preset:
    """Sizes of one science problem (KERNELS.md's symbols) and how it is checked."""

    name: str
    N: int
    K: int
    S: int
    B: int = 3
    P: int = 10
    pixel_scale: float = 0.05  # arcsec
    uv_max: float = 1e6  # wavelengths
    uv_min: float = 1e4
    #: whether the full exact compact form (and F) is affordable as the reference
    exact_reference: bool = True
    seed: int = 20261125


PRESETS = {
    p.name: p
    for p in (
        Preset("tiny", N=16, K=500, S=60),
        Preset("mid", N=64, K=100_000, S=1000),
        Preset("alma", N=140, K=1_000_000, S=1500),
        Preset("alma_high", N=400, K=5_000_000, S=1500, exact_reference=False),
    )
}


# ------------------------------------------------------------------------------ the problem


def _trace_sis(theta: np.ndarray, einstein_radius: float, centre: np.ndarray) -> np.ndarray:
    """Lens equation beta = theta - alpha for a singular isothermal sphere, (y, x) arcsec."""
    offset = theta - centre
    r = np.hypot(offset[:, 0], offset[:, 1])
    r = np.maximum(r, 1e-12)  # no pixel centre sits on the lens centre; guard anyway
    return theta - einstein_radius * offset / r[:, None]


def _jittered_disk(count: int, radius: float, centre: np.ndarray, rng) -> np.ndarray:
    """``count`` points on a jittered square grid filling a disk, the innermost kept."""
    spacing = radius * math.sqrt(math.pi / count)
    while True:
        half = int(math.ceil(radius / spacing)) + 1
        ticks = np.arange(-half, half + 1) * spacing
        yy, xx = np.meshgrid(ticks, ticks, indexing="ij")
        points = np.stack([yy.ravel(), xx.ravel()], axis=1)
        points += rng.uniform(-0.3 * spacing, 0.3 * spacing, size=points.shape)
        r = np.hypot(points[:, 0], points[:, 1])
        if np.count_nonzero(r <= radius) >= count:
            return points[np.argsort(r, kind="stable")[:count]] + centre
        spacing *= 0.95


def _barycentric_mapping(tri, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """B = 3 Delaunay barycentric weights; outside the hull the nearest vertex, weight 1."""
    from scipy.spatial import cKDTree

    n = len(points)
    simplex = tri.find_simplex(points)
    inside = simplex >= 0
    indexes = np.full((n, 3), -1, dtype=np.int64)
    weights = np.zeros((n, 3))
    s = simplex[inside]
    transform = tri.transform[s]
    b = np.einsum("nij,nj->ni", transform[:, :2, :], points[inside] - transform[:, 2, :])
    weights[inside] = np.stack([b[:, 0], b[:, 1], 1.0 - b[:, 0] - b[:, 1]], axis=1)
    indexes[inside] = tri.simplices[s]
    if not inside.all():
        _, nearest = cKDTree(tri.points).query(points[~inside])
        indexes[~inside, 0] = nearest
        weights[~inside, 0] = 1.0
    return indexes, weights


def _delaunay_neighbors(tri, max_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """Neighbours from the Delaunay edges, at most ``max_neighbors`` each, symmetric.

    Edges are visited longest first; one is dropped while either end has too many.
    """
    indptr, indices = tri.vertex_neighbor_vertices
    count = len(indptr) - 1
    a = np.repeat(np.arange(count), np.diff(indptr))
    keep = a < indices
    a, b = a[keep], indices[keep]
    length = np.hypot(*(tri.points[a] - tri.points[b]).T)
    degree = np.bincount(np.concatenate([a, b]), minlength=count)
    alive = np.ones(len(a), dtype=bool)
    for e in np.argsort(-length, kind="stable"):
        if degree[a[e]] > max_neighbors or degree[b[e]] > max_neighbors:
            alive[e] = False
            degree[a[e]] -= 1
            degree[b[e]] -= 1
    a, b = a[alive], b[alive]
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    sizes = np.bincount(src, minlength=count).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    neighbors = np.full((count, max_neighbors), -1, dtype=np.int64)
    neighbors[src, np.arange(len(src)) - starts[src]] = dst
    return neighbors, sizes


class TooLarge(AttributeError):
    """A derived array the science benchmark never builds (dense M x M or M x S)."""


class Problem(Dataset):
    """A science-size problem, every kernel argument an attribute (``args_for`` works).

    Built in O(M log S + K) from seeded generators; see the module docstring. The compact
    form the W2 and W3 kernels take (``w_compact``, and ``original``'s preload built from
    it) is the verified reference, set by :meth:`set_w_compact`; the dense derived arrays
    of :class:`~autojax.datasets.Dataset` are refused (:class:`TooLarge`).
    """

    name = "Science"

    def __init__(self, preset: Preset):
        if preset.B != 3:
            raise ValueError(f"{preset.name}: a Delaunay mesh gives B = 3, got B = {preset.B}")
        self.preset = preset
        n, k, s = preset.N, preset.K, preset.S
        key = (preset.seed, n, k, s, preset.P, preset.pixel_scale, preset.uv_max, preset.uv_min)
        rng = lambda what: np.random.default_rng([zlib.crc32(what.encode()), *key[:5]])

        # image plane: the mask fills the N x N grid
        self.pixels = s
        m = self._circular_image_plane(n, preset.pixel_scale)

        # observation: |uv| with density ~ 1/|uv| between uv_min and uv_max, any direction
        g = rng("uv_wavelengths")
        r = g.uniform(preset.uv_min, preset.uv_max, size=k)
        angle = g.uniform(0.0, 2.0 * np.pi, size=k)
        self.uv_wavelengths = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
        sigma = rng("noise_map").uniform(0.5, 2.0, size=k)
        self.noise_map = sigma + 1j * sigma  # Re == Im: the lattice methods need it
        g = rng("data")
        self.data = sigma * g.standard_normal(k) + 1j * sigma * g.standard_normal(k)
        self.dirty_image = rng("dirty_image").standard_normal(m)

        # lens: SIS, Einstein radius 0.4 of the mask radius, slightly off-centre
        from scipy.spatial import Delaunay

        radius = self.radius
        centre = np.array([0.011, -0.017]) * radius
        traced = _trace_sis(self.grid_radians_slim / ARCSEC, 0.4 * radius, centre)
        mesh = _jittered_disk(s, 0.58 * radius, centre, rng("source_mesh"))
        tri = Delaunay(mesh)
        self.source_plane_mesh_grid = mesh * ARCSEC
        indexes, weights = _barycentric_mapping(tri, traced)
        self.pix_indexes_for_sub_slim_index = indexes
        self.pix_weights_for_sub_slim_index = weights
        self.neighbors, self.neighbors_sizes = _delaunay_neighbors(tri, preset.P)
        self._w_compact: np.ndarray | None = None

    # ----------------------------------------------------------- inputs of W2 and W3
    def set_w_compact(self, w_compact: np.ndarray) -> None:
        self._w_compact = np.ascontiguousarray(w_compact, dtype=np.float64)
        self.__dict__.pop("w_tilde_preload", None)

    @property
    def w_compact(self) -> np.ndarray:
        if self._w_compact is None:
            raise AttributeError("w_compact: not set (the benchmark sets the verified reference)")
        return self._w_compact

    @cached_property
    def w_tilde_preload(self) -> np.ndarray:
        return preload_from_compact(self.w_compact)

    # ----------------------------------------------------------- never built here
    def _too_large(self, name: str):
        raise TooLarge(f"{name}: dense and too large at science size; not built")

    w_tilde = property(lambda self: self._too_large("w_tilde"))
    w_tilde_via_compact = property(lambda self: self._too_large("w_tilde_via_compact"))
    mapping_matrix = property(lambda self: self._too_large("mapping_matrix"))
    data_vector = property(lambda self: self._too_large("data_vector"))
    curvature_matrix = property(lambda self: self._too_large("curvature_matrix"))
    curvature_reg_matrix = property(lambda self: self._too_large("curvature_reg_matrix"))
    matrix = property(lambda self: self._too_large("matrix"))

    def __repr__(self) -> str:
        return (
            f"Problem({self.preset.name}: "
            + ", ".join(f"{k}={v:,}" for k, v in self.sizes.items())
            + ")"
        )


# ------------------------------------------------------------------------------ lattice


def compact_lookup(w_compact: np.ndarray, dr, dc):
    """W-tilde for row offset ``dr = row_a - row_b`` and column offset ``dc`` (KERNELS.md)."""
    n = w_compact.shape[0]
    dr = np.asarray(dr)
    dc = np.asarray(dc)
    return w_compact[np.abs(dr), np.where(dr >= 0, dc, -dc) + n - 1]


def preload_from_compact(w_compact: np.ndarray) -> np.ndarray:
    """The upstream (2N, 2N) preload holding the same values: ``P[-dr, -dc] = W(dr, dc)``."""
    n = w_compact.shape[0]
    preload = np.zeros((2 * n, 2 * n))
    m = np.arange(n)[:, None]
    c = np.arange(-(n - 1), n)[None, :]
    preload[(-m) % (2 * n), (-c) % (2 * n)] = w_compact  # dr = m >= 0, dc = c
    preload[m, c % (2 * n)] = w_compact  # dr = -m, dc = -c
    return preload


def compact_from_preload(preload: np.ndarray, n: int) -> np.ndarray:
    """The (N, 2N-1) compact form read back from a preload of an N x N box."""
    ny, nx = preload.shape
    m = np.arange(n)[:, None]
    c = np.arange(-(n - 1), n)[None, :]
    return preload[(-m) % ny, (-c) % nx]


# ------------------------------------------------------------------------------ references


class WrongAnswer(RuntimeError):
    """A result (or a reference) disagrees with the exact computation."""


class Cache:
    """Reference arrays on disk, ``<dir>/science-<preset>-<what>-<hash>.npy`` (or none)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    @staticmethod
    def digest(*parts) -> str:
        h = hashlib.sha256()
        for part in parts:
            if isinstance(part, np.ndarray):
                h.update(f"{part.dtype}{part.shape}".encode())
                h.update(np.ascontiguousarray(part).tobytes())
            else:
                h.update(repr(part).encode())
        return h.hexdigest()[:16]

    def get(self, preset: str, what: str, digest: str, compute: Callable[[], np.ndarray]):
        """``(array, loaded)``: from the cache, or computed and stored."""
        path = None
        if self.folder is not None:
            path = self.folder / f"science-{preset}-{what}-{digest}.npy"
            if path.is_file():
                try:
                    return np.load(path), True
                except (OSError, ValueError):
                    pass  # a broken file: compute again
        value = compute()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, value)
            tmp.replace(path)
        return value, False


def compact_entries_direct(problem: Problem, m: np.ndarray, n: np.ndarray) -> np.ndarray:
    """C[m, n] by a direct float64 sum over K (O(len(m) K)), in blocks."""
    N = problem.grid_size
    d = 2 * np.pi * problem.pixel_scale * np.pi / 648000
    w = problem.noise_map_real**-2.0
    u = problem.uv_wavelengths[:, 0]
    v = problem.uv_wavelengths[:, 1]
    du = d * (n - (N - 1)).astype(np.float64)
    dv = d * m.astype(np.float64)
    out = np.zeros(len(m))
    block = max(1, 2**22 // max(len(m), 1))
    for start in range(0, len(w), block):
        sl = slice(start, start + block)
        out += np.cos(np.outer(du, u[sl]) - np.outer(dv, v[sl])) @ w[sl]
    return out


def check_compact(result, expected: CompactExpected, what: str) -> float:
    """Raise :class:`WrongAnswer` unless ``result`` meets the W1 rule; return the error.

    The error is the largest relative error on entries above ``W1_FLOOR`` of the peak.
    """
    a = _as_numpy(result)
    n = expected.N
    if a.shape != (n, 2 * n - 1):
        raise WrongAnswer(f"{what}: shape {a.shape}, expected {(n, 2 * n - 1)}")
    if not np.all(np.isfinite(a)):
        raise WrongAnswer(f"{what}: non-finite values")
    if expected.full is not None:
        got, want = a.ravel(), expected.full.ravel()
    else:
        got, want = a.ravel()[expected.index], expected.values
    peak = expected.peak
    big = np.abs(want) > W1_FLOOR * peak
    diff = np.abs(got - want)
    rel = float(np.max(diff[big] / np.abs(want[big]))) if big.any() else 0.0
    small = float(np.max(diff[~big])) / peak if (~big).any() else 0.0
    where = "all entries" if expected.full is not None else f"{len(want)} spot entries"
    if not rel <= W1_RTOL or not small <= W1_RTOL * W1_FLOOR:
        worst = int(np.argmax(np.where(big, diff / np.maximum(np.abs(want), 1e-300), 0)))
        raise WrongAnswer(
            f"{what}: max relative error {rel:.3g} on entries above {W1_FLOOR:g} of the peak "
            f"(allowed {W1_RTOL:g}), max error {small:.3g} of the peak on the others (allowed "
            f"{W1_RTOL * W1_FLOOR:g}), over {where}; worst entry got {got[worst]!r}, "
            f"expected {want[worst]!r}"
        )
    return rel


def check_curvature(result, expected: CurvatureExpected, what: str) -> float:
    """Raise unless |F - F_ref| <= W2_RTOL (|F_ref| + max|F_ref|); return max error / max|F|."""
    a = _as_numpy(result)
    s = expected.S
    if a.shape != (s, s):
        raise WrongAnswer(f"{what}: shape {a.shape}, expected {(s, s)}")
    if expected.full is not None:
        got, want = a, expected.full
    else:
        got, want = a[:, expected.columns], expected.values
    if not np.all(np.isfinite(got)):
        raise WrongAnswer(f"{what}: non-finite values")
    scale = float(np.max(np.abs(want)))
    diff = np.abs(got - want)
    error = float(np.max(diff)) / scale
    if not np.all(diff <= W2_RTOL * (np.abs(want) + scale)):
        where = "F" if expected.full is not None else f"{len(expected.columns)} spot columns of F"
        raise WrongAnswer(
            f"{what}: max error {error:.3g} of max|F| over {where} (allowed {W2_RTOL:g} "
            "relative, plus the same of max|F|)"
        )
    return error


def check_likelihood(result, expected: LikelihoodExpected, what: str) -> float:
    """Raise unless the evidence agrees to ``W3_RTOL``, in total and in the part that
    depends on F; return the relative error of that part.

    At K ~ 1e6 the total is dominated by the data's chi-squared and the noise
    normalisation (terms of size K that do not involve F), so a relative tolerance on the
    total alone would let F be wrong by 1e-6; the part that depends on F,
    ``-(-s.D + logdet(F+H) - logdet(H))/2``, is compared on its own.
    """
    value = float(_as_numpy(result))
    if not math.isfinite(value):
        raise WrongAnswer(f"{what}: {value!r}, reference {expected.value!r}")
    total = abs(value - expected.value) / abs(expected.value)
    part = expected.value - expected.data_terms
    error = abs((value - expected.data_terms) - part) / abs(part)
    if not (total <= W3_RTOL and error <= W3_RTOL):
        raise WrongAnswer(
            f"{what}: {value!r} vs reference {expected.value!r}: relative error {total:.3g} in "
            f"total, {error:.3g} in the part that depends on F ({part:.6g}) (allowed "
            f"{W3_RTOL:g})"
        )
    return error


def _as_numpy(result) -> np.ndarray:
    if hasattr(result, "todense"):  # a JAX BCOO
        result = result.todense()
    return np.asarray(result, dtype=np.float64)


@dataclass
class CompactExpected:
    N: int
    index: np.ndarray  # flat indices of the spot entries
    values: np.ndarray  # their direct sums
    peak: float  # C[0, N-1] = sum of the weights, the largest entry
    full: np.ndarray | None = None


@dataclass
class LikelihoodExpected:
    value: float  # the evidence
    data_terms: float  # its terms that do not depend on F: -(chi² of the data + norm.) / 2


@dataclass
class CurvatureExpected:
    S: int
    columns: np.ndarray
    values: np.ndarray  # (S, len(columns))
    full: np.ndarray | None = None


def numba_call(workload: str, method: str | None = None, eps: float | None = None):
    """The ``numba`` backend's kernel of ``workload``, with ``method=`` when it has METHODS.

    Looked up at call time, so that a test may patch the module (and see the reference
    check catch it).
    """
    module = backends.load("numba")
    fn = getattr(module, PUBLIC[workload])
    table = getattr(module, "METHODS", None)
    if table is None or PUBLIC[workload] not in table or method is None:
        return fn
    return functools.partial(fn, method=method, **_extra_kwargs(fn, method, eps))


def _extra_kwargs(fn, method: str, eps: float | None) -> dict:
    """``eps=`` for a NUFFT method when one was chosen and the kernel takes it."""
    if method != "nufft" or eps is None:
        return {}
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    return {"eps": eps} if "eps" in params else {}


def default_eps(fn) -> float | None:
    """The ``eps`` a kernel uses when none is passed (None when it takes none)."""
    try:
        param = inspect.signature(fn).parameters.get("eps")
    except (TypeError, ValueError):
        return None
    return None if param is None or param.default is inspect.Parameter.empty else param.default


def _numba_methods(workload: str) -> tuple[str, ...]:
    table = getattr(backends.load("numba"), "METHODS", None) or {}
    return tuple(table.get(PUBLIC[workload], ()))


class References:
    """The exact results each workload is checked against, built lazily and cached."""

    def __init__(
        self, problem: Problem, cache: Cache, log: Callable[[str], None], eps: float | None
    ):
        self.problem = problem
        self.eps = eps
        self.preset = problem.preset
        self.cache = cache
        self.log = log
        self.notes: dict[str, str] = {}  # what each reference is, for the report

    def _timed(self, what: str, compute: Callable[[], Any]) -> Callable[[], Any]:
        def run():
            self.log(f"[dim]computing the {what} ...[/]")
            start = time.perf_counter()
            value = compute()
            self.log(f"[dim]  {what}: {time.perf_counter() - start:.1f} s[/]")
            return value

        return run

    @cached_property
    def _w1_digest(self) -> str:
        p = self.problem
        return Cache.digest(p.grid_size, p.pixel_scale, p.noise_map_real, p.uv_wavelengths)

    @cached_property
    def w1_spot(self) -> CompactExpected:
        """~300 random entries (and the peak, the corners) by a direct sum over K."""
        p = self.problem
        n = p.grid_size
        size = n * (2 * n - 1)
        rng = np.random.default_rng([zlib.crc32(b"spot-w1"), n, p.K])
        picked = rng.choice(size, size=min(SPOT_ENTRIES, size), replace=False)
        corners = np.ravel_multi_index(
            ([0, n - 1, n - 1, 0], [n - 1, 0, 2 * n - 2, 0]), (n, 2 * n - 1)
        )
        index = np.unique(np.concatenate([corners, picked]))
        m, col = np.unravel_index(index, (n, 2 * n - 1))
        what = f"W1 spot reference ({len(index)} entries, direct sum over K = {p.K:,})"
        values, loaded = self.cache.get(
            self.preset.name,
            "w1-spot",
            Cache.digest(self._w1_digest, index),
            self._timed(what, lambda: compact_entries_direct(p, m, col)),
        )
        peak = float(values[np.searchsorted(index, corners[0])])
        return CompactExpected(N=n, index=index, values=values, peak=peak)

    @cached_property
    def w1(self) -> CompactExpected:
        """The W1 reference: the full exact form where affordable, else the spot entries."""
        spot = self.w1_spot
        if not self.preset.exact_reference:
            self.notes["W1"] = (
                f"{len(spot.index)} entries (random, plus the peak and corners) summed directly "
                "in float64 over K"
            )
            return spot
        full = self._numba_compact("exact", "w1-exact", "W1 reference (numba exact, full)")
        self.notes["W1"] = (
            f"the full exact compact form from numba, itself checked at {len(spot.index)} "
            "entries against a direct float64 sum over K"
        )
        return CompactExpected(spot.N, spot.index, spot.values, spot.peak, full=full)

    def _numba_compact(self, method: str, what: str, label: str) -> np.ndarray:
        p = self.problem
        fn = numba_call("W1", method, self.eps)
        args = (p.grid_size, p.noise_map_real, p.uv_wavelengths, p.pixel_scale)
        full, loaded = self.cache.get(
            self.preset.name, what, self._w1_digest, self._timed(label, lambda: fn(*args))
        )
        source = "cached " if loaded else ""
        error = check_compact(full, self.w1_spot, f"the {source}{label}")
        self.notes[f"{label} at the spots"] = f"max relative error {error:.1e}"
        return full

    @cached_property
    def w_compact_input(self) -> np.ndarray:
        """The compact form W2 and W3 take: the verified full reference, or at sizes where
        the exact sum is too slow, numba's NUFFT (when it has one) checked at the spots."""
        if self.preset.exact_reference:
            return self.w1.full
        if "nufft" in _numba_methods("W1"):
            self.notes["W2 input"] = "numba nufft (checked at the W1 spot entries)"
            what = "w1-nufft" + ("" if self.eps is None else f"-eps{self.eps:g}")
            return self._numba_compact("nufft", what, "W2/W3 input compact form (numba nufft)")
        self.notes["W2 input"] = "numba exact (checked at the W1 spot entries)"
        self.log(
            "[yellow]no NUFFT method in numba: the input compact form is summed exactly (slow)"
        )
        return self._numba_compact("exact", "w1-exact", "W2/W3 input compact form (numba exact)")

    @cached_property
    def _f_digest(self) -> str:
        p = self.problem
        return Cache.digest(
            self.w_compact_input,
            p.native_index_for_slim_index,
            p.pix_indexes_for_sub_slim_index,
            p.pix_weights_for_sub_slim_index,
            p.pixels,
        )

    @cached_property
    def f_spot(self) -> CurvatureExpected:
        """``SPOT_COLUMNS`` random columns of F, exactly with NumPy."""
        p = self.problem
        rng = np.random.default_rng([zlib.crc32(b"spot-w2"), p.M, p.S])
        columns = np.sort(rng.choice(p.S, size=min(SPOT_COLUMNS, p.S), replace=False))
        values, _ = self.cache.get(
            self.preset.name,
            "w2-spot",
            Cache.digest(self._f_digest, columns),
            self._timed(
                f"W2 spot reference ({len(columns)} columns of F, NumPy)",
                lambda: curvature_columns(p, self.w_compact_input, columns),
            ),
        )
        return CurvatureExpected(S=p.S, columns=columns, values=values)

    def _numba_curvature(self, method: str, what: str, label: str) -> np.ndarray:
        p = self.problem
        w_compact = self.w_compact_input
        fn = numba_call("W2", method)
        args = (
            w_compact,
            p.native_index_for_slim_index,
            p.pix_indexes_for_sub_slim_index,
            p.pix_weights_for_sub_slim_index,
            p.pixels,
        )
        full, loaded = self.cache.get(
            self.preset.name, what, self._f_digest, self._timed(label, lambda: fn(*args))
        )
        source = "cached " if loaded else ""
        error = check_curvature(full, self.f_spot, f"the {source}{label}")
        self.notes[f"{label} at the spot columns"] = f"max error {error:.1e} of max|F|"
        return full

    @cached_property
    def w2(self) -> CurvatureExpected:
        spot = self.f_spot
        if not self.preset.exact_reference:
            self.notes["W2"] = (
                f"{len(spot.columns)} random columns of F computed exactly with NumPy"
            )
            return spot
        full = self._numba_curvature("two_pass", "w2-two_pass", "W2 reference (numba two_pass)")
        self.notes["W2"] = (
            f"the full F from numba two_pass, itself checked at {len(spot.columns)} columns "
            "computed exactly with NumPy"
        )
        return CurvatureExpected(spot.S, spot.columns, spot.values, full=full)

    @cached_property
    def verified_f(self) -> np.ndarray:
        """A full F checked against the NumPy columns (for the W3 reference)."""
        if self.preset.exact_reference:
            return self.w2.full
        methods = _numba_methods("W2")
        method = next((m for m in ("conv", "fft") if m in methods), "two_pass")
        return self._numba_curvature(method, f"w2-{method}", f"F for W3 (numba {method})")

    @cached_property
    def w3(self) -> LikelihoodExpected:
        value = likelihood_from_curvature(self.problem, self.verified_f)
        self.notes["W3"] = "NumPy float64 (Cholesky of F + H and H) from the verified F"
        return value

    def expected(self, workload: str):
        return {"W1": lambda: self.w1, "W2": lambda: self.w2, "W3": lambda: self.w3}[workload]()


def curvature_columns(problem: Problem, w_compact: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Columns of F = T^T W T, exactly: W t_s over the column's non-zero pixels, then T^T."""
    idx = problem.pix_indexes_for_sub_slim_index
    wts = problem.pix_weights_for_sub_slim_index
    valid = np.cumprod(idx >= 0, axis=1).astype(bool)
    rows = problem.native_index_for_slim_index[:, 0]
    cols = problem.native_index_for_slim_index[:, 1]
    out = np.empty((problem.S, len(columns)))
    for j, s in enumerate(columns):
        where = np.nonzero(valid & (idx == s))
        w_t = np.zeros(problem.M)  # (W t_s)[a] = sum_b W[a, b] t_s[b]
        for b, weight in zip(where[0], wts[where]):
            w_t += weight * compact_lookup(w_compact, rows - rows[b], cols - cols[b])
        contrib = np.where(valid, wts * w_t[:, None], 0.0)
        out[:, j] = np.bincount(idx[valid], weights=contrib[valid], minlength=problem.S)
    return out


def likelihood_from_curvature(problem: Problem, curvature: np.ndarray) -> LikelihoodExpected:
    """KERNELS.md's evidence in NumPy float64, with Cholesky log-determinants."""
    import scipy.linalg

    p = problem
    idx = p.pix_indexes_for_sub_slim_index
    valid = np.cumprod(idx >= 0, axis=1).astype(bool)
    d_contrib = p.pix_weights_for_sub_slim_index * p.dirty_image[:, None]
    data_vector = np.bincount(idx[valid], weights=d_contrib[valid], minlength=p.S)
    h = ref.constant_regularization_matrix_from(p.coefficient, p.neighbors, p.neighbors_sizes)
    factor = scipy.linalg.cho_factor(curvature + h, lower=True)
    s = scipy.linalg.cho_solve(factor, data_vector)
    logdet_fh = 2.0 * np.sum(np.log(np.diag(factor[0])))
    logdet_h = 2.0 * np.sum(np.log(np.diag(scipy.linalg.cholesky(h, lower=True))))
    chi_data = np.sum(p.data.real**2 / p.noise_map.real**2 + p.data.imag**2 / p.noise_map.imag**2)
    norm = ref.noise_normalization_complex_from(p.noise_map)
    return LikelihoodExpected(
        value=float(-0.5 * (chi_data - s @ data_vector + logdet_fh - logdet_h + norm)),
        data_terms=float(-0.5 * (chi_data + norm)),
    )


# ------------------------------------------------------------------------------ rows


@dataclass(frozen=True)
class Row:
    """One timed line: a backend's kernel, with a method keyword or without."""

    workload: str
    backend: str
    method: str
    kernel: str
    keyword: bool  # call with method=<method>
    label: str
    baseline: bool = False  # the row the workload's ratios are taken against

    def function(self) -> Callable:
        """The kernel, looked up at call time (tests patch the backend modules)."""
        return getattr(backends.load(self.backend), self.kernel)


def backend_methods(module, workload: str) -> tuple[tuple[str, ...], bool]:
    """(methods, whether to pass ``method=``) of ``module`` for ``workload``."""
    table = getattr(module, "METHODS", None)
    if not table or PUBLIC[workload] not in table:
        return (DEFAULT_METHOD[workload],), False
    methods = tuple(m for m in table[PUBLIC[workload]] if m != "auto")
    return methods or (DEFAULT_METHOD[workload],), bool(methods)


def build_rows(workload: str, names: Sequence[str]) -> list[Row]:
    """Every row of ``workload`` for the backends ``names`` (that import), baseline first."""
    rows: list[Row] = []
    if "original" in names:
        kernel = {
            "W1": "w_tilde_curvature_preload_interferometer_from",
            "W2": "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
            "W3": "log_likelihood_function_via_w_compact_from",
        }[workload]
        rows.append(Row(workload, "original", "preload", kernel, False, "original preload"))
    for name in names:
        if name == "original":
            continue
        module = backends.load(name)
        if not hasattr(module, PUBLIC[workload]):
            continue
        methods, keyword = backend_methods(module, workload)
        for method in methods:
            rows.append(Row(workload, name, method, PUBLIC[workload], keyword, f"{name} {method}"))
        if workload == "W2":
            direct = PUBLIC["W2"].replace("_from", "_direct_from")
            if hasattr(module, direct):
                rows.append(Row("W2", name, "direct", direct, False, f"{name} direct (4-loop)"))
            if hasattr(module, PUBLIC["W2"] + "_BCOO"):
                rows.append(Row("W2", name, "BCOO", PUBLIC["W2"] + "_BCOO", False, f"{name} BCOO"))
    labels = {r.label for r in rows}
    base = BASELINE[workload]
    if base not in labels:
        base = BASELINE_FALLBACK.get(workload, base)
    rows = [dataclasses.replace(r, baseline=r.label == base) for r in rows]
    rows.sort(key=lambda r: not r.baseline)  # the baseline first: the ratios need it
    return rows


# ------------------------------------------------------------------------------ cost model


#: operations per second per core, fitted on the 2-core development machine (preset mid,
#: and ~20 s for numba exact at alma); parallel backends scale them by the usable cores
RATES = {
    "trig": 1.25e7,  # a cos, sin pair computed in a loop over (offset, visibility)
    "flop": 1.5e10,  # BLAS matrix products
    "lapack": 4.75e9,  # Cholesky, solves (the S³ part of a likelihood step)
    "loop": 1.3e8,  # a gather-multiply-scatter step of a compiled loop (two-pass W T)
    "direct": 7.0e7,  # a step of numba's 4-loop (F scatter)
    "jax_scatter": 5.0e7,  # a step of JAX's element-wise scatter-add (4-loop)
    "serial_trig": 2.0e7,  # original's scalar cos in its preload loop (one core)
    "serial_loop": 2.0e8,  # original's 4-loop over the preload (one core)
    "fft": 5.0e8,  # the 5 n log2 n flops of a real-to-complex FFT pair
    "conv_column": 6.0e7,  # conv's per (pixel, source column) work, outside the AXPYs
}
#: a backend's time for the same W1 work relative to numba's (measured at mid)
W1_BACKEND_FACTOR = {"numba": 1.0, "jax": 1.0, "xp": 1.8}
MIB = 2**20


@dataclass
class Prediction:
    seconds: float
    bytes: float
    formula: str  # what the time was predicted from
    memory: str = "working arrays"  # what the bytes were predicted from


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return psutil.cpu_count() or 1


def predict(row: Row, p: Preset, M: int) -> Prediction:
    """Rough time and memory of one call of ``row`` at preset ``p`` (a cost model).

    Operation counts per method, divided by :data:`RATES`; memory from the arrays each
    method builds (dense W-tilde M², W T M S, ...), measured at mid.
    """
    cores = _cores()
    rate = {k: v * (1 if k.startswith("serial") else cores) for k, v in RATES.items()}
    N, K, S, B = p.N, p.K, p.S, p.B
    if row.workload == "W1":
        return _predict_compact(row, N, K, rate)
    pred = _predict_curvature(row, N, M, S, B, rate)
    if row.workload == "W3":
        solves = (2 / 3) * S**3 * 2  # Cholesky (or LU) of F + H and of H
        pred = Prediction(
            pred.seconds + solves / rate["lapack"],
            pred.bytes + 6 * S * S * 8 + (M * S * 8 if row.backend == "original" else 0),
            pred.formula + " + 4/3 S³ factorisations",
            pred.memory + " + S x S matrices",
        )
    return pred


def _predict_compact(row: Row, N: int, K: int, rate: dict) -> Prediction:
    if row.backend == "original":
        ops = 4 * N * N * K
        return Prediction(ops / rate["serial_trig"], 4 * N * N * 8, "4 N² K cos, one core")
    if row.method == "nufft":
        fft = 5 * (4 * N) ** 2 * math.log2((4 * N) ** 2)  # the upsampled (4N)² grid
        return Prediction(
            30 * K / rate["loop"] + fft / rate["fft"],
            128 * MIB + 64 * K,
            "~30 K spreading steps + a (4N)² FFT",
        )
    trig = (3 * N - 1) * K
    flops = 4 * N * (2 * N - 1) * K
    factor = W1_BACKEND_FACTOR.get(row.backend, 2.0)
    return Prediction(
        factor * (trig / rate["trig"] + flops / rate["flop"]),
        128 * MIB + 3 * N * (2 * N - 1) * 8,
        "(3N-1) K sin/cos pairs + 4 N (2N-1) K flops",
    )


def _predict_curvature(row: Row, N: int, M: int, S: int, B: int, rate: dict) -> Prediction:
    b, method = row.backend, row.method
    if method == "default":  # a likelihood without METHODS: assume its two-pass F
        method = "two_pass"
    if b == "original":
        ops = (M * B) ** 2 / 2
        return Prediction(ops / rate["serial_loop"], 3 * S * S * 8, "(M B)²/2 steps, one core")
    if method == "direct":
        ops = (M * B) ** 2
        r = rate["jax_scatter"] if b == "jax" else rate["direct"]
        return Prediction(ops / r, 16 * MIB + 2 * S * S * 8, "(M B)² steps (4-loop)")
    if method == "BCOO":
        ops = M * M * (B + 1)
        return Prediction(
            ops / rate["loop"],
            3.5 * M * M * 8,
            "M² (B+1) steps",
            "3.5 x 8 M² bytes: the dense M x M W-tilde and its products",
        )
    if method == "fft":
        ops = S * 5 * (2 * N) ** 2 * math.log2((2 * N) ** 2)
        return Prediction(
            ops / rate["fft"] + M * B * S / rate["loop"],
            1.2 * S * (2 * N) ** 2 * 16 + 2 * M * S * 8,
            "S FFTs of (2N)²",
            "1.2 x 16 S (2N)² bytes: all S columns' spectra at once",
        )
    if b == "xp" and method == "two_pass":  # expands W-tilde, then a dense product
        return Prediction(
            M * M / rate["loop"] + 2 * M * M * S / rate["flop"],
            5 * M * M * 8,
            "dense M x M W-tilde, 2 M² S flops",
            "5 x 8 M² bytes: the dense M x M W-tilde and its index arrays",
        )
    # two_pass, conv and any other method: the M² B products of W T, then T^T
    ops = M * M * B + M * B * S
    if method == "conv":  # contiguous AXPYs along image rows vectorise (fitted: mid, alma_high)
        return Prediction(
            M * S / rate["conv_column"] + ops / (36 * rate["loop"]),
            16 * MIB + M * S * 8,
            "M S column steps + M² B AXPY steps",
            "W T",
        )
    return Prediction(
        ops / rate["loop"], 16 * MIB + 3 * M * S * 8, "M² B steps (W T)", "3 x 8 M S bytes: W T"
    )


# ------------------------------------------------------------------------------ measuring


@dataclass
class Result:
    """One row of one preset: measured, failed or skipped."""

    preset: str
    workload: str
    label: str
    backend: str
    method: str
    kernel: str
    keyword: bool
    baseline: bool
    status: str = "skipped"  # "ok", "failed" or "skipped"
    reason: str | None = None
    first_call_s: float | None = None
    times_s: list[float] = field(default_factory=list)
    median_s: float | None = None
    peak_mib: float | None = None
    first_peak_mib: float | None = None
    error: float | None = None  # the checked error (see the workload's rule)
    predicted_s: float | None = None
    predicted_mib: float | None = None
    ratio: float | None = None  # median / the baseline's median


def measure(call: Callable[[], Any], check: Callable[[Any], float], quick: bool, result: Result):
    """First call (checked before anything is timed), then the warm calls, into ``result``."""
    with RssPeak() as memory:
        start = time.perf_counter()
        value = call()
        result.first_call_s = time.perf_counter() - start
    result.first_peak_mib = memory.peak_mib
    result.error = check(value)
    del value
    times: list[float] = []
    with RssPeak() as memory:
        while True:
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
            if quick or times[0] > SLOW_S or len(times) >= MAX_ROUNDS:
                break
            if len(times) >= MIN_ROUNDS and sum(times) >= TARGET_S:
                break
    result.times_s = times
    result.median_s = statistics.median(times)
    result.peak_mib = memory.peak_mib
    result.status = "ok"


def bind(row: Row, problem: Problem, eps: float | None = None) -> Callable[[], Any]:
    """A no-argument call of ``row`` on ``problem``: inputs converted, JAX blocked on."""
    fn = row.function()
    convert = converter(row.backend)
    args = [convert(a) for a in problem.args_for(fn)]
    if row.keyword:
        fn = functools.partial(fn, method=row.method, **_extra_kwargs(fn, row.method, eps))
    call = blocking(fn, row.backend)
    return lambda: call(*args)


def checker(row: Row, problem: Problem, expected) -> Callable[[Any], float]:
    what = f"{row.workload} {row.label} ({row.backend}.{row.kernel})"
    if row.workload == "W1":
        if row.backend == "original":
            return lambda r: check_compact(
                compact_from_preload(_as_numpy(r), problem.grid_size), expected, what
            )
        return lambda r: check_compact(r, expected, what)
    if row.workload == "W2":
        return lambda r: check_curvature(r, expected, what)
    return lambda r: check_likelihood(r, expected, what)


@dataclass
class Config:
    time_limit: float
    mem_cap_bytes: float
    quick: bool
    nufft_eps: float | None = None


class Runner:
    """Runs the rows of one preset; remembers measured times to predict larger presets."""

    def __init__(self, config: Config, console: Console, cache: Cache):
        self.config = config
        self.console = console
        self.cache = cache
        #: (workload, label) -> (model seconds, measured median, preset) of the last measurement
        self.measured: dict[tuple[str, str], tuple[float, float, str]] = {}

    def log(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def skip_reason(self, row: Row, pred: Prediction, preset: Preset) -> str | None:
        cap = self.config.mem_cap_bytes
        if pred.bytes > cap:
            return (
                f"skipped: needs ~{pred.bytes / 2**30:.3g} GiB ({pred.memory}), over the "
                f"{cap / 2**30:.3g} GiB memory cap"
            )
        if pred.seconds > self.config.time_limit:
            return (
                f"skipped: predicted {format_time(pred.seconds)} per call ({pred.formula}), "
                f"over the {self.config.time_limit:g} s time limit"
            )
        return None

    def prediction(self, row: Row, preset: Preset, M: int) -> Prediction:
        """The cost model's prediction, rescaled from this row's measurement at an earlier
        preset of the run when there is one (the model's growth, the measured constant)."""
        pred = predict(row, preset, M)
        seen = self.measured.get((row.workload, row.label))
        if seen is not None and seen[0] > 0:
            model, median, where = seen
            pred.seconds = median * pred.seconds / model
            pred.formula += f", scaled from {format_time(median)} measured at {where}"
        return pred

    def run_preset(self, preset: Preset, workloads: Sequence[str], names, methods) -> dict:
        start = time.perf_counter()
        self.console.rule(f"preset {preset.name}")
        problem = Problem(preset)
        self.log(
            f"{problem!r}: built in {time.perf_counter() - start:.1f} s; "
            f"{int(np.count_nonzero(problem.pix_indexes_for_sub_slim_index[:, 1] < 0)):,} "
            "image pixels outside the source mesh (one mapping)"
        )
        refs = References(problem, self.cache, self.log, self.config.nufft_eps)
        results: list[Result] = []
        for workload in workloads:
            rows = [
                r for r in build_rows(workload, names) if methods is None or r.method in methods
            ]
            results += self.run_workload(workload, rows, problem, refs)
        return {
            "problem": problem,
            "results": results,
            "references": dict(refs.notes),
            "seconds": time.perf_counter() - start,
        }

    def run_workload(self, workload: str, rows: list[Row], problem: Problem, refs) -> list[Result]:
        preset = problem.preset
        results = []
        expected = None
        reference_error = None
        for row in rows:
            result = Result(
                preset.name,
                workload,
                row.label,
                row.backend,
                row.method,
                row.kernel,
                row.keyword,
                row.baseline,
            )
            results.append(result)
            pred = self.prediction(row, preset, problem.M)
            result.predicted_s = pred.seconds
            result.predicted_mib = pred.bytes / 2**20
            result.reason = self.skip_reason(row, pred, preset)
            if result.reason is not None:
                self.log(f"{workload} {row.label:<26} {result.reason}")
                continue
            if expected is None and reference_error is None:
                try:
                    if workload != "W1":
                        problem.set_w_compact(refs.w_compact_input)
                    expected = refs.expected(workload)
                except WrongAnswer as exc:
                    reference_error = f"the reference is wrong: {exc}"
                    self.log(f"[bold red]{workload}: {reference_error}")
                except Exception as exc:  # the reference kernel itself crashed
                    reference_error = f"the reference could not be computed: {exc!r}"
                    self.log(f"[bold red]{workload}: {reference_error}")
            if reference_error is not None:
                result.status, result.reason = "failed", reference_error
                continue
            try:
                measure(
                    bind(row, problem, self.config.nufft_eps),
                    checker(row, problem, expected),
                    self.config.quick,
                    result,
                )
            except WrongAnswer as exc:
                result.status, result.reason = "failed", f"wrong answer, not timed: {exc}"
                self.log(f"[bold red]{workload} {row.label}: {result.reason}")
            except Exception as exc:  # a crashing kernel is a failed row, not a crashed run
                result.status, result.reason = "failed", f"raised {exc!r}"
                self.log(f"[bold red]{workload} {row.label}: {result.reason}")
            else:
                self.measured[(workload, row.label)] = (
                    predict(row, preset, problem.M).seconds,
                    result.median_s,
                    preset.name,
                )
                self.log(
                    f"{workload} {row.label:<26} {format_time(result.median_s):>9} "
                    f"x{len(result.times_s)} (first {format_time(result.first_call_s)}, "
                    f"predicted {format_time(pred.seconds)}) {result.peak_mib:8.1f} MiB, "
                    f"error {result.error:.2g}"
                )
        base = next((r for r in results if r.baseline and r.status == "ok"), None)
        for r in results:
            if base is not None and r.median_s is not None:
                r.ratio = r.median_s / base.median_s
        return results


# ------------------------------------------------------------------------------ outputs

HEADER = [
    "",
    "status",
    "median",
    "first call",
    "rounds",
    "peak RSS",
    "ratio",
    "error",
    "predicted",
    "note",
]


def _sorted(results: list[Result]) -> list[Result]:
    order = {"ok": 0, "failed": 1, "skipped": 2}
    return sorted(
        results, key=lambda r: (order[r.status], r.median_s if r.median_s is not None else 0)
    )


def _cells(r: Result) -> list[str]:
    mib = lambda v: "—" if v is None else f"{v:,.1f} MiB"
    return [
        r.label + (" (baseline)" if r.baseline else ""),
        r.status,
        format_time(r.median_s),
        format_time(r.first_call_s),
        str(len(r.times_s)) if r.times_s else "—",
        mib(r.peak_mib),
        "—" if r.ratio is None else f"{r.ratio:.3g}",
        "—" if r.error is None else f"{r.error:.1e}",
        format_time(r.predicted_s),
        r.reason or "",
    ]


def print_tables(preset: Preset, results: list[Result], console: Console) -> None:
    colour = {"ok": "green", "failed": "bold red", "skipped": "yellow"}
    for workload in WORKLOADS:
        rows = [r for r in results if r.workload == workload]
        if not rows:
            continue
        table = Table(title=f"{preset.name}: {WORKLOAD_TITLES[workload]}", title_justify="left")
        for i, h in enumerate(HEADER):
            table.add_column(
                h,
                justify="left" if i in (0, 1, 9) else "right",
                no_wrap=i < 9,
                overflow="fold",
            )
        for r in _sorted(rows):
            cells = _cells(r)
            cells[1] = f"[{colour[r.status]}]{cells[1]}[/]"
            table.add_row(*cells)
        console.print(table)


def plot_workload(preset: Preset, workload: str, results: list[Result], info, path: Path) -> None:
    """Horizontal bars of the median per row (log axis), labelled with the ratio."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(reversed(_sorted(results)))
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(rows) + 1.6))
    measured = [r.median_s for r in rows if r.median_s is not None]
    lo = min(measured, default=1e-3)
    hi = max(measured, default=1.0)
    for y, r in enumerate(rows):
        if r.median_s is None:
            text = r.status
            if r.status == "skipped" and r.predicted_s is not None:
                text += f" (predicted {format_time(r.predicted_s)})"
            ax.text(lo / 1.8, y, text, va="center", fontsize=8, color="0.4")
            continue
        ax.barh(y, r.median_s, color=BACKEND_COLOURS.get(r.backend, "C7"), height=0.7)
        text = format_time(r.median_s) + ("" if r.ratio is None else f"  ×{r.ratio:.3g}")
        ax.text(r.median_s * 1.08, y, text, va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xscale("log")
    ax.set_xlim(lo / 2, hi * 12)
    base = next((r.label for r in results if r.baseline), "—")
    ax.set_xlabel(f"median time per call [s] (log); labels: time and ratio to {base}")
    ax.set_title(f"{preset.name}: {WORKLOAD_TITLES[workload]}\n{machine_line(info)}", fontsize=9)
    from matplotlib.patches import Patch

    present = {r.backend for r in rows if r.median_s is not None}
    handles = [Patch(color=c, label=b) for b, c in BACKEND_COLOURS.items() if b in present]
    if handles:
        ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _sizes_line(preset: Preset, problem: Problem) -> str:
    return (
        f"N = {preset.N}, M = {problem.M:,}, K = {preset.K:,}, S = {preset.S:,}, "
        f"B = {preset.B}, P = {preset.P}; pixel scale {preset.pixel_scale:g} arcsec, "
        f"|uv| from {preset.uv_min:g} to {preset.uv_max:g} wavelengths"
    )


def markdown_report(run: str, preset: Preset, done: dict, info: dict, config: dict) -> str:
    problem, results = done["problem"], done["results"]
    lines = [
        f"# Science-size benchmark `{run}`",
        "",
        f"- preset **{preset.name}**: {_sizes_line(preset, problem)}",
        f"- machine: {machine_line(info)}; {info['platform']}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in info['versions'].items())}; numba "
        f"{info['threads']['numba']} threads ({info['threads']['numba_layer']})",
        f"- load average (1, 5, 15 min) at start {info['load_average_at_start']}, at end "
        f"{info['load_average']}",
        f"- command: `{config['command']}`",
        f"- duration: {done['seconds']:.0f} s; time limit {config['time_limit']:g} s per call; "
        f"memory cap {config['mem_cap_gib']:g} GiB" + ("; --quick" if config["quick"] else ""),
        "- NUFFT eps: "
        + (
            f"{config['nufft_eps']:g} (--nufft-eps)"
            if config["nufft_eps"] is not None
            else "each kernel's default ("
            + ", ".join(f"{k} {v:g}" for k, v in config["nufft_eps_defaults"].items() if v)
            + ")"
        ),
        "",
        "Every row's first result was checked against the reference before it was timed "
        "(failed rows are never timed). *median*: of the warm calls (one warm call, then more "
        f"until {TARGET_S:g} s have passed, {MIN_ROUNDS} to {MAX_ROUNDS} rounds, unless the "
        f"warm call took over {SLOW_S:g} s); *first call* includes JIT compilation; *peak "
        "RSS*: growth of the process RSS during the warm calls, sampled every ms "
        "(approximate); *ratio*: median over the baseline's; *error*: W1 the largest relative "
        f"error on entries above {W1_FLOOR:g} of the peak (allowed {W1_RTOL:g}), W2 the largest "
        f"error over max|F| (allowed {W2_RTOL:g}), W3 the relative error of the part of the "
        "evidence that depends on F (the data chi² and noise normalisation, terms of size K, "
        f"are left out; the total is checked too), allowed {W3_RTOL:g}. "
        "*predicted*: the cost model's time per call (operation counts at rates measured on a "
        "2-core machine, or this row's time at a smaller preset of the run, rescaled); rows "
        "predicted over the time limit or the memory cap are skipped, saying so.",
        "",
        "The references of W1 and W2 come from numba's exact and two-pass kernels (checked "
        "against exact NumPy sums), computed before the rows run: those two rows' first call "
        "therefore excludes compilation.",
        "",
        "References: "
        + "; ".join(f"{k}: {v}" for k, v in done["references"].items())
        + ("." if done["references"] else "none needed."),
    ]
    for workload in WORKLOADS:
        rows = [r for r in results if r.workload == workload]
        if not rows:
            continue
        base = next((r.label for r in rows if r.baseline), "none (not run)")
        lines += ["", f"## {WORKLOAD_TITLES[workload]}", "", f"Baseline: {base}.", ""]
        lines.append("| " + " | ".join(HEADER) + " |")
        lines.append("|---|---|" + "---:|" * 7 + "---|")
        for r in _sorted(rows):
            cells = [c.replace("|", "\\|").replace("\n", " ") for c in _cells(r)]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", f"![{workload}]({run}/{workload}.png)"]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ CLI


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _choices(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = _csv(text)
        unknown = [i for i in items if i not in allowed]
        if unknown or not items:
            raise argparse.ArgumentTypeError(
                f"expected a comma list of {', '.join(allowed)}; got {text!r}"
            )
        return items

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    total_gib = psutil.virtual_memory().total / 2**30
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.science",
        description="Time every backend and method of the precompute (W1), the curvature "
        "matrix (W2) and one likelihood step (W3) at science sizes, each checked first.",
    )
    parser.add_argument(
        "--preset",
        action="append",
        type=_choices(list(PRESETS)),
        help=f"repeatable or comma list of {', '.join(PRESETS)} (default mid; --quick: tiny)",
    )
    parser.add_argument(
        "--backends",
        type=_choices(backends.NAMES),
        default=list(backends.NAMES),
        help="comma list of original,numba,jax,xp (default all that import)",
    )
    parser.add_argument(
        "--workloads",
        type=_choices(WORKLOADS),
        default=list(WORKLOADS),
        help="comma list of W1,W2,W3",
    )
    parser.add_argument(
        "--methods",
        type=_csv,
        help="comma list of methods to keep (exact, nufft, two_pass, conv, fft, direct, BCOO, "
        "preload, ...; default all)",
    )
    parser.add_argument(
        "--time-limit",
        type=_positive,
        default=60.0,
        help="skip rows predicted to take longer per call, seconds (default 60)",
    )
    parser.add_argument(
        "--mem-cap-gib",
        type=_positive,
        default=round(0.7 * total_gib, 1),
        help=f"skip rows predicted to need more memory (default 70%% of RAM: {0.7 * total_gib:.1f})",
    )
    parser.add_argument(
        "--nufft-eps",
        type=_positive,
        default=NUFFT_EPS,
        help="tolerance passed to NUFFT methods (default: none passed, the kernel's default)",
    )
    parser.add_argument("--quick", action="store_true", help="one warm call per row")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "report", help="folder for .md and .png"
    )
    parser.add_argument(
        "--json-dir", type=Path, default=ROOT / ".benchmarks", help="folder for the raw JSON"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=ROOT / ".benchmarks" / "cache",
        help="reference cache (default .benchmarks/cache)",
    )
    parser.add_argument("--no-cache", action="store_true", help="recompute the references")
    parser.add_argument("--stamp", help="run suffix instead of <YYYYmmdd-HHMMSS>")
    args = parser.parse_args(argv)
    presets = [p for group in (args.preset or []) for p in group]
    args.presets = list(dict.fromkeys(presets)) or (["tiny"] if args.quick else ["mid"])
    args.backends = list(dict.fromkeys(args.backends))
    args.workloads = list(dict.fromkeys(args.workloads))
    if args.methods is not None:
        args.methods = set(args.methods)
    return args


def methods_api(names: Sequence[str]) -> dict:
    """Each backend's ``METHODS`` (None where it has none yet), for the JSON."""
    api = {}
    for name in names:
        table = getattr(backends.load(name), "METHODS", None)
        api[name] = None if table is None else {k: list(v) for k, v in table.items()}
    return api


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the presets; 0 when every row that ran was right, 2 when one failed."""
    args = parse_args(argv)
    if console is None:
        console = Console(width=None if Console().is_terminal else 180)
    status = backends.available()
    names = [n for n in args.backends if status[n] is None]
    for n in args.backends:
        if status[n] is not None:
            console.print(f"[yellow]backend {n} skipped: {status[n]}")
    if not names:
        console.print("[bold red]no backend imports[/]")
        return 1
    stamp = args.stamp or f"{datetime.now():%Y%m%d-%H%M%S}"
    command = "python -m benchmarks.science " + shlex.join(
        sys.argv[1:] if argv is None else list(argv)
    )
    config = {
        "command": command.strip(),
        "quick": args.quick,
        "time_limit": args.time_limit,
        "mem_cap_gib": args.mem_cap_gib,
        "backends": names,
        "workloads": args.workloads,
        "methods": sorted(args.methods) if args.methods else None,
        "rounds": {"probe_s": PROBE_S, "slow_s": SLOW_S, "target_s": TARGET_S},
        "tolerances": {"W1": [W1_RTOL, W1_FLOOR], "W2": W2_RTOL, "W3": W3_RTOL},
        "nufft_eps": args.nufft_eps,
        "nufft_eps_defaults": {
            n: default_eps(getattr(backends.load(n), PUBLIC["W1"], None)) for n in names
        },
        "methods_api": methods_api(names),
    }
    cache = Cache(None if args.no_cache else args.cache_dir)
    config_ = Config(args.time_limit, args.mem_cap_gib * 2**30, args.quick, args.nufft_eps)
    runner = Runner(config_, console, cache)
    failed = 0
    written = []
    for name in args.presets:
        preset = PRESETS[name]
        load_at_start = [round(x, 2) for x in os.getloadavg()]
        done = runner.run_preset(preset, args.workloads, names, args.methods)
        info = machine_info()
        info["load_average_at_start"] = load_at_start
        results = done["results"]
        failed += sum(r.status == "failed" for r in results)
        print_tables(preset, results, console)

        run = f"science-{preset.name}-{stamp}"
        args.out.mkdir(parents=True, exist_ok=True)
        for workload in WORKLOADS:
            rows = [r for r in results if r.workload == workload]
            if rows:
                png = args.out / run / f"{workload}.png"
                plot_workload(preset, workload, rows, info, png)
                written.append(png)
        markdown = args.out / f"{run}.md"
        markdown.write_text(markdown_report(run, preset, done, info, config))
        written.append(markdown)
        args.json_dir.mkdir(parents=True, exist_ok=True)
        json_path = args.json_dir / f"{run}.json"
        problem = done["problem"]
        payload = {
            "run": run,
            "date": datetime.now().isoformat(timespec="seconds"),
            "duration_s": done["seconds"],
            "preset": asdict(preset),
            "sizes": problem.sizes,
            "machine": info,
            "config": config,
            "references": done["references"],
            "results": [asdict(r) for r in results],
        }
        json_path.write_text(json.dumps(payload, indent=1))
        written.append(json_path)
    console.print("wrote:")
    for path in written:
        console.print(f"  {path}", highlight=False)
    if failed:
        console.print(f"[bold red]{failed} row(s) failed[/]: see the tables")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
