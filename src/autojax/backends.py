"""Backend registry: which kernel modules exist and which of them import here.

``NAMES`` lists every backend in the order reports show them. ``load(name)`` imports one
(``original``, ``numba``, ``jax``, ``xp``); ``available()`` lists those whose imports work
on this machine (JAX and the array-API helpers are optional extras).
"""

from __future__ import annotations

import importlib
from types import ModuleType

NAMES = ("original", "numba", "jax", "xp")

_MODULES = {name: f"autojax.{name}" for name in NAMES}


def load(name: str) -> ModuleType:
    """Import and return the module of backend ``name``."""
    try:
        module = _MODULES[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(NAMES)}") from None
    return importlib.import_module(module)


def available() -> dict[str, str | None]:
    """``{name: None}`` for backends that import, ``{name: reason}`` for those that do not."""
    status = {}
    for name in NAMES:
        try:
            load(name)
        except ImportError as exc:
            status[name] = f"{type(exc).__name__}: {exc}"
        else:
            status[name] = None
    return status


def kernels(name: str) -> list[str]:
    """Public kernel names of backend ``name`` (its ``__all__``)."""
    return list(load(name).__all__)
