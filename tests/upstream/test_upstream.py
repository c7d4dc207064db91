"""Cross-check ``autojax`` against the real upstream library, PyAutoArray (``autoarray``).

Run with ``nox -s tests-upstream`` (or ``pytest tests/upstream -m upstream`` in an
environment with the ``upstream`` extra). The module skips as a whole when ``autoarray``
is not installed, and a test skips with the missing name when the pinned release lacks an
upstream function. ``docs/upstream.md`` has the same findings as a table.

Upstream name -> ours, and every convention difference found (autoarray 2026.10.26.1):

- ``inversion.inversion.interferometer.inversion_interferometer_util.nufft_precision_operator_from``
  is ``original.w_tilde_curvature_preload_interferometer_from`` (the "preload"): same four
  positional arguments ``(noise_map_real, uv_wavelengths, shape_masked_pixels_2d,
  grid_radians_2d)`` plus keyword-only ``chunk_k``, ``use_jax``, ... The same layout:
  (2Ny, 2Nx), the (+,-), (-,+), (-,-) quadrants measured from the corners grid[0,-1],
  grid[-1,0], grid[-1,-1] and stored at negative indices, row Ny and column Nx left zero.
  Upstream multiplies the phase as ``dx*(2 pi u) + dy*(2 pi v)`` and sums each chunk of
  visibilities with ``np.sum`` (pairwise), ours as ``2 pi (dx u + dy v)`` in a sequential
  loop, so they agree to rounding, not bit for bit.
- ``nufft_weighted_noise_via_sparse_operator_from(preload, native_index_for_slim_index)``
  is ``original.w_tilde_via_preload_from``: the same indexing ``W[a,b] = P[rb-ra, cb-ca]``,
  bit for bit.
- ``inversion_interferometer_util.InterferometerSparseOperator`` computes the curvature
  matrix F by FFT. Built with ``InterferometerSparseOperator.from_nufft_precision_operator(
  preload, dirty_image, batch_size=...)`` (the dirty image is only stored); F is
  ``operator.curvature_matrix_diag_from(rows, cols, vals, S=S)`` with COO triplets of T
  from ``mapper_util.sparse_triplets_from(pix_indexes, pix_weights, slim_index_for_sub,
  extent_index, sub_fraction, return_rows_slim=False)``. ``rows`` are flat row-major
  indices on the Ny x Nx box of unmasked pixels: upstream's
  ``Mask2D.extent_index_for_masked_pixel``, which is our
  ``native_index_for_slim_index[:, 0] * Nx + native_index_for_slim_index[:, 1]``. It needs
  JAX with 64-bit floats (otherwise it silently runs in float32). It returns
  ``0.5 * (C + C^T)`` and applies W by circular convolution with ``FFT(preload)``
  (``P[a-b]`` rather than ``P[b-a]``: the same because W is symmetric). The triplets keep
  ``-1`` entries and ignore ``pix_size``; ``segment_sum`` drops negative source indices,
  which equals our "-1 ends the row" rule because our rows only have trailing -1s.
  Checked from a shared preload and end to end (each side from its own preload).
- ``inversion.mappers.mapper_util.mapping_matrix_from`` is ``original.mapping_matrix_from``:
  the same seven arguments in the same order (plus ``use_mixed_precision``, ``xp``), the
  same ``sub_fraction[slim_index]`` quirk; bit for bit.
- ``inversion.regularization.regularization_util.constant_regularization_matrix_from``
  (defined in ``regularization/constant.py``) is ``original.constant_regularization_matrix_from``:
  same arguments; upstream writes the diagonal as ``1e-8 + c**2 * n_i`` in one step, ours
  adds ``c**2`` n_i times, so the diagonal differs by a few ulp when ``c**2`` is not exact.
- ``inversion.inversion.inversion_util.reconstruction_positive_negative_from`` is
  ``original.reconstruction_positive_negative_from``: same arguments, both
  ``np.linalg.solve``; bit for bit (upstream catches ``LinAlgError`` only in its test mode).
- ``fit.fit_util.noise_normalization_complex_from`` takes ``noise_map`` keyword-only;
  otherwise ours, bit for bit.
- ``mask.mask_2d_util.mask_2d_centres_from`` is ours, bit for bit.
- ``mask.mask_2d_util.mask_2d_circular_from`` differs on the boundary: upstream masks a
  pixel when ``d**2 >= r**2`` (unmasked strictly inside), docs/contract.md and ``reference``
  unmask ``d**2 <= r**2`` and ``original`` unmasks ``sqrt(d**2) <= r``. Off ties all agree.
  (Where d is the radius only to rounding, e.g. N = 9 at 0.2 arcsec, ``original`` and
  ``reference`` disagree with each other too; upstream then agrees with ``reference``.)
- Geometry: upstream's ``Mask2D(mask, pixel_scales)`` reproduces our ``grid_radians_2d``
  (``derive_grid.all_false.in_radians.native``: y decreasing down the rows, x increasing
  along the columns), ``grid_radians_slim`` and ``shape_masked_pixels_2d``
  (``shape_native_masked_pixels``). Our ``native_index_for_slim_index`` is upstream's
  ``derive_indexes.native_for_slim`` minus the top-left corner of the unmasked box (for
  DataLoaded: (35, 35) on its 100 x 100 grid).
- The dirty image of DataLoaded is upstream's ``TransformerDFT(uv, mask).image_from(
  data.real/sigma.real**2 + 1j*data.imag/sigma.imag**2)`` (phase ``+2 pi (x u + y v)``
  on the adjoint: u pairs with x, v with y). 2026.7 needed ``use_adjoint_scaling=True``;
  2026.10 dropped the keyword (``image_from`` is always the plain adjoint).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

autoarray = pytest.importorskip(
    "autoarray", reason="the upstream cross-check needs the 'upstream' extra (autoarray)"
)

from autojax import original, reference  # noqa: E402
from autojax.datasets import DataGenerated, DataLoaded  # noqa: E402

pytestmark = pytest.mark.upstream

#: Tolerances, from tightest to loosest.
#: EXACT: the same floating-point operations in the same order; compared bit for bit.
#: ULPS: the same formula, a few terms summed in another order (relative, no atol).
ULPS = 1e-13
#: RTOL: same mathematics, different accumulation (long sums over K or over pixel pairs,
#: FFT convolution): docs/contract.md's rule, rtol with atol = rtol * max|expected|. The errors
#: measured are ~1e-14 of the largest entry; 1e-10 leaves room for K up to 1e7.
RTOL = 1e-10

INTERFEROMETER_UTIL = "inversion.inversion.interferometer.inversion_interferometer_util"

DATASETS = {
    "DataLoaded": DataLoaded,
    "DataGenerated-small": lambda: DataGenerated(N=12, K=37, S=29, B=3, P=6),
    "DataGenerated-small-ragged": lambda: DataGenerated(N=12, K=37, S=29, B=3, P=6, ragged=0.3),
}
_cache: dict[str, object] = {}


def get_dataset(name: str):
    """Build (once per session) and return dataset ``name``."""
    if name not in _cache:
        _cache[name] = DATASETS[name]()
    return _cache[name]


@pytest.fixture(params=list(DATASETS), scope="module")
def ds(request):
    return get_dataset(request.param)


def upstream(module: str, name: str):
    """``autoarray.<module>.<name>``, or skip naming what the installed release lacks."""
    where = f"autoarray {autoarray.__version__}"
    try:
        mod = importlib.import_module(f"autoarray.{module}" if module else "autoarray")
    except ImportError as exc:
        pytest.skip(f"{where} has no module autoarray.{module} ({exc})")
    try:
        return getattr(mod, name)
    except AttributeError:
        pytest.skip(f"{where} has no {mod.__name__}.{name}")


@pytest.fixture(scope="module")
def jax64():
    """JAX with 64-bit floats on (upstream's FFT operator needs it), restored afterwards."""
    jax = pytest.importorskip("jax", reason="upstream's JAX code paths need jax")
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", previous)


def assert_close(actual, expected, rtol, err_msg=""):
    """Shape, float64 and values: rtol with atol = rtol * max|expected| (docs/contract.md)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{err_msg}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == np.float64, f"{err_msg}: dtype {actual.dtype}, expected float64"
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=err_msg)


def upstream_mask(ds):
    mask_2d = upstream("", "Mask2D")
    return mask_2d(mask=ds.mask, pixel_scales=ds.pixel_scales)


# ------------------------------------------------------------------------------- geometry


def test_geometry_conventions(ds):
    """Upstream's Mask2D gives our grids, the unmasked box and our native indexes."""
    mask = upstream_mask(ds)
    assert tuple(int(v) for v in mask.shape_native_masked_pixels) == ds.shape_masked_pixels_2d
    native = np.asarray(mask.derive_indexes.native_for_slim)
    corner = native.min(axis=0)
    np.testing.assert_array_equal(native - corner, ds.native_index_for_slim_index)
    ny, nx = ds.shape_masked_pixels_2d
    np.testing.assert_array_equal(
        mask.extent_index_for_masked_pixel,
        ds.native_index_for_slim_index[:, 0] * nx + ds.native_index_for_slim_index[:, 1],
    )
    # arcsec -> radians in another order of operations: rounding only
    assert_close(
        mask.derive_grid.all_false.in_radians.native.array, ds.grid_radians_2d, ULPS, "grid 2d"
    )
    assert_close(
        mask.derive_grid.unmasked.in_radians.array, ds.grid_radians_slim, ULPS, "grid slim"
    )


@pytest.mark.parametrize(
    "shape_native, pixel_scales, centre",
    [
        ((30, 30), (0.2, 0.2), (0.0, 0.0)),
        ((5, 6), (0.2, 0.3), (0.4, -0.7)),
        ((7, 4), (1.0, 0.5), (-1.5, 2.0)),
    ],
)
def test_mask_2d_centres_from(shape_native, pixel_scales, centre):
    up = upstream("mask.mask_2d_util", "mask_2d_centres_from")
    got = original.mask_2d_centres_from(shape_native, pixel_scales, centre)
    assert tuple(up(shape_native, pixel_scales, centre)) == tuple(got)


@pytest.mark.parametrize("n", [7, 9, 12, 17, 30])
@pytest.mark.parametrize("pixel_scale", [0.2, 0.05, 1.0])
@pytest.mark.parametrize("centre", [(0.0, 0.0), (0.1, -0.3)])
def test_mask_2d_circular_from_off_the_boundary(n, pixel_scale, centre):
    """All three agree except on pixels at the radius to rounding (see the next test)."""
    up = upstream("mask.mask_2d_util", "mask_2d_circular_from")
    shape, scales, radius = (n, n), (pixel_scale, pixel_scale), ((n + 1) // 2) * pixel_scale
    expected = up(shape, scales, radius, centre)
    yc, xc = reference.mask_2d_centres_from(shape, scales, centre)
    y = (np.arange(n)[:, None] - yc) * pixel_scale
    x = (np.arange(n)[None, :] - xc) * pixel_scale
    off_tie = np.abs(y**2 + x**2 - radius**2) > 1e-9 * radius**2
    for name, got in (
        ("original", original.mask_2d_circular_from(shape, scales, radius, centre)),
        ("reference", reference.mask_2d_circular_from(shape, scales, radius, centre)),
    ):
        np.testing.assert_array_equal(got[off_tie], expected[off_tie], err_msg=name)


def test_mask_2d_circular_from_boundary_convention():
    """Upstream masks a pixel exactly at the radius; docs/contract.md (and ours) keep it."""
    up = upstream("mask.mask_2d_util", "mask_2d_circular_from")
    args = ((3, 3), (1.0, 1.0), 1.0)
    edge_centres = np.array([[True, False, True], [False, False, False], [True, False, True]])
    np.testing.assert_array_equal(original.mask_2d_circular_from(*args), edge_centres)
    np.testing.assert_array_equal(reference.mask_2d_circular_from(*args), edge_centres)
    only_centre = np.ones((3, 3), dtype=bool)
    only_centre[1, 1] = False
    np.testing.assert_array_equal(up(*args), only_centre)


def test_dataset_mask_is_upstream_circular_mask():
    """DataGenerated's circular mask has no pixel on the boundary: upstream builds the same."""
    up = upstream("mask.mask_2d_util", "mask_2d_circular_from")
    ds = DataGenerated(N=12, K=37, S=29, B=3, P=6)
    radius = ((ds.N + 1) // 2) * ds.pixel_scale
    np.testing.assert_array_equal(up(ds.shape_native, ds.pixel_scales, radius), ds.mask)


def test_dirty_image_is_upstream_dft_adjoint():
    """DataLoaded's dirty image is upstream's noise-weighted adjoint DFT of its data."""
    ds = get_dataset("DataLoaded")
    transformer_dft = upstream("", "TransformerDFT")
    visibilities = upstream("", "Visibilities")
    transformer = transformer_dft(
        uv_wavelengths=ds.uv_wavelengths, real_space_mask=upstream_mask(ds)
    )
    weighted = ds.data.real / ds.noise_map.real**2 + 1j * ds.data.imag / ds.noise_map.imag**2
    # 2026.10 dropped image_from's use_adjoint_scaling keyword: it is always the adjoint now
    image = transformer.image_from(visibilities(weighted))
    # sums over K = 190 visibilities in another order
    assert_close(image.slim.array, ds.dirty_image, RTOL)


# ------------------------------------------------------------------------------- w-tilde


def test_preload(ds):
    """nufft_precision_operator_from == original's and reference's preload (rounding only)."""
    up = upstream(INTERFEROMETER_UTIL, "nufft_precision_operator_from")
    args = (ds.noise_map_real, ds.uv_wavelengths, ds.shape_masked_pixels_2d, ds.grid_radians_2d)
    expected = up(*args)
    ny, nx = ds.shape_masked_pixels_2d
    assert expected.shape == (2 * ny, 2 * nx)
    assert not expected[ny, :].any() and not expected[:, nx].any()
    # pairwise chunk sums of cos(dx*2pi*u + dy*2pi*v) vs a sequential loop: rounding
    assert_close(original.w_tilde_curvature_preload_interferometer_from(*args), expected, RTOL)
    assert_close(ds.w_tilde_preload, expected, RTOL, "reference")
    # several visibility chunks give the same operator
    assert_close(up(*args, chunk_k=7), expected, RTOL, "chunk_k=7")


def test_preload_jax(ds, jax64):
    up = upstream(INTERFEROMETER_UTIL, "nufft_precision_operator_from")
    args = (ds.noise_map_real, ds.uv_wavelengths, ds.shape_masked_pixels_2d, ds.grid_radians_2d)
    # JAX reduces in another order: rounding
    assert_close(
        up(*args, use_jax=True),
        original.w_tilde_curvature_preload_interferometer_from(*args),
        RTOL,
    )


def test_w_tilde_via_preload(ds):
    """Expanding the preload to the dense W-tilde is pure indexing: bit for bit."""
    up = upstream(INTERFEROMETER_UTIL, "nufft_weighted_noise_via_sparse_operator_from")
    expected = up(ds.w_tilde_preload, ds.native_index_for_slim_index)
    got = original.w_tilde_via_preload_from(ds.w_tilde_preload, ds.native_index_for_slim_index)
    np.testing.assert_array_equal(got, expected)


# ------------------------------------------------------------------------------- mapping, F


def test_mapping_matrix(ds):
    """mapper_util.mapping_matrix_from: same arguments, same products: bit for bit."""
    up = upstream("inversion.mappers.mapper_util", "mapping_matrix_from")
    args = ds.args_for(original.mapping_matrix_from)
    np.testing.assert_array_equal(original.mapping_matrix_from(*args), up(*args))
    np.testing.assert_array_equal(ds.mapping_matrix, up(*args))


def upstream_curvature_matrix(ds, preload, batch_size=128):
    """F the way upstream's InversionInterferometerSparse builds it, from ``preload``."""
    operator_cls = upstream(INTERFEROMETER_UTIL, "InterferometerSparseOperator")
    sparse_triplets_from = upstream("inversion.mappers.mapper_util", "sparse_triplets_from")
    rows, cols, vals = sparse_triplets_from(
        ds.pix_indexes_for_sub_slim_index,
        ds.pix_weights_for_sub_slim_index,
        ds.slim_index_for_sub_slim_index,
        upstream_mask(ds).extent_index_for_masked_pixel,
        ds.sub_fraction,
        return_rows_slim=False,
    )
    operator = operator_cls.from_nufft_precision_operator(
        preload, ds.dirty_image, batch_size=batch_size
    )
    return np.asarray(operator.curvature_matrix_diag_from(rows, cols, vals, S=ds.S))


@pytest.mark.parametrize("batch_size", [128, 7])
def test_curvature_matrix_via_sparse_operator(ds, jax64, batch_size):
    """From the same preload: upstream's FFT operator == original's pair loop == reference."""
    expected = upstream_curvature_matrix(ds, ds.w_tilde_preload, batch_size)
    got = original.curvature_matrix_via_w_tilde_curvature_preload_interferometer_from(
        *ds.args_for(original.curvature_matrix_via_w_tilde_curvature_preload_interferometer_from)
    )
    # FFT convolution vs sums over pixel pairs: rounding (measured <= 3e-16 of max|F|)
    assert_close(got, expected, RTOL, "original")
    # the reference F comes from the compact form (measured <= 3e-14 of max|F|)
    assert_close(ds.curvature_matrix, expected, RTOL, "reference")


def test_curvature_matrix_end_to_end(ds, jax64):
    """Each side from its own preload: upstream numpy preload + FFT vs original's two loops."""
    args = (ds.noise_map_real, ds.uv_wavelengths, ds.shape_masked_pixels_2d, ds.grid_radians_2d)
    expected = upstream_curvature_matrix(
        ds, upstream(INTERFEROMETER_UTIL, "nufft_precision_operator_from")(*args)
    )
    preload = original.w_tilde_curvature_preload_interferometer_from(*args)
    got = original.curvature_matrix_via_w_tilde_curvature_preload_interferometer_from(
        preload,
        ds.pix_indexes_for_sub_slim_index,
        ds.pix_size_for_sub_slim_index,
        ds.pix_weights_for_sub_slim_index,
        ds.native_index_for_slim_index,
        ds.S,
    )
    # rounding of the preload sums carried through F
    assert_close(got, expected, RTOL)


# ------------------------------------------------------------------------------- inversion


@pytest.mark.parametrize("coefficient", [1.0, 0.37])
def test_constant_regularization_matrix(ds, coefficient):
    up = upstream(
        "inversion.regularization.regularization_util", "constant_regularization_matrix_from"
    )
    expected = up(coefficient, ds.neighbors, ds.neighbors_sizes)
    got = original.constant_regularization_matrix_from(
        coefficient, ds.neighbors, ds.neighbors_sizes
    )
    # diagonal: 1e-8 + c**2 * n (upstream) vs 1e-8 + c**2 + ... + c**2 (ours): a few ulp
    assert_close(got, expected, 0.0 if coefficient == 1.0 else ULPS)
    np.testing.assert_allclose(
        reference.constant_regularization_matrix_from(
            coefficient, ds.neighbors, ds.neighbors_sizes
        ),
        expected,
        rtol=ULPS,
        atol=0,
    )


def test_reconstruction_positive_negative(ds):
    """Upstream calls np.linalg.solve (LAPACK gesv); original runs the same LU through
    SciPy's getrf/getrs plus the condition check of the failure policy (src/autojax/_linalg.py),
    so the two agree to rounding, not bit for bit (measured: 2e-17 absolute)."""
    up = upstream("inversion.inversion.inversion_util", "reconstruction_positive_negative_from")
    expected = up(ds.data_vector, ds.curvature_reg_matrix)
    got = original.reconstruction_positive_negative_from(ds.data_vector, ds.curvature_reg_matrix)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15 * np.abs(expected).max())
    assert_close(
        reference.reconstruction_positive_negative_from(ds.data_vector, ds.curvature_reg_matrix),
        expected,
        RTOL,
    )


def test_noise_normalization_complex(ds):
    up = upstream("fit.fit_util", "noise_normalization_complex_from")
    assert original.noise_normalization_complex_from(ds.noise_map) == float(
        up(noise_map=ds.noise_map)
    )
