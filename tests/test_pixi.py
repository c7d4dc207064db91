"""pixi.toml offers exactly the nox sessions: one task per session, same name, `nox -s name`.

pixi itself cannot be installed on the build machine, so this reads both files: pixi.toml
with tomllib and noxfile.py with ast (the ``@nox.session`` functions and their ``name=``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def nox_sessions(source: str) -> set[str]:
    """Names of the ``@nox.session`` functions of a noxfile (``name=`` or the function's)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            if ast.unparse(target) not in ("nox.session", "session"):
                continue
            name = node.name
            for keyword in call.keywords if call else []:
                if keyword.arg == "name":
                    name = ast.literal_eval(keyword.value)
            names.add(name)
    return names


def pixi_tasks(config: dict) -> dict[str, str]:
    """Every task of pixi.toml, the default ones and each feature's, name -> command."""
    tasks = dict(config.get("tasks", {}))
    for feature, table in config.get("feature", {}).items():
        for name, command in table.get("tasks", {}).items():
            assert name not in tasks, f"pixi task {name!r} is defined twice ({feature})"
            tasks[name] = command
    return {n: c if isinstance(c, str) else c.get("cmd", "") for n, c in tasks.items()}


def test_every_nox_session_is_a_pixi_task_of_the_same_name():
    sessions = nox_sessions((ROOT / "noxfile.py").read_text())
    tasks = pixi_tasks(tomllib.loads((ROOT / "pixi.toml").read_text()))
    assert "tests" in sessions and "bench-cuda" in sessions  # the parser sees the noxfile
    assert sorted(sessions - set(tasks)) == [], "nox sessions without a pixi task"
    assert sorted(set(tasks) - sessions) == [], "pixi tasks without a nox session"
    wrong = {n: c for n, c in tasks.items() if c.split() != ["nox", "-s", n]}
    assert wrong == {}, "each pixi task must run `nox -s <its own name>`"


def test_the_parsers_see_a_divergence():
    noxfile = '@nox.session(name="a-b")\ndef a_b(s): ...\n@nox.session\ndef c(s): ...\n'
    assert nox_sessions(noxfile) == {"a-b", "c"}
    config = tomllib.loads('[tasks]\nc = "nox -s c"\n[feature.x.tasks]\nd = "nox -s d"\n')
    assert pixi_tasks(config) == {"c": "nox -s c", "d": "nox -s d"}
    assert set(pixi_tasks(config)) != nox_sessions(noxfile)
