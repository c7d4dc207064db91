"""Many JAX devices (autojax.scale.sharding) against one device, on forced CPU host devices.

``XLA_FLAGS=--xla_force_host_platform_device_count`` must be set before JAX starts, so the
sharded runs happen in subprocesses; each compares its sharded results with the
one-device ones it computes itself and prints the largest relative differences as JSON.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("jax")

from autojax import Likelihood, Observation  # noqa: E402
from autojax.datasets import DataLoaded  # noqa: E402
from autojax.scale import sharding  # noqa: E402

# shared by the subprocesses: DataLoaded, 5 walkers (weights and coefficients differ)
SETUP = """
import json, os, sys
import numpy as np
import jax
from autojax import Likelihood, Observation
from autojax.datasets import DataLoaded
from autojax.scale import sharding

ds = DataLoaded()
obs = Observation.from_dataset(ds)
rng = np.random.default_rng(7)
walkers = 5
pix = np.stack([ds.pix_indexes_for_sub_slim_index] * walkers)
weights = ds.pix_weights_for_sub_slim_index
weights = np.stack([weights * (1 + 0.05 * rng.standard_normal(weights.shape)) for _ in pix])
coefficient = np.linspace(0.5, 2.0, walkers)
NAMES = ("w_compact", "dirty_image", "chi_squared_data", "noise_normalization")

def relative(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.abs(a - b).max() / np.abs(b).max())

def precompute_differences(mesh, method, chunk):
    one = Likelihood(obs, backend="jax", precompute_method=method, progress=False)
    many = sharding.precompute(
        Likelihood(obs, backend="jax", precompute_method=method), mesh=mesh, chunk=chunk
    )
    return {n: relative(getattr(many, n), getattr(one, n)) for n in NAMES}

def batch_difference(mesh):
    like = Likelihood(obs, backend="jax", progress=False)
    single = [
        float(like.log_evidence(pix[i], weights[i], ds.neighbors, ds.neighbors_sizes, c))
        for i, c in enumerate(coefficient)
    ]
    batch = like.log_evidence_batch(
        pix, weights, ds.neighbors, ds.neighbors_sizes, coefficient, mesh=mesh
    )
    assert batch.shape == (walkers,), batch.shape
    return relative(batch, single)
"""

FOUR_DEVICES = """
assert len(jax.devices()) == 4, jax.devices()
from jax.sharding import Mesh
square = Mesh(np.asarray(jax.devices()).reshape(2, 2), ("a", "b"))
print(json.dumps({
    "batch, 4 devices": batch_difference("auto"),
    "precompute exact, chunks of 20": precompute_differences("auto", "exact", 20),
    "precompute nufft, 2 x 2 mesh": precompute_differences(square, "nufft", 2**18),
}))
"""

TWO_PROCESSES = """
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(
    coordinator_address=sys.argv[1], num_processes=2, process_id=int(sys.argv[2])
)
assert len(jax.devices()) == 4 and len(jax.local_devices()) == 2, jax.devices()
result = {
    "batch": batch_difference("auto"),
    "precompute": precompute_differences("auto", "exact", 20),
}
jax.distributed.shutdown()
print(json.dumps(result))
"""


def _run(code: str, devices: int, *args: str, wait: bool = True):
    env = dict(os.environ)
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    env["JAX_PLATFORMS"] = "cpu"
    script = textwrap.dedent(SETUP) + textwrap.dedent(code)
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return _result(process) if wait else process


def _result(process) -> dict:
    try:
        out, err = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"a sharded run did not finish in 240 s; stderr:\n{err[-3000:]}")
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _flat(result: dict) -> dict:
    flat = {}
    for name, value in result.items():
        if isinstance(value, dict):
            flat.update({f"{name}: {n}": v for n, v in value.items()})
        else:
            flat[name] = value
    return flat


@pytest.mark.slow  # subprocesses that start JAX and compile the step: nox -s tests-slow
def test_four_devices_equal_one_device():
    """5 walkers over 4 devices (padded to 8) and the K-sharded precompute, to 1e-12.

    K = 190 over 4 devices: in chunks of 20 per device two full blocks, a block of 7 per
    device and 2 left over; on the 2 x 2 mesh one block of 47 per device and 2 left over.
    """
    differences = _flat(_run(FOUR_DEVICES, 4))
    assert len(differences) == 1 + 2 * 4
    for name, difference in differences.items():
        assert difference <= 1e-12, (name, difference)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # subprocesses that start JAX and compile the step: nox -s tests-slow
def test_two_processes_jax_distributed():
    """Two processes on localhost (2 CPU devices each, gloo collectives), one global mesh."""
    address = f"localhost:{_free_port()}"
    processes = [_run(TWO_PROCESSES, 2, address, str(rank), wait=False) for rank in (0, 1)]
    results = [_result(p) for p in processes]
    for rank, result in enumerate(results):
        for name, difference in _flat(result).items():
            assert difference <= 1e-12, (rank, name, difference)


# ----------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def loaded():
    ds = DataLoaded()
    return ds, Observation.from_dataset(ds)


def test_bad_input(loaded):
    ds, obs = loaded
    like = Likelihood(obs, backend="jax", progress=False)
    pix, weights = ds.pix_indexes_for_sub_slim_index, ds.pix_weights_for_sub_slim_index
    graph = (ds.neighbors, ds.neighbors_sizes)
    batch = (np.stack([pix] * 2), np.stack([weights] * 2))
    with pytest.raises(ValueError, match=r"'pix_indexes_for_sub_slim_index' must be 3-d"):
        like.log_evidence_batch(pix, weights, *graph)
    with pytest.raises(ValueError, match=r"different numbers of walkers.*'coefficient' 3"):
        like.log_evidence_batch(*batch, *graph, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"'neighbors' must be 3-d .* or 2-d"):
        like.log_evidence_batch(*batch, ds.neighbors[0], ds.neighbors_sizes)
    with pytest.raises(ValueError, match=r"the batch is empty"):
        like.log_evidence_batch(pix[None][:0], weights[None][:0], *graph)
    with pytest.raises(ValueError, match=r"'mesh' must be None, 'auto' or a jax"):
        like.log_evidence_batch(*batch, *graph, mesh="all")
    with pytest.raises(TypeError, match=r"'mesh' must be None, 'auto' or a jax.*list"):
        sharding.precompute(like, mesh=[0, 1])
    with pytest.raises(ValueError, match=r"'chunk' must be a positive integer"):
        sharding.precompute(like, chunk=0)
    numba = Likelihood(obs, backend="numba", progress=False)
    with pytest.raises(ValueError, match=r"needs Likelihood\(\.\.\., backend='jax'\)"):
        numba.log_evidence_batch(*batch, *graph)
    with pytest.raises(TypeError, match=r"'likelihood' must be an autojax.Likelihood"):
        sharding.precompute(obs)
    with pytest.raises(ValueError, match=r"'devices' is empty"):
        sharding.device_mesh([])


def test_batch_on_one_device_shares_arguments(loaded):
    """Shared neighbours and one coefficient broadcast to every walker; mesh=None vmaps."""
    ds, obs = loaded
    like = Likelihood(obs, backend="jax", progress=False)
    pix, weights = ds.pix_indexes_for_sub_slim_index, ds.pix_weights_for_sub_slim_index
    scaled = np.stack([weights, weights * 1.01, weights * 0.99])
    values = like.log_evidence_batch(
        np.stack([pix] * 3), scaled, ds.neighbors, ds.neighbors_sizes, 1.5
    )
    assert isinstance(values, np.ndarray) and values.shape == (3,)
    for w, value in zip(scaled, values):
        single = float(like.log_evidence(pix, w, ds.neighbors, ds.neighbors_sizes, 1.5))
        assert value == pytest.approx(single, rel=1e-12)
