"""Process-wide settings autojax makes on import, and the ones it leaves to the user."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _setting_after_import(variable: str, preset: str | None) -> str:
    """``variable`` in a fresh process after ``import autojax``, started with it set to
    ``preset`` (or unset)."""
    env = {k: v for k, v in os.environ.items() if k != variable}
    if preset is not None:
        env[variable] = preset
    code = f"import os, autojax; print(os.environ[{variable!r}])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize(("preset", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_waits_passively_unless_the_user_chose(preset, expected):
    assert _setting_after_import("OMP_WAIT_POLICY", preset) == expected


@pytest.mark.parametrize(("preset", "expected"), [(None, "16"), ("30", "30")])
def test_openblas_workers_stop_spinning_soon_unless_the_user_chose(preset, expected):
    assert _setting_after_import("OPENBLAS_THREAD_TIMEOUT", preset) == expected


def test_small_products_run_blas_on_the_calling_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl", reason="the limit needs threadpoolctl")
    import numpy as np

    from autojax import _linalg

    np.ones((4, 4)) @ np.ones((4, 4))  # NumPy's BLAS is loaded
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    if not blas:
        pytest.skip("no BLAS library that threadpoolctl can see")
    with _linalg.single_blas_thread():
        inside = [
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        ]
    after = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert inside == [1] * len(inside)
    assert after == [i["num_threads"] for i in blas]


def test_huge_page_advice_covers_whole_pages_inside_the_array():
    """advise_huge_pages (for the host loop's result in XLA's buffer) gives the kernel a
    page-aligned range inside the array, also for a view that starts mid-page (a range
    outside the pages' bounds would be refused with EINVAL), and leaves the values alone;
    small arrays are not worth the call. The allocator itself is not changed."""
    np = pytest.importorskip("numpy")
    from autojax import _runtime

    if not os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled"):
        pytest.skip("no transparent huge pages on this system (not Linux, or not built in)")
    big = np.arange(2**21, dtype=np.float64)  # 16 MiB
    for view in (big, big[1:], big.view(np.uint8)[3:-5]):
        assert _runtime.advise_huge_pages(view)
    np.testing.assert_array_equal(big, np.arange(2**21, dtype=np.float64))
    assert not _runtime.advise_huge_pages(np.zeros(1000))
