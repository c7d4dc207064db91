"""The README's first python block (the modeller's path) runs as written from the repository root."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def first_python_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"```python\n(.*?)```", text, flags=re.S)
    assert match, "the README has no python block"
    return match.group(1)


def test_readme_modellers_path_runs(capsys):
    pytest.importorskip("jax", reason="the README's path uses the jax extra")
    pytest.importorskip("astropy", reason="the README's path reads FITS (io extra)")
    code = first_python_block()
    assert len([line for line in code.splitlines() if line.strip()]) <= 13
    # the prose's `likelihood.fit(*args, coefficient)` is the block's call, with its args
    assert "`likelihood.fit(*args, coefficient)`" in (ROOT / "README.md").read_text()
    assert "likelihood.fit(*args, 1.0)" in code
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out.split()
    evidence, slope, chi_squared = (float(value) for value in printed[:3])
    assert evidence == pytest.approx(-2900.195554479, rel=1e-10)
    assert slope < 0
    assert chi_squared == pytest.approx(765.93032108, rel=1e-8)  # likelihood.fit ran
