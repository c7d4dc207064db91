"""autojax: fast kernels for radio-interferometer lens inversions.

Backends share kernel names and argument orders:

- ``autojax.original``: faithful Numba ports of the upstream loops (the baseline);
- ``autojax.numba``: generated loop-style Numba kernels;
- ``autojax.jax``: generated vectorised JAX kernels (``lax.scan`` over visibilities);
- ``autojax.xp``: generated array-API kernels (NumPy, JAX, array-api-strict, ...).

Backends are imported on demand: ``import autojax`` alone compiles and imports nothing heavy.
"""

__version__ = "0.1.0"
