"""Shared fixtures: datasets (including awkward sizes), the ``backend`` fixture, ``assert_close``.

Every kernel test runs once per backend x dataset. The backend list comes from
``autojax.backends``; a backend that does not import here (an optional extra missing) is
skipped with the import error as the reason, and a kernel a backend does not provide is
skipped with the reason the capability table gives.
"""

from __future__ import annotations

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

from autojax.util.testing import assert_close, to_numpy  # noqa: E402,F401  (re-exported)


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden from the toy spec"
    )
