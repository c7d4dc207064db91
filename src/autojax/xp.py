"""Array-API kernels, generated from ``kernels_spec/`` (see ``generated/xp/``).

Each kernel works in the namespace of its inputs (NumPy, JAX, CuPy, array-api-strict, ...)
through ``array_api_compat.array_namespace``.
"""

try:
    import array_api_compat as _array_api_compat  # noqa: F401
except ModuleNotFoundError as _exc:  # the xp extra is missing
    if _exc.name != "array_api_compat":
        raise
    raise ImportError(
        f"autojax.xp (and Likelihood(backend='xp')) needs array-api-compat, which is not "
        f"installed ({_exc}): pip install 'autojax[xp]'"
    ) from _exc

from autojax._validate import check  # noqa: E402, F401  (run every check once, eagerly)
from autojax.generated.xp import *  # noqa: F403
from autojax.generated.xp import METHODS, __all__  # noqa: F401
