"""Coverage diff: which kernel exists in which backend, and with which signature.

``python -m autojax.util.mod_diff`` (or ``nox -s coverage``) prints a Markdown table of
every kernel x backend (original, numba, jax, xp):

- ``✓``: present with the spec's signature (for original-only kernels: original's);
- ``≠ (n args)``: present with a different argument list (listed below the table);
- ``alias → name``: another name for a kernel;
- ``–``: missing; the reason from the spec (or why original lacks it) is listed below.
"""

from __future__ import annotations

import argparse
import inspect

from autojax import backends
from autojax.generated.capabilities import KERNELS as SPECS


def table() -> tuple[list[str], list[list[str]], list[str]]:
    status = backends.available()
    modules = {name: backends.load(name) for name, reason in status.items() if reason is None}
    names = sorted(set(SPECS) | set(modules.get("original", backends.load("original")).__all__))
    header = ["kernel", *backends.NAMES]
    rows, notes = [], []
    for kernel in names:
        spec = SPECS.get(kernel)
        row = [f"`{kernel}`"]
        for backend in backends.NAMES:
            module = modules.get(backend)
            if module is None:
                row.append("?")
                continue
            func = getattr(module, kernel, None) if kernel in module.__all__ else None
            if func is None:
                row.append("–")
                if spec is not None and backend in spec["skip"]:
                    notes.append(f"- `{kernel}` in {backend}: {spec['skip'][backend]}")
                continue
            params = list(inspect.signature(func).parameters)
            expected = (
                spec["args"]
                if spec is not None
                else list(inspect.signature(getattr(modules["original"], kernel)).parameters)
            )
            if spec is not None and spec["alias_of"] and backend != "original":
                row.append(f"alias → `{spec['alias_of']}`")
            elif params == expected:
                row.append("✓")
            else:
                row.append(f"≠ ({len(params)} args)")
                notes.append(f"- `{kernel}` in {backend} takes ({', '.join(params)})")
        rows.append(row)
    for backend, reason in status.items():
        if reason is not None:
            notes.append(f"- backend {backend} does not import here: {reason}")
    return header, rows, notes


def markdown() -> str:
    header, rows, notes = table()
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if notes:
        lines += ["", "Gaps:", *notes]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autojax.util.mod_diff", description=__doc__.splitlines()[0]
    )
    parser.parse_args(argv)
    print(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
