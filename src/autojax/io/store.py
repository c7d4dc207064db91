"""Observations on disk, read one chunk of visibilities at a time.

:class:`StreamedObservation` is an :class:`autojax.Observation` whose visibilities, noise and
baselines stay on disk: any (K, 2) float table that NumPy-style slicing reads (a zarr array,
a ``numpy.memmap``, a memory-mapped FITS HDU). The precompute of
:class:`autojax.Likelihood` reads it through ``Observation._read(slice)``, ``CHUNK``
visibilities at a time, so its memory does not grow with K.

The zarr layout written by :func:`to_zarr` (``Observation.to_zarr``) is a group with

- ``visibilities``, ``noise_map``, ``uv_wavelengths``: float64 (K, 2) arrays, chunked
  along K (``chunk`` rows, ``CHUNK`` = 2**18 by default, so one precompute chunk reads one
  zarr chunk), uncompressed (visibilities are noise: compressors save little and cost CPU
  on every read);
- ``mask``: the bool mask array, with ``pixel_scale`` and ``origin`` in the group's
  attributes, and ``format = "autojax-observation"``, ``format_version = 1``.

The (K, 2) tables are the PyAutoLens FITS layout: (real, imaginary) for the visibilities
and the noise, (u, v) in wavelengths for the baselines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..observation import FITS_NAMES, Mask, Observation

__all__ = ["FORMAT", "StreamedObservation", "ZarrWriter", "open_fits", "open_zarr", "to_zarr"]

FORMAT = "autojax-observation"
FORMAT_VERSION = 1
#: the arrays of a store, in the order _read returns them
NAMES = ("visibilities", "noise_map", "uv_wavelengths")


def _chunk_size() -> int:
    from ..likelihood import CHUNK

    return CHUNK


class Column:
    """A lazy (K,) complex or (K, 2) real view of a (K, 2) float table.

    Indexing with a slice or an integer reads only those rows and returns native float64
    (or complex128) NumPy values; ``np.asarray(column)`` reads everything (an explicit
    choice of the caller).
    """

    def __init__(self, table: Any, *, complex_: bool, name: str, source: str):
        shape = tuple(int(s) for s in table.shape)
        if len(shape) != 2 or shape[1] != 2:
            raise ValueError(f"{source}: '{name}' must be a (K, 2) table, got shape {shape}")
        kind = np.dtype(table.dtype).kind
        if kind not in "fiu":
            raise ValueError(
                f"{source}: '{name}' must hold real numbers, got dtype {np.dtype(table.dtype)}"
            )
        self.table = table
        self.complex = complex_
        self.name = name
        self.source = source
        self.shape = (shape[0],) if complex_ else shape
        self.dtype = np.dtype(np.complex128 if complex_ else np.float64)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            index = int(key) + (len(self) if key < 0 else 0)
            if not 0 <= index < len(self):
                raise IndexError(f"{self.source}: '{self.name}' has {len(self)} rows, not {key}")
            block = np.asarray(self.table[index : index + 1])[0]
        elif isinstance(key, slice):
            block = np.asarray(self.table[key])
        else:
            raise TypeError(
                f"{self.source}: '{self.name}' is read from disk by slices or integers, "
                f"got {type(key).__name__}; np.asarray(...) reads all of it"
            )
        block = block.astype(np.float64, copy=False)
        if block.dtype.byteorder not in "=|":
            block = block.astype(block.dtype.newbyteorder("="))
        if self.complex:
            return block[..., 0] + 1j * block[..., 1]
        return np.ascontiguousarray(block)

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError(f"{self.source}: '{self.name}' is on disk; reading it copies")
        values = self[0 : len(self)]
        return values if dtype is None else values.astype(dtype)

    def __repr__(self) -> str:
        return f"Column({self.name!r}, K={len(self)}, on {self.source})"


class StreamedObservation(Observation):
    """An :class:`autojax.Observation` whose arrays stay on disk.

    ``visibilities``, ``noise_map`` and ``uv_wavelengths`` are (K, 2) float tables that
    slicing reads (zarr arrays, memory maps); the attributes of the same names become
    :class:`Column` views. The checks of :class:`autojax.Observation` (sizes agree, values
    finite, noise positive) run here in one pass over the chunks, which also records how far
    the real and imaginary noise differ, so that :class:`autojax.Likelihood` need not read
    the noise again. ``source`` names the file for error messages.

    ``reopen`` (set by :func:`open_zarr` and :func:`open_fits`) says how another process
    opens the same tables: ``("zarr", path)`` or ``("fits", folder, (names...))``. With it
    the observation pickles as that recipe, the mask and the checks' results (never the
    data), so Dask tasks and sampler pools read the file themselves; without it the tables
    are pickled as they are.
    """

    def __init__(self, visibilities: Any, noise_map: Any, uv_wavelengths: Any, mask: Mask, *,
                 source: str = "streamed observation", reopen: tuple | None = None):  # fmt: skip
        if not isinstance(mask, Mask):
            raise TypeError(f"{source}: 'mask' must be an autojax.Mask, got {type(mask).__name__}")
        self._columns(visibilities, noise_map, uv_wavelengths, source)
        self.mask = mask
        self.reopen = reopen
        k = len(self.visibilities)
        for name in NAMES[1:]:
            if len(getattr(self, name)) != k:
                raise ValueError(
                    f"{source}: '{name}' has {len(getattr(self, name))} rows but "
                    f"'visibilities' has K = {k}"
                )
        self._noise_worst = self._check()

    def _columns(self, visibilities: Any, noise_map: Any, uv_wavelengths: Any, source: str):
        self.source = str(source)
        self.visibilities = Column(visibilities, complex_=True, name=NAMES[0], source=source)
        self.noise_map = Column(noise_map, complex_=True, name=NAMES[1], source=source)
        self.uv_wavelengths = Column(uv_wavelengths, complex_=False, name=NAMES[2], source=source)

    def __reduce_ex__(self, protocol):
        if self.reopen is None:
            return super().__reduce_ex__(protocol)
        state = (self.mask, self.source, self._noise_worst, self.visibility_count)
        return _reopened, (self.reopen, *state)

    def _check(self) -> tuple[int, float] | None:
        """One pass over the chunks: finite values, positive noise; the worst noise mismatch."""
        worst: tuple[int, float] | None = None
        for chunk in self._slices():
            parts = self._read(chunk)
            for name, values in zip(NAMES, parts):
                ok = np.isfinite(values).reshape(len(values), -1).all(axis=1)
                if not np.all(ok):
                    bad = chunk.start + int(np.argmin(ok))
                    raise ValueError(
                        f"{self.source}: '{name}' holds NaN or inf values (first at row {bad})"
                    )
            noise = parts[1]
            if np.any(noise.real <= 0) or np.any(noise.imag <= 0):
                raise ValueError(
                    f"{self.source}: 'noise_map' must have positive real and imaginary parts"
                )
            if noise.size:
                rel = np.abs(noise.real - noise.imag) / np.abs(noise.real)
                i = int(np.argmax(rel))
                if rel[i] > 1e-12 and (worst is None or rel[i] > worst[1]):
                    worst = (chunk.start + i, float(rel[i]))
        return worst

    def _slices(self) -> Iterator[slice]:
        k, size = self.visibility_count, _chunk_size()
        for start in range(0, k, size):
            yield slice(start, min(start + size, k))

    def _noise_parts_differ(self) -> int | None:
        return None if self._noise_worst is None else self._noise_worst[0]

    def load(self) -> Observation:
        """The same observation in memory (reads all K visibilities)."""
        return Observation(
            np.asarray(self.visibilities),
            np.asarray(self.noise_map),
            np.asarray(self.uv_wavelengths),
            self.mask,
        )

    def __repr__(self) -> str:
        return (
            f"StreamedObservation(K={self.visibility_count}, M={self.mask.pixels}, "
            f"N={self.mask.grid_size}, pixel_scale={self.mask.pixel_scale}, "
            f"source={self.source!r})"
        )


def _reopened(
    reopen: tuple, mask: Mask, source: str, noise_worst, count: int
) -> StreamedObservation:
    """A pickled :class:`StreamedObservation`, opened again from its file (not re-checked)."""
    if reopen[0] == "zarr":
        group = _zarr().open_group(reopen[1], mode="r")
        tables = [group[name] for name in NAMES]
    elif reopen[0] == "fits":
        tables = [_memmap_fits(Path(reopen[1]) / name) for name in reopen[2]]
    else:
        raise ValueError(f"{source}: unknown reopen recipe {reopen!r}")
    observation = StreamedObservation.__new__(StreamedObservation)
    observation._columns(*tables, source)
    observation.mask = mask
    observation.reopen = reopen
    observation._noise_worst = noise_worst
    if observation.visibility_count != count:
        raise ValueError(
            f"{source}: holds {observation.visibility_count} visibilities, but {count} when it "
            "was opened and checked; the file changed in between"
        )
    return observation


# --------------------------------------------------------------------------- zarr
def _zarr():
    try:
        import zarr
    except ImportError as exc:  # pragma: no cover - the ms extra is missing
        raise ImportError("zarr stores need zarr: pip install 'autojax[ms]'") from exc
    return zarr


class ZarrWriter:
    """Append visibilities to a new zarr store chunk by chunk (memory: one chunk).

    ``append(visibilities, noise_map, uv_wavelengths)`` takes complex (n,), complex (n,)
    and real (n, 2) blocks; ``close()`` writes the last partial chunk and returns the
    path. Used by :func:`to_zarr` and by the Measurement Set reader.
    """

    def __init__(self, path: str | os.PathLike, mask: Mask, *, chunk: int | None = None,
                 overwrite: bool = False):  # fmt: skip
        zarr = _zarr()
        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise FileExistsError(f"{self.path} exists; pass overwrite=True to replace it")
        self.chunk = int(chunk or _chunk_size())
        if self.chunk <= 0:
            raise ValueError(f"ZarrWriter: 'chunk' must be positive, got {chunk}")
        self.group = zarr.open_group(str(self.path), mode="w")
        self.arrays = {
            name: self.group.create_array(
                name, shape=(0, 2), chunks=(self.chunk, 2), dtype="f8", compressors=None
            )
            for name in NAMES
        }
        self.group.create_array("mask", data=np.asarray(mask.array, dtype=bool))
        self.group.attrs.update(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "pixel_scale": mask.pixel_scale,
                "origin": list(mask.origin),
                "complete": False,  # set by close(): a store whose writer died never opens
            }
        )
        self.written = 0
        self.buffer: list[tuple[np.ndarray, ...]] = []
        self.buffered = 0

    def append(self, visibilities, noise_map, uv_wavelengths) -> None:
        vis = np.asarray(visibilities, dtype=np.complex128)
        noise = np.asarray(noise_map, dtype=np.complex128)
        uv = np.asarray(uv_wavelengths, dtype=np.float64).reshape(-1, 2)
        if not (vis.shape == noise.shape == (uv.shape[0],)):
            raise ValueError(
                f"ZarrWriter: blocks disagree: visibilities {vis.shape}, noise_map "
                f"{noise.shape}, uv_wavelengths {uv.shape}"
            )
        self.buffer.append(
            (np.stack([vis.real, vis.imag], 1), np.stack([noise.real, noise.imag], 1), uv)
        )
        self.buffered += vis.shape[0]
        if self.buffered >= self.chunk:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        if not self.buffer:
            return
        blocks = [np.concatenate(parts) for parts in zip(*self.buffer)]
        n = blocks[0].shape[0]
        keep = n if final else (n // self.chunk) * self.chunk
        if keep:
            for name, block in zip(NAMES, blocks):
                array = self.arrays[name]
                array.resize((self.written + keep, 2))
                array[self.written : self.written + keep] = block[:keep]
            self.written += keep
        self.buffer = [tuple(b[keep:] for b in blocks)] if keep < n else []
        self.buffered = n - keep

    def close(self) -> Path:
        self._flush(final=True)
        self.group.attrs["complete"] = True
        return self.path


def to_zarr(observation: Observation, path: str | os.PathLike, *, chunk: int | None = None,
            overwrite: bool = False) -> Path:  # fmt: skip
    """Write ``observation`` (in memory or streamed) to a zarr store at ``path``, by chunks."""
    source = getattr(observation, "source", None)
    if source is not None and Path(source).resolve() == Path(path).resolve():
        raise ValueError(f"to_zarr: {path} is where this observation is read from")
    writer = ZarrWriter(path, observation.mask, chunk=chunk, overwrite=overwrite)
    size = writer.chunk
    k = observation.visibility_count
    for start in range(0, k, size):
        writer.append(*observation._read(slice(start, min(start + size, k))))
    return writer.close()


def open_zarr(path: str | os.PathLike, mask: Mask | None = None) -> StreamedObservation:
    """The observation in the zarr store at ``path``, left on disk (see the module docstring).

    ``mask`` replaces the stored mask (to model the same data with another mask).
    """
    zarr = _zarr()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no zarr store at {path}")
    try:
        group = zarr.open_group(str(path), mode="r")
    except Exception as exc:
        raise ValueError(f"{path}: not a zarr group ({exc})") from exc
    attrs = dict(group.attrs)
    if attrs.get("format") != FORMAT:
        raise ValueError(
            f"{path}: not an autojax observation store (attribute 'format' is "
            f"{attrs.get('format')!r}, expected {FORMAT!r})"
        )
    if attrs.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: store format_version {attrs.get('format_version')!r}, this autojax "
            f"reads {FORMAT_VERSION}"
        )
    if attrs.get("complete") is not True:
        raise ValueError(
            f"{path}: incomplete store (attribute 'complete' is not true: its writer did not "
            "finish); write it again"
        )
    names = set(group.array_keys())
    for name in (*NAMES, "mask"):
        if name not in names:
            raise ValueError(f"{path}: the store has no array {name!r}")
    if mask is None:
        mask = Mask(
            np.asarray(group["mask"][...], dtype=bool),
            float(attrs["pixel_scale"]),
            tuple(attrs.get("origin", (0.0, 0.0))),
        )
    return StreamedObservation(
        *(group[name] for name in NAMES),
        mask,
        source=str(path),
        reopen=("zarr", str(path.resolve())),
    )


# --------------------------------------------------------------------------- FITS
def _memmap_fits(path: Path) -> np.ndarray:
    try:
        from astropy.io import fits
    except ImportError as exc:  # pragma: no cover - the io extra is missing
        raise ImportError("reading FITS files needs astropy: pip install 'autojax[io]'") from exc
    if not path.is_file():
        raise FileNotFoundError(f"no FITS file at {path}")
    with fits.open(path, memmap=True, lazy_load_hdus=True) as hdus:
        for hdu in hdus:
            if hdu.data is not None:
                # the memory map outlives the HDU list: the array keeps it open
                return hdu.data
    raise ValueError(f"{path}: no HDU holds data")


def open_fits(
    path: str | os.PathLike,
    mask: Mask,
    *,
    data: str = FITS_NAMES["visibilities"],
    noise_map: str = FITS_NAMES["noise_map"],
    uv_wavelengths: str = FITS_NAMES["uv_wavelengths"],
) -> StreamedObservation:
    """The PyAutoLens-style FITS folder ``path``, memory-mapped (nothing read until used).

    Each file must hold a (K, 2) float table (the layout ``Observation.to_fits`` writes);
    a complex (K,) column cannot be memory-mapped into this form.
    """
    folder = Path(path)
    names = (data, noise_map, uv_wavelengths)
    tables = [_memmap_fits(folder / name) for name in names]
    return StreamedObservation(
        *tables, mask, source=str(folder), reopen=("fits", str(folder.resolve()), names)
    )
