"""``python -m benchmarks.science``: see :mod:`benchmarks.science`."""

import sys

from .cli import main

sys.exit(main())
