"""The log-likelihood against an evaluation that uses no W-tilde and no dirty image.

``reference.log_likelihood_dense_from`` builds the transfer matrix from the visibilities,
solves the regularised least-squares problem and evaluates
``-0.5 (chi^2 + s^T H s + logdet(F+H) - logdet(H) + noise_norm)`` with chi^2 from the
residuals of the solved system. The W-tilde kernels must agree with it whenever the
dataset is self-consistent (dirty image of the data, Re(sigma) == Im(sigma)).
"""

from __future__ import annotations

import pytest
from conftest import assert_close, backend_name

from autojax import reference as ref
from autojax.datasets import DataGenerated, DataLoaded

CONSISTENT = {
    "DataLoaded": DataLoaded,
    "consistent-small": lambda: DataGenerated(
        N=14, K=57, S=31, B=3, P=6, ragged=0.3, consistent=True
    ),
}
LIKELIHOODS = [
    "log_likelihood_function_via_w_tilde_from",
    "log_likelihood_function_via_w_compact_from",
]


@pytest.fixture(params=list(CONSISTENT), scope="module")
def consistent(request):
    return CONSISTENT[request.param]()


def _dense(ds):
    return ref.log_likelihood_dense_from(
        ds.data,
        ds.noise_map,
        ds.uv_wavelengths,
        ds.grid_radians_slim,
        ds.mapping_matrix,
        ds.neighbors,
        ds.neighbors_sizes,
    )


def test_reference_formula_equals_dense_evaluation(consistent):
    wt = ref.log_likelihood_function_via_w_tilde_from(
        *consistent.args_for(ref.log_likelihood_function_via_w_tilde_from)
    )
    assert_close(wt, _dense(consistent), rtol=1e-9)


@pytest.mark.parametrize("kernel", LIKELIHOODS)
def test_backend_likelihood_equals_dense_evaluation(backend, kernel, consistent):
    func = getattr(backend, kernel, None)
    if func is None:
        pytest.skip(f"{backend_name(backend)} has no {kernel}")
    value = func(*consistent.args_for(func))
    # logdet of a ~700 x 700 matrix and a sum of ~1e3 chi^2 terms: rounding ~1e-12 relative
    assert_close(
        float(value), _dense(consistent), rtol=1e-9, err_msg=f"{backend_name(backend)}.{kernel}"
    )
