"""The precompute as a Dask graph, a worker killed mid-graph, and Likelihood pickling.

One LocalCluster of two worker processes is shared by the module (a few seconds to start).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from autojax import Likelihood, Observation
from autojax.datasets import DataLoaded

dask = pytest.importorskip("dask", reason="the dask extra is missing")
distributed = pytest.importorskip("distributed", reason="the dask extra is missing")
pytest.importorskip("zarr", reason="the ms extra (zarr) is missing")

NAMES = ("w_compact", "dirty_image", "chi_squared_data", "noise_normalization")
COEFFICIENTS = (0.3, 1.0, 4.0, 20.0)


@pytest.fixture(scope="module")
def data():
    return DataLoaded()


@pytest.fixture(scope="module")
def obs(data):
    return Observation.from_dataset(data)


@pytest.fixture(scope="module")
def store(obs, tmp_path_factory):
    """The observation in a zarr store of 32-row chunks (K = 190: 6 chunks)."""
    path = obs.to_zarr(tmp_path_factory.mktemp("dask") / "obs.zarr", chunk=32)
    return Observation.from_zarr(path)


@pytest.fixture(scope="module")
def serial(obs):
    return Likelihood(obs, progress=False).precompute()


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def assert_same_precompute(like, serial):
    for name in NAMES:
        got, want = np.asarray(getattr(like, name)), np.asarray(getattr(serial, name))
        scale = np.max(np.abs(want))
        assert np.max(np.abs(got - want)) <= 1e-12 * scale, name


def step(data):
    return (
        data.pix_indexes_for_sub_slim_index,
        data.pix_weights_for_sub_slim_index,
        data.neighbors,
        data.neighbors_sizes,
    )


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
@pytest.mark.parametrize("where", ["memory", "zarr"])
def test_graph_equals_the_serial_precompute(obs, store, serial, scheduler, where):
    source = obs if where == "memory" else store
    like = Likelihood(source, progress=False).precompute(scheduler=scheduler, chunk=16)
    assert_same_precompute(like, serial)


@pytest.mark.slow  # a LocalCluster or a spawn pool: nox -s tests-slow
def test_graph_on_processes_and_a_client(store, serial, client):
    from autojax.scale.dask import precompute_graph

    graph = precompute_graph(Likelihood(store, progress=False), chunk=16, split_every=3)
    assert len(graph.dask) == 1 + 1 + 12 + 4 + 2 + 1  # spec, reader, chunks, three levels
    like = Likelihood(store, progress=False).precompute(scheduler="processes", chunk=64)
    assert_same_precompute(like, serial)
    like = Likelihood(store, progress=False).precompute(scheduler=client, chunk=16)
    assert_same_precompute(like, serial)


def test_a_saved_precompute_can_be_computed_on_dask(store, serial, tmp_path):
    path = tmp_path / "pre.npz"
    Likelihood(store, progress=False).precompute(path, scheduler="threads", chunk=32)
    assert_same_precompute(Likelihood(store).load_precompute(path), serial)


def test_bad_scheduler_and_chunk(store):
    with pytest.raises(ValueError, match="'scheduler' must be None, one of 'threads'"):
        Likelihood(store).precompute(scheduler="thread")
    with pytest.raises(TypeError, match="'scheduler' must be None.*got int"):
        Likelihood(store).precompute(scheduler=2)
    with pytest.raises(ValueError, match="'chunk' must be an integer >= 1, got 0"):
        Likelihood(store).precompute(scheduler="threads", chunk=0)
    with pytest.raises(ValueError, match="'split_every' must be an integer >= 2, got 1"):
        Likelihood(store).precompute(scheduler="threads", split_every=1)


class KillingReader:
    """Reads ``observation``'s rows; the first task to read row ``at`` kills its worker."""

    def __init__(self, observation, at: int, marker: str):
        self.observation, self.at, self.marker = observation, at, marker

    def _read(self, rows):
        if rows.start == self.at and not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies holding its results
        return self.observation._read(rows)


@pytest.mark.slow  # a LocalCluster or a spawn pool: nox -s tests-slow
def test_a_worker_killed_mid_graph_does_not_change_the_result(store, serial, client, tmp_path):
    import cloudpickle

    from autojax.scale.dask import precompute

    # the workers cannot import this test module: send KillingReader by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        pids = set(client.run(os.getpid).values())
        marker = tmp_path / "killed"
        reader = KillingReader(store, at=96, marker=str(marker))
        like = precompute(Likelihood(store, progress=False), client, chunk=16, reader=reader)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert marker.exists() and int(marker.read_text()) in pids  # a worker did die
    assert_same_precompute(like, serial)
    client.wait_for_workers(2, timeout=60)  # the nanny has started a new one


def test_a_numba_likelihood_pickles_with_its_precompute(data, obs, store, serial, monkeypatch):
    want = float(serial.log_evidence(*step(data), 1.0))
    for source in (obs, store):
        like = Likelihood(source, progress=False).precompute()
        clone = pickle.loads(pickle.dumps(like))
        assert clone._constants is not None
        assert type(clone.observation) is type(source)

        def no_compute(*args, **kwargs):
            raise AssertionError("the unpickled likelihood recomputed its precompute")

        with monkeypatch.context() as patch:
            patch.setattr("autojax.likelihood._partial_sums", no_compute)
            assert float(clone.log_evidence(*step(data), 1.0)) == pytest.approx(want, rel=1e-12)
    # an observation on disk travels as its path, not its visibilities
    clone = pickle.loads(pickle.dumps(store))
    assert clone.reopen == store.reopen and clone.reopen[0] == "zarr"
    np.testing.assert_array_equal(clone.visibilities[10:20], store.visibilities[10:20])
    # a not yet precomputed likelihood pickles too, and precomputes where it lands
    clone = pickle.loads(pickle.dumps(Likelihood(store, progress=False)))
    assert clone._constants is None
    assert_same_precompute(clone, serial)


def test_a_jax_likelihood_pickles(data, obs, serial):
    pytest.importorskip("jax", reason="the jax extra is missing")
    like = Likelihood(obs, backend="jax", progress=False).precompute()
    clone = pickle.loads(pickle.dumps(like))
    assert type(clone.w_compact) is type(like.w_compact)  # a JAX array again
    want = float(serial.log_evidence(*step(data), 1.0))
    assert float(clone.log_evidence(*step(data), 1.0)) == pytest.approx(want, rel=1e-10)


@pytest.mark.slow  # a LocalCluster or a spawn pool: nox -s tests-slow
def test_log_evidence_in_a_pool_of_two_and_on_a_client(data, serial, client):
    evidence = functools.partial(serial.log_evidence, *step(data))
    want = [float(evidence(c)) for c in COEFFICIENTS]
    # spawn: fresh interpreters, nothing inherited; everything they use came by pickle
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.map(evidence, COEFFICIENTS)
    # rtol 1e-9, not 1e-12: the Cholesky factorization's rounding depends on the number of
    # BLAS threads, and Dask's nanny sets OMP/OPENBLAS/MKL_NUM_THREADS=1 in this process's
    # environment for the workers it starts (the pool inherits it); measured: 4e-11
    np.testing.assert_allclose(got, want, rtol=1e-9)
    got = client.gather(client.map(evidence, COEFFICIENTS))
    np.testing.assert_allclose(got, want, rtol=1e-9)
