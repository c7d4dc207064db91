"""Valid inputs in awkward memory layouts give the right answer in every backend.

Arrays read from FITS files are big-endian (``>f8``, ``>i8``, ``>c16``); slices of bigger
arrays are strided; arrays from Fortran code or transposes are Fortran-ordered; arrays a
caller protects (or memory-maps) are read-only. None of this changes the values, so every
backend must give the reference result. Each kernel is first called with ordinary arrays
(a warm-up: JAX caches compiled code by shape and dtype, which is where a byte-order
mix-up would hide), then with the awkward ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, backend_name, get_dataset

from autojax.util.testing import reference_function

#: kernels representative of every kind: compact form, curvature, likelihood, mapping,
#: regularization (and the solve); each backend runs the ones it has
KERNELS = [
    "w_compact_curvature_interferometer_from",
    "w_tilde_curvature_interferometer_from",
    "mapping_matrix_from",
    "curvature_matrix_via_w_tilde_from",
    "curvature_matrix_via_w_compact_sparse_mapping_matrix_from",
    "curvature_matrix_via_w_tilde_curvature_preload_interferometer_from",
    "constant_regularization_matrix_from",
    "reconstruction_positive_negative_from",
    "log_likelihood_function_via_w_tilde_from",
    "log_likelihood_function_via_w_compact_from",
]


def big_endian(a: np.ndarray) -> np.ndarray:
    return a.astype(a.dtype.newbyteorder(">"))


def fortran(a: np.ndarray) -> np.ndarray:
    return np.asfortranarray(a)


def strided(a: np.ndarray) -> np.ndarray:
    """Every other row of an array twice as long (junk in between)."""
    big = np.full((2 * a.shape[0], *a.shape[1:]), 7, dtype=a.dtype) if a.ndim else a
    big[::2] = a
    return big[::2]


def read_only(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


def everything(a: np.ndarray) -> np.ndarray:
    """Big-endian, Fortran-ordered, strided and read-only at once."""
    return read_only(strided(fortran(big_endian(a))))


LAYOUTS = {
    "big-endian": big_endian,
    "fortran": fortran,
    "strided": strided,
    "read-only": read_only,
    "all at once": everything,
}

# JAX would keep the bytes of a big-endian NumPy array and read them as little-endian (after
# a warm-up call with ordinary arrays its results were garbage); the input checks of every
# backend (src/autojax/_validate.py) convert to native byte order first.


def _cases():
    for backend in ("original", "numba", "jax", "xp"):
        for layout in LAYOUTS:
            yield pytest.param(backend, layout, id=f"{backend}-{layout}")


def _awkward(args, layout):
    change = LAYOUTS[layout]
    return [change(a) if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("dataset_name", ["S<<M"])
@pytest.mark.parametrize(("name", "layout"), list(_cases()))
def test_awkward_layout_gives_reference_result(name, layout, dataset_name):
    from autojax import backends

    reason = backends.available()[name]
    if reason is not None:
        pytest.skip(f"backend {name} does not import here: {reason}")
    backend = backends.load(name)
    ds = get_dataset(dataset_name)
    checked = 0
    for kernel in KERNELS:
        func = getattr(backend, kernel, None)
        if func is None:
            continue
        args = ds.args_for(func)
        want = reference_function(kernel)(*ds.args_for(reference_function(kernel)))
        rtol = 1e-9 if "likelihood" in kernel else 1e-10
        label = f"{backend_name(backend)}.{kernel} with {layout} inputs"
        assert_close(func(*args), want, rtol=rtol, err_msg=f"{label} (warm-up)")
        awkward = _awkward(args, layout)
        before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in awkward]
        assert_close(func(*awkward), want, rtol=rtol, err_msg=label)
        for a, b in zip(awkward, before):  # and the inputs are left as they were
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a, b), f"{label} changed an input"
        checked += 1
    assert checked >= 5, f"{name} ran only {checked} of the kernels"
