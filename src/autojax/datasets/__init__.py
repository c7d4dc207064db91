"""Test and benchmark datasets exposing every kernel argument by its name.

Two datasets:

- :class:`DataGenerated`: synthetic arrays of any size, deterministic, sized by the
  ``AUTOJAX_*`` environment variables (or constructor arguments);
- :class:`DataLoaded`: a realistic SMA-like lens observation (K = 190, M = 716, a
  Delaunay source mesh), built by :mod:`autojax.datasets._loaded_build` and shipped as a
  small ``.npz``.

Every array a kernel takes is an attribute with the kernel's argument name, so a test
calls any kernel with ``kernel(*dataset.args_for(kernel))``. Arrays that are *outputs* of
other kernels (``w_tilde``, ``w_compact``, ``mapping_matrix``, ...) are computed on first
use with the float64 reference of :mod:`autojax.reference` and cached.
"""

from __future__ import annotations

import inspect
import os
import zlib
from functools import cached_property
from pathlib import Path

import numpy as np

from .. import reference as ref

__all__ = ["Dataset", "DataGenerated", "DataLoaded", "ARCSEC"]

ARCSEC = ref.ARCSEC
_DATA_DIR = Path(__file__).with_name("data")


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"environment variable {name}={text!r} must be an integer") from None
    if value < 1:
        raise ValueError(f"environment variable {name}={text!r} must be positive")
    return value


class Dataset:
    """Arrays shared by both datasets; subclasses set the raw inputs in ``__init__``.

    Raw inputs every subclass provides: ``pixel_scale``, ``grid_size``, ``radius``, ``mask``,
    ``grid_radians_2d``, ``shape_masked_pixels_2d``, ``native_index_for_slim_index``,
    ``grid_radians_slim``, ``uv_wavelengths``, ``data``, ``noise_map``, ``dirty_image``,
    ``pix_indexes_for_sub_slim_index``, ``pix_weights_for_sub_slim_index``, ``pixels``,
    ``neighbors``, ``neighbors_sizes``.
    """

    name = "Dataset"
    coefficient = 1.0
    centre = (0.0, 0.0)

    # ----------------------------------------------------------- sizes (docs/contract.md)
    @property
    def N(self) -> int:
        return int(self.grid_size)

    @property
    def M(self) -> int:
        return int(self.grid_radians_slim.shape[0])

    @property
    def K(self) -> int:
        return int(self.uv_wavelengths.shape[0])

    @property
    def S(self) -> int:
        return int(self.pixels)

    @property
    def B(self) -> int:
        return int(self.pix_indexes_for_sub_slim_index.shape[1])

    @property
    def P(self) -> int:
        return int(self.neighbors.shape[1])

    @property
    def sizes(self) -> dict[str, int]:
        return {"N": self.N, "M": self.M, "K": self.K, "S": self.S, "B": self.B, "P": self.P}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        return f"{self.name}({sizes})"

    # ----------------------------------------------------------- simple aliases
    @property
    def pixel_scales(self) -> tuple[float, float]:
        return (float(self.pixel_scale), float(self.pixel_scale))

    @property
    def shape_native(self) -> tuple[int, int]:
        return tuple(int(s) for s in self.mask.shape)

    @property
    def pix_pixels(self) -> int:
        return self.S

    @property
    def total_mask_pixels(self) -> int:
        return self.M

    @property
    def visibilities_real(self) -> np.ndarray:
        return np.ascontiguousarray(self.data.real)

    @property
    def visibilities(self) -> np.ndarray:
        return self.data

    @property
    def noise_map_real(self) -> np.ndarray:
        return np.ascontiguousarray(self.noise_map.real)

    @cached_property
    def chi_squared_data(self) -> float:
        return ref.data_chi_squared_complex_from(self.data, self.noise_map)

    @cached_property
    def noise_normalization(self) -> float:
        return ref.noise_normalization_complex_from(self.noise_map)

    @cached_property
    def pix_size_for_sub_slim_index(self) -> np.ndarray:
        valid = np.cumprod(self.pix_indexes_for_sub_slim_index >= 0, axis=1)
        return valid.sum(axis=1).astype(np.int64)

    @cached_property
    def slim_index_for_sub_slim_index(self) -> np.ndarray:
        return np.arange(self.M, dtype=np.int64)

    @cached_property
    def sub_fraction(self) -> np.ndarray:
        return np.ones(self.M)

    # ----------------------------------------------------------- a second lens-model component
    @property
    def pixels_other(self) -> int:
        """S of a second pixelization (the lens-model block kernels): a third of S, at least 2."""
        return max(2, self.S // 3)

    @cached_property
    def pix_indexes_other(self) -> np.ndarray:
        """A second mapping (M, 2): pixel a to sources 7a and 7a + 1 modulo ``pixels_other``;
        every fifth row ends after one entry (-1, then junk that must be ignored)."""
        r = self.pixels_other
        a = np.arange(self.M)
        indexes = np.stack([(7 * a) % r, (7 * a + 1) % r], axis=1).astype(np.int64)
        indexes[::5, 1] = -1
        return indexes

    @cached_property
    def pix_weights_other(self) -> np.ndarray:
        weights = np.tile([0.6, 0.4], (self.M, 1))
        weights[::5] = [1.0, 0.0]
        return weights

    @cached_property
    def function_columns(self) -> np.ndarray:
        """(M, 3) linear functions at the pixel centres: round Gaussians of three widths."""
        r2 = np.sum(self.grid_radians_slim**2, axis=1)
        scale = max(float(np.max(r2)), 1e-300)
        widths = np.array([0.05, 0.2, 0.8]) * scale
        return np.exp(-0.5 * r2[:, None] / widths[None, :])

    # ----------------------------------------------------------- derived (reference) arrays
    @cached_property
    def w_tilde(self) -> np.ndarray:
        return self.w_tilde_via_compact

    @cached_property
    def w_compact(self) -> np.ndarray:
        return ref.w_compact_curvature_interferometer_from(
            self.N, self.noise_map_real, self.uv_wavelengths, float(self.pixel_scale)
        )

    @cached_property
    def w_tilde_via_compact(self) -> np.ndarray:
        return ref.w_tilde_via_compact_from(self.w_compact, self.native_index_for_slim_index)

    @cached_property
    def w_tilde_preload(self) -> np.ndarray:
        return ref.w_tilde_curvature_preload_interferometer_from(
            self.noise_map_real,
            self.uv_wavelengths,
            self.shape_masked_pixels_2d,
            self.grid_radians_2d,
        )

    @property
    def curvature_preload(self) -> np.ndarray:
        return self.w_tilde_preload

    @cached_property
    def mapping_matrix(self) -> np.ndarray:
        return ref.mapping_matrix_from(
            self.pix_indexes_for_sub_slim_index, self.pix_weights_for_sub_slim_index, self.S
        )

    @cached_property
    def data_vector(self) -> np.ndarray:
        return ref.data_vector_from(self.mapping_matrix, self.dirty_image)

    @cached_property
    def curvature_matrix(self) -> np.ndarray:
        return ref.curvature_matrix_via_w_tilde_from(self.w_tilde, self.mapping_matrix)

    @cached_property
    def regularization_matrix(self) -> np.ndarray:
        return ref.constant_regularization_matrix_from(
            self.coefficient, self.neighbors, self.neighbors_sizes
        )

    @cached_property
    def curvature_reg_matrix(self) -> np.ndarray:
        return self.curvature_matrix + self.regularization_matrix

    @cached_property
    def matrix(self) -> np.ndarray:
        """A dense (M, S) operand for ``sparse_mapping_matrix_transpose_matmul``: ``W T``."""
        return self.w_tilde @ self.mapping_matrix

    def _circular_image_plane(self, n: int, pixel_scale: float) -> int:
        """Set the N x N grid at ``pixel_scale`` arcsec and its circular mask of radius
        ``((N+1)//2) * pixel_scale`` (the grids, the native indices); return M."""
        self.pixel_scale = float(pixel_scale)
        self.grid_size = n
        self.radius = ((n + 1) // 2) * self.pixel_scale
        self.mask = ref.mask_2d_circular_from((n, n), self.pixel_scales, self.radius)
        half = (n - 1) / 2 * self.pixel_scale
        y = (half - np.arange(n) * self.pixel_scale) * ARCSEC
        x = (-half + np.arange(n) * self.pixel_scale) * ARCSEC
        self.grid_radians_2d = np.stack(np.broadcast_arrays(y[:, None], x[None, :]), axis=-1).copy()
        rows, cols = np.nonzero(~self.mask)
        self.native_index_for_slim_index = np.stack([rows, cols], axis=1).astype(np.int64)
        self.grid_radians_slim = np.ascontiguousarray(self.grid_radians_2d[rows, cols])
        self.shape_masked_pixels_2d = (n, n)
        return int(rows.size)

    # ----------------------------------------------------------- calling kernels
    def args_for(self, func) -> list:
        """Positional arguments for ``func``, looked up by parameter name.

        Parameters with defaults the dataset does not provide keep their defaults.
        """
        args = []
        for param in inspect.signature(func).parameters.values():
            if hasattr(self, param.name):
                args.append(getattr(self, param.name))
            elif param.default is not inspect.Parameter.empty:
                break
            else:
                raise AttributeError(
                    f"{self.name} has no array for argument '{param.name}' of {func.__name__}"
                )
        return args


def _seed(name: str, sizes: tuple) -> int:
    """A seed from an array's name and the dataset sizes (stable across runs and machines)."""
    return zlib.crc32(f"{name}:{sizes}".encode())


class DataGenerated(Dataset):
    """Synthetic dataset of any size, deterministic in its sizes.

    Sizes default to these environment variables: ``AUTOJAX_GRID_SIZE`` (N, 30),
    ``AUTOJAX_N_MAPPING_NEIGHBORS`` (B, 3), ``AUTOJAX_DATA_SIZE`` (K, 1024),
    ``AUTOJAX_NEIGHBOR_SIZE`` (P, 32) and ``AUTOJAX_SRC_IMG_SIZE`` (S, 256).

    ``ragged`` (0..1) truncates that fraction of the mapping rows with -1 (at least one entry
    stays), so that kernels see rows that end early. The noise has equal real and imaginary
    parts (the likelihoods require it); ``consistent=True`` makes the dirty image the
    noise-weighted dirty image
    of ``data`` (instead of random), so the W-tilde likelihood equals a dense evaluation
    from the visibilities. The mask is circular with radius
    ``((N+1)//2) * 0.2`` arcsec on the N x N grid at 0.2 arcsec: M = 716 at N = 30.
    """

    name = "DataGenerated"

    def __init__(
        self,
        N: int | None = None,
        B: int | None = None,
        K: int | None = None,
        P: int | None = None,
        S: int | None = None,
        ragged: float = 0.0,
        consistent: bool = False,
        pixel_scale: float = 0.2,
    ):
        n = N if N is not None else _env_int("AUTOJAX_GRID_SIZE", 30)
        b = B if B is not None else _env_int("AUTOJAX_N_MAPPING_NEIGHBORS", 3)
        k = K if K is not None else _env_int("AUTOJAX_DATA_SIZE", 1024)
        p = P if P is not None else _env_int("AUTOJAX_NEIGHBOR_SIZE", 32)
        s = S if S is not None else _env_int("AUTOJAX_SRC_IMG_SIZE", 256)
        for sym, value in zip("NBKPS", (n, b, k, p, s)):
            if value < 1:
                raise ValueError(f"DataGenerated: {sym} must be positive, got {value}")
        if b > s:
            raise ValueError(f"DataGenerated: B = {b} mappings per pixel need S >= B, got S = {s}")
        key = (n, b, k, p, s, ragged, consistent)
        rng = lambda name: np.random.default_rng(_seed(name, key))

        self.pixels = s
        m = self._circular_image_plane(n, pixel_scale)

        self.uv_wavelengths = rng("uv_wavelengths").uniform(-5e5, 5e5, size=(k, 2))
        g = rng("data")
        self.data = g.normal(size=k) + 1j * g.normal(size=k)
        g = rng("noise_map")
        # Re(sigma) == Im(sigma), as for real interferometers: W-tilde and the compact form
        # assume it, and the likelihood kernels refuse noise without it
        sigma = g.uniform(0.5, 1.5, size=k)
        self.noise_map = sigma + 1j * sigma
        if consistent:
            phase = ref._phases(self.grid_radians_slim, self.uv_wavelengths)
            self.dirty_image = np.cos(phase) @ (self.data.real / self.noise_map.real**2) - np.sin(
                phase
            ) @ (self.data.imag / self.noise_map.imag**2)
        else:
            self.dirty_image = rng("dirty_image").normal(size=m)

        start = (np.arange(m) * s) // max(m, 1)
        idx = (start[:, None] + np.arange(b)[None, :]) % s
        w = rng("pix_weights_for_sub_slim_index").uniform(0.1, 1.0, size=(m, b))
        if ragged:
            g = rng("ragged")
            cut = g.random(m) < ragged
            keep = np.where(cut, g.integers(1, b + 1, size=m), b)
            drop = np.arange(b)[None, :] >= keep[:, None]
            idx = np.where(drop, -1, idx)
            w = np.where(drop, 0.0, w)
        self.pix_indexes_for_sub_slim_index = idx.astype(np.int64)
        self.pix_weights_for_sub_slim_index = w / w.sum(axis=1, keepdims=True)

        self.neighbors, self.neighbors_sizes = _random_neighbors(s, p, rng("neighbors"))


def _random_neighbors(s: int, p: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random symmetric graph on s vertices, degree <= p, no self loops, rows sorted, -1 padded."""
    adjacency = [set() for _ in range(s)]
    if s > 1:
        # a ring keeps the graph connected, then random chords up to the degree limit
        for i in range(s):
            j = (i + 1) % s
            if j != i and len(adjacency[i]) < p and len(adjacency[j]) < p:
                adjacency[i].add(j)
                adjacency[j].add(i)
        for i, j in rng.integers(0, s, size=(s * p // 2, 2)):
            if i != j and len(adjacency[i]) < p and len(adjacency[j]) < p:
                adjacency[i].add(int(j))
                adjacency[j].add(int(i))
    sizes = np.array([len(a) for a in adjacency], dtype=np.int64)
    neighbors = np.full((s, p), -1, dtype=np.int64)
    for i, a in enumerate(adjacency):
        neighbors[i, : len(a)] = sorted(a)
    return neighbors, sizes


class DataLoaded(Dataset):
    """A realistic SMA-like lens observation: K = 190, M = 716, S = 641 Delaunay vertices.

    Built by :mod:`autojax.datasets._loaded_build` (``nox -s dataset`` rebuilds and checks it).
    """

    name = "DataLoaded"

    def __init__(self, path: str | os.PathLike | None = None):
        path = Path(path) if path is not None else _DATA_DIR / "loaded.npz"
        with np.load(path) as npz:
            arrays = {key: npz[key] for key in npz.files}
        self.pixel_scale = float(arrays.pop("pixel_scale"))
        self.grid_size = int(arrays.pop("grid_size"))
        self.shape_masked_pixels_2d = tuple(int(v) for v in arrays.pop("shape_masked_pixels_2d"))
        self.pixels = int(arrays["source_plane_mesh_grid"].shape[0])
        self.radius = 3.0  # arcsec, the mask the file was built with
        for key, value in arrays.items():
            setattr(self, key, np.ascontiguousarray(value))
