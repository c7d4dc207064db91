"""One whole lens model built by upstream autoarray: two pixelizations and linear functions.

``lens_model_case()`` returns a :class:`LensModelCase` of plain NumPy arrays: the inputs as
autojax takes them and upstream's outputs, so that any route (the visibility-space
reference, autojax's ``Likelihood``) can be compared with upstream's. Needs ``autoarray``
(``nox -s tests-upstream``); the caller skips when it is missing.

The upstream inversion (autoarray 2026.10.26.1):

- ``aa.Interferometer(data, noise_map, uv_wavelengths, real_space_mask=Mask2D.circular(...),
  transformer_class=aa.TransformerDFT).apply_sparse_operator(method="numpy")``: the
  precision operator by upstream's brute-force builder (exact; the default ``"nufft"`` builder
  agrees to its NUFFT tolerance only), the dirty image by the DFT adjoint;
- two ``aa.Mapper``: ``aa.mesh.RectangularUniform`` meshes (6 x 6 over the image-plane grid,
  5 x 7 over a shrunk and shifted copy of it: a second "source plane"), each with
  ``aa.reg.Constant`` (coefficients 1.0 and 0.37), bilinear interpolation (4 entries a row);
- ``MockLinearObjFuncList(parameters=L, grid, mapping_matrix=B, regularization=None)``: upstream's
  own test double of a linear light-profile list, the (M, L) columns given directly;
- ``aa.Inversion(dataset, [mapper_1, mapper_2, functions],
  settings=aa.Settings(use_positive_only_solver=False))`` is an
  ``InversionInterferometerSparse`` (without the settings upstream's packaged default solves
  by NNLS with the mesh's edge pixels zeroed, which is not the evidence autojax computes); its evidence is read from an ``aa.FitInterferometer``
  whose ``inversion`` is that inversion (``log_evidence`` uses ``fast_chi_squared``).

The same linear objects without ``apply_sparse_operator`` give upstream's other route, the
dense ``InversionInterferometerMapping`` (transformed mapping matrix by the DFT), whose
outputs are kept in ``mapping_route`` to measure how far upstream's own routes agree.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

#: The sizes: an 18 x 18 grid at 0.2 arcsec, a circular mask of radius 1.73 arcsec (no pixel
#: centre within 1e-3 of it, so every mask rule agrees): M = 240 pixels; K = 300 visibilities;
#: S = 36 + 35 source pixels; L = 3 function columns.
SHAPE, PIXEL_SCALE, RADIUS, K, L = (18, 18), 0.2, 1.73, 300, 3
MESHES = ((6, 6), (5, 7))
COEFFICIENTS = (1.0, 0.37)
FUNCTION_SCALES = (1.0, 0.3, 1e-4)


@dataclass
class Pixelization:
    """One upstream mapper as autojax takes it (sparse rows, -1 ends a row) plus its dense T."""

    pix_indexes: np.ndarray  # (M, Q) int, -1 padded
    pix_weights: np.ndarray  # (M, Q), 0 where the index is -1
    neighbors: np.ndarray  # (S, P) int, -1 padded
    neighbors_sizes: np.ndarray  # (S,)
    coefficient: float
    mapping_matrix: np.ndarray  # (M, S), upstream's mapper.mapping_matrix
    regularization_matrix: np.ndarray  # (S, S), upstream's (1e-8 ridge included)


@dataclass
class UpstreamOutputs:
    curvature_matrix: np.ndarray  # F, with the 1e-3 at the function columns
    data_vector: np.ndarray
    regularization_matrix: np.ndarray  # the whole block-diagonal H (zeros at the functions)
    reconstruction: np.ndarray
    regularization_term: float
    log_det_curvature_reg: float
    log_det_regularization: float
    fast_chi_squared: float
    chi_squared: float  # from upstream's model visibilities (no ridge share)
    noise_normalization: float
    log_evidence: float


@dataclass
class LensModelCase:
    visibilities: np.ndarray  # (K,) complex
    noise_map: np.ndarray  # (K,) complex, real == imag
    uv_wavelengths: np.ndarray  # (K, 2)
    mask: np.ndarray  # (N, N) bool, True = masked: autojax.Mask(mask, pixel_scale)
    pixel_scale: float
    grid_radians_slim: np.ndarray  # (M, 2), upstream's unmasked grid in radians
    native_index_for_slim_index: np.ndarray  # (M, 2), relative to the unmasked box
    pixelizations: list[Pixelization]
    function_columns: np.ndarray  # (M, L)
    no_regularization_value: float  # upstream's Settings value (config general.yaml)
    sparse_route: UpstreamOutputs
    mapping_route: UpstreamOutputs
    objects: dict = field(default_factory=dict, repr=False)  # the upstream objects themselves


def _pixelization(mapper, coefficient) -> Pixelization:
    indexes = np.asarray(mapper.pix_indexes_for_sub_slim_index).astype(np.int64)
    weights = np.asarray(mapper.pix_weights_for_sub_slim_index, dtype=np.float64)
    sizes = np.asarray(mapper.pix_sizes_for_sub_slim_index)
    beyond = np.arange(indexes.shape[1])[None, :] >= sizes[:, None]
    indexes = np.where(beyond, -1, indexes)
    weights = np.where(beyond | (indexes < 0), 0.0, weights)
    neighbors = mapper.neighbors
    return Pixelization(
        pix_indexes=indexes,
        pix_weights=weights,
        neighbors=np.asarray(neighbors).astype(np.int64),
        neighbors_sizes=np.asarray(neighbors.sizes).astype(np.int64),
        coefficient=float(coefficient),
        mapping_matrix=np.asarray(mapper.mapping_matrix, dtype=np.float64),
        regularization_matrix=np.asarray(mapper.regularization_matrix, dtype=np.float64),
    )


def _outputs(aa, dataset, inversion) -> UpstreamOutputs:
    class _Fit(aa.FitInterferometer):
        @property
        def inversion(self):
            return inversion

        @property
        def model_data(self):
            return inversion.mapped_reconstructed_operated_data

    fit = _Fit(dataset=dataset)
    residual = np.asarray(dataset.data.array) - np.asarray(fit.model_data.array)
    noise = np.asarray(dataset.noise_map.array)
    chi_squared = float(
        np.sum((residual.real / noise.real) ** 2 + (residual.imag / noise.imag) ** 2)
    )
    return UpstreamOutputs(
        curvature_matrix=np.array(inversion.curvature_matrix, dtype=np.float64),
        data_vector=np.array(inversion.data_vector, dtype=np.float64),
        regularization_matrix=np.array(inversion.regularization_matrix, dtype=np.float64),
        reconstruction=np.array(inversion.reconstruction, dtype=np.float64),
        regularization_term=float(inversion.regularization_term),
        log_det_curvature_reg=float(inversion.log_det_curvature_reg_matrix_term),
        log_det_regularization=float(inversion.log_det_regularization_matrix_term),
        fast_chi_squared=float(inversion.fast_chi_squared),
        chi_squared=chi_squared,
        noise_normalization=float(fit.noise_normalization),
        log_evidence=float(fit.log_evidence),
    )


def lens_model_case(seed: int = 17) -> LensModelCase:
    """Build the upstream case (about a second; the caller caches it)."""
    warnings.filterwarnings("ignore", message=".*unsupported Python.*")
    import autoarray as aa
    from autoarray.inversion.mesh.mesh.rectangular_rtu_adapt_density import overlay_grid_from
    from autoarray.inversion.mock.mock_linear_obj_func_list import MockLinearObjFuncList

    rng = np.random.default_rng(seed)
    mask_2d = aa.Mask2D.circular(shape_native=SHAPE, pixel_scales=PIXEL_SCALE, radius=RADIUS)
    m = mask_2d.pixels_in_mask
    uv_wavelengths = rng.uniform(-2.5e5, 2.5e5, size=(K, 2))
    sigma = rng.uniform(0.5, 1.5, size=K)
    noise_map = sigma + 1j * sigma  # the sparse operator needs Re(sigma) == Im(sigma)
    visibilities = rng.normal(size=K) * 3 + 1j * rng.normal(size=K) * 3
    dataset = aa.Interferometer(
        data=aa.Visibilities(visibilities),
        noise_map=aa.VisibilitiesNoiseMap(noise_map),
        uv_wavelengths=uv_wavelengths,
        real_space_mask=mask_2d,
        transformer_class=aa.TransformerDFT,
    )
    sparse_dataset = dataset.apply_sparse_operator(method="numpy")

    grid = aa.Grid2D.from_mask(mask=mask_2d, over_sample_size=1)
    source_grids = (
        grid,
        aa.Grid2D(
            values=0.5 * grid.array + np.array([0.1, -0.05]), mask=mask_2d, over_sample_size=1
        ),
    )
    mappers = []
    for shape, source_grid, coefficient in zip(MESHES, source_grids, COEFFICIENTS):
        mesh = aa.mesh.RectangularUniform(shape=shape)
        centres = overlay_grid_from(shape_native=shape, grid=source_grid.over_sampled)
        interpolator = mesh.interpolator_from(
            source_plane_data_grid=source_grid,
            source_plane_mesh_grid=aa.Grid2DIrregular(centres),
            adapt_data=None,
        )
        mappers.append(
            aa.Mapper(interpolator=interpolator, regularization=aa.reg.Constant(coefficient))
        )
    # the third column is nearly signal-free (B^T W B ~ 1e-3 there), as upstream's MGE
    # columns far from the source are: the 1e-3 ridge then changes s, chi-squared and evidence
    function_columns = rng.normal(size=(m, L)) * np.array(FUNCTION_SCALES)
    functions = MockLinearObjFuncList(
        parameters=L, grid=grid, mapping_matrix=function_columns, regularization=None
    )
    linear_objects = [*mappers, functions]
    # upstream's packaged default is the positive-only (NNLS) solver with edge pixels zeroed;
    # the evidence autojax matches is the positive-negative one: (F + H) s = D
    settings = aa.Settings(use_positive_only_solver=False)
    sparse_inversion = aa.Inversion(
        dataset=sparse_dataset, linear_obj_list=linear_objects, settings=settings
    )
    mapping_inversion = aa.Inversion(
        dataset=dataset, linear_obj_list=linear_objects, settings=settings
    )
    assert type(sparse_inversion).__name__ == "InversionInterferometerSparse"
    assert type(mapping_inversion).__name__ == "InversionInterferometerMapping"

    native = np.asarray(mask_2d.derive_indexes.native_for_slim).astype(np.int64)
    return LensModelCase(
        visibilities=visibilities,
        noise_map=noise_map,
        uv_wavelengths=uv_wavelengths,
        mask=np.asarray(mask_2d, dtype=bool),
        pixel_scale=PIXEL_SCALE,
        grid_radians_slim=np.asarray(mask_2d.derive_grid.unmasked.in_radians.array),
        native_index_for_slim_index=native - native.min(axis=0),
        pixelizations=[_pixelization(mp, c) for mp, c in zip(mappers, COEFFICIENTS)],
        function_columns=function_columns,
        no_regularization_value=float(
            sparse_inversion.settings.no_regularization_add_to_curvature_diag_value
        ),
        sparse_route=_outputs(aa, sparse_dataset, sparse_inversion),
        mapping_route=_outputs(aa, dataset, mapping_inversion),
        objects={
            "dataset": sparse_dataset,
            "mappers": mappers,
            "functions": functions,
            "inversion": sparse_inversion,
            "mapping_inversion": mapping_inversion,
        },
    )
