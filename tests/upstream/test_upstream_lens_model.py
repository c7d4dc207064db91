"""A whole lens model (two pixelizations and linear functions) in upstream autoarray's sparse
interferometer inversion against ``reference.lens_model_inversion_from`` (visibility space,
direct Fourier sums, no W-tilde), and the facts of upstream's evidence pinned one by one.

The case is built by ``lens_model_case.lens_model_case()`` (see its docstring): M = 240,
K = 300, two rectangular meshes (S = 36 + 35, constant regularization, coefficients 1 and
0.37) and L = 3 function columns, the third nearly signal-free.

Tolerances. Each mapping row sums to 1 on both meshes, so ``v = (+1 on mesh 1, -1 on mesh 2,
0 on the functions)`` is in F's null space and ``H v = 1e-8 v`` (the constant regularization's
ridge): F + H's smallest eigenvalue is ``LAMBDA = 1e-8``. Rounding of F (measured: upstream's
FFT route vs the reference's dense ``G^T G``, 4.7e-16 of max|F| = 7.4e4) moves that eigenvalue
by up to ``|dF| / LAMBDA``, relatively: the log det of the pixelization block and the evidence
are only defined to ``~1e-15 max|F| / LAMBDA`` (7e-3 here; measured 9.2e-5 between upstream's
sparse and dense-mapping routes, 4.6e-5 in the evidence, i.e. 1.1e-8 relative), and the
reconstruction's component along v, ``(v.D) / LAMBDA`` with ``v.D = 0`` exactly, is rounding
of D amplified 1e8 times (measured: upstream's two routes disagree by 1.2e-3 there). The
reconstruction is therefore compared with v projected out (measured 1e-11 of max|s|), and the
v component against its own bound. Everything else is well conditioned: rtol 1e-12 with
``atol = rtol * max|expected|``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip(
    "autoarray", reason="the upstream cross-check needs the 'upstream' extra (autoarray)"
)

from lens_model_case import lens_model_case  # noqa: E402

from autojax import reference  # noqa: E402
from autojax.observation import Mask  # noqa: E402

pytestmark = pytest.mark.upstream

LAMBDA = 1e-8  # F + H's smallest eigenvalue: the constant regularization's ridge
RTOL = 1e-12
EPS = np.finfo(np.float64).eps


@pytest.fixture(scope="module")
def case():
    return lens_model_case()


@pytest.fixture(scope="module")
def ours(case):
    return _reference(case, case.no_regularization_value)


def _reference(case, ridge):
    return reference.lens_model_inversion_from(
        case.visibilities,
        case.noise_map,
        case.uv_wavelengths,
        case.grid_radians_slim,
        [p.mapping_matrix for p in case.pixelizations],
        [p.regularization_matrix for p in case.pixelizations],
        case.function_columns,
        no_regularization_value=ridge,
    )


def _sizes(case):
    n_pix = sum(p.mapping_matrix.shape[1] for p in case.pixelizations)
    return n_pix, n_pix + case.function_columns.shape[1]


def _null_direction(case):
    """The unit vector (+1 on mesh 1, -1 on mesh 2, 0 on the functions) F annihilates."""
    s1, s2 = (p.mapping_matrix.shape[1] for p in case.pixelizations)
    v = np.concatenate([np.ones(s1), -np.ones(s2), np.zeros(case.function_columns.shape[1])])
    return v / np.linalg.norm(v)


def _log_det_tolerance(curvature_matrix):
    """How far F's rounding can move log det (F + H)_pix: |dF| / LAMBDA (see the docstring)."""
    return 1e-15 * np.abs(curvature_matrix).max() / LAMBDA


def _close(actual, expected, rtol=RTOL, err_msg=""):
    expected = np.asarray(expected)
    np.testing.assert_allclose(
        actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max(), err_msg=err_msg
    )


def _assert_reconstruction(actual, expected, case, data_vector):
    """Equal off the null direction v; along v within D's rounding / LAMBDA."""
    v = _null_direction(case)
    off_v = actual - (actual @ v) * v
    _close(off_v, expected - (expected @ v) * v, 1e-9, "reconstruction off v")
    along_v_tol = 50 * EPS * np.abs(data_vector).max() * np.sqrt(v.size) / LAMBDA
    assert abs(actual @ v - expected @ v) <= along_v_tol, (actual @ v, expected @ v, along_v_tol)


# ----------------------------------------------------------------------------- the case


def test_case_inputs_rebuild_upstream(case):
    """The plain arrays the case hands over rebuild upstream's objects: autojax's Mask gives
    upstream's grid and native indexes, the sparse rows give each mapper's mapping matrix and
    its neighbours and coefficient its regularization matrix."""
    mask = Mask(case.mask, case.pixel_scale)
    np.testing.assert_array_equal(
        mask.native_index_for_slim_index, case.native_index_for_slim_index
    )
    _close(mask.grid_radians_slim, case.grid_radians_slim, 1e-13, "grid")
    for p in case.pixelizations:
        s = p.mapping_matrix.shape[1]
        np.testing.assert_array_equal(
            reference.mapping_matrix_from(p.pix_indexes, p.pix_weights, s), p.mapping_matrix
        )
        # each mapping row sums to 1: the source of F's null direction
        np.testing.assert_allclose(p.mapping_matrix.sum(axis=1), 1.0, rtol=1e-14)
        np.testing.assert_allclose(
            reference.constant_regularization_matrix_from(
                p.coefficient, p.neighbors, p.neighbors_sizes
            ),
            p.regularization_matrix,
            rtol=1e-13,
            atol=0,
        )


def test_upstream_routes_agree(case):
    """Upstream's sparse (FFT of the precision operator) and dense mapping (DFT of the mapping
    matrix) routes: F and D to rounding, the null-direction quantities to the bound above."""
    sparse, dense = case.sparse_route, case.mapping_route
    _close(sparse.curvature_matrix, dense.curvature_matrix, err_msg="F")
    _close(sparse.data_vector, dense.data_vector, err_msg="D")
    _assert_reconstruction(sparse.reconstruction, dense.reconstruction, case, dense.data_vector)
    tol = _log_det_tolerance(dense.curvature_matrix)
    assert sparse.log_det_curvature_reg == pytest.approx(dense.log_det_curvature_reg, abs=tol)
    assert sparse.log_evidence == pytest.approx(dense.log_evidence, abs=tol)


# ----------------------------------------------------------------------------- vs the reference


def test_curvature_matrix_and_data_vector(case, ours):
    up = case.sparse_route
    _close(ours["curvature_matrix"], up.curvature_matrix, err_msg="F")  # measured 4.7e-16
    _close(ours["data_vector"], up.data_vector, err_msg="D")  # measured 2.9e-16


def test_reconstruction(case, ours):
    up = case.sparse_route
    _assert_reconstruction(ours["reconstruction"], up.reconstruction, case, up.data_vector)


def test_evidence_terms_and_log_evidence(case, ours):
    up = case.sparse_route
    tol = _log_det_tolerance(up.curvature_matrix)
    assert ours["chi_squared"] == pytest.approx(up.chi_squared, rel=RTOL)
    assert ours["noise_normalization"] == pytest.approx(up.noise_normalization, rel=RTOL)
    # s^T H s: H v = LAMBDA v, so the noise along v costs LAMBDA |ds_v|^2 only
    assert ours["regularization_term"] == pytest.approx(up.regularization_term, rel=1e-9)
    # upstream's plain Cholesky of H loses ~1e-8 absolute to cancellation in each mesh's last
    # pivot; the reference's pivots are exact sums (measured 9.7e-9 absolute)
    assert ours["log_det_regularization"] == pytest.approx(up.log_det_regularization, abs=1e-7)
    assert ours["log_det_curvature_reg"] == pytest.approx(up.log_det_curvature_reg, abs=tol)
    assert ours["log_evidence"] == pytest.approx(up.log_evidence, abs=tol)
    # and the evidence is those terms put together (upstream's fit_util.log_evidence_from)
    assert up.log_evidence == pytest.approx(
        -0.5
        * (
            up.fast_chi_squared
            + up.regularization_term
            + up.log_det_curvature_reg
            - up.log_det_regularization
            + up.noise_normalization
        ),
        rel=1e-14,
    )


# ----------------------------------------------------------------------------- the facts


def test_fact_a_ridge_in_f_at_every_function_column(case, ours):
    """(a) no_regularization_add_to_curvature_diag_value (1e-3, config general.yaml) is added
    to F's diagonal at every linear-function column, in F itself: it is in the F upstream
    returns, it changes the solve, and the chi-squared of the evidence carries its share."""
    up = case.sparse_route
    n_pix, n_params = _sizes(case)
    assert case.no_regularization_value == 1e-3
    bare = _reference(case, 0.0)["curvature_matrix"]  # G^T G, no ridge
    added = up.curvature_matrix - bare
    atol = RTOL * np.abs(bare).max()  # 7e-8, well below the 1e-3 looked for
    np.testing.assert_allclose(np.diagonal(added)[n_pix:], 1e-3, rtol=0, atol=atol)
    np.testing.assert_allclose(np.diagonal(added)[:n_pix], 0.0, rtol=0, atol=atol)
    np.testing.assert_allclose(added - np.diag(np.diagonal(added)), 0.0, rtol=0, atol=atol)
    # the solve: without the ridge the nearly signal-free column's coefficient is ~7x larger
    s = up.reconstruction
    with_ridge = np.linalg.solve(up.curvature_matrix + up.regularization_matrix, up.data_vector)
    without = np.linalg.solve(bare + up.regularization_matrix, up.data_vector)
    _close(s[n_pix:], with_ridge[n_pix:], 1e-9, "s_B with the ridge")
    assert abs(without[-1] - s[-1]) > 0.5 * abs(s[-1])
    # the evidence's chi-squared s^T F s - 2 s^T D + d^T N^-1 d is the visibility chi-squared
    # plus the ridge's share 1e-3 |s_B|^2 (here 0.063, against rounding of chi2 ~ 7e3 * 1e-15)
    share = 1e-3 * np.sum(s[n_pix:n_params] ** 2)
    assert up.fast_chi_squared - up.chi_squared == pytest.approx(share, rel=1e-6)
    assert share > 1e-2


def test_fact_b_solve_over_the_whole_system(case):
    """(b) s = (F + H)^-1 D over the whole system (pixelizations and functions together), not
    block by block."""
    up = case.sparse_route
    n_pix, _ = _sizes(case)
    a = up.curvature_matrix + up.regularization_matrix
    _assert_reconstruction(
        up.reconstruction, np.linalg.solve(a, up.data_vector), case, up.data_vector
    )
    blockwise = np.concatenate(
        [
            np.linalg.solve(a[:n_pix, :n_pix], up.data_vector[:n_pix]),
            np.linalg.solve(a[n_pix:, n_pix:], up.data_vector[n_pix:]),
        ]
    )
    v = _null_direction(case)
    off_v = blockwise - (blockwise @ v) * v - (up.reconstruction - (up.reconstruction @ v) * v)
    assert np.abs(off_v).max() > 1e-2 * np.abs(up.reconstruction).max()


def test_fact_c_log_dets_over_the_pixelization_block(case):
    """(c) log det (F + H) and log det H are over the pixelizations' leading block alone: not
    the whole matrix, not the Schur complement of the function block."""
    up = case.sparse_route
    n_pix, n_params = _sizes(case)
    a = up.curvature_matrix + up.regularization_matrix
    tol = _log_det_tolerance(up.curvature_matrix)

    def logdet(x):
        sign, value = np.linalg.slogdet(x)
        assert sign > 0
        return value

    block = logdet(a[:n_pix, :n_pix])
    whole = logdet(a)
    schur = logdet(
        a[:n_pix, :n_pix]
        - a[:n_pix, n_pix:] @ np.linalg.solve(a[n_pix:, n_pix:], a[n_pix:, :n_pix])
    )
    assert up.log_det_curvature_reg == pytest.approx(block, abs=tol)
    assert abs(whole - block) > 100 * tol and abs(schur - block) > 100 * tol
    h = up.regularization_matrix
    # H is zero on the function columns (no regularization there), block-diagonal per mesh
    np.testing.assert_array_equal(h[n_pix:], 0.0)
    np.testing.assert_array_equal(h[:, n_pix:], 0.0)
    assert up.log_det_regularization == pytest.approx(logdet(h[:n_pix, :n_pix]), abs=1e-7)
    ridged = h + np.diag(np.r_[np.zeros(n_pix), np.full(n_params - n_pix, 1e-3)])
    assert abs(logdet(ridged) - up.log_det_regularization) > 1.0


# ------------------------------------------------------------------ autojax's Likelihood
@pytest.fixture(scope="module", params=["numba", "jax", "xp"])
def likelihood(request, case):
    from autojax import backends
    from autojax.likelihood import Likelihood
    from autojax.observation import Observation

    if backends.available()[request.param] is not None:
        pytest.skip(f"the {request.param} backend does not import here")
    mask = Mask(case.mask, case.pixel_scale)
    observation = Observation(case.visibilities, case.noise_map, case.uv_wavelengths, mask)
    return Likelihood(observation, backend=request.param, precompute_method="exact")


def _model(case):
    from autojax import LensModel, Pixelization

    return LensModel(
        tuple(
            Pixelization(
                p.pix_indexes, p.pix_weights, p.neighbors, p.neighbors_sizes, p.coefficient
            )
            for p in case.pixelizations
        ),
        case.function_columns,
    )


def test_likelihood_lens_model_equals_upstream(case, likelihood):
    """autojax's Likelihood (F from the compact form by each backend's auto method, the
    pixelization blocks in one pass) against upstream's sparse route: F and D to 1e-12 of
    their largest entries, the reconstruction off and along the null direction, the
    log evidence within the ridge's rounding (module docstring)."""
    from autojax import lens_model

    up = case.sparse_route
    model, sizes = likelihood._as_model("log_evidence", (_model(case), None, None, None, 1.0), None)
    system = lens_model.linear_system(likelihood, model, sizes)
    curvature = lens_model.curvature_matrix(lens_model._xp(likelihood), system)
    _close(np.asarray(curvature), up.curvature_matrix, err_msg="F")
    _close(np.asarray(system["data_vector"]), up.data_vector, err_msg="D")
    fit = likelihood.fit(_model(case))
    solution = np.concatenate([*fit.reconstructions, fit.amplitudes])
    _assert_reconstruction(solution, up.reconstruction, case, up.data_vector)
    assert fit.regularization_term == pytest.approx(up.regularization_term, rel=1e-6)
    value = float(likelihood.log_evidence(_model(case)))
    assert abs(value - up.log_evidence) <= 2 * _log_det_tolerance(up.curvature_matrix)
