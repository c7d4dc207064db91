# This file is generated: DO NOT EDIT.
# The jax backend: every kernel the specs give it.
# template: codegen/templates/package_init.py.j2
# regenerate: nox -s generate  (or: python -m codegen)

from .geometry import (
    mask_2d_centres_from,
    mask_2d_circular_from,
)
from .w_tilde import (
    w_tilde_data_interferometer_from,
    w_tilde_curvature_interferometer_from,
    w_compact_curvature_interferometer_from,
    w_tilde_via_compact_from,
)

__all__ = [
    "mask_2d_centres_from",
    "mask_2d_circular_from",
    "w_tilde_data_interferometer_from",
    "w_tilde_curvature_interferometer_from",
    "w_compact_curvature_interferometer_from",
    "w_tilde_via_compact_from",
]
