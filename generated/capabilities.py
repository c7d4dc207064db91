# This file is generated: DO NOT EDIT.
# Which kernel each spec gives each backend, and why a backend lacks one.
# template: codegen/templates/capabilities.py.j2
# regenerate: nox -s generate  (or: python -m codegen)

#: generated backends, in report order
BACKENDS = ["numba", "jax", "xp"]

#: kernel -> spec file, family, method, alias target, argument names, {backend: reason skipped}
KERNELS = {
    "mask_2d_centres_from": {
        "spec": "geometry.py",
        "family": "geometry",
        "method": "direct",
        "alias_of": None,
        "args": ["shape_native", "pixel_scales", "centre"],
        "skip": {},
    },
    "mask_2d_circular_from": {
        "spec": "geometry.py",
        "family": "geometry",
        "method": "direct",
        "alias_of": None,
        "args": ["shape_native", "pixel_scales", "radius", "centre"],
        "skip": {
            "xp": "no array argument to take an array namespace from (all inputs are scalars)"
        },
    },
    "w_compact_curvature_interferometer_from": {
        "spec": "w_tilde.py",
        "family": "w_tilde",
        "method": "compact",
        "alias_of": None,
        "args": ["grid_size", "noise_map_real", "uv_wavelengths", "pixel_scale"],
        "skip": {},
    },
    "w_tilde_curvature_interferometer_from": {
        "spec": "w_tilde.py",
        "family": "w_tilde",
        "method": "direct",
        "alias_of": None,
        "args": ["noise_map_real", "uv_wavelengths", "grid_radians_slim"],
        "skip": {},
    },
    "w_tilde_data_interferometer_from": {
        "spec": "w_tilde.py",
        "family": "w_tilde_data",
        "method": "direct",
        "alias_of": None,
        "args": ["visibilities_real", "noise_map_real", "uv_wavelengths", "grid_radians_slim"],
        "skip": {},
    },
    "w_tilde_via_compact_from": {
        "spec": "w_tilde.py",
        "family": "w_tilde",
        "method": "compact_expand",
        "alias_of": None,
        "args": ["w_compact", "native_index_for_slim_index"],
        "skip": {},
    },
}
