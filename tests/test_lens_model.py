"""Whole lens models: several pixelizations and linear functions in one evidence.

Every backend's ``Likelihood.log_evidence(LensModel(...))`` against a float64 evaluation
with dense matrices (image-plane W-tilde straight from the visibilities, dense mapping
matrices, NumPy's solve and slogdet); ``Fit`` against the same; the one-mapping call as a
model of one; the call forms; bad input naming the component; JAX's jit, vmap and grad.

Tolerances. Two pixelizations make F exactly singular (each mapping row sums to 1, so +1
on one source and -1 on the other is in its null space), so F + H has an eigenvalue of
H's 1e-8 ridge against entries of order ``max |F|``. The log-determinant's term for that
eigenvalue, ``log(1e-8 + delta)``, carries the rounding ``delta ~ eps max|F|`` of any
route (ours: F by a lattice convolution; the reference: by dense products), a relative
``eps max|F| / 1e-8`` of it. ``_tolerance`` turns that into the absolute tolerance of the
evidence; the reconstruction is compared where it is determined (the model image), not
along the null direction.
"""

from __future__ import annotations

import numpy as np
import pytest

import autojax
from autojax import backends
from autojax import reference as ref
from autojax.datasets import DataGenerated
from autojax.lens_model import NO_REGULARIZATION_DIAGONAL, LensModel, ModelFit, Pixelization
from autojax.likelihood import Likelihood
from autojax.observation import Mask, Observation

BACKENDS = [b for b in ("numba", "jax", "xp") if backends.available()[b] is None]


def _functions(grid, count, seed=0):
    """``count`` elliptical Gaussians at the pixel centres (M, L): linear light profiles."""
    rng = np.random.default_rng(seed)
    y, x = grid[:, 0], grid[:, 1]
    scale = np.max(np.abs(grid))
    columns = []
    for _ in range(count):
        cy, cx = rng.uniform(-0.5, 0.5, 2) * scale
        sy, sx = rng.uniform(0.2, 0.6, 2) * scale
        columns.append(np.exp(-0.5 * (((y - cy) / sy) ** 2 + ((x - cx) / sx) ** 2)))
    return np.stack(columns, axis=1)


class Case:
    """An observation, two pixelizations (one ragged, S much smaller than M) and L functions."""

    def __init__(self, N=14, K=97, sizes=(60, 23), B=(3, 2), L=3):
        first = DataGenerated(N=N, K=K, S=sizes[0], B=B[0], P=6, ragged=0.3, consistent=True)
        self.mask = Mask(first.mask, first.pixel_scale)
        self.observation = Observation(first.data, first.noise_map, first.uv_wavelengths, self.mask)
        self.pixelizations = []
        for i, (size, width) in enumerate(zip(sizes, B)):
            d = first if i == 0 else DataGenerated(N=N, K=3, S=size, B=width, P=5, ragged=0.5)
            self.pixelizations.append(
                Pixelization(
                    d.pix_indexes_for_sub_slim_index,
                    d.pix_weights_for_sub_slim_index,
                    d.neighbors,
                    d.neighbors_sizes,
                    0.7 + 0.9 * i,
                )
            )
        self.functions = _functions(self.mask.grid_radians_slim, L) if L else None
        self.dense = dense_model(self.observation, self.pixelizations, self.functions)

    def model(self, **change):
        return LensModel(tuple(self.pixelizations), self.functions)._replace(**change)


def dense_model(observation, pixelizations, functions):
    """The float64 evaluation with dense matrices (upstream's rules, see lens_model)."""
    grid = observation.mask.grid_radians_slim
    noise, uv = observation.noise_map, observation.uv_wavelengths
    data = observation.visibilities
    w = ref.w_tilde_curvature_interferometer_from(noise.real, uv, grid)
    dirty = ref.dirty_image_from(data, noise, uv, grid)
    columns = [
        ref.mapping_matrix_from(
            p.pix_indexes_for_sub_slim_index, p.pix_weights_for_sub_slim_index, len(p.neighbors)
        )
        for p in pixelizations
    ]
    pixels = sum(c.shape[1] for c in columns)
    if functions is not None:
        columns.append(functions)
    a = np.concatenate(columns, axis=1)
    f = a.T @ w @ a
    f[pixels:, pixels:] += NO_REGULARIZATION_DIAGONAL * np.eye(a.shape[1] - pixels)
    h = np.zeros_like(f)
    offset = 0
    for p in pixelizations:
        size = len(p.neighbors)
        block = slice(offset, offset + size)
        h[block, block] = ref.constant_regularization_matrix_from(
            p.coefficient, p.neighbors, p.neighbors_sizes
        )
        offset += size
    d = a.T @ dirty
    s = np.linalg.solve(f + h, d)
    chi2_data = ref.data_chi_squared_complex_from(data, noise)
    noise_norm = ref.noise_normalization_complex_from(noise)
    logdet_fh = np.linalg.slogdet((f + h)[:pixels, :pixels])[1]
    logdet_h = np.linalg.slogdet(h[:pixels, :pixels])[1]
    evidence = -0.5 * (chi2_data - s @ d + logdet_fh - logdet_h + noise_norm)
    return {"F": f, "H": h, "D": d, "s": s, "A": a, "W": w, "dirty": dirty, "evidence": evidence}


def _tolerance(dense):
    """Absolute tolerance of the evidence (module doc): the ridge term's rounding, plus
    1e-10 relative for the rest (sums of ~1e3 terms, logdets of ~100 x 100 matrices)."""
    ridge = 64 * np.finfo(float).eps * np.max(np.abs(dense["F"])) / 1e-8
    return ridge + 1e-10 * abs(dense["evidence"])


@pytest.fixture(scope="module")
def case():
    return Case()


@pytest.fixture(scope="module", params=BACKENDS)
def likelihood(request, case):
    return Likelihood(case.observation, backend=request.param).precompute()


# ----------------------------------------------------------------- against dense
def test_two_pixelizations_and_functions_equal_dense(likelihood, case):
    value = float(likelihood.log_evidence(case.model()))
    assert abs(value - case.dense["evidence"]) <= _tolerance(case.dense)


def test_equals_the_visibility_space_reference(likelihood, case):
    """Against ``reference.lens_model_inversion_from``: the columns of A taken to the
    visibilities by a direct Fourier sum, chi-squared of the residual visibilities, no
    W-tilde and no dirty image at all."""
    obs = case.observation
    s1, s2 = (len(p.neighbors) for p in case.pixelizations)
    first, second, pixels = slice(0, s1), slice(s1, s1 + s2), s1 + s2
    out = ref.lens_model_inversion_from(
        obs.visibilities,
        obs.noise_map,
        obs.uv_wavelengths,
        case.mask.grid_radians_slim,
        [case.dense["A"][:, first], case.dense["A"][:, second]],
        [case.dense["H"][first, first], case.dense["H"][second, second]],
        case.functions,
    )
    value = float(likelihood.log_evidence(case.model()))
    dense = {"F": out["curvature_matrix"], "evidence": out["log_evidence"]}
    assert abs(value - out["log_evidence"]) <= _tolerance(dense)
    fit = likelihood.fit(case.model())
    assert fit.chi_squared + fit.regularization_term == pytest.approx(
        out["chi_squared"]
        + out["regularization_term"]
        + NO_REGULARIZATION_DIAGONAL * np.sum(out["reconstruction"][pixels:] ** 2),
        rel=1e-7,
    )


@pytest.mark.parametrize("which", ["two pixelizations", "one and functions", "functions only L=1"])
def test_other_models_equal_dense(likelihood, case, which):
    if which == "two pixelizations":
        pixelizations, functions = case.pixelizations, None
    elif which == "one and functions":
        pixelizations, functions = case.pixelizations[1:], case.functions
    else:
        pixelizations, functions = case.pixelizations[:1], case.functions[:, 1:2]
    dense = dense_model(case.observation, pixelizations, functions)
    value = float(likelihood.log_evidence(LensModel(tuple(pixelizations), functions)))
    assert abs(value - dense["evidence"]) <= _tolerance(dense)


def test_a_model_of_one_is_the_one_mapping_call(likelihood, case):
    p = case.pixelizations[0]
    one = float(likelihood.log_evidence(*p))
    # the same algebra; JAX's one-mapping kernel is one jitted XLA program, the model's
    # eager operations round differently (2e-12 relative measured)
    rel = 1e-11 if likelihood.backend == "jax" else 1e-13
    assert float(likelihood.log_evidence(LensModel((p,)))) == pytest.approx(one, rel=rel)
    assert float(likelihood.log_evidence([p])) == pytest.approx(one, rel=rel)


def test_the_list_form_is_the_model(likelihood, case):
    model = case.model()
    lists = [list(field) for field in zip(*model.pixelizations)]
    by_lists = likelihood.log_evidence(*lists, functions=case.functions)
    assert float(by_lists) == pytest.approx(float(likelihood.log_evidence(model)), rel=1e-13)
    # one coefficient for every pixelization
    same = [p._replace(coefficient=1.3) for p in model.pixelizations]
    value = likelihood.log_evidence(*lists[:4], 1.3, functions=case.functions)
    assert float(value) == pytest.approx(
        float(likelihood.log_evidence(LensModel(tuple(same), case.functions))), rel=1e-13
    )


def test_fit_components(likelihood, case):
    fit = likelihood.fit(case.model())
    assert isinstance(fit, ModelFit)
    dense = case.dense
    sizes = [len(p.neighbors) for p in case.pixelizations]
    assert [len(r) for r in fit.reconstructions] == sizes
    assert fit.amplitudes.shape == (case.functions.shape[1],)
    model_image = dense["A"] @ dense["s"]  # determined even where s is not
    scale = np.max(np.abs(model_image))
    np.testing.assert_allclose(fit.model_image, model_image, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(
        fit.model_image, np.sum(fit.mapped_images, 0) + fit.function_images.sum(1), atol=1e-12
    )
    residual = dense["dirty"] - dense["W"] @ model_image
    np.testing.assert_allclose(
        fit.residual_dirty_image, residual, rtol=0, atol=1e-6 * np.max(np.abs(dense["dirty"]))
    )
    assert fit.log_evidence == pytest.approx(float(likelihood.log_evidence(case.model())))
    # chi-squared by the dense route's F, D and s (F with its 1e-3 at the functions); the
    # null direction changes neither s.D nor s.F s, so it is determined
    chi2_data = likelihood.chi_squared_data
    s_dense = dense["s"]
    expected = chi2_data - 2 * s_dense @ dense["D"] + s_dense @ dense["F"] @ s_dense
    assert fit.chi_squared == pytest.approx(expected, rel=1e-7)
    h = dense["H"]
    s = np.concatenate([*fit.reconstructions, fit.amplitudes])
    assert fit.regularization_term == pytest.approx(s @ h @ s, rel=1e-9)


# ----------------------------------------------------------------- bad input
def _raises(likelihood, call, error, *words):
    with pytest.raises(error) as info:
        call(likelihood)
    for word in words:
        assert word in str(info.value), str(info.value)


@pytest.mark.parametrize(
    "name, call, error, words",
    [
        (
            "coefficients",
            lambda c: (
                lambda lk: lk.log_evidence(
                    *[list(f) for f in zip(*c.model().pixelizations)][:4], [1.0]
                )
            ),
            ValueError,
            ("'coefficient'", "list of 2"),
        ),
        (
            "weights",
            lambda c: (
                lambda lk: lk.log_evidence(
                    [p.pix_indexes_for_sub_slim_index for p in c.pixelizations],
                    [c.pixelizations[0].pix_weights_for_sub_slim_index],
                    [p.neighbors for p in c.pixelizations],
                    [p.neighbors_sizes for p in c.pixelizations],
                )
            ),
            ValueError,
            ("'pix_weights_for_sub_slim_index'", "list of 2"),
        ),
        (
            "functions rows",
            lambda c: lambda lk: lk.log_evidence(c.model(functions=c.functions[1:])),
            ValueError,
            ("'functions'", "(M, L)"),
        ),
        (
            "functions NaN",
            lambda c: (
                lambda lk: lk.log_evidence(
                    c.model(functions=np.where(np.arange(3) == 2, np.nan, c.functions))
                )
            ),
            ValueError,
            ("'functions' column 2", "not finite"),
        ),
        (
            "S = 0",
            lambda c: (
                lambda lk: lk.log_evidence(
                    c.model(
                        pixelizations=(
                            c.pixelizations[0],
                            c.pixelizations[1]._replace(
                                neighbors=np.zeros((0, 5), np.int64),
                                neighbors_sizes=np.zeros(0, np.int64),
                            ),
                        )
                    )
                )
            ),
            ValueError,
            ("pixelizations[1]", "S = 0"),
        ),
        (
            "index of another pixelization",
            lambda c: (
                lambda lk: lk.log_evidence(
                    c.model(
                        pixelizations=(
                            c.pixelizations[0],
                            c.pixelizations[1]._replace(
                                pix_indexes_for_sub_slim_index=np.where(
                                    c.pixelizations[1].pix_indexes_for_sub_slim_index >= 0, 30, -1
                                )
                            ),
                        )
                    )
                )
            ),
            ValueError,
            ("pixelizations[1]", "index 30", "S = 23"),
        ),
        (
            "rows",
            lambda c: (
                lambda lk: lk.fit(
                    c.model(
                        pixelizations=(
                            c.pixelizations[0],
                            c.pixelizations[1]._replace(
                                pix_weights_for_sub_slim_index=c.pixelizations[
                                    1
                                ].pix_weights_for_sub_slim_index[:-2]
                            ),
                        )
                    )
                )
            ),
            ValueError,
            ("Likelihood.fit (pixelizations[1])", "'pix_weights_for_sub_slim_index'"),
        ),
        (
            "negative coefficient",
            lambda c: (
                lambda lk: lk.log_evidence(
                    c.model(pixelizations=(c.pixelizations[0]._replace(coefficient=-1.0),))
                )
            ),
            ValueError,
            ("pixelizations[0]", "'coefficient'"),
        ),
        (
            "coefficient beside a model",
            lambda c: lambda lk: lk.log_evidence(c.model(), coefficient=2.0),
            TypeError,
            ("its own 'coefficient'",),
        ),
        (
            "not a pixelization",
            lambda c: lambda lk: lk.log_evidence(LensModel(("mapping",), None)),
            TypeError,
            ("pixelizations[0]", "Pixelization"),
        ),
        (
            "empty model",
            lambda c: lambda lk: lk.log_evidence(LensModel((), c.functions)),
            ValueError,
            ("at least one Pixelization",),
        ),
    ],
)
def test_bad_model_input_names_the_component(likelihood, case, name, call, error, words):
    _raises(likelihood, call(case), error, *words)


# ----------------------------------------------------------------- JAX transforms
@pytest.fixture(scope="module")
def jax_likelihood(case):
    if "jax" not in BACKENDS:
        pytest.skip("the jax extra is not installed")
    return Likelihood(case.observation, backend="jax").precompute()


def _jax_model(case, weights, functions, coefficient):
    p0, p1 = case.pixelizations
    return LensModel(
        (p0._replace(coefficient=coefficient), p1._replace(pix_weights_for_sub_slim_index=weights)),
        functions,
    )


@pytest.mark.slow  # compiles several JAX programs: in nox -s tests-slow
def test_jax_jit_and_vmap(jax_likelihood, case):
    import jax
    import jax.numpy as jnp

    weights = jnp.asarray(case.pixelizations[1].pix_weights_for_sub_slim_index)
    functions = jnp.asarray(case.functions)

    def step(lk, w, b):
        return Likelihood.log_evidence(lk, _jax_model(case, w, b, 0.7))

    eager = float(step(jax_likelihood, weights, functions))
    assert float(jax.jit(step)(jax_likelihood, weights, functions)) == pytest.approx(
        eager, rel=1e-12
    )
    batch = jnp.stack([weights, weights * 0.9, weights * 1.1])
    values = jax.vmap(step, in_axes=(None, 0, None))(jax_likelihood, batch, functions)
    # under vmap on the CPU the factorisations are LAPACK's on the host, a single call's
    # JAX's own: different roundings, so the ridge's tolerance (module doc; max |F| grows
    # by at most 1.21 over the batch)
    tolerance = 1.21 * _tolerance(case.dense)
    for w, value in zip(batch, values):
        assert abs(float(value) - float(step(jax_likelihood, w, functions))) <= tolerance


def _zero_sum_direction(indexes, rng):
    """A random change of a mapping's weights on the entries that exist (before the first
    -1), each row's change summing to zero: the rows keep summing to 1."""
    valid = np.cumprod(indexes >= 0, 1) > 0
    direction = np.where(valid, rng.normal(size=indexes.shape), 0.0)
    mean = direction.sum(1, keepdims=True) / valid.sum(1, keepdims=True)
    return np.where(valid, direction - mean, 0.0)


def _directional(f, args, n, direction, h):
    """``(grad . direction, central difference)`` of ``f`` in argument ``n``."""
    import jax
    import jax.numpy as jnp

    grads = jax.jit(jax.grad(f, argnums=n))(*args)
    plus, minus = list(args), list(args)
    plus[n] = args[n] + h * direction
    minus[n] = args[n] - h * direction
    numeric = (float(f(*plus)) - float(f(*minus))) / (2 * h)
    return float(jnp.sum(grads * direction)), numeric


def test_jax_grad_matches_finite_differences(jax_likelihood, case):
    """One pixelization and three functions: well conditioned, so central differences
    with h = 1e-6 agree to ~1e-8; weights, function columns and the coefficient."""
    import jax.numpy as jnp

    p1 = case.pixelizations[1]

    def step(w, b, c):
        model = LensModel((p1._replace(pix_weights_for_sub_slim_index=w, coefficient=c),), b)
        return Likelihood.log_evidence(jax_likelihood, model)

    args = [jnp.asarray(p1.pix_weights_for_sub_slim_index), jnp.asarray(case.functions), 0.7]
    rng = np.random.default_rng(1)
    directions = [
        _zero_sum_direction(p1.pix_indexes_for_sub_slim_index, rng) + 0.1,  # any change
        rng.normal(size=case.functions.shape),
        1.0,
    ]
    directions[0] = np.where(
        np.cumprod(p1.pix_indexes_for_sub_slim_index >= 0, 1) > 0, directions[0], 0.0
    )
    # log det H carries its 1e-8 ridge's rounding (~1e-14 absolute, exact row sums keep it
    # there), so the coefficient's difference needs a larger step (measured: h = 1e-6 is
    # 1e-4 off, h = 1e-4 4e-7)
    steps = [1e-6 * float(np.max(np.abs(args[0]))), 1e-6 * float(np.max(case.functions)), 1e-4]
    for n, (direction, h) in enumerate(zip(directions, steps)):
        analytic, numeric = _directional(step, args, n, direction, h)
        assert analytic == pytest.approx(numeric, rel=2e-6), n


@pytest.mark.slow  # compiles several JAX programs: in nox -s tests-slow
def test_jax_grad_with_two_pixelizations(jax_likelihood, case):
    """Two pixelizations: F + H has H's 1e-8 eigenvalue, whose log carries rounding of
    ~eps max|F| / 1e-8 ~ 1e-5 in the evidence, so a central difference with step h has an
    error of ~1e-5 / h: with h = 1e-3 (and changes that keep each mapping row's sum, so the
    eigenvalue stays at the ridge and the evidence smooth) ~1e-5 relative, as measured.
    The analytic gradients of the conv and fft routes (different F algorithms, the same
    algebra) agree to ~3e-7: F's rounding through the ill-conditioned solve."""
    import jax.numpy as jnp

    p0, p1 = case.pixelizations
    lk_fft = Likelihood(case.observation, backend="jax", method="fft").precompute()

    def step_on(lk):
        def step(w, b):
            model = LensModel((p0, p1._replace(pix_weights_for_sub_slim_index=w)), b)
            return Likelihood.log_evidence(lk, model)

        return step

    args = [jnp.asarray(p1.pix_weights_for_sub_slim_index), jnp.asarray(case.functions)]
    direction = _zero_sum_direction(p1.pix_indexes_for_sub_slim_index, np.random.default_rng(2))
    analytic, numeric = _directional(step_on(jax_likelihood), args, 0, direction, 1e-3)
    assert analytic == pytest.approx(numeric, rel=1e-4)
    other, _ = _directional(step_on(lk_fft), args, 0, direction, 1e-3)
    assert analytic == pytest.approx(other, rel=1e-5)  # measured 3e-7


def test_jax_out_of_range_index_under_jit_is_nan(jax_likelihood, case):
    import jax
    import jax.numpy as jnp

    p1 = case.pixelizations[1]
    bad = jnp.asarray(np.where(p1.pix_indexes_for_sub_slim_index >= 0, 30, -1))

    def step(indexes):
        model = case.model(
            pixelizations=(
                case.pixelizations[0],
                p1._replace(pix_indexes_for_sub_slim_index=indexes),
            )
        )
        return Likelihood.log_evidence(jax_likelihood, model)

    assert np.isnan(float(jax.jit(step)(bad)))


def test_exports():
    assert autojax.LensModel is LensModel and autojax.Pixelization is Pixelization
    assert autojax.ModelFit is ModelFit


def test_jax_bad_values_under_jit_are_nan(jax_likelihood, case):
    """Inside jax.jit the values cannot be checked: NaN in, NaN out (as for one mapping)."""
    import jax
    import jax.numpy as jnp

    functions = jnp.asarray(case.functions).at[5, 1].set(jnp.nan)
    step = jax.jit(lambda b: Likelihood.log_evidence(jax_likelihood, case.model(functions=b)))
    assert np.isnan(float(step(functions)))
    assert np.isfinite(float(step(jnp.asarray(case.functions))))
    p0, p1 = case.pixelizations
    weights = jnp.asarray(p1.pix_weights_for_sub_slim_index).at[3, 0].set(jnp.inf)

    def with_second(w, c):
        model = case.model(
            pixelizations=(p0, p1._replace(pix_weights_for_sub_slim_index=w, coefficient=c))
        )
        return Likelihood.log_evidence(jax_likelihood, model)

    step = jax.jit(with_second)
    assert np.isnan(float(step(weights, 1.0)))  # a weight that is not finite
    good = jnp.asarray(p1.pix_weights_for_sub_slim_index)
    assert np.isnan(float(step(good, -1.0)))  # a negative coefficient
    assert np.isfinite(float(step(good, 1.0)))


def test_solve_by_blocks_equals_one_factor():
    """The NumPy route (pixel block factored, the functions' Schur complement) against one
    solve of the assembled matrix, and its refusals: -inf comes from ok = False."""
    from autojax.lens_model import _solve_by_blocks

    rng = np.random.default_rng(3)
    g = rng.normal(size=(40, 9))
    whole = g.T @ g + 0.1 * np.eye(9)
    d = rng.normal(size=9)
    s, logdet, ok = _solve_by_blocks(whole[:6, :6].copy(), whole[:6, 6:], whole[6:, 6:], d)
    assert ok
    np.testing.assert_allclose(s, np.linalg.solve(whole, d), rtol=1e-12)
    assert logdet == pytest.approx(np.linalg.slogdet(whole[:6, :6])[1], rel=1e-12)
    assert _solve_by_blocks(-np.eye(6), whole[:6, 6:], whole[6:, 6:], d)[2] is False
    # a positive pixel block whose whole matrix is not positive definite
    assert _solve_by_blocks(np.eye(6), 2 * np.ones((6, 3)), np.eye(3), d)[2] is False


def test_numpy_factorisations_read_the_lower_triangle_of_an_asymmetric_matrix():
    """The NumPy Cholesky routes read the lower triangle of a C-ordered matrix (what SciPy
    and NumPy do), also now that they pass its transpose to LAPACK to avoid a copy: an H
    from neighbour lists that are not mutual is not symmetric, and the evidence must not
    depend on the layout."""
    from autojax import _linalg
    from autojax.lens_model import _solve_by_blocks

    rng = np.random.default_rng(11)
    n, functions = 37, 3
    root = rng.normal(size=(n + functions, n + functions))
    whole = root @ root.T + (n + functions) * np.eye(n + functions)
    lower_only = np.tril(whole)
    asymmetric = lower_only + np.triu(rng.normal(size=whole.shape), 1)  # junk above
    rhs = rng.normal(size=n + functions)
    want_solution = np.linalg.solve(whole, rhs)
    want_logdet = np.linalg.slogdet(whole[:n, :n])[1]

    block = np.ascontiguousarray(asymmetric[:n, :n])
    solution, logdet, ok = _linalg.cholesky_solve_logdet(np, block.copy(), rhs[:n])
    assert ok
    np.testing.assert_allclose(solution, np.linalg.solve(whole[:n, :n], rhs[:n]), rtol=1e-10)
    assert logdet == pytest.approx(want_logdet, rel=1e-12)

    solution, logdet, ok = _solve_by_blocks(block.copy(), whole[:n, n:], whole[n:, n:], rhs)
    assert ok
    np.testing.assert_allclose(solution, want_solution, rtol=1e-10)
    assert logdet == pytest.approx(want_logdet, rel=1e-12)
    # a Fortran-ordered matrix is read the same way
    solution, logdet, ok = _solve_by_blocks(
        np.asfortranarray(block), whole[:n, n:], whole[n:, n:], rhs
    )
    np.testing.assert_allclose(solution, want_solution, rtol=1e-10)
