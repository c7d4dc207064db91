"""The tables of ``README.md`` and ``docs/*.md`` that the specs and the modules determine.

``python -m codegen.tables --write`` rewrites every generated block in place;
``--check`` (run by ``nox -s generate -- --check`` and by ``tests/test_docs_drift.py``)
exits 1 with a diff when one is stale. A block is the text between

    <!-- BEGIN generated:NAME ... -->
    <!-- END generated:NAME -->

and ``NAME`` is one of :data:`BLOCKS`:

- ``kernels``: every kernel x backend, what it computes, and why a backend lacks it
  (``autojax.util.mod_diff``, read from the imported modules, as ``nox -s coverage``);
- ``methods-readme`` / ``methods-docs``: every function with a ``method=`` keyword, its
  methods per backend (``autojax.<backend>.METHODS``) and the kernel behind each method
  (the ``Dispatch`` specs), without links (README) or linked to the kernel reference (docs);
- ``auto``: the ``auto`` rule of every dispatcher, per backend, as its spec writes it.

Only public names of :mod:`codegen.docs` (``load``, ``anchor``, ``Reference``) and the
spec classes are used, so this module does not depend on how the generator is built.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from autojax.util import mod_diff
from codegen.docs import Reference, anchor, load
from codegen.kinds import Dispatch

ROOT = Path(__file__).resolve().parents[1]
GENERATED = mod_diff.GENERATED

#: file (relative to the repository root) -> the blocks it must contain
PLACES = {
    "README.md": ("kernels", "methods-readme"),
    "docs/methods.md": ("methods-docs", "auto"),
}

_BLOCK = re.compile(
    r"(?P<begin><!-- BEGIN generated:(?P<name>[\w-]+)[^\n]*?-->\n)"
    r"(?P<body>.*?)"
    r"(?P<end><!-- END generated:(?P=name) -->)",
    re.DOTALL,
)
_ANY_MARKER = re.compile(r"<!-- (BEGIN|END) generated:([\w-]+)")


class TableError(ValueError):
    """A file's generated blocks are malformed, unknown or missing."""


# ------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class MethodRow:
    function: str  # the function with a method= keyword
    method: str  # a method name, or "" for a function that passes method on
    kernel: str  # the kernel behind the method, or the dispatcher method is passed to
    cells: dict[str, str]  # backend -> "✓" / "–", or the methods that backend has


def _dispatcher_reached(ref: Reference, name: str, seen=()) -> str | None:
    """The dispatcher a kernel with a ``method`` argument passes it to (through its calls)."""
    kernel = ref.kernels.get(name)
    if isinstance(kernel, Dispatch):
        return name
    for call in getattr(kernel, "calls", ()):
        if call not in seen:
            found = _dispatcher_reached(ref, call, (*seen, name))
            if found:
                return found
    return None


def method_rows(ref: Reference, modules: dict[str, object]) -> list[MethodRow]:
    """Every function of a generated backend with a ``method=`` keyword: dispatchers first
    (one row per method), then the functions that pass ``method`` on."""
    per_backend = {b: dict(modules[b].METHODS) for b in GENERATED}
    functions = sorted({f for methods in per_backend.values() for f in methods})
    dispatchers, passers = [], []
    for function in functions:
        kernel = ref.kernels.get(function)
        if isinstance(kernel, Dispatch):
            for method, target in kernel.methods.items():
                has = {b: method in per_backend[b].get(function, ()) for b in GENERATED}
                cells = {b: "✓" if has[b] else "–" for b in GENERATED}
                dispatchers.append(MethodRow(function, method, target, cells))
            unknown = {m for b in GENERATED for m in per_backend[b].get(function, ())} - set(
                kernel.methods
            )
            if unknown:
                raise TableError(
                    f"{function}: the modules offer methods {sorted(unknown)} the spec does not "
                    "list; run `python -m codegen` to regenerate"
                )
            continue
        target = _dispatcher_reached(ref, function)
        if target is None:
            raise TableError(f"{function} takes method= but reaches no Dispatch kernel")
        cells = {
            b: ", ".join(f"`{m}`" for m in per_backend[b].get(function, ())) or "–"
            for b in GENERATED
        }
        passers.append(MethodRow(function, "", target, cells))
    return dispatchers + passers


def _summary(ref: Reference, name: str) -> str:
    doc = getattr(ref.kernels[name], "doc", "") or ""
    lines = doc.strip().splitlines()
    return mod_diff.markdown_cell(lines[0]) if lines else ""


# ------------------------------------------------------------------------- the blocks


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def kernels_block(ref: Reference, modules: dict[str, object]) -> str:
    return mod_diff.markdown(modules=modules)


def _methods_block(ref: Reference, modules: dict[str, object], link) -> str:
    rows, last = [], None
    for row in method_rows(ref, modules):
        first = row.function != last
        last = row.function
        function = link(row.function) if first else ""
        if row.method:
            what = f"{link(row.kernel)}: {_summary(ref, row.kernel)}"
            rows.append([function, f"`{row.method}`", what, *row.cells.values()])
        else:
            what = f"passes `method` on to {link(row.kernel)} (its methods, its `auto`)"
            rows.append([function, "passed on", what, *row.cells.values()])
    return _table(["function", "`method=`", "kernel: what it computes", *GENERATED], rows)


def methods_readme_block(ref: Reference, modules: dict[str, object]) -> str:
    return _methods_block(ref, modules, lambda name: f"`{name}`")


def methods_docs_block(ref: Reference, modules: dict[str, object]) -> str:
    def link(name: str) -> str:
        return f"[`{name}`](reference/{ref.page_of(name)}#{anchor(name)})"

    return _methods_block(ref, modules, link)


def auto_block(ref: Reference, modules: dict[str, object]) -> str:
    rows = []
    for name, kernel in sorted(ref.kernels.items()):
        if not isinstance(kernel, Dispatch):
            continue
        rules = (
            kernel.auto if isinstance(kernel.auto, dict) else dict.fromkeys(GENERATED, kernel.auto)
        )
        cells = {
            backend: f"`{rules[backend]}`"
            if modules[backend].METHODS.get(name) and backend in rules
            else "– (no method here)"
            for backend in GENERATED
        }
        if len(set(cells.values())) == 1:  # one rule everywhere: one row
            cells = {"all": cells[GENERATED[0]]}
        for n, (backend, rule) in enumerate(cells.items()):
            rows.append([f"`{name}`" if n == 0 else "", backend, rule])
    return _table(["function", "backend", "`auto` picks"], rows)


#: block name -> the function that writes it
BLOCKS = {
    "kernels": kernels_block,
    "methods-readme": methods_readme_block,
    "methods-docs": methods_docs_block,
    "auto": auto_block,
}


# ------------------------------------------------------------------------- the files


def rewrite(text: str, blocks: dict[str, str], where: str = "text") -> str:
    """``text`` with the body of every generated block replaced by ``blocks[name]``."""
    names = [m.group(2) for m in _ANY_MARKER.finditer(text)]
    for name in set(names):
        if name not in blocks:
            raise TableError(f"{where}: unknown generated block {name!r} (known: {sorted(blocks)})")
        if names.count(name) != 2:
            raise TableError(f"{where}: block {name!r} needs exactly one BEGIN and one END marker")

    def body(match: re.Match) -> str:
        return f"{match['begin']}\n{blocks[match['name']]}\n\n{match['end']}"

    out, count = _BLOCK.subn(body, text)
    if 2 * count != len(names):
        raise TableError(f"{where}: a BEGIN marker without its END (or END before BEGIN)")
    return out


def targets(root: Path = ROOT) -> list[Path]:
    """README.md and the hand-written pages of docs/ (not docs/reference/, generated)."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def make_blocks() -> dict[str, str]:
    """Block name -> its text, from the specs and the imported backends."""
    ref = load()
    modules = mod_diff.load_modules()
    return {name: make(ref, modules) for name, make in BLOCKS.items()}


def expected(
    root: Path = ROOT, blocks: dict[str, str] | None = None
) -> dict[Path, tuple[str, str]]:
    """File -> (its text now, its text with every generated block up to date)."""
    blocks = blocks if blocks is not None else make_blocks()
    out = {}
    for path in targets(root):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        new = rewrite(text, blocks, rel)
        for name in PLACES.get(rel, ()):
            if f"<!-- BEGIN generated:{name}" not in text:
                raise TableError(f"{rel}: the generated block {name!r} is missing")
        out[path] = (text, new)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen.tables", description=__doc__.splitlines()[0]
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite stale blocks in place")
    mode.add_argument("--check", action="store_true", help="exit 1 with a diff when stale")
    args = parser.parse_args(argv)
    try:
        files = expected()
    except (TableError, ImportError) as exc:
        print(f"codegen.tables: {exc}", file=sys.stderr)
        return 2
    stale = {path: texts for path, texts in files.items() if texts[0] != texts[1]}
    for path, (old, new) in stale.items():
        rel = path.relative_to(ROOT).as_posix()
        if args.write:
            path.write_text(new, encoding="utf-8")
            print(f"codegen.tables: rewrote {rel}")
        else:
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    f"{rel} (now)",
                    f"{rel} (from the specs and modules)",
                )
            )
    if args.check and stale:
        print(
            f"codegen.tables: {len(stale)} file(s) with stale tables; "
            "run `python -m codegen.tables --write`",
            file=sys.stderr,
        )
        return 1
    if not stale:
        print(f"codegen.tables: {len(files)} files up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
