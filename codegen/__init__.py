"""The generator: kernel specs (``kernels_spec/``) -> backends (``generated/``).

``python -m codegen`` regenerates; ``python -m codegen --check`` fails with a diff when the
committed files are stale. ``kinds/`` holds every kernel kind (one module each: spec class,
checks, view per backend) on the base of ``model.py``; ``load.py`` reads the specs,
``render.py`` renders each kernel's view through ``templates/`` (one template per backend
and kind), ``output.py`` formats, writes and checks; ``docs.py`` makes the reference pages;
``trace_walk.py`` shows which of these files rendering one kernel passes through.
"""
