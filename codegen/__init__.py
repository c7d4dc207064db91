"""The generator: kernel specs (``kernels_spec/``) -> backends (``generated/``).

``python -m codegen`` regenerates; ``python -m codegen --check`` fails with a diff when the
committed files are stale. See ``model.py`` for the spec kinds and ``templates/`` for one
template per backend and kind.
"""
