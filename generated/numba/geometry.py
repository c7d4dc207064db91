# This file is generated: DO NOT EDIT.
# Numba backend, kernels of spec kernels_spec/geometry.py
# template: codegen/templates/numba/
# regenerate: nox -s generate  (or: python -m codegen)
"""Numba kernels generated from ``kernels_spec/geometry.py``: loops, ``prange`` where race-free."""

import numba as nb
import numpy as np

from autojax import _linalg, _runtime
from autojax._validate import validated


xp = np


def _mask_2d_centres_from_impl(shape_native, pixel_scales, centre):
    return (
        (shape_native[0] - 1) / 2 - centre[0] / pixel_scales[0],
        (shape_native[1] - 1) / 2 + centre[1] / pixel_scales[1],
    )


@validated(
    convert="numpy", shape_native="int2 >0", pixel_scales="float2 finite >0", centre="float2 finite"
)
def mask_2d_centres_from(shape_native, pixel_scales, centre):
    """(y, x) centre of a mask in pixel units, from its shape, pixel scales and centre (arcsec).

    Method: ``direct`` (family ``geometry``).

    Parameters
    ----------
    shape_native
        pair of ints, positive
    pixel_scales
        pair of floats, finite, positive
    centre
        pair of floats, finite

    Returns
    -------
    pair of floats
    """

    return _mask_2d_centres_from_impl(shape_native, pixel_scales, centre)


@nb.njit(cache=True, parallel=True, nogil=True)
def _mask_2d_circular_from_impl(shape_native, pixel_scales, radius, centre):
    yc = (shape_native[0] - 1) / 2 - centre[0] / pixel_scales[0]
    xc = (shape_native[1] - 1) / 2 + centre[1] / pixel_scales[1]
    out = np.empty((shape_native[0], shape_native[1]), dtype=np.bool_)
    for y in nb.prange(shape_native[0]):
        for x in range(shape_native[1]):
            out[y, x] = ((y - yc) * pixel_scales[0]) ** 2 + (
                (x - xc) * pixel_scales[1]
            ) ** 2 > radius**2
    return out


@validated(
    convert="numpy",
    shape_native="int2 >0",
    pixel_scales="float2 finite >0",
    radius="float finite >=0",
    centre="float2 finite",
)
def mask_2d_circular_from(shape_native, pixel_scales, radius, centre):
    """Circular mask, True = masked.

    Pixel (y, x) is unmasked where ``((y-yc)*ps_y)**2 + ((x-xc)*ps_x)**2 <= radius**2``.

    Method: ``direct`` (family ``geometry``).

    Parameters
    ----------
    shape_native
        pair of ints, positive
    pixel_scales
        pair of floats, finite, positive
    radius
        float, finite, non-negative
    centre
        pair of floats, finite

    Returns
    -------
    bool array of shape (Ny, Nx)
    """

    return _mask_2d_circular_from_impl(shape_native, pixel_scales, radius, centre)
