"""Loop-style Numba kernels, generated from ``kernels_spec/`` (see ``generated/numba/``).

Kernels compile on first call and are cached on disk (``cache=True``): importing this
module compiles nothing.
"""

from autojax._validate import check  # noqa: E402, F401  (run every check once, eagerly)
from autojax.generated.numba import *  # noqa: F403
from autojax.generated.numba import METHODS, __all__  # noqa: F401
