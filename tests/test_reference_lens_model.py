"""The visibility-space whole-lens-model reference against the W-tilde references.

``reference.lens_model_inversion_from`` transforms every column of A by a direct Fourier sum
and takes the chi-squared from the residual visibilities; the W-tilde references work from the
dirty image and ``T^T W T``. With one pixelization and no function columns the two are the
same evidence (Re(sigma) = Im(sigma) in DataGenerated).
"""

from __future__ import annotations

import numpy as np
import pytest

from autojax import reference as ref
from autojax.datasets import DataGenerated


@pytest.fixture(scope="module")
def ds():
    return DataGenerated(N=12, K=37, S=29, B=3, P=6)


def _mapping(ds):
    return ref.mapping_matrix_from(
        ds.pix_indexes_for_sub_slim_index, ds.pix_weights_for_sub_slim_index, ds.S
    )


def _dirty_image(ds):
    return ref.dirty_image_from(ds.data, ds.noise_map, ds.uv_wavelengths, ds.grid_radians_slim)


@pytest.mark.parametrize("coefficient", [1.0, 0.37])
def test_one_pixelization_equals_w_tilde_evidence(ds, coefficient):
    h = ref.constant_regularization_matrix_from(coefficient, ds.neighbors, ds.neighbors_sizes)
    got = ref.lens_model_inversion_from(
        ds.data, ds.noise_map, ds.uv_wavelengths, ds.grid_radians_slim, [_mapping(ds)], [h]
    )
    dirty = _dirty_image(ds)
    w_tilde = ref.w_tilde_curvature_interferometer_from(
        ds.noise_map_real, ds.uv_wavelengths, ds.grid_radians_slim
    )
    expected = ref.log_likelihood_function_via_w_tilde_from(
        dirty,
        ds.data,
        ds.noise_map,
        w_tilde,
        ds.pix_indexes_for_sub_slim_index,
        ds.pix_weights_for_sub_slim_index,
        ds.neighbors,
        ds.neighbors_sizes,
        coefficient,
    )
    compact = ref.log_evidence_via_w_compact_from(
        dirty,
        ref.data_chi_squared_complex_from(ds.data, ds.noise_map),
        ref.noise_normalization_complex_from(ds.noise_map),
        ds.w_compact,
        ds.native_index_for_slim_index,
        ds.pix_indexes_for_sub_slim_index,
        ds.pix_weights_for_sub_slim_index,
        ds.neighbors,
        ds.neighbors_sizes,
        coefficient,
    )
    # K = 37 cosine sums in another order, then the evidence's cancellation (|terms| ~ 1e3)
    assert got["log_evidence"] == pytest.approx(expected, rel=1e-11, abs=1e-9)
    assert got["log_evidence"] == pytest.approx(compact, rel=1e-11, abs=1e-9)
    t = _mapping(ds)
    f = t.T @ w_tilde @ t
    np.testing.assert_allclose(got["curvature_matrix"], f, rtol=1e-12, atol=1e-12 * abs(f).max())
    d = t.T @ dirty
    np.testing.assert_allclose(got["data_vector"], d, rtol=1e-12, atol=1e-12 * abs(d).max())
    s = np.linalg.solve(f + h, d)
    np.testing.assert_allclose(got["reconstruction"], s, rtol=1e-9, atol=1e-9 * abs(s).max())


def test_function_columns_ridge_and_pixelization_block(ds):
    """Function columns: F carries the 1e-3 ridge there, the log-dets stay on the pixel block,
    and the evidence's chi-squared is the visibility chi-squared plus the ridge's share."""
    rng = np.random.default_rng(3)
    b = rng.normal(size=(ds.M, 2))
    h = ref.constant_regularization_matrix_from(1.0, ds.neighbors, ds.neighbors_sizes)
    args = (ds.data, ds.noise_map, ds.uv_wavelengths, ds.grid_radians_slim, [_mapping(ds)], [h])
    with_b = ref.lens_model_inversion_from(*args, function_columns=b)
    without = ref.lens_model_inversion_from(*args)
    s_pix = ds.S
    f = with_b["curvature_matrix"]
    np.testing.assert_array_equal(f[:s_pix, :s_pix], without["curvature_matrix"])
    no_ridge = ref.lens_model_inversion_from(*args, function_columns=b, no_regularization_value=0)
    np.testing.assert_allclose(
        np.diagonal(f)[s_pix:] - np.diagonal(no_ridge["curvature_matrix"])[s_pix:], 1e-3, rtol=1e-9
    )
    s = with_b["reconstruction"]
    np.testing.assert_allclose(
        s, np.linalg.solve(f + _padded(h, 2), with_b["data_vector"]), rtol=1e-9
    )
    logdet = np.linalg.slogdet((f + _padded(h, 2))[:s_pix, :s_pix])[1]
    assert with_b["log_det_curvature_reg"] == pytest.approx(logdet, rel=1e-12)
    assert with_b["log_det_regularization"] == without["log_det_regularization"]
    fast = (
        s @ f @ s
        - 2 * s @ with_b["data_vector"]
        + ref.data_chi_squared_complex_from(ds.data, ds.noise_map)
    )
    assert with_b["chi_squared"] + 1e-3 * np.sum(s[s_pix:] ** 2) == pytest.approx(fast, rel=1e-10)


def _padded(h, n_functions):
    """H padded with zero rows and columns for the function columns."""
    out = np.zeros((h.shape[0] + n_functions,) * 2)
    out[: h.shape[0], : h.shape[0]] = h
    return out
