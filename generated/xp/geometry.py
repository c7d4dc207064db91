# This file is generated: DO NOT EDIT.
# array-API backend, kernels of spec kernels_spec/geometry.py
# template: codegen/templates/xp/
# regenerate: nox -s generate  (or: python -m codegen)
"""Array-API kernels generated from ``kernels_spec/geometry.py``: any namespace, chunked in Python."""

from array_api_compat import array_namespace
from array_api_compat import device as _device

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size
from autojax._validate import validated


def _mask_2d_centres_from_impl(shape_native, pixel_scales, centre):
    return (
        (shape_native[0] - 1) / 2 - centre[0] / pixel_scales[0],
        (shape_native[1] - 1) / 2 + centre[1] / pixel_scales[1],
    )


@validated(
    convert="keep", shape_native="int2 >0", pixel_scales="float2 finite >0", centre="float2 finite"
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
