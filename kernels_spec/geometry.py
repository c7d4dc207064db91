"""Masks on the pixel grid."""

from codegen.kinds import Composite, IndexMap

KERNELS = [
    Composite(
        name="mask_2d_centres_from",
        doc="(y, x) centre of a mask in pixel units, from its shape, pixel scales and centre (arcsec).",
        args={
            "shape_native": "int2 >0",
            "pixel_scales": "float2 finite >0",
            "centre": "float2 finite",
        },
        returns="float2",
        family="geometry",
        body="""
return (
    (shape_native[0] - 1) / 2 - centre[0] / pixel_scales[0],
    (shape_native[1] - 1) / 2 + centre[1] / pixel_scales[1],
)
""",
    ),
    IndexMap(
        name="mask_2d_circular_from",
        doc="""Circular mask, True = masked.

Pixel (y, x) is unmasked where ``((y-yc)*ps_y)**2 + ((x-xc)*ps_x)**2 <= radius**2``.""",
        args={
            "shape_native": "int2 >0",
            "pixel_scales": "float2 finite >0",
            "radius": "float finite >=0",
            "centre": "float2 finite",
        },
        returns="b1[Ny,Nx]",
        family="geometry",
        lets={
            "yc": "(shape_native[0] - 1) / 2 - centre[0] / pixel_scales[0]",
            "xc": "(shape_native[1] - 1) / 2 + centre[1] / pixel_scales[1]",
        },
        index={"y": "shape_native[0]", "x": "shape_native[1]"},
        skip={"xp": "no array argument to take an array namespace from (all inputs are scalars)"},
        expr="((y - yc) * pixel_scales[0]) ** 2 + ((x - xc) * pixel_scales[1]) ** 2 > radius**2",
    ),
]
