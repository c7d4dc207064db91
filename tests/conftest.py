"""Shared fixtures: datasets (including awkward sizes), the ``backend`` fixture, ``assert_close``.

Every kernel test runs once per backend x dataset. The backend list comes from
``autojax.backends``; a backend that does not import here (an optional extra missing) is
skipped with the import error as the reason, and a kernel a backend does not provide is
skipped with the reason the capability table gives.
"""

from __future__ import annotations

import numpy as np
import pytest

from autojax import backends
from autojax.datasets import DataGenerated, DataLoaded

# ------------------------------------------------------------------------------- datasets

#: name -> factory. The first two are the project's datasets; the rest are awkward cases.
DATASETS = {
    "DataLoaded": DataLoaded,
    "DataGenerated": DataGenerated,  # sizes from AUTOJAX_* (defaults N=30, K=1024, S=256)
    # M = 113 (not square, prime), K = 1, rows ending early, S < M
    "small-K1-ragged": lambda: DataGenerated(N=12, K=1, S=40, B=3, P=5, ragged=0.4),
    # S much larger than M, B = 4, most rows truncated
    "S>>M": lambda: DataGenerated(N=7, K=13, S=211, B=4, P=7, ragged=0.7),
    # S much smaller than M, B = 2, odd K
    "S<<M": lambda: DataGenerated(N=17, K=29, S=9, B=2, P=3),
}

_cache: dict[str, object] = {}


def get_dataset(name: str):
    """Build (once per session) and return dataset ``name``."""
    if name not in _cache:
        _cache[name] = DATASETS[name]()
    return _cache[name]


@pytest.fixture(params=list(DATASETS), scope="session")
def dataset(request):
    return get_dataset(request.param)


# ------------------------------------------------------------------------------- backends

_STATUS = backends.available()


@pytest.fixture(params=backends.NAMES)
def backend(request):
    """The module of one backend (``autojax.original``, ``autojax.numba``, ...)."""
    reason = _STATUS[request.param]
    if reason is not None:
        pytest.skip(f"backend {request.param} does not import here: {reason}")
    return backends.load(request.param)


def backend_name(module) -> str:
    return module.__name__.rsplit(".", 1)[-1]


# ------------------------------------------------------------------------------- comparison


def to_numpy(value):
    """Any backend's array (NumPy, JAX, array-api-strict, ...) as a NumPy array."""
    if isinstance(value, np.ndarray):
        return value
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        return np.from_dlpack(value)


def assert_close(actual, expected, *, rtol: float = 1e-10, namespace=None, err_msg: str = ""):
    """The one assertion for kernel outputs.

    Checks, in this order: the array namespace (when ``namespace`` is given), the kind of
    dtype (bool, integer, real, complex), the shape, then the values with ``rtol`` and an
    absolute tolerance ``rtol * max|expected|`` (KERNELS.md's rule). Tuples compare
    element by element; scalars compare as 0-d arrays.
    """
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), (
            f"{err_msg}: expected a tuple of {len(expected)}, got {type(actual).__name__}"
        )
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, namespace=namespace, err_msg=err_msg)
        return
    if namespace is not None and np.ndim(expected) > 0:
        from array_api_compat import array_namespace

        got = array_namespace(actual)
        assert got is namespace or getattr(got, "__name__", None) == getattr(
            namespace, "__name__", 0
        ), f"{err_msg}: result lives in {got.__name__}, expected {namespace.__name__}"
    a = to_numpy(actual)
    e = np.asarray(expected)
    kind = {"b": "bool", "i": "integer", "u": "integer", "f": "real", "c": "complex"}
    assert kind.get(a.dtype.kind) == kind.get(e.dtype.kind), (
        f"{err_msg}: dtype {a.dtype} is not of the same kind as the reference's {e.dtype}"
    )
    assert a.shape == e.shape, f"{err_msg}: shape {a.shape} != reference shape {e.shape}"
    if e.dtype.kind in "biu":
        np.testing.assert_array_equal(a, e, err_msg=err_msg)
        return
    assert np.all(np.isfinite(a)), f"{err_msg}: result has non-finite values"
    scale = float(np.max(np.abs(e))) if e.size else 0.0
    np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * scale, err_msg=err_msg)


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden from the toy spec"
    )
