"""The four workloads (W4, the whole lens model, in :mod:`.lens_model`): their public kernels, titles, baselines and method keywords.

Methods are discovered, not listed here: a backend module exporting ``METHODS`` (public
name -> the methods it has) gets one row per method, called with ``method=`` (``auto`` is
left out); for a public name without an entry the backend has one row, called without the
keyword, named after what it does today (W1 ``exact``, W2 ``two_pass``, W3 ``default``).
"""

from __future__ import annotations

import functools
import inspect

from autojax import backends

WORKLOADS = ("W1", "W2", "W3", "W4")
#: what a preset runs when ``--workloads`` is not given (W4: the ``*_lens_model`` presets)
DEFAULT_WORKLOADS = ("W1", "W2", "W3")
WORKLOAD_TITLES = {
    "W1": "W1 precompute: the compact W-tilde form",
    "W2": "W2 curvature matrix F = T^T W T",
    "W3": "W3 one likelihood step",
    "W4": "W4 whole lens model: two pixelizations + linear functions",
}
#: the public kernel of each workload (the name ``METHODS`` is keyed by); W3 also times
#: ``autojax.Likelihood.log_evidence`` (see :mod:`.rows`)
PUBLIC = {
    "W1": "w_compact_curvature_interferometer_from",
    "W2": "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "W3": "log_likelihood_function_via_w_compact_from",
}
#: W1's second transform: the dirty image's NUFFT rows (a type 3; its exact sum, O(M K), is
#: left out: the reference checks spot pixels)
DIRTY = "dirty_image_from"
#: the bare library calls W1 times on the same points as the kernels (the floor of their
#: NUFFT rows): label -> (transform, library)
BARE = {
    "ducc0 nu2u (bare)": ("compact", "ducc0"),
    "finufft nufft2d1 (bare)": ("compact", "finufft"),
    "ducc0 nu2nu (bare)": ("dirty", "ducc0"),
    "finufft nufft2d3 (bare)": ("dirty", "finufft"),
}
#: the method a backend without ``METHODS`` has (called without the keyword)
DEFAULT_METHOD = {"W1": "exact", "W2": "two_pass", "W3": "default"}
#: what the two kinds of W3 row time, as their labels say
STEP = "step (Likelihood, K-free)"
SEED_ARGUMENTS = "seed-argument likelihood (recomputes K sums)"
#: the row each workload's ratios are taken against
BASELINE = {
    "W1": "numba exact",
    "W2": "numba two_pass",
    "W3": f"numba two_pass: {STEP}",
    "W4": "numba F one pixelization",
}
#: the tolerance passed to NUFFT methods with --nufft-eps (by default none is passed: the
#: kernel's own default is meant to meet the W1 rule; upstream uses 1e-12)
NUFFT_EPS: float | None = None


def nufft_kwargs(fn, method: str, eps: float | None) -> dict:
    """``eps=`` for a NUFFT method (``nufft``, ``nufft_<library>``) when one was chosen and
    the kernel takes it."""
    if not method.startswith("nufft") or eps is None:
        return {}
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    return {"eps": eps} if "eps" in params else {}


def default_eps(fn) -> float | None:
    """The ``eps`` a kernel uses when none is passed (None when it takes none)."""
    try:
        param = inspect.signature(fn).parameters.get("eps")
    except (TypeError, ValueError):
        return None
    return None if param is None or param.default is inspect.Parameter.empty else param.default


def numba_methods(workload: str) -> tuple[str, ...]:
    """The methods the ``numba`` backend lists for ``workload``'s public kernel."""
    table = getattr(backends.load("numba"), "METHODS", None) or {}
    return tuple(table.get(PUBLIC[workload], ()))


def numba_call(workload: str, method: str | None = None, eps: float | None = None):
    """The ``numba`` backend's kernel of ``workload``, with ``method=`` when it has METHODS.

    Looked up at call time, so that a test may patch the module (and see the reference
    check catch it).
    """
    module = backends.load("numba")
    fn = getattr(module, PUBLIC[workload])
    table = getattr(module, "METHODS", None)
    if table is None or PUBLIC[workload] not in table or method is None:
        return fn
    return functools.partial(fn, method=method, **nufft_kwargs(fn, method, eps))
