"""``python -m benchmarks.scaling``: see :mod:`benchmarks.scaling`."""

import sys

from .cli import main

sys.exit(main())
