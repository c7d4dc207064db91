"""The datasets: sizes, invariants, and the committed DataLoaded file rebuilding the same."""

from __future__ import annotations

import numpy as np
import pytest

from autojax.datasets import DataGenerated, DataLoaded, _loaded_build


def test_sizes_of_the_contract():
    assert DataLoaded().M == 716
    g = DataGenerated(N=30, K=1024, S=256, B=3, P=32)
    assert (g.M, g.K, g.S, g.B, g.P) == (716, 1024, 256, 3, 32)


def test_generated_sizes_from_environment(monkeypatch):
    monkeypatch.setenv("AUTOJAX_GRID_SIZE", "11")
    monkeypatch.setenv("AUTOJAX_DATA_SIZE", "17")
    monkeypatch.setenv("AUTOJAX_SRC_IMG_SIZE", "23")
    monkeypatch.setenv("AUTOJAX_NEIGHBOR_SIZE", "4")
    monkeypatch.setenv("AUTOJAX_N_MAPPING_NEIGHBORS", "2")
    g = DataGenerated()
    assert (g.N, g.K, g.S, g.P, g.B) == (11, 17, 23, 4, 2)
    monkeypatch.setenv("AUTOJAX_DATA_SIZE", "many")
    with pytest.raises(ValueError, match="AUTOJAX_DATA_SIZE"):
        DataGenerated()


def test_generated_is_deterministic():
    a, b = DataGenerated(N=9, K=5, S=7, P=3), DataGenerated(N=9, K=5, S=7, P=3)
    for name in (
        "uv_wavelengths",
        "data",
        "noise_map",
        "dirty_image",
        "neighbors",
        "pix_weights_for_sub_slim_index",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize(
    "ds", [DataLoaded(), DataGenerated(N=13, K=7, S=40, P=5, ragged=0.5)], ids=repr
)
def test_invariants(ds):
    nb, sizes = ds.neighbors, ds.neighbors_sizes
    assert np.array_equal((nb >= 0).sum(axis=1), sizes)
    for i in range(ds.S):
        row = nb[i, : sizes[i]]
        assert np.all(np.diff(row) > 0) and i not in row
        for j in row:
            assert i in nb[j, : sizes[j]], "neighbour graph must be symmetric"
    valid = np.cumprod(ds.pix_indexes_for_sub_slim_index >= 0, axis=1).astype(bool)
    np.testing.assert_allclose(
        np.where(valid, ds.pix_weights_for_sub_slim_index, 0).sum(axis=1), 1.0, rtol=1e-12
    )
    assert np.all(valid[:, 0]), "every image pixel maps somewhere"
    assert ds.native_index_for_slim_index.max() < ds.N
    np.testing.assert_array_equal(ds.mask[~ds.mask].shape[0], ds.M)


def test_loaded_is_realistic():
    ds = DataLoaded()
    uv = np.hypot(*ds.uv_wavelengths.T)
    assert ds.K == 190 and 1e3 < uv.min() and uv.max() < 1e6
    assert 300 <= ds.S <= 700 and ds.B == 3
    np.testing.assert_array_equal(ds.noise_map.real, ds.noise_map.imag)


def test_loaded_file_rebuilds():
    """The committed .npz is what the builder makes from its seed (nox -s dataset -- --check)."""
    assert _loaded_build.main(["--check"]) == 0
