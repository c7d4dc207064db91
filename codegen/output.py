"""Output: format the generated text with ruff, write it, or diff it against ``generated/``."""

from __future__ import annotations

import difflib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .load import ROOT

OUT_DIR = ROOT / "generated"


def format_files(files: dict[str, str]) -> dict[str, str]:
    """Every file ruff-formatted, so that regeneration is byte-for-byte stable."""
    ruff = shutil.which("ruff")
    if ruff is None and importlib.util.find_spec("ruff") is None:
        raise RuntimeError(
            "the generator formats its output with ruff, which is not installed: "
            "pip install -e '.[codegen]' (or run `nox -s generate`)"
        )
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    out = {}
    for path, text in files.items():
        result = subprocess.run(
            [*cmd, "format", "--quiet", "--line-length", "100", "--stdin-filename", path, "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"ruff could not format generated {path}:\n{result.stderr}\n--- text ---\n{text}"
            )
        out[path] = result.stdout
    return out


def write(files: dict[str, str], out_dir: Path = OUT_DIR) -> list[str]:
    """Write the files; remove generated .py files no spec produces any more."""
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for rel, text in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(rel)
    for path in out_dir.rglob("*.py"):
        rel = path.relative_to(out_dir).as_posix()
        if rel not in files:
            path.unlink()
            changed.append(f"{rel} (removed)")
    return changed


def check(files: dict[str, str], out_dir: Path = OUT_DIR) -> str:
    """A unified diff between what would be generated and what is committed ('' when equal)."""
    with tempfile.TemporaryDirectory() as tmp:
        write(files, Path(tmp))
        diffs = []
        current = (
            {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.py")}
            if out_dir.exists()
            else set()
        )
        for rel in sorted(set(files) | current):
            new = (Path(tmp) / rel).read_text().splitlines(keepends=True) if rel in files else []
            old = (out_dir / rel).read_text().splitlines(keepends=True) if rel in current else []
            if new != old:
                diffs.extend(
                    difflib.unified_diff(
                        old, new, f"generated/{rel} (committed)", f"generated/{rel} (from specs)"
                    )
                )
        return "".join(diffs)
