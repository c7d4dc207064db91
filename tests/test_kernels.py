"""Every kernel in every backend against the float64 NumPy reference, on every dataset."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, backend_name
from kernels import all_kernels, expected, skip_reason


def check_against_reference(func, kernel, dataset, label, rtol=1e-10):
    """Call ``func`` on the dataset and compare with the reference result of ``kernel``."""
    result = func(*dataset.args_for(func))
    if hasattr(result, "todense"):  # sparse results (JAX BCOO) compare densely
        result = result.todense()
    assert_close(result, expected(kernel, dataset), rtol=rtol, err_msg=f"{label} on {dataset!r}")


@pytest.mark.parametrize("kernel", all_kernels())
def test_kernel_matches_reference(backend, kernel, dataset):
    func = getattr(backend, kernel, None)
    if func is None:
        pytest.skip(skip_reason(backend_name(backend), kernel))
    # original's likelihood is upstream's LU solve and slogdet; the reference (like the
    # generated backends) uses Cholesky factors. On a rank-one F (K = 1) with H's 1e-8
    # diagonal the two factorisations differ by ~3e-10 relative.
    rtol = 1e-9 if backend_name(backend) == "original" and "likelihood" in kernel else 1e-10
    check_against_reference(func, kernel, dataset, f"{backend_name(backend)}.{kernel}", rtol)


def test_kernel_inputs_are_not_modified(backend):
    """Kernels must not write into their inputs (the MCMC loop reuses them)."""
    from conftest import get_dataset

    ds = get_dataset("small-K1-ragged")
    for kernel in all_kernels():
        func = getattr(backend, kernel, None)
        if func is None:
            continue
        args = ds.args_for(func)
        before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        func(*args)
        for a, b in zip(args, before):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=f"{kernel} modified an input")


@pytest.mark.parametrize("name", ["S>>M"])  # ragged rows, K = 13: several chunks of every kind
def test_jax_kernels_in_many_chunks(monkeypatch, name):
    """JAX kernels scan K (or the outer loop) in chunks; force many, with a ragged last one.

    With a budget of 5,003 elements every chunked kernel takes several steps on these
    datasets; retracing (``jax.clear_caches``) makes the new budget take effect.
    """
    jax = pytest.importorskip("jax")
    from conftest import get_dataset

    import autojax.jax as backend

    ds = get_dataset(name)
    monkeypatch.setattr("autojax._runtime.CHUNK_BUDGET", 5003)
    monkeypatch.setattr("autojax._runtime.SCATTER_BUDGET", 5003)
    jax.clear_caches()
    try:
        for kernel in all_kernels():
            func = getattr(backend, kernel, None)
            if func is not None:
                check_against_reference(func, kernel, ds, f"jax.{kernel} in chunks")
    finally:
        jax.clear_caches()
