"""The upstream quirks ``original`` must keep, checked against the reference directly."""

from __future__ import annotations

import numpy as np
from conftest import assert_close, get_dataset

import autojax.original as original
from autojax import reference as ref


def test_w_tilde_data_keeps_the_upstream_weight():
    """The weight is (noise^2/vis)^2, not vis/noise^2; the 5th argument is ignored."""
    ds = get_dataset("S<<M")
    got = original.w_tilde_data_interferometer_from(
        ds.visibilities_real, ds.noise_map_real, ds.uv_wavelengths, ds.grid_radians_slim, None
    )
    phase = (
        2
        * np.pi
        * (
            np.outer(ds.grid_radians_slim[:, 1], ds.uv_wavelengths[:, 0])
            + np.outer(ds.grid_radians_slim[:, 0], ds.uv_wavelengths[:, 1])
        )
    )
    assert_close(got, np.cos(phase) @ (ds.noise_map_real**2 / ds.visibilities_real) ** 2)


def test_mapping_matrix_uses_sub_fraction_of_the_image_pixel():
    """With sub-gridding, several sub-pixels feed one image pixel, scaled by sub_fraction[slim]."""
    rng = np.random.default_rng(7)
    m, sub, s, b = 9, 4, 13, 3
    slim = np.repeat(np.arange(m), sub)  # 4 sub-pixels per image pixel
    idx = rng.integers(0, s, size=(m * sub, b))
    size = rng.integers(1, b + 1, size=m * sub)
    idx = np.where(np.arange(b) < size[:, None], idx, -1)
    w = rng.random((m * sub, b))
    frac = rng.random(m)
    got = original.mapping_matrix_from(idx, size, w, s, m, slim, frac)
    assert_close(got, ref.mapping_matrix_original_from(idx, size, w, s, m, slim, frac))


def test_preload_quadrants_follow_negative_indexing():
    """W[a,b] = P[row_b-row_a, col_b-col_a] for every pair, including negative offsets."""
    ds = get_dataset("S>>M")
    preload = original.w_tilde_curvature_preload_interferometer_from(
        ds.noise_map_real, ds.uv_wavelengths, ds.shape_masked_pixels_2d, ds.grid_radians_2d
    )
    w = ref.w_tilde_curvature_interferometer_from(
        ds.noise_map_real, ds.uv_wavelengths, ds.grid_radians_slim
    )
    r, c = ds.native_index_for_slim_index.T
    assert_close(preload[r[None, :] - r[:, None], c[None, :] - c[:, None]], w)
    ny, nx = ds.shape_masked_pixels_2d
    assert np.all(preload[ny, :] == 0) and np.all(preload[:, nx] == 0), (
        "offsets +-N are never stored"
    )


def test_preload_crops_a_larger_grid():
    """DataLoaded's grid is 100 x 100; the preload only uses the 30 x 30 box's offsets."""
    ds = get_dataset("DataLoaded")
    assert ds.grid_radians_2d.shape[:2] == (100, 100)
    got = original.w_tilde_curvature_preload_interferometer_from(
        *ds.args_for(original.w_tilde_curvature_preload_interferometer_from)
    )
    assert got.shape == (60, 60)
    assert_close(got, ds.w_tilde_preload)


def test_curvature_from_preload_diagonal_pass():
    """An image pixel mapping twice to one source pixel: the a == b terms enter once per ordered pair."""
    preload = np.zeros((2, 2))
    preload[0, 0] = 2.0
    idx = np.array([[0, 0]])
    size = np.array([2])
    w = np.array([[0.25, 0.75]])
    got = original.curvature_matrix_via_w_tilde_curvature_preload_interferometer_from(
        preload, idx, size, w, np.array([[0, 0]]), 1
    )
    assert_close(got, np.array([[2.0 * (0.25 + 0.75) ** 2]]))


def test_mask_matches_the_contracts_count():
    mask = original.mask_2d_circular_from((30, 30), (0.2, 0.2), 3.0)
    assert mask.dtype == np.bool_ and int((~mask).sum()) == 716
    assert original.mask_2d_centres_from((30, 30), (0.2, 0.2), (0.4, -0.2)) == (
        14.5 - 2.0,
        14.5 - 1.0,
    )


def test_mask_boundary_compares_squares():
    """At N=9, 0.2 arcsec, 8 pixels have d^2 = 1.0000000000000002 > r^2 but sqrt(d^2) == r: masked."""
    got = original.mask_2d_circular_from((9, 9), (0.2, 0.2), 1.0)
    np.testing.assert_array_equal(got, ref.mask_2d_circular_from((9, 9), (0.2, 0.2), 1.0))
