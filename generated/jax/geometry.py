# This file is generated: DO NOT EDIT.
# JAX backend, kernels of spec kernels_spec/geometry.py
# template: codegen/templates/jax/
# regenerate: nox -s generate  (or: python -m codegen)
"""JAX kernels generated from ``kernels_spec/geometry.py``: vectorised, ``lax.scan`` over chunks."""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from autojax import _linalg, _runtime
from autojax._runtime import chunk_size, require_x64, scan_chunks, scatter_chunk_size
from autojax._validate import validated


xp = jnp


def _mask_2d_centres_from_impl(shape_native, pixel_scales, centre):
    return (
        (shape_native[0] - 1) / 2 - centre[0] / pixel_scales[0],
        (shape_native[1] - 1) / 2 + centre[1] / pixel_scales[1],
    )


@validated(
    convert="jax", shape_native="int2 >0", pixel_scales="float2 finite >0", centre="float2 finite"
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

    require_x64("mask_2d_centres_from")
    return _mask_2d_centres_from_impl(shape_native, pixel_scales, centre)


@partial(jax.jit, static_argnames=["shape_native"])
def _mask_2d_circular_from_impl(shape_native, pixel_scales, radius, centre):
    yc = (shape_native[0] - 1) / 2 - centre[0] / pixel_scales[0]
    xc = (shape_native[1] - 1) / 2 + centre[1] / pixel_scales[1]
    y = jnp.arange(shape_native[0]).reshape((shape_native[0], 1))
    x = jnp.arange(shape_native[1]).reshape((1, shape_native[1]))
    return jnp.broadcast_to(
        ((y - yc) * pixel_scales[0]) ** 2 + ((x - xc) * pixel_scales[1]) ** 2 > radius**2,
        (shape_native[0], shape_native[1]),
    ).astype(jnp.bool)


@validated(
    convert="jax",
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

    require_x64("mask_2d_circular_from")
    return _mask_2d_circular_from_impl(shape_native, pixel_scales, radius, centre)
