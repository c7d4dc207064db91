"""autojax: fast kernels for radio-interferometer lens inversions.

Backends share kernel names and argument orders:

- ``autojax.original``: faithful Numba ports of the upstream loops (the baseline);
- ``autojax.numba``: generated loop-style Numba kernels;
- ``autojax.jax``: generated vectorised JAX kernels (``lax.scan`` over visibilities);
- ``autojax.xp``: generated array-API kernels (NumPy, JAX, array-api-strict, ...).

Backends are imported on demand: ``import autojax`` alone compiles and imports nothing heavy.
"""

__version__ = "0.1.0"

import os as _os

# Numba's default OpenMP threading layer spin-waits after every parallel region. Our Numba
# kernels alternate parallel loops with BLAS calls (the Contraction kind), and on a
# machine with few cores the spinning OpenMP worker starves BLAS's threads: measured on 2
# cores, the compact W-tilde took 8 ms instead of 0.3 ms. Passive waiting fixes it. Set
# before libgomp loads, and only when the user has not chosen a policy.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# OpenBLAS's worker threads spin for 2^28 cycles (about 0.1 s) after each threaded call
# before they sleep. A step calls OpenBLAS (the Cholesky of F + H at S >= 2,048) and then
# Numba's parallel loops (the next step's F), and on a machine with few cores the spinning
# workers take a core from those loops: measured on 2 cores at S = 3,000, F went from 95 to
# 138 ms after a factorisation, and a lens-model step from 220 to 370 ms when NumPy's and
# SciPy's bundled OpenBLAS pools (two separate libraries) spun in turn. 2^16 cycles (tens
# of microseconds) still covers back-to-back calls. OpenBLAS reads it when the library
# loads: it applies to SciPy's (loaded by the first ``import scipy.linalg``) and NumPy's
# when ``autojax`` is imported first; only when the user has not chosen a value.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")

# the error of the numerical-failure policy (a numpy.linalg.LinAlgError); imports NumPy only
from autojax._linalg import LinAlgError  # noqa: E402

# the modeller's layer: an observation (arrays or FITS files) and its log evidence
from .lens_model import LensModel, ModelFit, Pixelization  # noqa: E402
from .likelihood import Fit, Likelihood  # noqa: E402
from .observation import Mask, Observation  # noqa: E402

__all__ = [
    "Fit",
    "LensModel",
    "LinAlgError",
    "Likelihood",
    "Mask",
    "ModelFit",
    "Observation",
    "Pixelization",
    "__version__",
]
