"""Render: for each backend and spec, each kernel's view (its kind's, from the registry)
through the backend's module template; then the package files.

Loading is :mod:`codegen.load`, formatting, writing and checking :mod:`codegen.output`.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from . import kinds
from .kinds import Alias
from .load import Spec
from .model import BACKENDS, Kernel, impl_name
from .output import format_files

TEMPLATES = Path(__file__).with_name("templates")
REGENERATE = "nox -s generate  (or: python -m codegen)"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals["regenerate"] = REGENERATE
    return env


def kernel_view(k: Kernel, backend: str) -> dict:
    """What the templates of ``k``'s kind read for ``backend``: shared fields, then the kind's."""
    view = k.base_view(backend)
    view.update(kinds.VIEWS[view["kind"]](k, backend))
    return view


def _imports_for(spec: Spec, views: list[dict], where: dict[str, str]) -> list[tuple[str, str]]:
    """(module stem, private name) of kernels from other spec files that the views call."""
    out = set()
    for view in views:
        for call in view["k"].calls:
            if where[call] != spec.stem:
                out.add((where[call], impl_name(call)))
    return sorted(out)


def render_all(specs: list[Spec]) -> dict[str, str]:
    """Relative path -> text of every generated file (ruff-formatted)."""
    env = environment()
    files: dict[str, str] = {}
    where = {k.name: s.stem for s in specs for k in s.kernels}
    capability = capabilities(specs)  # each kernel asked once: which backends it skips, ...
    for backend in BACKENDS:
        exported: list[tuple[str, list[str]]] = []
        methods: dict[str, list[str]] = {}
        for spec in specs:
            views, aliases = [], []
            for item in spec.kernels:
                if backend in capability[item.name]["skip"]:
                    continue
                if isinstance(item, Alias):
                    aliases.append(item)
                    continue
                view = kernel_view(item, backend)
                views.append(view)
                if view["method_choices"] is not None:
                    methods[item.name] = view["method_choices"]
            if not views and not aliases:
                continue
            files[f"{backend}/{spec.stem}.py"] = env.get_template(f"{backend}/module.py.j2").render(
                backend=backend,
                spec=spec,
                views=views,
                aliases=aliases,
                imports=_imports_for(spec, views, where),
                template_name=f"codegen/templates/{backend}/",
            )
            exported.append((spec.stem, [v["name"] for v in views] + [a.name for a in aliases]))
        files[f"{backend}/__init__.py"] = env.get_template("package_init.py.j2").render(
            backend=backend, exported=exported, methods=methods
        )
    files["capabilities.py"] = env.get_template("capabilities.py.j2").render(
        capability=capability, backends=BACKENDS
    )
    files["__init__.py"] = env.get_template("generated_init.py.j2").render()
    return format_files(files)


def capabilities(specs: list[Spec]) -> dict[str, dict]:
    """Kernel -> what ``generated/capabilities.py`` records (also read by ``codegen.docs``).

    Spec file, family, method, alias target, argument names, ``{backend: reason skipped}``
    and, for a dispatcher, ``{backend: the methods it has there}``.
    """
    return {
        item.name: {"spec": spec.path.name, **item.capability()}
        for spec in specs
        for item in spec.kernels
    }
