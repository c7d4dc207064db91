"""The methods of one result: ``method=`` keywords, the ``auto`` rule, the likelihood policy.

Each per-method kernel is also exported on its own and checked against the reference on
every dataset by ``test_kernels.py``; here the seed-named dispatchers are called with each
method their backend has, on awkward lattices (a box that is not square, a single row, a
single pixel), and the likelihood's coefficient and ``-inf`` policy are checked.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, backend_name, get_dataset

from autojax import reference as ref
from autojax.datasets import DataGenerated

CURVATURE = "curvature_matrix_via_w_compact_sparse_mapping_matrix_from"
LIKELIHOOD = "log_likelihood_function_via_w_compact_from"
GENERATED = ("numba", "jax", "xp")


class Cropped:
    """A DataGenerated whose image pixels are cut to a sub-box of the lattice.

    ``rows``/``cols`` select the kept pixels by their native position, so the mask's
    bounding box is not square (or is one row, one pixel) while the compact form keeps
    its N x (2N - 1) shape.
    """

    def __init__(self, base: DataGenerated, rows: tuple[int, int], cols: tuple[int, int]):
        native = base.native_index_for_slim_index
        keep = (
            (native[:, 0] >= rows[0])
            & (native[:, 0] < rows[1])
            & (native[:, 1] >= cols[0])
            & (native[:, 1] < cols[1])
        )
        self.name = f"cropped{rows}{cols}"
        self.w_compact = base.w_compact
        self.native_index_for_slim_index = np.ascontiguousarray(native[keep])
        self.pix_indexes_for_sub_slim_index = np.ascontiguousarray(
            base.pix_indexes_for_sub_slim_index[keep]
        )
        self.pix_weights_for_sub_slim_index = np.ascontiguousarray(
            base.pix_weights_for_sub_slim_index[keep]
        )
        self.pixels = base.pixels

    def args(self):
        return (
            self.w_compact,
            self.native_index_for_slim_index,
            self.pix_indexes_for_sub_slim_index,
            self.pix_weights_for_sub_slim_index,
            self.pixels,
        )

    def expected(self):
        return ref.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(*self.args())


_BASE = DataGenerated(N=15, K=23, S=37, B=3, P=5, ragged=0.3)
CROPS = {
    "wide box": Cropped(_BASE, (4, 8), (0, 15)),
    "tall box": Cropped(_BASE, (0, 15), (6, 9)),
    "one row": Cropped(_BASE, (7, 8), (0, 15)),
    "one pixel": Cropped(_BASE, (7, 8), (7, 8)),
}


def _generated(backend):
    name = backend_name(backend)
    if name not in GENERATED:
        pytest.skip(f"{name} keeps the upstream function without methods")
    return name


@pytest.mark.parametrize("crop", list(CROPS))
def test_every_curvature_method_on_awkward_boxes(backend, crop):
    _generated(backend)
    data = CROPS[crop]
    func = getattr(backend, CURVATURE)
    for method in ("auto", *backend.METHODS[CURVATURE]):
        assert_close(
            func(*data.args(), method=method),
            data.expected(),
            err_msg=f"{backend_name(backend)} {CURVATURE} method={method} on {crop}",
        )


@pytest.mark.parametrize("name", ["DataLoaded", "small-K1-ragged", "S>>M", "S<<M"])
def test_every_likelihood_method_matches_reference(backend, name):
    _generated(backend)
    ds = get_dataset(name)
    func = getattr(backend, LIKELIHOOD)
    want = ref.log_likelihood_function_via_w_compact_from(*ds.args_for(func))
    for method in ("auto", *backend.METHODS[CURVATURE]):
        got = float(func(*ds.args_for(func), method=method))
        assert_close(got, want, err_msg=f"{backend_name(backend)} method={method} on {name}")


def test_unknown_or_missing_method_names_backend_and_choices(backend):
    name = _generated(backend)
    ds = get_dataset("S<<M")
    func = getattr(backend, CURVATURE)
    with pytest.raises(ValueError, match=rf"argument 'method'.*'nope'.*{name} backend has auto"):
        func(*ds.args_for(func), method="nope")
    if "conv" not in backend.METHODS[CURVATURE]:
        with pytest.raises(ValueError, match=rf"{name} backend has auto, two_pass"):
            func(*ds.args_for(func), method="conv")
    with pytest.raises(TypeError, match="argument 'method' must be a str"):
        func(*ds.args_for(func), method=3)


def test_auto_rule_picks_the_measured_fastest(monkeypatch):
    """Numba: conv at every size measured; JAX: fft on a GPU, conv (the Numba loop) on the CPU."""
    import autojax.generated.numba.curvature as numba_curvature

    ds = get_dataset("S<<M")
    calls = []
    original = numba_curvature._curvature_matrix_via_w_compact_conv_from_impl
    monkeypatch.setattr(
        numba_curvature,
        "_curvature_matrix_via_w_compact_conv_from_impl",
        lambda **kw: calls.append("conv") or original(**kw),
    )
    numba_curvature.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(
        *ds.args_for(numba_curvature.curvature_matrix_via_w_compact_sparse_mapping_matrix_from)
    )
    assert calls == ["conv"]
    pytest.importorskip("jax")
    import autojax.generated.jax.curvature as jax_curvature

    for gpu, method in ((False, "conv"), (True, "fft")):
        picked = []
        monkeypatch.setattr("autojax._runtime.jax_on_gpu", lambda gpu=gpu: gpu)
        target = f"_curvature_matrix_via_w_compact_{method}_from_impl"
        real = getattr(jax_curvature, target)
        monkeypatch.setattr(
            jax_curvature,
            target,
            lambda real=real, method=method, picked=picked, **kw: (
                picked.append(method) or real(**kw)
            ),
        )
        jax_curvature.curvature_matrix_via_w_compact_sparse_mapping_matrix_from(
            *ds.args_for(jax_curvature.curvature_matrix_via_w_compact_sparse_mapping_matrix_from)
        )
        assert picked == [method], f"gpu={gpu}"


@pytest.mark.parametrize("coefficient", [0.3, 2.5])
def test_likelihood_takes_the_regularization_coefficient(backend, coefficient):
    _generated(backend)
    ds = get_dataset("DataLoaded")
    for kernel in (LIKELIHOOD, "log_likelihood_function_via_w_tilde_from"):
        func = getattr(backend, kernel)
        args = ds.args_for(func)
        want = getattr(ref, kernel)(*args[:-1], coefficient)
        got = float(func(*args[:-1], coefficient=coefficient))
        assert_close(got, want, err_msg=f"{backend_name(backend)}.{kernel} c={coefficient}")
        assert got != pytest.approx(float(func(*args[:-1])), rel=1e-6)


def test_likelihood_is_minus_inf_when_not_positive_definite(backend):
    """A negated compact form makes F negative definite: F + H is not positive definite."""
    _generated(backend)
    ds = get_dataset("DataLoaded")
    func = getattr(backend, LIKELIHOOD)
    args = ds.args_for(func)
    args[3] = -10.0 * np.asarray(args[3])
    assert ref.log_likelihood_function_via_w_compact_from(*args) == -np.inf
    for method in backend.METHODS[CURVATURE]:
        assert float(func(*args, method=method)) == -np.inf, method


def test_jax_likelihood_policy_holds_under_jit():
    jax = pytest.importorskip("jax")
    import autojax.jax as aj

    ds = get_dataset("DataLoaded")
    func = aj.log_likelihood_function_via_w_compact_from
    args = ds.args_for(func)
    jitted = jax.jit(func, static_argnames=["method"])
    good = float(jitted(*args, method="fft"))
    assert_close(good, ref.log_likelihood_function_via_w_compact_from(*args))
    args[3] = -10.0 * np.asarray(args[3])
    assert float(jitted(*args, method="fft")) == -np.inf


# ------------------------------------------------------------------- the dirty image

DIRTY = "dirty_image_from"
#: the datasets above plus one image pixel (M = 1); all but DataLoaded have Re(sigma) !=
#: Im(sigma) and complex data, so the imaginary term is weighed by its own noise
DIRTY_DATASETS = ["DataLoaded", "DataGenerated", "small-K1-ragged", "S>>M", "S<<M", "M=1"]


def _dirty_dataset(name):
    if name == "M=1":
        return DataGenerated(N=1, K=7, S=3, B=1, P=1)
    return get_dataset(name)


def _dirty_args(ds):
    """The dirty image's arguments; on the generated datasets (whose noise has Re == Im, as
    the likelihoods need) the imaginary noise is rescaled, so each part has its own sigma."""
    noise = ds.noise_map
    if ds.name != "DataLoaded":
        scale = np.where(np.arange(noise.size) % 2, 1.4, 0.6)
        noise = noise.real + 1j * noise.real * scale
    return ds.visibilities, noise, ds.uv_wavelengths, ds.grid_radians_slim


@pytest.mark.parametrize("name", DIRTY_DATASETS)
def test_every_dirty_image_method_matches_reference(backend, name):
    """exact to 1e-12 relative; nufft (and auto, which may pick it) to the 1e-9 contract."""
    _generated(backend)
    ds = _dirty_dataset(name)
    want = ref.dirty_image_from(*_dirty_args(ds))
    func = getattr(backend, DIRTY)
    assert set(backend.METHODS[DIRTY]) == {"exact", "nufft", "nufft_ducc0", "nufft_finufft"}
    for method in ("auto", *backend.METHODS[DIRTY]):
        rtol = 1e-12 if method == "exact" else 1e-9
        # ducc0's type 3 refuses the default eps (1e-14, below its smallest 1.44e-14)
        kwargs = {"eps": 2e-14} if method == "nufft_ducc0" else {}
        assert_close(
            func(*_dirty_args(ds), method=method, **kwargs),
            want,
            rtol=rtol,
            err_msg=f"{backend_name(backend)} {DIRTY} method={method} on {name}",
        )
    exact = backend.dirty_image_exact_from(*_dirty_args(ds))
    assert_close(exact, want, rtol=1e-12, err_msg=f"{backend_name(backend)} exact on {name}")


def test_dirty_image_weighs_the_imaginary_part_by_its_own_noise():
    """The test data really exercise the second term: unequal noise parts, complex data.

    (Not "M=1": its one pixel sits at the phase centre, where every sine is zero.)"""
    for name in DIRTY_DATASETS[1:-1]:
        ds = _dirty_dataset(name)
        vis, noise, uv, grid = _dirty_args(ds)
        assert np.max(np.abs(noise.real - noise.imag)) > 0.1, name
        assert np.max(np.abs(vis.imag)) > 0.1, name
        full = ref.dirty_image_from(vis, noise, uv, grid)
        # the imaginary term alone, and the same data with the real noise in both parts
        imag_only = ref.dirty_image_from(1j * vis.imag, noise, uv, grid)
        same_noise = ref.dirty_image_from(vis, noise.real + 1j * noise.real, uv, grid)
        scale = np.max(np.abs(full))
        assert np.max(np.abs(imag_only)) > 1e-3 * scale, name
        assert np.max(np.abs(full - same_noise)) > 1e-3 * scale, name


def test_dirty_image_is_not_the_upstream_w_tilde_data(backend):
    """On DataLoaded, w_tilde_data_interferometer_from keeps the upstream weight
    (noise**2 / vis)**2 and no sine term: a different quantity from the dirty image, which
    is the one DataLoaded stores (built the same way from its visibilities)."""
    _generated(backend)
    ds = get_dataset("DataLoaded")
    dirty = np.asarray(getattr(backend, DIRTY)(*_dirty_args(ds)))
    assert_close(dirty, ds.dirty_image, rtol=1e-9, err_msg="DataLoaded's stored dirty image")
    upstream = backend.w_tilde_data_interferometer_from
    quirk = np.asarray(upstream(*ds.args_for(upstream)))
    assert quirk.shape == dirty.shape
    assert np.max(np.abs(quirk - dirty)) > 0.5 * np.max(np.abs(dirty))


def test_preload_expansion_matches_reference_on_awkward_boxes(backend):
    """w_tilde_via_preload_from in every generated backend, on the cropped lattices."""
    _generated(backend)
    base = _BASE
    for crop, data in CROPS.items():
        native = data.native_index_for_slim_index
        want = ref.w_tilde_via_preload_from(base.w_tilde_preload, native)
        got = backend.w_tilde_via_preload_from(base.w_tilde_preload, native)
        assert_close(got, want, err_msg=f"{backend_name(backend)} preload expand on {crop}")
