"""The saved precompute: loaded only when its fingerprint matches, written atomically."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

from autojax import Likelihood, Observation
from autojax.datasets import DataLoaded

NAMES = ("w_compact", "dirty_image", "chi_squared_data", "noise_normalization")


@pytest.fixture(scope="module")
def obs():
    return Observation.from_dataset(DataLoaded())


@pytest.fixture(scope="module")
def fresh(obs):
    like = Likelihood(obs, progress=False).precompute()
    return {name: np.asarray(getattr(like, name)) for name in NAMES}


def constants(like):
    return {name: np.asarray(like._constants[name]) for name in NAMES}


def test_save_then_load_is_the_same_and_skips_the_precompute(obs, fresh, tmp_path, monkeypatch):
    path = tmp_path / "run" / "pre.npz"
    first = Likelihood(obs, progress=False).precompute(path)  # computes and saves
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["pre.npz"]  # no temporary left
    for name in NAMES:
        np.testing.assert_array_equal(constants(first)[name], fresh[name])
    # a restart: loaded, the chunked precompute never runs

    def no_compute(*args, **kwargs):
        raise AssertionError("the precompute ran although a matching file exists")

    again = Likelihood(obs, progress=False)
    for kernel in ("w_compact_curvature_interferometer_from", "dirty_image_from"):
        monkeypatch.setattr(again.kernels, kernel, no_compute)
    again.precompute(path)
    for name in NAMES:
        np.testing.assert_array_equal(constants(again)[name], fresh[name])
    assert Likelihood(obs).load_precompute(path)._constants is not None


def test_fingerprint_is_the_same_for_a_zarr_copy(obs, tmp_path):
    pytest.importorskip("zarr", reason="the ms extra (zarr) is missing")
    path = Likelihood(obs, progress=False).save_precompute(tmp_path / "pre.npz")
    streamed = Observation.from_zarr(obs.to_zarr(tmp_path / "obs.zarr", chunk=64))
    like = Likelihood(streamed, progress=False).load_precompute(path)
    np.testing.assert_array_equal(np.asarray(like.dirty_image), np.asarray(
        Likelihood(obs, progress=False).dirty_image))  # fmt: skip


def test_mismatched_inputs_are_named(obs, tmp_path):
    path = Likelihood(obs, progress=False).save_precompute(tmp_path / "pre.npz")
    with pytest.raises(
        ValueError, match=r"pre\.npz: the saved precompute is of other inputs \(eps"
    ):
        Likelihood(obs, eps=1e-10).precompute(path)
    changed = obs.visibilities.copy()
    changed[5] += 1.0
    other = Observation(changed, obs.noise_map, obs.uv_wavelengths, obs.mask)
    with pytest.raises(ValueError, match=r"pre\.npz.*\(visibilities differ"):
        Likelihood(other).precompute(path)
    from autojax import Mask

    shifted = Mask(obs.mask.array, obs.mask.pixel_scale, origin=(0.1, 0.0))
    other = Observation(obs.visibilities, obs.noise_map, obs.uv_wavelengths, shifted)
    with pytest.raises(ValueError, match=r"\(origin differ"):
        Likelihood(other).load_precompute(path)


def test_damaged_files_never_load(obs, tmp_path):
    path = Likelihood(obs, progress=False).save_precompute(tmp_path / "pre.npz")
    whole = path.read_bytes()
    # truncated at several places
    for size in (0, 10, len(whole) // 2, len(whole) - 1):
        path.write_bytes(whole[:size])
        with pytest.raises(ValueError, match=r"pre\.npz: damaged or not an autojax precompute"):
            Likelihood(obs).precompute(path)
    # the arrays replaced by others of the same shape (a valid zip): the checksum fails
    (tmp_path / "copy.npz").write_bytes(whole)
    with np.load(tmp_path / "copy.npz") as stored:
        entries = {name: stored[name] for name in stored.files}
    entries["w_compact"] = entries["w_compact"] * (1 + 1e-15)
    with open(path, "wb") as stream:
        np.savez(stream, **entries)
    with pytest.raises(ValueError, match=r"pre\.npz: damaged precompute file \(the checksum"):
        Likelihood(obs).precompute(path)
    # not an npz at all
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"pre\.npz: damaged or not"):
        Likelihood(obs).load_precompute(path)
    with pytest.raises(FileNotFoundError, match="no precompute file"):
        Likelihood(obs).load_precompute(tmp_path / "absent.npz")


def test_flipped_byte_is_caught(obs, tmp_path):
    path = Likelihood(obs, progress=False).save_precompute(tmp_path / "pre.npz")
    data = bytearray(path.read_bytes())
    # a byte inside the stored w_compact (well past the zip member's header)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("w_compact.npy")
    data[info.header_offset + 200] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"pre\.npz: damaged"):
        Likelihood(obs).precompute(path)


def test_a_write_killed_midway_leaves_nothing_that_loads(obs, tmp_path, monkeypatch):
    path = tmp_path / "pre.npz"
    like = Likelihood(obs, progress=False)
    Likelihood(obs, progress=False, eps=1e-10).save_precompute(path)  # an older file
    old = path.read_bytes()

    def killed(src, dst):
        raise KeyboardInterrupt  # stands for the process dying before the rename

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        like.save_precompute(path)
    monkeypatch.undo()
    assert path.read_bytes() == old  # the old, complete file: still a mismatch, not a mix
    assert [p.name for p in tmp_path.iterdir()] == ["pre.npz"]
    with pytest.raises(ValueError, match=r"\(eps differ"):
        Likelihood(obs).precompute(path)


def test_a_killed_process_leaves_no_file(obs, tmp_path):
    """A real SIGKILL between writing the temporary file and the rename."""
    import subprocess
    import sys

    script = f"""
import os, signal
import numpy as np
import autojax.precompute as p
from autojax import Likelihood, Observation
from autojax.datasets import DataLoaded
like = Likelihood(Observation.from_dataset(DataLoaded()), progress=False)
like._constants = {{"w_compact": np.ones((3, 5)), "dirty_image": np.ones(4),
    "chi_squared_data": 1.0, "noise_normalization": 2.0}}
os.replace = lambda a, b: os.kill(os.getpid(), signal.SIGKILL)
p.save(like, {str(tmp_path / "pre.npz")!r})
"""
    env = {**os.environ, "AUTOJAX_DATA_SIZE": os.environ.get("AUTOJAX_DATA_SIZE", "128")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    assert not (tmp_path / "pre.npz").exists()
    # the temporary left behind is never what precompute(path) reads
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert leftovers and all(name.startswith(".pre.npz.") for name in leftovers)
    like = Likelihood(obs, progress=False).precompute(tmp_path / "pre.npz")  # computes
    assert (tmp_path / "pre.npz").is_file() and like._constants is not None
