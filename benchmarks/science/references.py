"""The exact results each workload is checked against, cached on disk and re-checked.

- W1: where affordable (``Preset.exact_reference``) the full exact compact form, computed
  with the ``numba`` backend's exact method and itself checked at ~``SPOT_ENTRIES``
  random entries (and the peak) against a direct float64 sum over K; otherwise only
  those entries.
- W2: the full F from ``numba``'s two-pass kernel, itself checked at ``SPOT_COLUMNS``
  random columns computed exactly with NumPy; otherwise only those columns.
- W3: NumPy float64 from a verified F (Cholesky of F + H and of H).

References are cached in ``.benchmarks/cache/`` (``--cache-dir``), keyed by preset and a
hash of their inputs, and re-checked on load.
"""

from __future__ import annotations

import hashlib
import os
import time
import zlib
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .checks import (
    CompactExpected,
    CurvatureExpected,
    DirtyExpected,
    LikelihoodExpected,
    check_compact,
    check_curvature,
    compact_entries_direct,
    curvature_columns,
    dirty_pixels_direct,
    likelihood_from_curvature,
)
from .problem import Problem
from .workloads import numba_call, numba_methods

SPOT_ENTRIES = 300  # W1 entries summed directly
SPOT_COLUMNS = 8  # W2 columns computed with NumPy
SPOT_PIXELS = 256  # dirty-image pixels (W1's type-3 rows) summed directly


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
    def dirty_spot(self) -> DirtyExpected:
        """The dirty image at ``SPOT_PIXELS`` random pixels by a direct sum over K."""
        p = self.problem
        m = p.grid_radians_slim.shape[0]
        rng = np.random.default_rng([zlib.crc32(b"spot-dirty"), m, p.K])
        index = np.sort(rng.choice(m, size=min(SPOT_PIXELS, m), replace=False))
        what = f"W1 dirty-image spot reference ({len(index)} pixels, direct sum over K = {p.K:,})"
        digest = Cache.digest(p.data, p.noise_map, p.uv_wavelengths, p.grid_radians_slim, index)
        values, _ = self.cache.get(
            self.preset.name,
            "dirty-spot",
            digest,
            self._timed(what, lambda: dirty_pixels_direct(p, index)),
        )
        return DirtyExpected(M=m, index=index, values=values, peak=float(np.max(np.abs(values))))

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
        return self._checked(
            what,
            self._w1_digest,
            label,
            lambda: fn(*args),
            lambda full, name: check_compact(full, self.w1_spot, name),
            f"{label} at the spots",
            "max relative error {:.1e}",
        )

    def _checked(self, what, digest, label, compute, check, note, error_format) -> np.ndarray:
        """A numba result, from the cache or computed (and stored), then checked against the
        spot reference either way; its error goes into the notes."""
        full, loaded = self.cache.get(self.preset.name, what, digest, self._timed(label, compute))
        source = "cached " if loaded else ""
        self.notes[note] = error_format.format(check(full, f"the {source}{label}"))
        return full

    @cached_property
    def w_compact_input(self) -> np.ndarray:
        """The compact form W2 and W3 take: the verified full reference, or at sizes where
        the exact sum is too slow, numba's NUFFT (when it has one) checked at the spots."""
        if self.preset.exact_reference:
            return self.w1.full
        if "nufft" in numba_methods("W1"):
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
        return self._checked(
            what,
            self._f_digest,
            label,
            lambda: fn(*args),
            lambda full, name: check_curvature(full, self.f_spot, name),
            f"{label} at the spot columns",
            "max error {:.1e} of max|F|",
        )

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
        methods = numba_methods("W2")
        method = next((m for m in ("conv", "fft") if m in methods), "two_pass")
        return self._numba_curvature(method, f"w2-{method}", f"F for W3 (numba {method})")

    @cached_property
    def w3(self) -> LikelihoodExpected:
        value = likelihood_from_curvature(self.problem, self.verified_f)
        value.curvature = self.verified_f  # the batched rows scale it (rows.check_batch)
        self.notes["W3"] = "NumPy float64 (Cholesky of F + H and H) from the verified F"
        return value

    def expected(self, workload: str):
        return {"W1": lambda: self.w1, "W2": lambda: self.w2, "W3": lambda: self.w3}[workload]()
