"""Measurement Sets, zarr stores and memory-mapped FITS: every conversion by hand.

The Measurement Sets are built here with python-casacore (``default_ms``), a few rows each;
the expected Observation is computed with plain loops over rows, channels and hands.
"""

from __future__ import annotations

import numpy as np
import pytest

from autojax import Likelihood, Mask, Observation

ct = pytest.importorskip("casacore.tables", reason="the ms extra (python-casacore) is missing")
pytest.importorskip("zarr", reason="the ms extra (zarr) is missing")

C = 299792458.0
XX, YY, RR, LL, XY, YX = 9, 12, 5, 8, 10, 11
MASK = Mask.circular((12, 12), 0.2, 1.0)


def make_ms(
    path,
    *,
    windows,
    polarizations,
    descriptions,
    rows,
    fields=("lens",),
    spectrum=False,
    sigma=False,
    extra_columns=(),
    uvw_units=None,
    data_column="DATA",
):
    """A Measurement Set at ``path``.

    ``windows``: a list of CHAN_FREQ arrays; ``polarizations``: a list of CORR_TYPE lists;
    ``descriptions``: (window, polarization) per DATA_DESC_ID; ``rows``: dicts with ddid,
    field, uvw, data (nchan, ncorr), flag (same), flag_row, weight ((ncorr,) or (nchan,
    ncorr) with ``spectrum``), antennas (a1, a2).
    """
    columns = [ct.makearrcoldesc(data_column, 0j, ndim=2, valuetype="complex")]
    columns += [ct.makearrcoldesc(name, 0j, ndim=2, valuetype="complex") for name in extra_columns]
    if spectrum:
        name = "SIGMA_SPECTRUM" if sigma else "WEIGHT_SPECTRUM"
        columns.append(ct.makearrcoldesc(name, 0.0, ndim=2, valuetype="float"))
    ms = ct.default_ms(str(path), tabdesc=ct.maketabdesc(columns))
    if uvw_units is not None:
        ms.putcolkeyword("UVW", "QuantumUnits", uvw_units)
    spw = ct.table(f"{path}::SPECTRAL_WINDOW", readonly=False, ack=False)
    spw.addrows(len(windows))
    for i, freqs in enumerate(windows):
        spw.putcell("CHAN_FREQ", i, np.asarray(freqs, dtype=float))
        spw.putcell("NUM_CHAN", i, len(freqs))
    pol = ct.table(f"{path}::POLARIZATION", readonly=False, ack=False)
    pol.addrows(len(polarizations))
    for i, types in enumerate(polarizations):
        pol.putcell("CORR_TYPE", i, np.asarray(types, dtype=np.int32))
        pol.putcell("NUM_CORR", i, len(types))
    dd = ct.table(f"{path}::DATA_DESCRIPTION", readonly=False, ack=False)
    dd.addrows(len(descriptions))
    dd.putcol("SPECTRAL_WINDOW_ID", np.array([w for w, _ in descriptions], dtype=np.int32))
    dd.putcol("POLARIZATION_ID", np.array([p for _, p in descriptions], dtype=np.int32))
    field = ct.table(f"{path}::FIELD", readonly=False, ack=False)
    field.addrows(len(fields))
    field.putcol("NAME", list(fields))
    ms.addrows(len(rows))
    weight_name = ("SIGMA" if sigma else "WEIGHT") + ("_SPECTRUM" if spectrum else "")
    for i, row in enumerate(rows):
        ms.putcell("DATA_DESC_ID", i, row["ddid"])
        ms.putcell("FIELD_ID", i, row.get("field", 0))
        ms.putcell("UVW", i, np.asarray(row["uvw"], dtype=float))
        ms.putcell(data_column, i, np.asarray(row["data"], dtype=np.complex64))
        for name in extra_columns:
            ms.putcell(name, i, np.asarray(row["data"], dtype=np.complex64) * 2)
        ms.putcell("FLAG", i, np.asarray(row["flag"], dtype=bool))
        ms.putcell("FLAG_ROW", i, bool(row.get("flag_row", False)))
        a1, a2 = row.get("antennas", (0, 1))
        ms.putcell("ANTENNA1", i, a1)
        ms.putcell("ANTENNA2", i, a2)
        ncorr = np.shape(row["data"])[1]
        per_row = np.asarray(row["weight"], dtype=float)
        if spectrum:
            ms.putcell(weight_name, i, per_row)
            per_row = per_row[0]
        ms.putcell("SIGMA" if sigma else "WEIGHT", i, np.broadcast_to(per_row, (ncorr,)).copy())
        if not sigma:
            with np.errstate(divide="ignore"):
                ms.putcell("SIGMA", i, 1 / np.sqrt(np.broadcast_to(per_row, (ncorr,))))
    for t in (spw, pol, dd, field, ms):
        t.close()
    return path


def random_rows(rng, ddid, count, nchan, ncorr, *, spectrum=False, field=0, scale=1e3):
    rows = []
    for _ in range(count):
        data = rng.normal(size=(nchan, ncorr)) + 1j * rng.normal(size=(nchan, ncorr))
        weight = rng.uniform(0.5, 2.0, size=(nchan, ncorr) if spectrum else (ncorr,))
        rows.append(
            {
                "ddid": ddid,
                "field": field,
                "uvw": rng.normal(size=3) * scale,
                # complex64 on disk: round here so that the hand computation sees the same
                "data": data.astype(np.complex64),
                "flag": np.zeros((nchan, ncorr), dtype=bool),
                "weight": weight.astype(np.float32),
            }
        )
    return rows


def by_hand(rows, windows, polarizations, descriptions, *, order, field=0, channels=None,
            sigma=False, spectrum=False, hands=("XX", "YY")):  # fmt: skip
    """The expected (vis, noise, uv): plain loops, the docstring's formulas."""
    codes = {"XX": XX, "YY": YY, "RR": RR, "LL": LL}
    vis, noise, uv = [], [], []
    for window in order:
        for row in rows:
            w, p = descriptions[row["ddid"]]
            if w != window or row.get("field", 0) != field or row.get("flag_row"):
                continue
            a1, a2 = row.get("antennas", (0, 1))
            if a1 == a2:
                continue
            types = list(polarizations[p])
            idx = [types.index(codes[h]) for h in hands]
            chans = range(len(windows[w])) if channels is None else channels[w]
            for c in chans:
                weights = [
                    float(np.float32(row["weight"][c][i] if spectrum else row["weight"][i]))
                    for i in idx
                ]
                if any(row["flag"][c][i] for i in idx) or any(x <= 0 for x in weights):
                    continue
                values = [complex(row["data"][c][i]) for i in idx]
                variances = [x**2 if sigma else 1 / x for x in weights]
                s = np.sqrt(sum(variances)) / len(idx)
                vis.append(sum(values) / len(idx))
                noise.append(s + 1j * s)
                f = windows[w][c]
                uv.append([row["uvw"][0] * f / C, row["uvw"][1] * f / C])
    return np.array(vis), np.array(noise), np.array(uv)


WINDOWS = [np.array([100e9, 100.5e9, 101e9]), np.array([230e9, 231e9])]
POLS = [[XX, XY, YX, YY]]
DESCS = [(0, 0), (1, 0)]


@pytest.fixture
def two_windows(tmp_path):
    rng = np.random.default_rng(15)
    rows = random_rows(rng, 0, 4, 3, 4) + random_rows(rng, 1, 3, 2, 4)
    rows[1]["flag"][2, 3] = True  # YY of channel 2: drops that channel of row 1
    rows[2]["flag"][0, 1] = True  # XY only: kept (a cross hand)
    rows[3]["flag_row"] = True
    rows[4]["antennas"] = (3, 3)  # an autocorrelation
    rows[5]["weight"] = np.array([1.0, 1.0, 1.0, 0.0], dtype=np.float32)  # YY weight 0
    path = make_ms(
        tmp_path / "two.ms", windows=WINDOWS, polarizations=POLS, descriptions=DESCS, rows=rows
    )
    return path, rows


def assert_equal_obs(obs, expected, rtol=1e-15):
    vis, noise, uv = expected
    assert obs.visibility_count == len(vis)
    np.testing.assert_allclose(obs.visibilities, vis, rtol=rtol)
    np.testing.assert_allclose(obs.noise_map, noise, rtol=rtol)
    np.testing.assert_allclose(obs.uv_wavelengths, uv, rtol=rtol)


def test_ms_two_windows_flags_and_channels_by_hand(two_windows):
    path, rows = two_windows
    obs = Observation.from_measurement_set(path, MASK)
    expected = by_hand(rows, WINDOWS, POLS, DESCS, order=[0, 1])
    # 4 rows x 3 chans (one row flagged, one channel flagged) + 3 x 2 (one autocorrelation,
    # one row whose YY weight is 0)
    assert len(expected[0]) == 3 * 3 - 1 + 1 * 2
    assert_equal_obs(obs, expected)
    # the second window first, and a channel choice per window
    obs = Observation.from_measurement_set(
        path, MASK, spectral_windows=[1, 0], channels={0: [2, 0], 1: slice(1, None)}
    )
    channels = {0: [2, 0], 1: [1]}
    assert_equal_obs(obs, by_hand(rows, WINDOWS, POLS, DESCS, order=[1, 0], channels=channels))
    # one window only, the same channel slice everywhere
    obs = Observation.from_measurement_set(path, MASK, spectral_windows=0, channels=slice(0, 1))
    assert_equal_obs(obs, by_hand(rows, WINDOWS, POLS, DESCS, order=[0], channels={0: [0]}))


def test_ms_uv_in_wavelengths_exact(two_windows):
    path, rows = two_windows
    obs = Observation.from_measurement_set(path, MASK, spectral_windows=0, channels=[1])
    u, v, _ = rows[0]["uvw"]
    assert obs.uv_wavelengths[0, 0] == u * 100.5e9 / 299792458.0
    assert obs.uv_wavelengths[0, 1] == v * 100.5e9 / 299792458.0


def test_ms_named_column_and_zarr_stream(two_windows, tmp_path):
    path, rows = two_windows
    expected = by_hand(rows, WINDOWS, POLS, DESCS, order=[0, 1])
    streamed = Observation.from_measurement_set(path, MASK, zarr=tmp_path / "s.zarr")
    assert type(streamed).__name__ == "StreamedObservation"
    assert_equal_obs(streamed, expected)
    with pytest.raises(ValueError, match=r"two\.ms.*'CORRECTED_DATA' is missing"):
        Observation.from_measurement_set(path, MASK, data_column="CORRECTED_DATA")


@pytest.mark.parametrize("sigma", [False, True])
def test_ms_weight_and_sigma_spectrum(tmp_path, sigma):
    rng = np.random.default_rng(3)
    rows = random_rows(rng, 0, 3, 2, 2, spectrum=True)
    rows[0]["weight"][1, 0] = 0.0  # a zero weight (or sigma) of one hand drops the channel
    pols = [[RR, LL]]
    path = make_ms(
        tmp_path / "spec.ms",
        windows=[np.array([5e9, 6e9])],
        polarizations=pols,
        descriptions=[(0, 0)],
        rows=rows,
        spectrum=True,
        sigma=sigma,
    )
    obs = Observation.from_measurement_set(path, MASK)
    expected = by_hand(
        rows, [np.array([5e9, 6e9])], pols, [(0, 0)], order=[0], sigma=sigma, spectrum=True,
        hands=("RR", "LL"),
    )  # fmt: skip
    assert_equal_obs(obs, expected, rtol=1e-7 if sigma else 1e-15)
    # the per-row column when asked for by name: WEIGHT (SIGMA) holds the first channel's
    per_row = Observation.from_measurement_set(
        path, MASK, weight_column="SIGMA" if sigma else "WEIGHT"
    )
    for row in rows:
        row["weight"] = row["weight"][0]
    expected = by_hand(
        rows, [np.array([5e9, 6e9])], pols, [(0, 0)], order=[0], sigma=sigma, hands=("RR", "LL")
    )
    assert_equal_obs(per_row, expected, rtol=1e-7 if sigma else 1e-15)


def test_ms_field_selection(tmp_path):
    rng = np.random.default_rng(7)
    rows = random_rows(rng, 0, 2, 1, 2, field=0) + random_rows(rng, 0, 3, 1, 2, field=1)
    pols = [[XX, YY]]
    args = {"windows": [np.array([1e9])], "polarizations": pols, "descriptions": [(0, 0)]}
    path = make_ms(tmp_path / "f.ms", rows=rows, fields=("cal", "lens"), **args)
    with pytest.raises(ValueError, match=r"f\.ms.*'FIELD_ID' holds 2 fields.*0 \(cal\)"):
        Observation.from_measurement_set(path, MASK)
    for field in (1, "lens"):
        obs = Observation.from_measurement_set(path, MASK, field=field)
        assert_equal_obs(obs, by_hand(rows, args["windows"], pols, [(0, 0)], order=[0], field=1))
    with pytest.raises(ValueError, match="no field named 'star'"):
        Observation.from_measurement_set(path, MASK, field="star")
    with pytest.raises(ValueError, match="no row has FIELD_ID 5"):
        Observation.from_measurement_set(path, MASK, field=5)


def test_ms_single_hand_only_when_asked(tmp_path):
    rng = np.random.default_rng(1)
    rows = random_rows(rng, 0, 2, 2, 1)
    windows = [np.array([1e9, 2e9])]
    path = make_ms(
        tmp_path / "one.ms", windows=windows, polarizations=[[XX]], descriptions=[(0, 0)],
        rows=rows,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"one\.ms.*'CORR_TYPE'.*only the parallel hand XX"):
        Observation.from_measurement_set(path, MASK)
    obs = Observation.from_measurement_set(path, MASK, single_hand=True)
    assert_equal_obs(obs, by_hand(rows, windows, [[XX]], [(0, 0)], order=[0], hands=("XX",)))


def test_ms_bad_input(tmp_path):
    rng = np.random.default_rng(2)
    windows = [np.array([1e9]), np.array([2e9])]
    args = {"windows": windows, "descriptions": [(0, 0), (1, 1)]}
    # mixed layouts: XX/YY in window 0, RR/LL in window 1
    rows = random_rows(rng, 0, 1, 1, 2) + random_rows(rng, 1, 1, 1, 2)
    path = make_ms(tmp_path / "mixed.ms", polarizations=[[XX, YY], [RR, LL]], rows=rows, **args)
    with pytest.raises(ValueError, match=r"mixed\.ms: mixed polarisation layouts.*'CORR_TYPE'"):
        Observation.from_measurement_set(path, MASK)
    assert Observation.from_measurement_set(path, MASK, spectral_windows=[1]).visibility_count == 1
    # cross hands only
    path = make_ms(tmp_path / "cross.ms", polarizations=[[XY, YX]] * 2, rows=rows, **args)
    with pytest.raises(ValueError, match=r"cross\.ms.*'CORR_TYPE'.*expected parallel hands"):
        Observation.from_measurement_set(path, MASK)
    # everything flagged
    for row in rows:
        row["flag"][:] = True
    path = make_ms(tmp_path / "flagged.ms", polarizations=[[XX, YY]] * 2, rows=rows, **args)
    with pytest.raises(ValueError, match=r"flagged\.ms: no unflagged visibilities.*FLAG"):
        Observation.from_measurement_set(path, MASK)
    # UVW that look like wavelengths (1e8 > the Earth's diameter in metres), or say so
    rows = random_rows(rng, 0, 2, 1, 2, scale=1e8)
    one = {"windows": windows[:1], "descriptions": [(0, 0)], "polarizations": [[XX, YY]]}
    path = make_ms(tmp_path / "lambda.ms", rows=rows, **one)
    with pytest.raises(ValueError, match=r"lambda\.ms \(column 'UVW'.*expected metres"):
        Observation.from_measurement_set(path, MASK)
    assert Observation.from_measurement_set(path, MASK, max_baseline_m=1e10).visibility_count
    rows = random_rows(rng, 0, 2, 1, 2)
    path = make_ms(tmp_path / "units.ms", rows=rows, uvw_units=["lambda"] * 3, **one)
    with pytest.raises(ValueError, match=r"units\.ms: column 'UVW' is in.*lambda.*metres"):
        Observation.from_measurement_set(path, MASK)
    # a DATA cell of the wrong shape for its window
    rows[0]["data"] = np.zeros((2, 2), dtype=np.complex64)
    rows[0]["flag"] = np.zeros((2, 2), dtype=bool)
    rows[1]["data"] = rows[0]["data"]
    rows[1]["flag"] = rows[0]["flag"]
    path = make_ms(tmp_path / "shape.ms", rows=rows, **one)
    with pytest.raises(ValueError, match=r"shape\.ms \(column 'DATA'.*expected \(channels"):
        Observation.from_measurement_set(path, MASK)
    with pytest.raises(FileNotFoundError, match="no Measurement Set"):
        Observation.from_measurement_set(tmp_path / "absent.ms", MASK)


# ------------------------------------------------------------------ zarr and FITS memmaps
class CountingTable:
    """A (K, 2) table that records the largest slice read: never all K at once."""

    def __init__(self, array):
        self.array, self.shape, self.dtype, self.largest = array, array.shape, array.dtype, 0

    def __getitem__(self, key):
        rows = len(range(*key.indices(self.shape[0])))
        self.largest = max(self.largest, rows)
        return self.array[key]


@pytest.fixture(scope="module")
def loaded():
    from autojax.datasets import DataLoaded

    return Observation.from_dataset(DataLoaded())


def precomputed(obs, **options):
    like = Likelihood(obs, progress=False, **options).precompute()
    return {n: np.asarray(getattr(like, n)) for n in ("w_compact", "dirty_image",
            "chi_squared_data", "noise_normalization")}  # fmt: skip


def assert_same_precompute(a, b, rtol=1e-12):
    for name in a:
        np.testing.assert_allclose(b[name], a[name], rtol=rtol, atol=rtol * np.abs(a[name]).max())


def test_zarr_round_trip_and_chunked_precompute(loaded, tmp_path, monkeypatch):
    import zarr

    import autojax.likelihood

    path = loaded.to_zarr(tmp_path / "obs.zarr", chunk=64)
    group = zarr.open_group(str(path), mode="r")
    assert group["visibilities"].chunks == (64, 2)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        loaded.to_zarr(path)
    streamed = Observation.from_zarr(path)
    assert streamed.mask.pixel_scale == loaded.mask.pixel_scale
    np.testing.assert_array_equal(streamed.mask.array, loaded.mask.array)
    np.testing.assert_array_equal(np.asarray(streamed.visibilities), loaded.visibilities)
    np.testing.assert_array_equal(np.asarray(streamed.noise_map), loaded.noise_map)
    np.testing.assert_array_equal(np.asarray(streamed.uv_wavelengths), loaded.uv_wavelengths)
    assert streamed.visibilities[-1] == loaded.visibilities[-1]
    np.testing.assert_array_equal(streamed.uv_wavelengths[3], loaded.uv_wavelengths[3])
    k = loaded.visibility_count
    with pytest.raises(IndexError, match=rf"obs\.zarr: 'visibilities' has {k} rows"):
        streamed.visibilities[k]
    in_memory = precomputed(loaded)
    # several precompute chunks (50 visibilities each) read through counting wrappers
    monkeypatch.setattr(autojax.likelihood, "CHUNK", 50)
    tables = [
        CountingTable(group[name]) for name in ("visibilities", "noise_map", "uv_wavelengths")
    ]
    from autojax.io.store import StreamedObservation

    counted = StreamedObservation(*tables, loaded.mask, source=str(path))
    assert_same_precompute(in_memory, precomputed(counted))
    assert max(t.largest for t in tables) == 50 < loaded.visibility_count
    # the store read back as a whole observation, and copied store to store by chunks
    assert_same_precompute(in_memory, precomputed(streamed.load()))
    copy = Observation.from_zarr(streamed.to_zarr(tmp_path / "copy.zarr"))
    np.testing.assert_array_equal(np.asarray(copy.visibilities), loaded.visibilities)


def test_fits_memmap(loaded, tmp_path):
    loaded.to_fits(tmp_path)
    mapped = Observation.from_fits(tmp_path, loaded.mask, memmap=True)
    assert type(mapped).__name__ == "StreamedObservation"
    assert isinstance(mapped.visibilities.table, np.ndarray)  # a view of the memory map
    assert_same_precompute(precomputed(loaded), precomputed(mapped))


def test_stores_check_their_values(loaded, tmp_path):
    import zarr

    path = loaded.to_zarr(tmp_path / "bad.zarr", chunk=64)
    group = zarr.open_group(str(path), mode="r+")
    group["noise_map"][100, 1] = -1.0
    with pytest.raises(ValueError, match=r"bad\.zarr: 'noise_map' must have positive"):
        Observation.from_zarr(path)
    group["noise_map"][100, 1] = np.nan
    with pytest.raises(ValueError, match=r"bad\.zarr: 'noise_map' holds NaN.*row 100"):
        Observation.from_zarr(path)
    group["noise_map"][100, 1] = 2 * group["noise_map"][100, 0]
    with pytest.raises(ValueError, match=r"real and imaginary parts that differ \(index 100"):
        Likelihood(Observation.from_zarr(path))
    group.attrs["format"] = "something else"
    with pytest.raises(ValueError, match=r"bad\.zarr: not an autojax observation store"):
        Observation.from_zarr(path)
    with pytest.raises(FileNotFoundError, match="no zarr store"):
        Observation.from_zarr(tmp_path / "absent.zarr")


def test_ms_empty_cells_and_repeated_windows(two_windows):
    path, rows = two_windows
    with pytest.raises(ValueError, match=r"two\.ms: 'spectral_windows' \[0, 0\] names a window"):
        Observation.from_measurement_set(path, MASK, spectral_windows=[0, 0])
    table = ct.table(str(path), readonly=False, ack=False)
    table.addrows(1)  # a row of window 0 whose DATA, FLAG and weights were never written
    table.close()
    with pytest.raises(ValueError, match=r"two\.ms \(column 'DATA'.*cannot be read"):
        Observation.from_measurement_set(path, MASK, spectral_windows=[0])


def test_unfinished_stores_never_open(loaded, tmp_path):
    from autojax.io.store import ZarrWriter

    writer = ZarrWriter(tmp_path / "half.zarr", loaded.mask, chunk=64)
    writer.append(loaded.visibilities, loaded.noise_map, loaded.uv_wavelengths)  # never closed
    with pytest.raises(ValueError, match=r"half\.zarr: incomplete store"):
        Observation.from_zarr(tmp_path / "half.zarr")
    streamed = Observation.from_zarr(writer.close())
    assert streamed.visibility_count == loaded.visibility_count
    with pytest.raises(ValueError, match="is where this observation is read from"):
        streamed.to_zarr(tmp_path / "half.zarr", overwrite=True)


def test_measurement_set_to_saved_precompute(two_windows, tmp_path):
    """docs/scale.md's path: MS -> zarr -> precompute saved, then loaded on a restart."""
    path, _ = two_windows
    in_memory = Observation.from_measurement_set(path, MASK)
    streamed = Observation.from_measurement_set(path, MASK, zarr=tmp_path / "lens.zarr")
    saved = tmp_path / "lens.precompute.npz"
    first = Likelihood(streamed, progress=False).precompute(saved)
    restarted = Likelihood(Observation.from_zarr(tmp_path / "lens.zarr"), progress=False)
    restarted.load_precompute(saved)
    expected = precomputed(in_memory)
    assert_same_precompute(expected, {n: np.asarray(first._constants[n]) for n in expected})
    assert_same_precompute(expected, {n: np.asarray(restarted._constants[n]) for n in expected})
    pytest.importorskip("jax", reason="the jax extra is missing")
    assert_same_precompute(expected, precomputed(streamed, backend="jax"))
