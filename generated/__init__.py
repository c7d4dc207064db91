# This file is generated: DO NOT EDIT.
# Generated backends: numba/, jax/, xp/ and the capability table.
# template: codegen/templates/generated_init.py.j2
# regenerate: nox -s generate  (or: python -m codegen)
