"""Data on disk: Measurement Set read speed and precompute peak memory, in memory vs zarr.

    python benchmarks/io_scale.py ms [ROWS] [CHANNELS]   # read speed of a built MS
    python benchmarks/io_scale.py rss [K] [zarr]         # precompute peak RSS, each in a fresh process
    python benchmarks/io_scale.py raw casacore|daskms    # import and raw column read, 40k rows
    python benchmarks/io_scale.py dask [K] [RUNS...]     # precompute from zarr: one process
                                                         # vs Dask LocalClusters (RUNS: serial,
                                                         # cluster1, cluster2; default all three)

``raw`` times the import and a plain read of DATA, FLAG, UVW, WEIGHT and FLAG_ROW per data
description (no Stokes conversion), with python-casacore or with dask-ms (installed apart:
it is not a dependency); each engine in its own process for a fair import time.

``dask`` builds a K-visibility zarr store, then precomputes from it in a fresh process per
run: ``serial`` (``Likelihood.precompute()``, the default single-process path) and
``clusterN`` (a ``dask.distributed.LocalCluster`` of N single-threaded worker processes,
``precompute(scheduler=client)``), each after a warm-up precompute of 2**19 visibilities in
memory (compilation and the Numba cache, on every worker). It reports visibilities per second
and peak RSS: of the process for ``serial``; of the client process and of each worker for
``clusterN``.

Each measurement of ``rss`` runs in its own process (peak RSS is a per-process high-water
mark); the store is built by chunks, so building it needs no K-sized array either.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def build_ms(path: Path, rows: int, channels: int) -> None:
    import casacore.tables as ct

    columns = [ct.makearrcoldesc("DATA", 0j, ndim=2, valuetype="complex")]
    ms = ct.default_ms(str(path), tabdesc=ct.maketabdesc(columns))
    spw = ct.table(f"{path}::SPECTRAL_WINDOW", readonly=False, ack=False)
    spw.addrows(2)
    for i in range(2):
        spw.putcell("CHAN_FREQ", i, 100e9 * (1 + i) + 1e6 * np.arange(channels))
        spw.putcell("NUM_CHAN", i, channels)
    pol = ct.table(f"{path}::POLARIZATION", readonly=False, ack=False)
    pol.addrows(1)
    pol.putcell("CORR_TYPE", 0, np.array([9, 10, 11, 12], dtype=np.int32))
    pol.putcell("NUM_CORR", 0, 4)
    dd = ct.table(f"{path}::DATA_DESCRIPTION", readonly=False, ack=False)
    dd.addrows(2)
    dd.putcol("SPECTRAL_WINDOW_ID", np.array([0, 1], dtype=np.int32))
    dd.putcol("POLARIZATION_ID", np.array([0, 0], dtype=np.int32))
    field = ct.table(f"{path}::FIELD", readonly=False, ack=False)
    field.addrows(1)
    rng = np.random.default_rng(0)
    ms.addrows(2 * rows)
    for w in range(2):
        part = slice(w * rows, (w + 1) * rows)
        shape = (rows, channels, 4)
        ms.putcol("DATA_DESC_ID", np.full(rows, w, dtype=np.int32), part.start, rows)
        ms.putcol("UVW", rng.normal(size=(rows, 3)) * 1e3, part.start, rows)
        data = (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64)
        ms.putcol("DATA", data, part.start, rows)
        ms.putcol("FLAG", rng.random(shape) < 0.05, part.start, rows)
        ms.putcol("WEIGHT", np.ones((rows, 4), dtype=np.float32), part.start, rows)
        ms.putcol("SIGMA", np.ones((rows, 4), dtype=np.float32), part.start, rows)
    ms.putcol("ANTENNA2", np.ones(2 * rows, dtype=np.int32))
    for t in (spw, pol, dd, field, ms):
        t.close()


def ms_speed(rows: int, channels: int) -> dict:
    from autojax import Mask, Observation

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.ms"
        build_ms(path, rows, channels)
        mask = Mask.circular((30, 30), 0.2, 2.5)
        Observation.from_measurement_set(path, mask)  # warm the page cache
        start = time.perf_counter()
        obs = Observation.from_measurement_set(path, mask)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        Observation.from_measurement_set(path, mask, zarr=Path(folder) / "s.zarr")
        to_zarr = time.perf_counter() - start
    return {
        "rows": 2 * rows,
        "channels": channels,
        "K": obs.visibility_count,
        "read_s": seconds,
        "vis_per_s": obs.visibility_count / seconds,
        "to_zarr_s": to_zarr,
    }


def write_store(path: str, k: int) -> None:
    from autojax import Mask
    from autojax.io.store import ZarrWriter

    began = time.perf_counter()
    rng = np.random.default_rng(1)
    writer = ZarrWriter(path, Mask.circular((30, 30), 0.2, 2.5), overwrite=True)
    step = 2**18
    for start in range(0, k, step):
        n = min(step, k - start)
        vis = rng.normal(size=n) + 1j * rng.normal(size=n)
        writer.append(vis, np.full(n, 1 + 1j), rng.normal(size=(n, 2)) * 1e5)
    writer.close()
    print(json.dumps({"K": k, "write_store_s": time.perf_counter() - began}), flush=True)


def precompute(source: str, path: str) -> dict:
    from autojax import Likelihood, Observation

    start = time.perf_counter()
    obs = Observation.from_zarr(path)
    opened = time.perf_counter() - start
    if source == "memory":
        obs = obs.load()
    before = peak_rss_mb()
    start = time.perf_counter()
    Likelihood(obs, progress=False).precompute()
    return {
        "source": source,
        "K": obs.visibility_count,
        "open_s": opened,
        "precompute_s": time.perf_counter() - start,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_precompute_mb": before,
    }


def dask_precompute(run: str, path: str) -> dict:
    from autojax import Likelihood, Observation

    obs = Observation.from_zarr(path)
    vis, noise, uv = obs._read(slice(0, min(2**19, obs.visibility_count)))
    warm = Observation(vis, noise, uv, obs.mask)
    result = {"run": run, "K": obs.visibility_count}
    if run == "serial":
        Likelihood(warm, progress=False).precompute()
        start = time.perf_counter()
        Likelihood(obs, progress=False).precompute()
        seconds = time.perf_counter() - start
        result["peak_rss_mb"] = peak_rss_mb()
    else:
        from distributed import Client, LocalCluster

        workers = int(run.removeprefix("cluster"))
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        with Client(cluster) as client:
            for _ in range(2):  # both workers, the chunk size of the run
                Likelihood(warm, progress=False).precompute(scheduler=client)
            start = time.perf_counter()
            Likelihood(obs, progress=False).precompute(scheduler=client)
            seconds = time.perf_counter() - start
            peaks = client.run(peak_rss_mb)
            result["worker_peak_rss_mb"] = sorted(round(v, 1) for v in peaks.values())
            result["client_peak_rss_mb"] = peak_rss_mb()
        cluster.close()
    result["precompute_s"] = seconds
    result["vis_per_s"] = obs.visibility_count / seconds
    return result


RAW_COLUMNS = ("DATA", "FLAG", "UVW", "WEIGHT", "FLAG_ROW")


def raw_read(engine: str, path: Path) -> dict:
    start = time.perf_counter()
    if engine == "casacore":
        import casacore.tables as ct

        def read():
            table = ct.table(str(path), ack=False)
            return [
                [table.query(f"DATA_DESC_ID=={d}").getcol(c) for c in RAW_COLUMNS] for d in (0, 1)
            ]
    else:
        import dask
        from daskms import xds_from_ms

        def read():
            groups = xds_from_ms(
                str(path), columns=list(RAW_COLUMNS), group_cols=["FIELD_ID", "DATA_DESC_ID"],
                chunks={"row": 20_000},
            )  # fmt: skip
            return dask.compute([[x[c].data for c in RAW_COLUMNS] for x in groups])

    imported = time.perf_counter() - start
    read()  # warm the page cache
    start = time.perf_counter()
    read()
    return {"engine": engine, "import_s": imported, "read_s": time.perf_counter() - start}


def main(argv: list[str]) -> None:
    if argv[0] == "ms":
        rows = int(argv[1]) if len(argv) > 1 else 20_000
        channels = int(argv[2]) if len(argv) > 2 else 16
        print(json.dumps(ms_speed(rows, channels)))
    elif argv[0] == "rss":
        k = int(float(argv[1])) if len(argv) > 1 else 1_000_000
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "obs.zarr")
            write_store(path, k)
            sources = argv[2:] or ("zarr", "memory")
            for source in sources:
                out = subprocess.run(
                    [sys.executable, __file__, "_precompute", source, path],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                print(out.stdout.strip(), flush=True)
    elif argv[0] == "raw":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.ms"
            build_ms(path, 20_000, 16)
            for engine in argv[1:] or ("casacore",):
                out = subprocess.run(
                    [sys.executable, __file__, "_raw", engine, str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                print(out.stdout.strip(), flush=True)
    elif argv[0] == "dask":
        k = int(float(argv[1])) if len(argv) > 1 else 10_000_000
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "obs.zarr")
            write_store(path, k)
            for run in argv[2:] or ("serial", "cluster1", "cluster2"):
                out = subprocess.run(
                    [sys.executable, __file__, "_dask", run, path],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                print(out.stdout.strip(), flush=True)
    elif argv[0] == "_dask":
        print(json.dumps(dask_precompute(argv[1], argv[2])))
    elif argv[0] == "_raw":
        print(json.dumps(raw_read(argv[1], Path(argv[2]))))
    elif argv[0] == "_precompute":
        print(json.dumps(precompute(argv[1], argv[2])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:] or ["ms"])
