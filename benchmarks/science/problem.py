"""The science problem: presets of real sizes, and a lens-like problem built in seconds.

A :class:`Problem` has a circular mask filling the N x N grid, seeded random uv points
(density falling as 1/|uv| from 1e4 to 1e6 wavelengths), noise equal in its real and
imaginary parts (the lattice methods need that), random data and dirty image, and a
lens-like mapping: the unmasked pixels are traced through a singular isothermal sphere into
the source plane, where S source pixels sit on a jittered grid; a Delaunay triangulation
gives B = 3 barycentric weights per pixel (pixels outside its hull map to the nearest vertex
with weight 1, the row padded with -1) and the neighbour lists (Delaunay edges; where a
vertex has more than P, its longest edges are dropped on both sides, so the graph stays
symmetric).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from autojax.datasets import ARCSEC, Dataset

from .lattice import preload_from_compact


@dataclass(frozen=True)
class Preset:
    """Sizes of one science problem (N, K, S, B, P as in autojax.datasets) and its checks."""

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
    #: the workloads run when ``--workloads`` is not given
    workloads: tuple[str, ...] = ("W1", "W2", "W3")


PRESETS = {
    p.name: p
    for p in (
        Preset("tiny", N=16, K=500, S=60),
        Preset("mid", N=64, K=100_000, S=1000),
        Preset("alma", N=140, K=1_000_000, S=1500),
        Preset("alma_high", N=400, K=5_000_000, S=1500, exact_reference=False),
        # W4: two pixelizations of S each plus 20 linear functions, at tiny and alma sizes
        Preset("tiny_lens_model", N=16, K=500, S=60, workloads=("W4",)),
        Preset(
            "alma_lens_model",
            N=140,
            K=1_000_000,
            S=1500,
            exact_reference=False,  # W4 needs the compact form only: the NUFFT one, checked
            workloads=("W4",),
        ),
    )
}


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
