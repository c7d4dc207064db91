"""Stokes I visibilities from a CASA Measurement Set, with uv in wavelengths per channel.

Why python-casacore: it is the reference reader of the format (the C++ casacore tables that
CASA itself writes), one binary wheel next to NumPy, and it reads a row range of a column
straight into a NumPy array, which is all a one-pass reader needs. dask-ms (and xarray-ms)
wrap the same casacore tables in Dask/xarray graphs. Measured on a 40,000-row Measurement
Set (2 windows x 16 channels x 4 correlations; ``benchmarks/io_scale.py raw``), after
NumPy is imported: ``import casacore.tables`` 0.03 s against 1.8 s for ``import daskms``
(Dask and xarray), and the same raw read of DATA, FLAG, UVW, WEIGHT and FLAG_ROW 0.07 s
with either. The whole conversion below reads it in 0.17 s (3.5 million visibilities per
second). Dask buys nothing for one sequential pass and would add two heavy dependencies to
the ``ms`` extra; a Dask precompute can still take its chunks from the zarr store.

What is read, and how (rows are visited per data description, in row chunks of about
``CHUNK`` visibilities, so memory stays one chunk unless the result is kept in memory):

- **Rows**: those of the chosen ``field`` (a FIELD_ID or a FIELD NAME; when None, the
  Measurement Set must hold exactly one field) and spectral windows (all by default),
  DATA_DESC_ID mapping each row to its SPECTRAL_WINDOW and POLARIZATION rows.
  Autocorrelations (ANTENNA1 == ANTENNA2) are dropped: they are not baselines.
- **Channels**: all, or ``channels`` (a slice or list of indices for every window, or a
  dict from window id to such a selection; a window the dict leaves out keeps all).
- **Stokes I** from the parallel hands named by the POLARIZATION table's CORR_TYPE:
  I = (XX + YY) / 2 or I = (RR + LL) / 2; a CORR_TYPE of I is taken as is; a setup with one
  parallel hand only (XX alone, say) is taken as is only with ``single_hand=True``. Linear
  and circular setups in one selection are an error.
- **Noise**: SIGMA is the standard deviation of the real (and of the imaginary) part of one
  correlation, WEIGHT = 1 / SIGMA^2 (the CASA convention). For I = (a + b) / 2 of two
  independent hands, sigma_I^2 = (sigma_a^2 + sigma_b^2) / 4, i.e.
  ``sigma_I = sqrt(1/w_a + 1/w_b) / 2``; for one hand sigma_I = sigma_a. The noise map is
  ``sigma_I + 1j * sigma_I`` (equal parts, as the compact form needs). The per-channel
  WEIGHT_SPECTRUM (SIGMA_SPECTRUM) is used when present and filled, WEIGHT (SIGMA)
  otherwise; ``weight_column`` names one explicitly.
- **Flags**: a visibility is dropped when FLAG_ROW is set, when FLAG is set for either
  parallel hand at that channel, or when either hand's weight is not positive (a zero
  weight carries no information; an infinite sigma alike).
- **uv**: UVW is in metres (its QuantumUnits keyword must say so when present);
  u and v in wavelengths are ``uvw_m * freq / c`` with c = 299792458 m/s exactly and freq
  the channel's CHAN_FREQ. The sign is kept: autojax's transform is
  V(u, v) = sum I(x, y) exp(-2 pi i (x u + y v)) (its dirty image uses the adjoint
  exp(+2 pi i (x u + y v)), ``docs/contract.md``), the radio convention with x = l
  (towards east, increasing right ascension) and y = m (north), so (u, v) are the
  Measurement Set's U and V scaled, stored as the (K, 2) columns (u, v) like upstream
  PyAutoLens's ``uv_wavelengths.fits``. An image in autojax's grid has x growing to the
  right, so it shows the sky with east to the right (mirrored from the usual display).
- **Wrong units**: an Earth-bound baseline is shorter than the Earth's diameter, so a
  |UVW| above ``max_baseline_m`` (1.3e7 m) means the column is not in metres (most likely
  already in wavelengths) and is an error; raise ``max_baseline_m`` for space VLBI.

The visibilities are ordered by window (in the order chosen), then by row, then by channel.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..observation import Mask, Observation

__all__ = ["SPEED_OF_LIGHT", "read_measurement_set"]

#: metres per second, exact (SI)
SPEED_OF_LIGHT = 299792458.0
#: the longest baseline in metres accepted as Earth-bound (the Earth's diameter is 1.27e7 m)
MAX_BASELINE_M = 1.3e7
#: casacore's Stokes enumeration (CORR_TYPE codes)
STOKES = {1: "I", 2: "Q", 3: "U", 4: "V", 5: "RR", 6: "RL", 7: "LR", 8: "LL",
          9: "XX", 10: "XY", 11: "YX", 12: "YY"}  # fmt: skip
_LINEAR, _CIRCULAR = (9, 12), (5, 8)
_WEIGHT_COLUMNS = ("WEIGHT_SPECTRUM", "WEIGHT", "SIGMA_SPECTRUM", "SIGMA")


def _tables():
    try:
        import casacore.tables as tables
    except ImportError as exc:  # pragma: no cover - the ms extra is missing
        raise ImportError(
            "reading Measurement Sets needs python-casacore: pip install 'autojax[ms]'"
        ) from exc
    return tables


def _open(tables, path: Path, name: str | None = None):
    where = str(path) if name is None else f"{path}::{name}"
    try:
        return tables.table(where, readonly=True, ack=False)
    except RuntimeError as exc:
        what = "Measurement Set" if name is None else f"{name} table"
        raise ValueError(f"{path}: cannot open the {what} ({exc})") from exc


def _require(table, path: Path, columns: Sequence[str], expected: str) -> None:
    names = set(table.colnames())
    for column in columns:
        if column not in names:
            raise ValueError(f"{path}: column {column!r} is missing; expected {expected}")


def _filled(table, column: str) -> bool:
    """True when ``column`` exists and its first cell holds values (CASA leaves some empty)."""
    return column in table.colnames() and table.nrows() > 0 and table.iscelldefined(column, 0)


def _getcol(rows, column: str, start: int, n: int, where) -> np.ndarray:
    try:
        return rows.getcol(column, start, n)
    except RuntimeError as exc:  # cells left empty, or of several shapes in one window
        raise ValueError(where(column) + f": cannot be read as one array ({exc})") from exc


def _channel_selection(channels: Any, window: int, count: int, path: Path) -> np.ndarray:
    if isinstance(channels, dict):
        channels = channels.get(window)
    if channels is None:
        return np.arange(count)
    if isinstance(channels, slice):
        picked = np.arange(count)[channels]
    else:
        picked = np.asarray(channels)
        if picked.ndim != 1 or picked.dtype.kind not in "iu":
            raise ValueError(
                f"{path}: 'channels' must be a slice or a list of channel indices, got {channels!r}"
            )
        if picked.size and (picked.min() < 0 or picked.max() >= count):
            raise ValueError(
                f"{path}: 'channels' {picked.tolist()} out of range for spectral window "
                f"{window}, which has {count} channels (CHAN_FREQ)"
            )
    if picked.size == 0:
        raise ValueError(f"{path}: 'channels' selects no channel of spectral window {window}")
    return picked.astype(np.int64)


def _hands(path: Path, polarization: int, types: np.ndarray, single_hand: bool):
    """(indices of the correlations forming I, 'linear' | 'circular' | 'stokes')."""
    names = [STOKES.get(int(t), str(int(t))) for t in types]
    if 1 in types:
        return np.array([int(np.flatnonzero(types == 1)[0])]), "stokes"
    for kind, pair in (("linear", _LINEAR), ("circular", _CIRCULAR)):
        found = [int(np.flatnonzero(types == t)[0]) for t in pair if t in types]
        if len(found) == 2:
            return np.array(found), kind
        if len(found) == 1:
            if single_hand:
                return np.array(found), kind
            raise ValueError(
                f"{path}: POLARIZATION row {polarization} (column 'CORR_TYPE') has only the "
                f"parallel hand {names[found[0]]} of {names}; Stokes I needs both "
                f"({'XX and YY' if kind == 'linear' else 'RR and LL'}), or pass "
                "single_hand=True to take one hand as I"
            )
    raise ValueError(
        f"{path}: POLARIZATION row {polarization} (column 'CORR_TYPE') holds {names}; "
        "expected parallel hands XX/YY or RR/LL (or I)"
    )


def _plan(tables, path: Path, main, field, spectral_windows, channels, single_hand):
    """The data descriptions to read: (ddid, window, channel indices, freqs, hands, ncorr)."""
    fields = _open(tables, path, "FIELD")
    field_names = list(fields.getcol("NAME")) if fields.nrows() else []
    field_ids = main.getcol("FIELD_ID")
    present = np.unique(field_ids)
    if field is None:
        if present.size != 1:
            listed = ", ".join(
                f"{int(f)} ({field_names[f]})" if f < len(field_names) else str(int(f))
                for f in present
            )
            raise ValueError(
                f"{path}: column 'FIELD_ID' holds {present.size} fields ({listed}); "
                "choose one with field=<id or name>"
            )
        field_id = int(present[0])
    elif isinstance(field, str):
        if field not in field_names:
            raise ValueError(
                f"{path}: no field named {field!r} in the FIELD table (column 'NAME' holds "
                f"{field_names})"
            )
        field_id = field_names.index(field)
    else:
        field_id = int(field)
        if field_id not in present:
            raise ValueError(
                f"{path}: no row has FIELD_ID {field_id}; column 'FIELD_ID' holds "
                f"{present.tolist()}"
            )
    ddids_present = np.unique(main.getcol("DATA_DESC_ID")[field_ids == field_id])

    descriptions = _open(tables, path, "DATA_DESCRIPTION")
    windows_table = _open(tables, path, "SPECTRAL_WINDOW")
    polarizations = _open(tables, path, "POLARIZATION")
    _require(descriptions, path, ("SPECTRAL_WINDOW_ID", "POLARIZATION_ID"), "in DATA_DESCRIPTION")
    _require(windows_table, path, ("CHAN_FREQ",), "channel frequencies in SPECTRAL_WINDOW")
    _require(polarizations, path, ("CORR_TYPE",), "correlation types in POLARIZATION")
    window_of = descriptions.getcol("SPECTRAL_WINDOW_ID")
    polarization_of = descriptions.getcol("POLARIZATION_ID")
    windows_present = {int(window_of[d]): int(d) for d in ddids_present}
    if spectral_windows is None:
        chosen = sorted(windows_present)
    else:
        chosen = [int(w) for w in np.atleast_1d(spectral_windows)]
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"{path}: 'spectral_windows' {chosen} names a window twice")
        for window in chosen:
            if window not in windows_present:
                raise ValueError(
                    f"{path}: spectral window {window} has no rows of field {field_id} "
                    f"(windows with rows: {sorted(windows_present)})"
                )
    plan, kinds = [], {}
    for window in chosen:
        ddid = windows_present[window]
        freqs = np.asarray(windows_table.getcell("CHAN_FREQ", window), dtype=np.float64)
        if freqs.ndim != 1 or freqs.size == 0 or not np.all(np.isfinite(freqs) & (freqs > 0)):
            raise ValueError(
                f"{path}: SPECTRAL_WINDOW row {window}, column 'CHAN_FREQ': expected positive "
                f"frequencies in Hz, got {freqs!r}"
            )
        picked = _channel_selection(channels, window, freqs.size, path)
        polarization = int(polarization_of[ddid])
        types = np.asarray(polarizations.getcell("CORR_TYPE", polarization))
        hands, kind = _hands(path, polarization, types, single_hand)
        kinds.setdefault(kind, []).append(window)
        plan.append((ddid, window, picked, freqs, hands, types.size))
    if len(kinds) > 1:
        raise ValueError(
            f"{path}: mixed polarisation layouts in column 'CORR_TYPE' of POLARIZATION: "
            + ", ".join(f"{k} in windows {v}" for k, v in kinds.items())
            + "; expected one layout (select windows with spectral_windows=...)"
        )
    return field_id, plan


def _chunks(
    path: str | os.PathLike,
    *,
    data_column: str = "DATA",
    field: int | str | None = None,
    spectral_windows: Sequence[int] | int | None = None,
    channels: Any = None,
    weight_column: str | None = None,
    single_hand: bool = False,
    max_baseline_m: float = MAX_BASELINE_M,
    chunk: int | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(visibilities, noise_map, uv_wavelengths) blocks of the selection, one row chunk each."""
    from ..likelihood import CHUNK

    tables = _tables()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no Measurement Set at {path}")
    main = _open(tables, path)
    _require(
        main,
        path,
        (data_column, "FLAG", "FLAG_ROW", "UVW", "DATA_DESC_ID", "FIELD_ID"),
        f"the visibilities in {data_column!r}, their flags, UVW, DATA_DESC_ID and FIELD_ID",
    )
    units = main.getcolkeywords("UVW").get("QuantumUnits")
    if units is not None and any(str(u) != "m" for u in units):
        raise ValueError(
            f"{path}: column 'UVW' is in {list(units)} (keyword QuantumUnits); expected metres"
        )
    if weight_column is None:
        weight_column = next(
            (c for c in _WEIGHT_COLUMNS if _filled(main, c)),
            None,
        )
        if weight_column is None:
            raise ValueError(
                f"{path}: column 'WEIGHT' is missing (nor WEIGHT_SPECTRUM, SIGMA_SPECTRUM or "
                "SIGMA is filled); expected per-correlation weights or sigmas"
            )
    elif weight_column not in _WEIGHT_COLUMNS:
        raise ValueError(
            f"{path}: 'weight_column' must be one of {list(_WEIGHT_COLUMNS)}, got {weight_column!r}"
        )
    else:
        _require(main, path, (weight_column,), "the per-correlation weights asked for")
    is_sigma = weight_column.startswith("SIGMA")
    per_channel = weight_column.endswith("SPECTRUM")
    antennas = {"ANTENNA1", "ANTENNA2"} <= set(main.colnames())

    field_id, plan = _plan(tables, path, main, field, spectral_windows, channels, single_hand)
    size = int(chunk or CHUNK)
    for ddid, window, picked, freqs, hands, ncorr in plan:
        rows = main.query(f"DATA_DESC_ID=={ddid} AND FIELD_ID=={field_id}")
        nchan = freqs.size
        step = max(1, size // picked.size)
        for start in range(0, rows.nrows(), step):
            n = min(step, rows.nrows() - start)

            def where(column, start=start, window=window):
                return f"{path} (column {column!r}, rows of spectral window {window} from {start})"

            data = _getcol(rows, data_column, start, n, where)
            if data.shape[1:] != (nchan, ncorr):
                raise ValueError(
                    where(data_column) + f": cells of shape {data.shape[1:]}; expected "
                    f"(channels, correlations) = ({nchan}, {ncorr}) from SPECTRAL_WINDOW and "
                    "POLARIZATION"
                )
            flag = _getcol(rows, "FLAG", start, n, where)
            if flag.shape != data.shape:
                raise ValueError(
                    where("FLAG") + f": shape {flag.shape[1:]}, expected {data.shape[1:]}"
                )
            weight = _getcol(rows, weight_column, start, n, where).astype(np.float64)
            expected = data.shape[1:] if per_channel else (ncorr,)
            if weight.shape[1:] != expected:
                raise ValueError(
                    where(weight_column) + f": cells of shape {weight.shape[1:]}; "
                    f"expected {expected}"
                )
            if not per_channel:
                weight = np.broadcast_to(weight[:, None, :], data.shape)
            keep_row = ~_getcol(rows, "FLAG_ROW", start, n, where).astype(bool)
            if antennas:
                keep_row &= _getcol(rows, "ANTENNA1", start, n, where) != _getcol(
                    rows, "ANTENNA2", start, n, where
                )
            uvw = _getcol(rows, "UVW", start, n, where)
            longest = float(np.max(np.abs(uvw[keep_row]))) if keep_row.any() else 0.0
            if longest > max_baseline_m:
                raise ValueError(
                    where("UVW") + f": |UVW| reaches {longest:.4g}, longer than "
                    f"{max_baseline_m:.4g} m (max_baseline_m, by default the Earth's "
                    "diameter); expected metres. Are they already in wavelengths? (raise "
                    "max_baseline_m for space VLBI)"
                )
            data = data[:, picked][:, :, hands]
            weight = weight[:, picked][:, :, hands]
            with np.errstate(divide="ignore"):
                variance = weight**2 if is_sigma else 1.0 / weight
            usable = (weight > 0) & np.isfinite(variance) & (variance > 0)
            keep = (
                keep_row[:, None] & ~flag[:, picked][:, :, hands].any(axis=2) & usable.all(axis=2)
            )
            if not keep.any():
                continue
            vis = data[keep].astype(np.complex128).mean(axis=1)
            if not np.all(np.isfinite(vis)):
                raise ValueError(where(data_column) + ": unflagged visibilities hold NaN or inf")
            sigma = np.sqrt(variance[keep].sum(axis=1)) / hands.size
            uv = uvw[:, None, :2] * (freqs[picked][None, :, None] / SPEED_OF_LIGHT)
            yield vis, sigma * (1 + 1j), np.broadcast_to(uv, (*keep.shape, 2))[keep]


def read_measurement_set(
    path: str | os.PathLike,
    mask: Mask,
    *,
    data_column: str = "DATA",
    field: int | str | None = None,
    spectral_windows: Sequence[int] | int | None = None,
    channels: Any = None,
    weight_column: str | None = None,
    single_hand: bool = False,
    max_baseline_m: float = MAX_BASELINE_M,
    zarr: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Observation:
    """The Stokes I visibilities of the Measurement Set ``path`` with ``mask``.

    ``data_column`` is ``"DATA"``, ``"CORRECTED_DATA"``, ``"MODEL_DATA"`` or any complex
    column of the same shape. ``zarr`` streams the result to a zarr store at that path (one
    row chunk in memory at a time) and returns it opened from there; otherwise it is read
    into memory. Every conversion is described in the module docstring.
    """
    if not isinstance(mask, Mask):
        raise TypeError(f"read_measurement_set: 'mask' must be an autojax.Mask, got {mask!r}")
    options = {
        "data_column": data_column,
        "field": field,
        "spectral_windows": spectral_windows,
        "channels": channels,
        "weight_column": weight_column,
        "single_hand": single_hand,
        "max_baseline_m": float(max_baseline_m),
    }
    blocks = _chunks(path, **options)
    if zarr is not None:
        from .store import ZarrWriter, open_zarr

        writer = ZarrWriter(zarr, mask, overwrite=overwrite)
        for block in blocks:
            writer.append(*block)
        if writer.written + writer.buffered == 0:
            _nothing(path, options)
        return open_zarr(writer.close())
    parts = list(blocks)
    if not parts:
        _nothing(path, options)
    vis, noise, uv = (np.concatenate(p) for p in zip(*parts))
    return Observation(vis, noise, uv, mask)


def _nothing(path, options) -> None:
    chosen = {k: v for k, v in options.items() if k in ("field", "spectral_windows", "channels")}
    raise ValueError(
        f"{path}: no unflagged visibilities with a positive weight in the selection {chosen} "
        "(columns FLAG, FLAG_ROW and the weights flag every one)"
    )
