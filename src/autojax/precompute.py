"""Saving the per-observation precompute, and loading it only when it is the same one.

A modeller restarts an MCMC many times on one dataset; the precompute (the compact form of
W-tilde, the dirty image, the data chi-squared and the noise normalisation) reads every
visibility and is the only part that grows with K. ``Likelihood.precompute(path)`` loads
the file at ``path`` when it exists, and computes and saves it when it does not::

    likelihood = Likelihood(observation).precompute("run/precompute.npz")

The file (NumPy ``.npz``, no pickles) holds the four arrays, a **fingerprint** of every
input they depend on, and a SHA-256 checksum of the arrays and the fingerprint:

- SHA-256 of the visibilities, the noise and the uv (read by chunks, so a streamed
  observation is hashed without loading it; as little-endian complex128/float64, so a FITS,
  zarr or in-memory copy of the same numbers has the same hash), and of the mask;
- K, the pixel scale, the mask origin, ``eps``, the precompute method, the backend and the
  autojax version.

Loading recomputes the fingerprint of the likelihood at hand (one read of the data, far
cheaper than the precompute) and compares: any difference is a ``ValueError`` naming the
file and each input that differs, never a silent reuse. A file that cannot be read, is
truncated, or whose checksum fails is a ``ValueError`` naming the file.

The write is atomic: the file is written under a temporary name in the same folder,
flushed and ``fsync``-ed, then renamed over ``path`` with ``os.replace`` (and the folder
``fsync``-ed), so a process killed at any moment leaves either the old file, or none, or
the complete new one; never a part of one under ``path``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .likelihood import Likelihood

__all__ = ["FORMAT", "fingerprint", "load", "precompute_with_file", "save"]

FORMAT = "autojax-precompute/1"
ARRAYS = ("w_compact", "dirty_image", "chi_squared_data", "noise_normalization")


def fingerprint(likelihood: Likelihood) -> dict:
    """Every input the precomputed arrays depend on, as JSON-ready values (hashes for arrays)."""
    from . import __version__
    from .likelihood import CHUNK

    obs, mask = likelihood.observation, likelihood.observation.mask
    hashes = [hashlib.sha256() for _ in range(3)]
    k = obs.visibility_count
    for start in range(0, k, CHUNK):
        parts = obs._read(slice(start, min(start + CHUNK, k)))
        for hasher, values, dtype in zip(hashes, parts, ("<c16", "<c16", "<f8")):
            hasher.update(np.ascontiguousarray(values, dtype=dtype).tobytes())
    mask_hash = hashlib.sha256(repr(mask.array.shape).encode())
    mask_hash.update(np.ascontiguousarray(mask.array, dtype=np.uint8).tobytes())
    return {
        "format": FORMAT,
        "visibilities": hashes[0].hexdigest(),
        "noise_map": hashes[1].hexdigest(),
        "uv_wavelengths": hashes[2].hexdigest(),
        "K": k,
        "mask": mask_hash.hexdigest(),
        "pixel_scale": float(mask.pixel_scale),
        "origin": [float(v) for v in mask.origin],
        "eps": float(likelihood.eps),
        "precompute_method": likelihood.precompute_method,
        "backend": likelihood.backend,
        "autojax": __version__,
    }


def _checksum(arrays: dict[str, np.ndarray], stamp: str) -> str:
    hasher = hashlib.sha256(stamp.encode())
    for name in ARRAYS:
        value = np.ascontiguousarray(arrays[name], dtype="<f8")
        hasher.update(f"{name}{value.shape}".encode())
        hasher.update(value.tobytes())
    return hasher.hexdigest()


def save(likelihood: Likelihood, path: str | os.PathLike) -> Path:
    """Write the likelihood's precompute (computed now if needed) to ``path``, atomically."""
    path = Path(path)
    constants = likelihood.precompute()._constants
    arrays = {name: np.asarray(constants[name], dtype=np.float64) for name in ARRAYS}
    stamp = json.dumps(fingerprint(likelihood), sort_keys=True)
    payload = {
        **arrays,
        "fingerprint": np.array(stamp),
        "checksum": np.array(_checksum(arrays, stamp)),
    }
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable (POSIX; a no-op where folders cannot be opened)
        directory = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return path
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and fingerprint of the file at ``path``; ValueError if it is damaged."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            names = set(stored.files)
            missing = [n for n in (*ARRAYS, "fingerprint", "checksum") if n not in names]
            if missing:
                raise ValueError(f"entries {missing} are missing")
            arrays = {name: np.array(stored[name]) for name in ARRAYS}
            stamp = str(stored["fingerprint"])
            checksum = str(stored["checksum"])
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"{path}: damaged or not an autojax precompute file ({exc}); delete it to "
            "precompute again"
        ) from exc
    if _checksum(arrays, stamp) != checksum:
        raise ValueError(
            f"{path}: damaged precompute file (the checksum of its arrays does not match); "
            "delete it to precompute again"
        )
    try:
        saved = json.loads(stamp)
    except json.JSONDecodeError as exc:  # pragma: no cover - covered by the checksum
        raise ValueError(f"{path}: damaged fingerprint ({exc})") from exc
    if saved.get("format") != FORMAT:
        raise ValueError(
            f"{path}: precompute format {saved.get('format')!r}, this autojax reads {FORMAT!r}"
        )
    return arrays, saved


def load(likelihood: Likelihood, path: str | os.PathLike) -> Likelihood:
    """Use the precompute saved at ``path`` if its fingerprint matches; return the likelihood."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no precompute file at {path}")
    arrays, saved = _read(path)
    now = fingerprint(likelihood)
    differ = [key for key in now if saved.get(key) != now[key]]
    if differ:
        details = "; ".join(f"{key}: saved {saved.get(key)!r}, now {now[key]!r}" for key in differ)
        raise ValueError(
            f"{path}: the saved precompute is of other inputs ({', '.join(differ)} differ: "
            f"{details}); delete the file or save this one under another path"
        )
    likelihood._constants = {
        "w_compact": likelihood._array(arrays["w_compact"]),
        "dirty_image": likelihood._array(arrays["dirty_image"]),
        "chi_squared_data": float(arrays["chi_squared_data"]),
        "noise_normalization": float(arrays["noise_normalization"]),
        "native_index_for_slim_index": likelihood._array(
            likelihood.observation.mask.native_index_for_slim_index
        ),
    }
    return likelihood


def precompute_with_file(
    likelihood: Likelihood, path: str | os.PathLike, **options: Any
) -> Likelihood:
    """Load ``path`` when it exists (it must match), else compute and save it there.

    ``options`` go to ``likelihood.precompute`` when it computes (``scheduler=`` etc.).
    """
    path = Path(path)
    if path.exists():
        return load(likelihood, path)
    likelihood.precompute(**options)
    save(likelihood, path)
    return likelihood
