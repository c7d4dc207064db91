"""How one kernel walks through the generator: ``python -m codegen.trace_walk NAME [NAME ...]``.

Renders a spec holding only the kernel ``NAME`` for one backend (``--backend``, numba by
default) under ``sys.setprofile`` and follows which generator file is executing. Frames
outside ``codegen/*.py`` (the standard library, Jinja2, the compiled templates, ruff) do
not break a run, and neither do those of the *library* files (``expr.py`` by default: the
expression lowering, called like ``ast``; ``--library ''`` counts it too). A *stay* is a
run of consecutive frames in one file; a *return* is a stay in a file the walk had already
left. Few stays and no returns: a kernel's kind is read in one place.
``tests/test_codegen.py`` pins an upper bound.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Walk:
    kernel: str
    stays: list[str]  # file (relative to codegen/) of each stay, in order

    @property
    def returns(self) -> int:
        return sum(1 for n, f in enumerate(self.stays) if f in self.stays[:n])

    def entries(self, name: str) -> int:
        return self.stays.count(name)

    def summary(self) -> str:
        return (
            f"{self.kernel}: {len(self.stays)} stays, {self.returns} returns to a file already "
            f"left, render.py entered {self.entries('render.py')} times\n  "
            + " -> ".join(self.stays)
        )


def _codegen_file(filename: str, here: Path, library) -> str | None:
    path = Path(filename)
    if path.suffix != ".py" or not path.is_relative_to(here):
        return None
    rel = path.relative_to(here).as_posix()
    return None if rel in library else rel


def walk(
    name: str, backend: str = "numba", library=("expr.py",), spec_dir: Path | None = None
) -> Walk:
    """Render the kernel ``name`` alone for ``backend``; record the files its walk stays in."""
    try:  # the generator's own layout (codegen.load); older checkouts kept it in render
        from codegen.load import SPEC_DIR, Spec, load_specs
    except ImportError:
        from codegen.load import SPEC_DIR, Spec, load_specs
    import codegen
    from codegen.render import render_all

    here = Path(codegen.__file__).resolve().parent

    specs = load_specs(spec_dir or SPEC_DIR)
    found = [(s, k) for s in specs for k in s.kernels if k.name == name]
    if not found:
        raise SystemExit(f"trace_walk: no kernel {name!r}")
    spec, kernel = found[0]
    if getattr(kernel, "calls", None):
        raise SystemExit(f"trace_walk: {name!r} calls other kernels; trace one that calls none")
    if backend not in kernel.backends():
        raise SystemExit(f"trace_walk: {name!r} has no {backend} backend")
    for other in ("numba", "jax", "xp"):
        if other != backend:
            kernel.skip[other] = "not traced"
    one = [Spec(spec.path, [kernel])]
    stack: list[str | None] = []
    stays: list[str] = []

    def note():
        current = next((f for f in reversed(stack) if f is not None), None)
        if current is not None and (not stays or stays[-1] != current):
            stays.append(current)

    def profile(frame, event, arg):
        if event == "call":
            stack.append(_codegen_file(frame.f_code.co_filename, here, library))
            note()
        elif event == "return" and stack:
            stack.pop()
            note()

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        render_all(one)
    finally:
        sys.setprofile(previous)
    return Walk(name, stays)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.trace_walk", description=__doc__)
    parser.add_argument("kernels", nargs="+", help="kernel names, e.g. a contraction")
    parser.add_argument("--backend", default="numba", help="backend rendered (default numba)")
    parser.add_argument(
        "--library", default="expr.py", help="comma-separated files counted as a library"
    )
    parser.add_argument("--specs", type=Path, default=None, help="spec folder")
    args = parser.parse_args(argv)
    library = tuple(f for f in args.library.split(",") if f)
    for name in args.kernels:
        print(walk(name, args.backend, library, args.specs).summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
