"""Property tests: every backend agrees with ``autojax.reference`` on random valid problems.

A problem is drawn by Hypothesis: which image pixels of the N x N grid are unmasked, the
pixel scale, uv coverage, noise, data and dirty image, the mapping rows (each ends early
with -1 at a random place, all -1 rows included; the indices and weights after a row's
first -1 are junk that must be ignored), and a neighbour graph of degree <= P whose rows end early with -1 and
whose ``neighbors_sizes`` count the entries before the first -1.

The sizes come from a short menu of profiles, chosen so that each of N, M, K, S, B, P is 1
somewhere, S is much larger and much smaller than M, and K = 1 occurs. Values vary
freely; shapes do not, because JAX compiles every kernel once per shape: with four
profiles the whole file compiles each JAX kernel at most four times.

Tolerances (docs/contract.md): 1e-10 relative to the array's largest magnitude, 1e-9 for the
likelihoods, and for the NUFFT method of the compact form 1e-9 of the peak.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, backend_name
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from autojax import reference as ref
from autojax.datasets import Dataset
from autojax.util.testing import reference_function

#: profile -> (N, M, K, S, B, P)
PROFILES = {
    "all ones": (1, 1, 1, 1, 1, 1),
    "S >> M, K = 1, P = 1": (5, 7, 1, 40, 3, 1),
    "S << M": (6, 19, 6, 3, 2, 4),
    "full grid, B = 4": (3, 9, 4, 6, 4, 3),
}

# derandomized: the same examples on every run and machine (CI cannot flake); bounded so
# that the file (Numba and JAX compilation included) runs in well under two minutes
PROFILE = settings(
    derandomize=True,
    max_examples=5,
    deadline=None,
    database=None,
    # the ``backend`` fixture only returns a module: sharing it across examples is safe
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

#: kernels checked in every backend that has them (with each of their methods)
KERNELS = [
    "w_tilde_data_interferometer_from",
    "w_tilde_curvature_interferometer_from",
    "w_tilde_curvature_preload_interferometer_from",
    "w_compact_curvature_interferometer_from",
    "w_compact_curvature_interferometer_exact_from",
    "w_compact_curvature_interferometer_nufft_from",
    "w_tilde_via_compact_from",
    "w_tilde_via_preload_from",
    "mapping_matrix_from",
    "mapping_matrix_from_BCOO",
    "data_vector_from",
    "sparse_mapping_matrix_transpose_matmul",
    "_w_tilde_matmul_sparse_mapping_matrix_from",
    "_w_compact_matmul_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_tilde_from",
    "curvature_matrix_via_w_wilde_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_tilde_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_compact_two_pass_from",
    "curvature_matrix_via_w_compact_conv_from",
    "curvature_matrix_via_w_compact_fft_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_direct_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_from_BCOO",
    "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
    "_neighbor_adjacency_from",
    "constant_regularization_matrix_from",
    "reconstruction_positive_negative_from",
    "noise_normalization_complex_from",
    "log_likelihood_function_via_w_tilde_from",
    "log_likelihood_function_via_w_compact_from",
]
NUFFT = {"w_compact_curvature_interferometer_nufft_from"}


class Problem(Dataset):
    """A drawn problem; the derived arrays (W-tilde, T, F, ...) come from the reference."""

    name = "Problem"

    def __repr__(self) -> str:
        return f"Problem({self.profile}: {self.sizes})"


def _floats(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _rows(draw, count: int, width: int, values, exclude_self: bool = False, junk: bool = False):
    """``count`` rows of ``width`` distinct values ending early with -1 (lengths 0..width).

    ``junk``: after a row's first -1, other indices (docs/contract.md: they are never read).
    """
    out = np.full((count, width), -1, dtype=np.int64)
    for i in range(count):
        choices = [v for v in values if not (exclude_self and v == i)]
        most = min(width, len(choices))
        # full rows, rows ending early and all -1 rows, in about equal parts
        length = draw(st.sampled_from(["full", "early", "empty"]))
        length = {"full": most, "empty": 0}.get(length) or draw(st.integers(0, most))
        row = draw(st.permutations(choices))[:length]
        out[i, :length] = row
        if junk and length + 1 < width:  # entries after the first -1 are ignored: any index
            tail = draw(st.lists(st.sampled_from([-1, *values]), min_size=width - length - 1))
            out[i, length + 1 :] = tail[: width - length - 1]
    return out


def _symmetric_graph(draw, s: int, p: int):
    """A random undirected graph of degree <= p, rows in random order, -1 padded."""
    adjacency = [[] for _ in range(s)]
    if s > 2 and p > 1 and draw(st.booleans()):  # half the graphs start from a ring: connected
        for i in range(s):
            adjacency[i] += [(i + 1) % s, (i - 1) % s]
    if s > 1:
        pairs = draw(
            st.lists(st.tuples(st.integers(0, s - 1), st.integers(0, s - 1)), max_size=s * p)
        )
        for i, j in pairs:
            if i != j and j not in adjacency[i] and len(adjacency[i]) < p and len(adjacency[j]) < p:
                adjacency[i].append(j)
                adjacency[j].append(i)
    neighbors = np.full((s, p), -1, dtype=np.int64)
    for i, row in enumerate(adjacency):
        neighbors[i, : len(row)] = row
    return neighbors, np.array([len(a) for a in adjacency], dtype=np.int64)


@st.composite
def problems(draw, profile: str):
    n, m, k, s, b, p = PROFILES[profile]
    ds = Problem()
    ds.profile = profile
    ds.pixels = s
    ds._circular_image_plane(n, draw(st.sampled_from([0.05, 0.2, 0.7])))
    # any m of the N x N pixels are unmasked (not necessarily a disc)
    cells = np.sort(np.array(draw(st.permutations(range(n * n)))[:m]))
    rows, cols = cells // n, cells % n
    ds.mask = np.ones((n, n), dtype=bool)
    ds.mask[rows, cols] = False
    ds.native_index_for_slim_index = np.stack([rows, cols], axis=1).astype(np.int64)
    ds.grid_radians_slim = np.ascontiguousarray(ds.grid_radians_2d[rows, cols])

    ds.uv_wavelengths = draw(arrays(np.float64, (k, 2), elements=_floats(-5e5, 5e5)))
    # Re(sigma) == Im(sigma): the W-tilde and lattice likelihoods refuse anything else (the
    # dirty image's tests cover unequal parts)
    sigma = draw(arrays(np.float64, k, elements=_floats(0.5, 1.5)))
    ds.noise_map = sigma + 1j * sigma
    # w_tilde_data divides by Re(data): keep it away from 0
    sign = draw(arrays(np.int64, k, elements=st.sampled_from([-1, 1])))
    ds.data = sign * draw(arrays(np.float64, k, elements=_floats(0.1, 2))) + 1j * draw(
        arrays(np.float64, k, elements=_floats(-2, 2))
    )
    ds.dirty_image = draw(arrays(np.float64, m, elements=_floats(-3, 3)))

    ds.pix_indexes_for_sub_slim_index = _rows(draw, m, b, range(s), junk=True)
    weights = draw(arrays(np.float64, (m, b), elements=_floats(0.05, 1.0)))
    valid = np.cumprod(ds.pix_indexes_for_sub_slim_index >= 0, axis=1).astype(bool)
    total = np.where(valid, weights, 0.0).sum(axis=1, keepdims=True)
    # weights of a row sum to 1; entries after its first -1 keep their junk values
    ds.pix_weights_for_sub_slim_index = np.where(
        valid, weights / np.maximum(total, 1e-300), weights
    )

    ds.neighbors, ds.neighbors_sizes = _symmetric_graph(draw, s, p)
    return ds


def _conditioning(ds, want) -> float:
    """The relative error rounding alone may cause in the solve and the likelihood.

    F + H's smallest eigenvalue can be H's 1e-8 diagonal (a source pixel no image pixel
    sees, a graph in pieces), so its condition number reaches ~1e10 on valid problems, and
    backends that round F differently (or factorise differently from the reference) then
    differ by more than 1e-9. To first order, a relative change eps of A = F + H
    moves ``A^-1 D`` by ``eps cond(A) |s|`` and the likelihood by
    ``eps (S cond(A) + |A| |s|^2) / 2``; allow 100 times that (F itself comes
    from sums over M pixels). Well-conditioned problems keep the 1e-9 / 1e-10 bound.
    """
    eps = np.finfo(np.float64).eps
    a = ds.curvature_reg_matrix
    cond_a = np.linalg.cond(a)
    if np.ndim(want):  # the solution s
        return 100 * eps * cond_a
    s = ref.reconstruction_positive_negative_from(ds.data_vector, a)
    change = 0.5 * eps * (ds.S * cond_a + np.linalg.norm(a, 2) * s @ s)
    return 100 * change / max(abs(float(want)), 1e-300)


def _rtol(kernel, ds, want) -> float:
    rtol = 1e-9 if "likelihood" in kernel or kernel in NUFFT else 1e-10
    if kernel == "reconstruction_positive_negative_from" or "likelihood" in kernel:
        rtol = max(rtol, _conditioning(ds, want))
    return rtol


def _call(func, ds, method=None):
    args = ds.args_for(func)
    result = func(*args) if method is None else func(*args, method=method)
    return result.todense() if hasattr(result, "todense") else result


def _check_backend(backend, ds):
    name = backend_name(backend)
    methods = getattr(backend, "METHODS", {})
    for kernel in KERNELS:
        func = getattr(backend, kernel, None)
        if func is None:
            continue
        want = reference_function(kernel)(*ds.args_for(reference_function(kernel)))
        base = _rtol(kernel, ds, want)
        for method in (None, *methods.get(kernel, ())):
            rtol = base
            nufft = method is None or method.startswith("nufft")
            if kernel == "w_compact_curvature_interferometer_from" and nufft:
                rtol = 1e-9  # "auto" may pick the NUFFT
            label = f"{name}.{kernel}" + (f"(method={method})" if method else "") + f" on {ds!r}"
            assert_close(_call(func, ds, method), want, rtol=rtol, err_msg=label)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_backend_matches_reference(backend, profile):
    @PROFILE
    @given(ds=problems(profile))
    def check(ds):
        _check_backend(backend, ds)

    check()


@pytest.mark.parametrize("profile", list(PROFILES))
def test_regularization_of_any_ragged_graph(backend, profile):
    @PROFILE
    @given(ds=problems(profile), coefficient=_floats(0.01, 10.0), data=st.data())
    def check(ds, coefficient, data):
        _regularization(backend, ds, coefficient, data)

    check()


def _regularization(backend, ds, coefficient, data):
    """H from a neighbour array that need not be symmetric; rows end early with -1."""
    s, p = ds.S, ds.P
    neighbors = _rows(data.draw, s, p, range(s), exclude_self=True, junk=True)
    sizes = np.cumprod(neighbors >= 0, axis=1).sum(axis=1).astype(np.int64)
    func = backend.constant_regularization_matrix_from
    assert_close(
        func(coefficient, neighbors, sizes),
        ref.constant_regularization_matrix_from(coefficient, neighbors, sizes),
        err_msg=f"{backend_name(backend)} on {ds!r}",
    )


# ------------------------------------------------------------------ xp on array-api-strict

STRICT_KERNELS = [
    "w_tilde_via_compact_from",
    "mapping_matrix_from",
    "data_vector_from",
    "curvature_matrix_via_w_compact_two_pass_from",
    "constant_regularization_matrix_from",
    "log_likelihood_function_via_w_tilde_from",
]


@pytest.mark.parametrize("profile", ["all ones", "S << M"])
def test_xp_on_array_api_strict_matches_reference(profile):
    xps = pytest.importorskip("array_api_strict")

    @settings(PROFILE, max_examples=4)
    @given(ds=problems(profile))
    def check(ds):
        _strict(xps, ds)

    check()


def _strict(xps, ds):
    import autojax.xp as backend

    for kernel in STRICT_KERNELS:
        func = getattr(backend, kernel)
        args = [xps.asarray(a) if isinstance(a, np.ndarray) else a for a in ds.args_for(func)]
        want = reference_function(kernel)(*ds.args_for(reference_function(kernel)))
        rtol = _rtol(kernel, ds, want)
        namespace = xps if np.ndim(want) else None
        assert_close(func(*args), want, rtol=rtol, namespace=namespace, err_msg=f"{kernel} {ds!r}")
