"""Coverage diff: which kernel exists in which backend, and with which signature.

``python -m autojax.util.mod_diff`` (or ``nox -s coverage``) prints a Markdown table of
every kernel x backend (original, numba, jax, xp), read from the imported modules and
``generated/capabilities.py``; the README's kernel table is this table
(``python -m codegen.tables --write`` puts it there):

- ``✓``: present with the spec's signature (for original-only kernels: original's);
- ``≠ (upstream arguments)``: ``original`` keeps the upstream argument list (listed below
  the table with ``--details``);
- ``alias``: another name for a kernel (the *computes* column names it);
- ``– (reason)``: missing, with the spec's reason; ``original`` has only the upstream
  functions, so a bare ``–`` there needs no reason.

The *computes* column is the first line of the kernel's docstring (the spec's ``doc``).
"""

from __future__ import annotations

import argparse
import inspect
import re
from dataclasses import dataclass

from autojax import backends
from autojax.generated.capabilities import KERNELS as SPECS

#: the generated backends (those the specs describe), in report order
GENERATED = tuple(b for b in backends.NAMES if b != "original")


@dataclass(frozen=True)
class Cell:
    """One kernel in one backend: ``mark`` is ✓, ≠, alias or –; ``note`` says why."""

    mark: str
    note: str = ""  # why absent, or how the arguments differ

    def text(self) -> str:
        return f"{self.mark} ({self.note})" if self.note else self.mark


@dataclass(frozen=True)
class Row:
    kernel: str
    computes: str  # Markdown
    cells: dict[str, Cell]
    details: tuple[str, ...] = ()  # argument lists that differ from the spec's


# inline code (``...`` or `...`), kept verbatim by the escaping below
_CODE = re.compile(r"(``.+?``|`[^`]+`)")
_ESCAPES = {"*": r"\*", "_": r"\_", "<": "&lt;", ">": "&gt;", "|": r"\|"}


def markdown_cell(text: str) -> str:
    """One line of prose as a Markdown table cell: markup characters escaped outside inline
    code, ````x```` written as ```x```, and ``|`` escaped everywhere."""
    out = []
    for n, part in enumerate(_CODE.split(" ".join(text.split()))):
        if n % 2:
            code = part[2:-2] if part.startswith("``") and "`" not in part[2:-2] else part[1:-1]
            out.append("`" + code.replace("|", r"\|") + "`")
        else:
            out.append("".join(_ESCAPES.get(ch, ch) for ch in part))
    return "".join(out)


def _summary(func) -> str:
    doc = inspect.getdoc(func) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def load_modules() -> dict[str, object]:
    """Every backend module; a backend that does not import raises ``ImportError`` naming
    it, since a table made without it would be wrong."""
    status = backends.available()
    missing = {name: reason for name, reason in status.items() if reason is not None}
    if missing:
        raise ImportError(
            "the coverage table needs every backend, but "
            + "; ".join(f"{name} does not import ({reason})" for name, reason in missing.items())
            + ": install the jax and xp extras (pip install -e '.[jax,xp]')"
        )
    return {name: backends.load(name) for name in backends.NAMES}


def rows(modules: dict[str, object] | None = None) -> list[Row]:
    """Every public kernel of every backend (and every spec kernel), one row each, helpers
    (names starting with ``_``) last."""
    modules = modules if modules is not None else load_modules()
    names = set(SPECS)
    for module in modules.values():
        names |= set(module.__all__)
    ordered = sorted(names, key=lambda n: (n.startswith("_"), n))
    out = []
    for kernel in ordered:
        spec = SPECS.get(kernel)
        cells: dict[str, Cell] = {}
        details = []
        funcs = {}
        for backend in backends.NAMES:
            module = modules[backend]
            func = getattr(module, kernel, None) if kernel in module.__all__ else None
            if func is None:
                if backend == "original":
                    cells[backend] = Cell("–")
                elif spec is None:
                    cells[backend] = Cell("–", "`original` only")
                else:
                    cells[backend] = Cell("–", markdown_cell(spec["skip"].get(backend, "")))
                continue
            funcs[backend] = func
            params = list(inspect.signature(func).parameters)
            if spec is None:
                cells[backend] = Cell("✓")
            elif spec["alias_of"] and backend != "original":
                cells[backend] = Cell("alias")
            elif params == spec["args"]:
                cells[backend] = Cell("✓")
            elif backend == "original":
                cells[backend] = Cell("≠", "upstream arguments")
                details.append(f"`{kernel}` in original takes ({', '.join(params)})")
            else:
                cells[backend] = Cell("≠", f"{len(params)} arguments")
                details.append(f"`{kernel}` in {backend} takes ({', '.join(params)})")
        if spec is not None and spec["alias_of"]:
            computes = f"another name for `{spec['alias_of']}`"
            if "original" in funcs:
                computes += "; in `original`: " + markdown_cell(_summary(funcs["original"]))
        else:
            # the spec's doc (a generated backend's docstring) before original's
            first = next((funcs[b] for b in (*GENERATED, "original") if b in funcs), None)
            computes = markdown_cell(_summary(first)) if first is not None else ""
        out.append(Row(kernel, computes, cells, tuple(details)))
    return out


def markdown(details: bool = False, modules: dict[str, object] | None = None) -> str:
    """The kernel table (kernel, computes, one column per backend); with ``details``, the
    argument lists that differ from the spec's below it."""
    table = rows(modules)
    header = ["kernel", "computes", *backends.NAMES]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table:
        cells = [row.cells[b].text() for b in backends.NAMES]
        lines.append("| " + " | ".join([f"`{row.kernel}`", row.computes, *cells]) + " |")
    if details:
        notes = [f"- {d}" for row in table for d in row.details]
        if notes:
            lines += ["", "Other argument lists:", *notes]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autojax.util.mod_diff", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--no-details",
        action="store_true",
        help="the table alone (as in the README), without the differing argument lists",
    )
    args = parser.parse_args(argv)
    try:
        print(markdown(details=not args.no_details))
    except ImportError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
