"""Vectorised JAX kernels, generated from ``kernels_spec/`` (see ``generated/jax/``).

autojax computes in float64. Importing this module turns on JAX's x64 mode
(``jax.config.update("jax_enable_x64", True)``) unless the environment variable
``AUTOJAX_JAX_ENABLE_X64=0`` is set; with x64 off, every kernel raises a clear
``TypeError`` instead of silently computing in float32.
"""

import os as _os

try:
    import jax as _jax
except ModuleNotFoundError as _exc:  # the jax extra is missing
    if (_exc.name or "").partition(".")[0] not in ("jax", "jaxlib"):
        raise
    raise ImportError(
        f"autojax.jax (and Likelihood(backend='jax')) needs JAX, which is not installed "
        f"({_exc}): pip install 'autojax[jax]'"
    ) from _exc

if _os.environ.get("AUTOJAX_JAX_ENABLE_X64", "1") != "0":
    _jax.config.update("jax_enable_x64", True)

from autojax._validate import check  # noqa: E402, F401  (run every check once, eagerly)
from autojax.generated.jax import *  # noqa: E402, F403
from autojax.generated.jax import METHODS, __all__  # noqa: E402, F401
