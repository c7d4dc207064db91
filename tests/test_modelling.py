"""The modeller's layer: Mask, Observation (FITS included) and Likelihood, in every backend."""

from __future__ import annotations

import numpy as np
import pytest

from autojax import backends
from autojax import reference as ref
from autojax.datasets import DataGenerated, DataLoaded
from autojax.likelihood import Likelihood
from autojax.observation import Mask, Observation

BACKENDS = [b for b in ("numba", "jax", "xp") if backends.available()[b] is None]

DATASETS = {
    "DataLoaded": DataLoaded,
    "DataGenerated": lambda: DataGenerated(N=14, K=97, S=60, B=3, P=6, ragged=0.3, consistent=True),
}


@pytest.fixture(scope="module", params=list(DATASETS))
def dataset(request):
    return DATASETS[request.param]()


def step_args(d):
    return (
        d.pix_indexes_for_sub_slim_index,
        d.pix_weights_for_sub_slim_index,
        d.neighbors,
        d.neighbors_sizes,
    )


# ----------------------------------------------------------------------------- Mask
def test_mask_matches_the_datasets_geometry(dataset):
    mask = Mask(dataset.mask, dataset.pixel_scale)
    assert mask.pixels == dataset.M
    assert mask.grid_size == dataset.grid_size
    np.testing.assert_array_equal(
        mask.native_index_for_slim_index, dataset.native_index_for_slim_index
    )
    np.testing.assert_allclose(
        mask.grid_radians_slim, dataset.grid_radians_slim, rtol=0, atol=1e-18
    )
    image = mask.to_native(np.arange(mask.pixels, dtype=float))
    assert np.isnan(image[dataset.mask]).all()
    assert (image[~dataset.mask] == np.arange(mask.pixels)).all()


def test_circular_mask_is_the_kernel_rule():
    d = DataGenerated(N=14, K=5, S=10)
    mask = Mask.circular(d.mask.shape, d.pixel_scale, d.radius)
    np.testing.assert_array_equal(mask.array, d.mask)


@pytest.mark.parametrize(
    "array, scale, error, words",
    [
        (np.zeros((4, 4)), 0.1, TypeError, "bool"),
        (np.ones((4, 4), bool), 0.1, ValueError, "every pixel is masked"),
        (np.zeros((4, 4), bool), 0.0, ValueError, "pixel_scale"),
        (np.zeros((4, 4), bool), np.nan, ValueError, "pixel_scale"),
    ],
)
def test_bad_masks_are_refused(array, scale, error, words):
    with pytest.raises(error, match=words):
        Mask(array, scale)


# ----------------------------------------------------------------------- Observation
def test_observation_refuses_inconsistent_or_bad_arrays():
    d = DataLoaded()
    mask = Mask(d.mask, d.pixel_scale)
    with pytest.raises(ValueError, match="'noise_map' has 189 rows"):
        Observation(d.data, d.noise_map[:-1], d.uv_wavelengths, mask)
    with pytest.raises(ValueError, match="'visibilities' holds NaN"):
        Observation(
            np.where(np.arange(d.K) == 3, np.nan, d.data), d.noise_map, d.uv_wavelengths, mask
        )
    with pytest.raises(ValueError, match="positive"):
        Observation(d.data, d.noise_map * 0, d.uv_wavelengths, mask)
    with pytest.raises(ValueError, match="'uv_wavelengths' must be real of shape"):
        Observation(d.data, d.noise_map, d.uv_wavelengths[:, :1], mask)
    with pytest.raises(TypeError, match="autojax.Mask"):
        Observation(d.data, d.noise_map, d.uv_wavelengths, d.mask)


def test_fits_round_trip_with_big_endian_data(tmp_path):
    fits = pytest.importorskip("astropy.io.fits", reason="FITS needs the io extra (astropy)")
    d = DataLoaded()
    obs = Observation.from_dataset(d)
    obs.to_fits(tmp_path)
    # what astropy hands back is big-endian; the observation stores native arrays
    on_disk = fits.getdata(tmp_path / "data.fits")
    assert on_disk.dtype.byteorder == ">"
    back = Observation.from_fits(tmp_path, obs.mask)
    for name in ("visibilities", "noise_map", "uv_wavelengths"):
        array = getattr(back, name)
        assert array.dtype.isnative and array.flags.c_contiguous
        np.testing.assert_array_equal(array, getattr(obs, name))
    # big-endian tables given directly (a (K, 2) real table for the complex data)
    table = np.stack([d.data.real, d.data.imag], axis=1).astype(">f8")
    direct = Observation(
        table, d.noise_map.astype(">c16"), d.uv_wavelengths.astype(">f8"), obs.mask
    )
    np.testing.assert_array_equal(direct.visibilities, obs.visibilities)
    lk = Likelihood(back)
    assert lk.log_evidence(*step_args(d)) == pytest.approx(
        Likelihood(obs).log_evidence(*step_args(d)), rel=1e-14
    )
    with pytest.raises(FileNotFoundError):
        Observation.from_fits(tmp_path / "missing", obs.mask)


def test_mask_from_fits(tmp_path):
    fits = pytest.importorskip("astropy.io.fits", reason="FITS needs the io extra (astropy)")
    d = DataLoaded()
    fits.PrimaryHDU(d.mask.astype(">i2")).writeto(tmp_path / "mask.fits")
    mask = Mask.from_fits(tmp_path / "mask.fits", d.pixel_scale)
    np.testing.assert_array_equal(mask.array, d.mask)


# ------------------------------------------------------------------------ Likelihood
@pytest.mark.parametrize("backend", BACKENDS)
def test_evidence_equals_the_loose_kernels(dataset, backend):
    """The object's evidence is the compact-form likelihood kernel's, to 1e-12."""
    kernels = backends.load(backend)
    obs = Observation.from_dataset(dataset)
    lk = Likelihood(obs, backend=backend)
    value = float(lk.log_evidence(*step_args(dataset), 1.7))
    loose = float(
        kernels.log_likelihood_function_via_w_compact_from(
            dataset.dirty_image,
            dataset.data,
            dataset.noise_map,
            dataset.w_compact,
            dataset.native_index_for_slim_index,
            *step_args(dataset),
            1.7,
        )
    )
    assert value == pytest.approx(loose, rel=1e-12, abs=0)
    np.testing.assert_allclose(
        np.asarray(lk.dirty_image),
        dataset.dirty_image,
        rtol=1e-12,
        atol=1e-12 * np.abs(dataset.dirty_image).max(),
    )
    np.testing.assert_allclose(
        np.asarray(lk.w_compact),
        dataset.w_compact,
        rtol=0,
        atol=1e-12 * np.abs(dataset.w_compact).max(),
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_is_the_visibility_space_fit(backend):
    """chi-squared and residual dirty image against a dense evaluation from the visibilities."""
    d = DATASETS["DataGenerated"]()
    lk = Likelihood(Observation.from_dataset(d), backend=backend)
    fit = lk.fit(*step_args(d), 0.8)
    t = ref.mapping_matrix_from(
        d.pix_indexes_for_sub_slim_index, d.pix_weights_for_sub_slim_index, d.S
    )
    transfer = np.exp(-1j * ref._phases(d.grid_radians_slim, d.uv_wavelengths)).T  # (K, M)
    model = transfer @ (t @ fit.reconstruction)
    residual = d.data - model
    chi2 = np.sum(residual.real**2 / d.noise_map.real**2 + residual.imag**2 / d.noise_map.imag**2)
    assert fit.chi_squared == pytest.approx(chi2, rel=1e-9)
    phase = ref._phases(d.grid_radians_slim, d.uv_wavelengths)
    dirty_residual = np.cos(phase) @ (residual.real / d.noise_map.real**2) - np.sin(phase) @ (
        residual.imag / d.noise_map.imag**2
    )
    np.testing.assert_allclose(
        fit.residual_dirty_image, dirty_residual, rtol=0, atol=1e-9 * np.abs(dirty_residual).max()
    )
    np.testing.assert_allclose(fit.mapped_image, t @ fit.reconstruction, rtol=1e-12, atol=1e-14)
    h = ref.constant_regularization_matrix_from(0.8, d.neighbors, d.neighbors_sizes)
    assert fit.regularization_term == pytest.approx(
        fit.reconstruction @ h @ fit.reconstruction, rel=1e-12
    )
    assert fit.log_evidence == pytest.approx(float(lk.log_evidence(*step_args(d), 0.8)), rel=1e-14)
    assert fit.mask.to_native(fit.residual_dirty_image).shape == d.mask.shape


def test_precompute_is_lazy_and_once(monkeypatch):
    d = DataLoaded()
    lk = Likelihood(Observation.from_dataset(d), backend="numba")
    calls = []
    original = lk.kernels.dirty_image_from
    monkeypatch.setattr(
        lk.kernels, "dirty_image_from", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    assert "not yet precomputed" in repr(lk)
    lk.log_evidence(*step_args(d))
    lk.log_evidence(*step_args(d))
    _ = lk.dirty_image
    assert calls == [1]
    assert "precomputed" in repr(lk)


def test_progress_bar_and_chunks_agree(monkeypatch, capsys):
    """Chunked precompute (forced small chunks) gives the same constants, with a bar."""
    from autojax import likelihood as module

    d = DataLoaded()
    whole = Likelihood(Observation.from_dataset(d), progress=False).precompute()
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(module, "CHUNK", 50)
    chunked = Likelihood(Observation.from_dataset(d), progress=True).precompute()
    err = capsys.readouterr().err
    assert "precompute" in err and "190" in err
    for name in ("w_compact", "dirty_image"):
        a, b = getattr(whole, name), getattr(chunked, name)
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-12 * np.abs(a).max())
    assert chunked.chi_squared_data == pytest.approx(whole.chi_squared_data, rel=1e-14)
    assert chunked.noise_normalization == pytest.approx(whole.noise_normalization, rel=1e-14)


def test_choices_are_explicit_and_checked():
    obs = Observation.from_dataset(DataLoaded())
    with pytest.raises(ValueError, match="'backend' must be one of"):
        Likelihood(obs, backend="original")
    with pytest.raises(ValueError, match="curvature method"):
        Likelihood(obs, backend="numba", method="fancy")
    with pytest.raises(ValueError, match="precompute_method"):
        Likelihood(obs, precompute_method="fancy")
    with pytest.raises(TypeError, match="Observation"):
        Likelihood("obs")
    uneven = Observation(
        obs.visibilities, obs.noise_map * (1 + 0.5j) / (1 + 1j), obs.uv_wavelengths, obs.mask
    )
    with pytest.raises(ValueError, match=r"Re\(sigma\) == Im\(sigma\)"):
        Likelihood(uneven)


# ----------------------------------------------------------------- JAX transformations
@pytest.fixture(scope="module")
def jax_likelihood():
    if "jax" not in BACKENDS:
        pytest.skip("the JAX backend is not installed (the jax extra)")
    d = DataLoaded()
    return d, Likelihood(Observation.from_dataset(d), backend="jax")


def test_jit_equals_eager(jax_likelihood):
    import jax

    d, lk = jax_likelihood
    step = jax.jit(Likelihood.log_evidence)
    assert float(step(lk, *step_args(d), 1.3)) == pytest.approx(
        float(lk.log_evidence(*step_args(d), 1.3)), rel=1e-13
    )


def test_vmap_over_a_batch_of_mappings(jax_likelihood):
    import jax
    import jax.numpy as jnp

    d, lk = jax_likelihood
    rng = np.random.default_rng(3)
    weights = [
        d.pix_weights_for_sub_slim_index * rng.uniform(0.8, 1.2, size=(d.M, 1)) for _ in range(3)
    ]
    indexes = jnp.stack([d.pix_indexes_for_sub_slim_index] * 3)
    batched = jax.jit(jax.vmap(Likelihood.log_evidence, in_axes=(None, 0, 0, None, None, None)))
    values = batched(lk, indexes, jnp.stack(weights), d.neighbors, d.neighbors_sizes, 1.0)
    singles = [
        float(
            lk.log_evidence(
                d.pix_indexes_for_sub_slim_index, w, d.neighbors, d.neighbors_sizes, 1.0
            )
        )
        for w in weights
    ]
    np.testing.assert_allclose(np.asarray(values), singles, rtol=1e-12)


def test_grad_matches_finite_differences(jax_likelihood):
    import jax

    d, lk = jax_likelihood
    indexes, weights, neighbors, sizes = step_args(d)
    grad_w, grad_c = jax.grad(Likelihood.log_evidence, argnums=(2, 5))(
        lk, indexes, weights, neighbors, sizes, 1.3
    )

    def value(w=weights, c=1.3):
        return float(lk.log_evidence(indexes, w, neighbors, sizes, c))

    h = 1e-4
    fd_c = (value(c=1.3 + h) - value(c=1.3 - h)) / (2 * h)
    assert float(grad_c) == pytest.approx(fd_c, rel=1e-6)
    for row, col in [(0, 0), (100, 1), (d.M - 1, 2)]:
        step = np.zeros_like(weights)
        step[row, col] = h
        fd = (value(w=weights + step) - value(w=weights - step)) / (2 * h)
        assert float(grad_w[row, col]) == pytest.approx(fd, rel=1e-5, abs=1e-6)
