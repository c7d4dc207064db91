"""Bad input gets a clear TypeError/ValueError naming the argument, in every backend."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import backend_name, get_dataset

CASES = [
    # (kernel, argument to spoil, how, exception, words the message must contain)
    ("w_tilde_curvature_interferometer_from", "uv_wavelengths", lambda a: a[:-1], ValueError, "K"),
    (
        "w_tilde_curvature_interferometer_from",
        "grid_radians_slim",
        lambda a: a[:, :1],
        ValueError,
        "axis 1",
    ),
    (
        "w_tilde_curvature_interferometer_from",
        "noise_map_real",
        lambda a: a.astype(complex),
        TypeError,
        "float64",
    ),
    (
        "w_tilde_curvature_interferometer_from",
        "noise_map_real",
        lambda a: "noise",
        TypeError,
        "float64",
    ),
    (
        "constant_regularization_matrix_from",
        "neighbors",
        lambda a: a.astype(float),
        TypeError,
        "int64",
    ),
    (
        "constant_regularization_matrix_from",
        "neighbors",
        lambda a: np.where(a == a.max(), 10**6, a),
        ValueError,
        "range",
    ),
    (
        "constant_regularization_matrix_from",
        "coefficient",
        lambda a: "one",
        TypeError,
        "real number",
    ),
    ("data_vector_from", "dirty_image", lambda a: a[:-2], ValueError, "M"),
    (
        "noise_normalization_complex_from",
        "noise_map",
        lambda a: a.reshape(1, -1),
        ValueError,
        "shape",
    ),
]


@pytest.mark.parametrize(
    ("kernel", "name", "spoil", "exc", "words"),
    CASES,
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_argument_is_named(backend, kernel, name, spoil, exc, words):
    func = getattr(backend, kernel, None)
    if func is None:
        pytest.skip(f"{backend_name(backend)} has no {kernel}")
    ds = get_dataset("S<<M")
    kwargs = dict(zip(__import__("inspect").signature(func).parameters, ds.args_for(func)))
    kwargs[name] = spoil(kwargs[name])
    with pytest.raises(exc) as info:
        func(**kwargs)
    message = str(info.value)
    assert name in message and kernel in message and words in message, message


def test_wrong_number_of_arguments(backend):
    func = getattr(backend, "data_vector_from", None)
    if func is None:
        pytest.skip("no data_vector_from")
    with pytest.raises(TypeError, match="data_vector_from"):
        func(np.zeros((2, 2)))
