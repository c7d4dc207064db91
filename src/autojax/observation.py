"""An interferometer observation and its image-plane mask: the data side of a lens model.

:class:`Mask` is the real-space mask (``True`` = masked out, the PyAutoLens convention) at
a pixel scale in arcseconds; it knows the image grid of its unmasked pixels and their
indices on the smallest square lattice that holds them, the two arrays the kernels take.
:class:`Observation` holds the visibilities, their noise and baselines, plus the mask, and
reads and writes PyAutoLens-style FITS files with astropy (``data.fits``,
``noise_map.fits``, ``uv_wavelengths.fits``: (K, 2) tables of real and imaginary parts, or
of u and v; big-endian on disk, native in memory).

Nothing here does kernel mathematics: building the likelihood is
:class:`autojax.likelihood.Likelihood`'s job, computing it the kernels'.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["ARCSEC", "Mask", "Observation"]

#: radians per arcsecond
ARCSEC = np.pi / 648000.0

FITS_NAMES = {
    "visibilities": "data.fits",
    "noise_map": "noise_map.fits",
    "uv_wavelengths": "uv_wavelengths.fits",
}


def _native(array, dtype) -> np.ndarray:
    """A C-ordered, native-byte-order copy of ``array`` as ``dtype`` (FITS gives ``>f8``)."""
    return np.ascontiguousarray(
        np.asarray(array).astype(np.dtype(dtype).newbyteorder("="), copy=False)
    )


def _read_fits(path: Path) -> np.ndarray:
    try:
        from astropy.io import fits
    except ImportError as exc:  # pragma: no cover - the io extra is missing
        raise ImportError("reading FITS files needs astropy: pip install 'autojax[io]'") from exc
    if not path.is_file():
        raise FileNotFoundError(f"no FITS file at {path}")
    with fits.open(path, memmap=False) as hdus:
        for hdu in hdus:
            if hdu.data is not None:
                return np.array(hdu.data)
    raise ValueError(f"{path}: no HDU holds data")


def _complex_from_table(name: str, array: np.ndarray) -> np.ndarray:
    """Complex (K,) from a complex (K,) array or a real (K, 2) table of (real, imag)."""
    array = np.asarray(array)
    if np.iscomplexobj(array) and array.ndim == 1:
        return _native(array, np.complex128)
    if array.ndim == 2 and array.shape[1] == 2 and array.dtype.kind in "fiu":
        table = _native(array, np.float64)
        return table[:, 0] + 1j * table[:, 1]
    raise ValueError(
        f"Observation: '{name}' must be complex of shape (K,) or real of shape (K, 2) "
        f"(real, imaginary), got dtype {array.dtype} and shape {array.shape}"
    )


@dataclass(frozen=True, eq=False)
class Mask:
    """A real-space mask: ``array`` (rows, cols) of bools, ``True`` = masked out.

    ``pixel_scale`` is the side of one (square) pixel in arcseconds; ``origin`` the (y, x)
    arcsecond position of the array's centre. The image grid follows PyAutoLens: y falls
    with the row, x grows with the column.
    """

    array: np.ndarray
    pixel_scale: float
    origin: tuple[float, float] = (0.0, 0.0)
    _unmasked: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        array = np.asarray(self.array)
        if array.dtype != np.bool_ or array.ndim != 2:
            raise TypeError(
                f"Mask: 'array' must be a 2-d bool array (True = masked), got dtype "
                f"{array.dtype} and shape {array.shape}"
            )
        scale = float(self.pixel_scale)
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(
                f"Mask: 'pixel_scale' must be a positive number of arcsec, got {scale}"
            )
        origin = tuple(float(v) for v in self.origin)
        if len(origin) != 2 or not np.all(np.isfinite(origin)):
            raise ValueError(f"Mask: 'origin' must be two finite numbers (y, x), got {self.origin}")
        rows, cols = np.nonzero(~array)
        if rows.size == 0:
            raise ValueError("Mask: every pixel is masked; nothing is left to model")
        object.__setattr__(self, "array", np.ascontiguousarray(array))
        object.__setattr__(self, "pixel_scale", scale)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "_unmasked", (rows, cols))

    @classmethod
    def circular(
        cls,
        shape_native: tuple[int, int],
        pixel_scale: float,
        radius: float,
        centre: tuple[float, float] = (0.0, 0.0),
    ) -> Mask:
        """Everything outside ``radius`` arcsec of ``centre`` masked (the upstream rule)."""
        from autojax import numba as kernels

        scale = float(pixel_scale)
        array = kernels.mask_2d_circular_from(
            tuple(int(s) for s in shape_native), (scale, scale), float(radius), tuple(centre)
        )
        return cls(np.asarray(array, dtype=bool), scale)

    @classmethod
    def from_fits(
        cls, path: str | os.PathLike, pixel_scale: float, *, invert: bool = False
    ) -> Mask:
        """A mask read from a FITS image (non-zero = masked; ``invert=True`` for the opposite)."""
        values = _read_fits(Path(path))
        array = values != 0
        return cls(~array if invert else array, pixel_scale)

    # --------------------------------------------------------------------- geometry
    @property
    def shape_native(self) -> tuple[int, int]:
        return tuple(int(s) for s in self.array.shape)

    @property
    def pixels(self) -> int:
        """M, the number of unmasked pixels."""
        return int(self._unmasked[0].size)

    @cached_property
    def native_index_for_slim_index(self) -> np.ndarray:
        """(M, 2) row and column of each unmasked pixel inside the unmasked pixels' bounding box."""
        rows, cols = self._unmasked
        return np.stack([rows - rows.min(), cols - cols.min()], axis=1).astype(np.int64)

    @property
    def grid_size(self) -> int:
        """N, the side of the smallest square lattice holding every unmasked pixel."""
        rows, cols = self._unmasked
        return int(max(np.ptp(rows), np.ptp(cols)) + 1)

    @cached_property
    def grid_radians_slim(self) -> np.ndarray:
        """(M, 2) (y, x) positions of the unmasked pixel centres, in radians."""
        rows, cols = self._unmasked
        n_rows, n_cols = self.array.shape
        y = self.origin[0] - (rows - (n_rows - 1) / 2) * self.pixel_scale
        x = self.origin[1] + (cols - (n_cols - 1) / 2) * self.pixel_scale
        return np.ascontiguousarray(np.stack([y, x], axis=1) * ARCSEC)

    def to_native(self, values: ArrayLike, fill: float = np.nan) -> np.ndarray:
        """An (M,) array of per-pixel values on the full (rows, cols) image, ``fill`` elsewhere."""
        values = np.asarray(values)
        if values.shape != (self.pixels,):
            raise ValueError(
                f"Mask.to_native: 'values' must have shape ({self.pixels},), got {values.shape}"
            )
        image = np.full(self.array.shape, fill, dtype=np.result_type(values, np.float64))
        image[self._unmasked] = values
        return image

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) in arcsec, for ``matplotlib.pyplot.imshow``."""
        n_rows, n_cols = self.array.shape
        half_x, half_y = n_cols * self.pixel_scale / 2, n_rows * self.pixel_scale / 2
        y0, x0 = self.origin
        return (x0 - half_x, x0 + half_x, y0 - half_y, y0 + half_y)


class Observation:
    """Visibilities, their noise, the baselines and the real-space mask of one observation.

    ``visibilities`` and ``noise_map`` are complex (K,) (or real (K, 2) tables of real and
    imaginary parts), ``uv_wavelengths`` real (K, 2) (u, v) in wavelengths; any byte order
    and memory layout, stored as native C-ordered float64/complex128. The arrays are
    checked once here (sizes agree, values finite, noise positive); the kernels check
    again what they need.
    """

    def __init__(
        self, visibilities: ArrayLike, noise_map: ArrayLike, uv_wavelengths: ArrayLike, mask: Mask
    ):
        if not isinstance(mask, Mask):
            raise TypeError(
                f"Observation: 'mask' must be an autojax.Mask (Mask.circular(...) or "
                f"Mask(array, pixel_scale)), got {type(mask).__name__}"
            )
        self.visibilities = _complex_from_table("visibilities", visibilities)
        self.noise_map = _complex_from_table("noise_map", noise_map)
        uv = np.asarray(uv_wavelengths)
        if uv.ndim != 2 or uv.shape[1] != 2 or uv.dtype.kind not in "fiu":
            raise ValueError(
                f"Observation: 'uv_wavelengths' must be real of shape (K, 2), got dtype "
                f"{uv.dtype} and shape {uv.shape}"
            )
        self.uv_wavelengths = _native(uv, np.float64)
        k = self.visibilities.shape[0]
        for name in ("noise_map", "uv_wavelengths"):
            if getattr(self, name).shape[0] != k:
                raise ValueError(
                    f"Observation: '{name}' has {getattr(self, name).shape[0]} rows but "
                    f"'visibilities' has K = {k}"
                )
        for name in ("visibilities", "noise_map", "uv_wavelengths"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"Observation: '{name}' holds NaN or inf values")
        if np.any(self.noise_map.real <= 0) or np.any(self.noise_map.imag <= 0):
            raise ValueError("Observation: 'noise_map' must have positive real and imaginary parts")
        self.mask = mask

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_fits(
        cls,
        path: str | os.PathLike,
        mask: Mask,
        *,
        data: str = FITS_NAMES["visibilities"],
        noise_map: str = FITS_NAMES["noise_map"],
        uv_wavelengths: str = FITS_NAMES["uv_wavelengths"],
        memmap: bool = False,
    ) -> Observation:
        """Read ``data.fits``, ``noise_map.fits`` and ``uv_wavelengths.fits`` from folder ``path``.

        ``memmap=True`` leaves them on disk, memory-mapped: a
        :class:`autojax.io.store.StreamedObservation` that the precompute reads by chunks.
        """
        if memmap:
            from .io import store

            names = {"data": data, "noise_map": noise_map, "uv_wavelengths": uv_wavelengths}
            return store.open_fits(path, mask, **names)
        folder = Path(path)
        return cls(
            _read_fits(folder / data),
            _read_fits(folder / noise_map),
            _read_fits(folder / uv_wavelengths),
            mask,
        )

    @classmethod
    def from_dataset(cls, dataset: Any) -> Observation:
        """The observation of a built-in dataset (``autojax.datasets.DataLoaded()``, ...)."""
        mask = Mask(np.asarray(dataset.mask, dtype=bool), float(dataset.pixel_scale))
        return cls(dataset.data, dataset.noise_map, dataset.uv_wavelengths, mask)

    def to_fits(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the three PyAutoLens-style FITS files into folder ``path``; return it."""
        from astropy.io import fits

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        tables = {
            "visibilities": np.stack([self.visibilities.real, self.visibilities.imag], axis=1),
            "noise_map": np.stack([self.noise_map.real, self.noise_map.imag], axis=1),
            "uv_wavelengths": self.uv_wavelengths,
        }
        for name, table in tables.items():
            fits.PrimaryHDU(table).writeto(folder / FITS_NAMES[name], overwrite=overwrite)
        return folder

    @classmethod
    def from_zarr(cls, path: str | os.PathLike, mask: Mask | None = None) -> Observation:
        """The observation in a zarr store (``to_zarr``), left on disk and read by chunks.

        ``mask`` replaces the stored one. See :mod:`autojax.io.store` (the ``ms`` extra).
        """
        from .io import store

        return store.open_zarr(path, mask)

    def to_zarr(
        self, path: str | os.PathLike, *, chunk: int | None = None, overwrite: bool = False
    ) -> Path:
        """Write this observation to a zarr store chunked along K (2**18 rows); return it."""
        from .io import store

        return store.to_zarr(self, path, chunk=chunk, overwrite=overwrite)

    @classmethod
    def from_measurement_set(cls, path: str | os.PathLike, mask: Mask, **options) -> Observation:
        """Stokes I visibilities of a CASA Measurement Set, uv in wavelengths per channel.

        ``options``: ``data_column``, ``field``, ``spectral_windows``, ``channels``,
        ``weight_column``, ``single_hand``, ``zarr`` (stream to a store instead of memory);
        see :func:`autojax.io.measurement_set.read_measurement_set` (the ``ms`` extra).
        """
        from .io import measurement_set

        return measurement_set.read_measurement_set(path, mask, **options)

    # ------------------------------------------------------------ chunked reading
    def _read(self, chunk: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(visibilities, noise_map, uv_wavelengths) of the rows in ``chunk``, in memory."""
        return self.visibilities[chunk], self.noise_map[chunk], self.uv_wavelengths[chunk]

    def _noise_parts_differ(self) -> int | None:
        """The index where Re(noise) and Im(noise) differ most (beyond 1e-12), or None."""
        noise = self.noise_map
        if np.allclose(noise.real, noise.imag, rtol=1e-12, atol=0):
            return None
        return int(np.argmax(np.abs(noise.real - noise.imag) / np.abs(noise.real)))

    # --------------------------------------------------------------------- sizes
    @property
    def visibility_count(self) -> int:
        """K."""
        return int(self.visibilities.shape[0])

    def __repr__(self) -> str:
        return (
            f"Observation(K={self.visibility_count}, M={self.mask.pixels}, "
            f"N={self.mask.grid_size}, pixel_scale={self.mask.pixel_scale})"
        )
