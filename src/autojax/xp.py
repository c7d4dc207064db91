"""Array-API kernels, generated from ``kernels_spec/`` (see ``generated/xp/``).

Each kernel works in the namespace of its inputs (NumPy, JAX, CuPy, array-api-strict, ...)
through ``array_api_compat.array_namespace``.
"""

from autojax._validate import check  # noqa: E402, F401  (run every check once, eagerly)
from autojax.generated.xp import *  # noqa: F403
from autojax.generated.xp import METHODS, __all__  # noqa: F401
