"""Every project task: ``nox -l`` lists them, ``nox`` alone runs the tests."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (every kernel x backend x dataset against the float64 reference)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "codegen", "--check")
    # DataGenerated's K defaults to 1024; the O(M^2 K) direct W-tilde in four backends makes
    # that slow on 2 cores, so the test run uses K = 128 unless AUTOJAX_DATA_SIZE is set.
    env = {"AUTOJAX_DATA_SIZE": os.environ.get("AUTOJAX_DATA_SIZE", "128")}
    session.run("pytest", *session.posargs, env=env)


@nox.session(name="tests-upstream", python=PYTHON)
def tests_upstream(session: nox.Session) -> None:
    """Compare `original` with the upstream autoarray package where it has the same function."""
    session.install("-e", ".[test,upstream]")
    session.run("pytest", "tests/upstream", "-m", "upstream", *session.posargs)


@nox.session(python=PYTHON)
def dataset(session: nox.Session) -> None:
    """Rebuild DataLoaded's .npz from its seed (`-- --check` compares instead of writing)."""
    session.install("-e", ".")
    session.run("python", "-m", "autojax.datasets._loaded_build", *session.posargs)


@nox.session(python=PYTHON)
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from kernels_spec/ (`-- --check` fails with a diff when stale)."""
    session.install("-e", ".[codegen]")
    session.run("python", "-m", "codegen", *session.posargs)


@nox.session(python=PYTHON)
def clean(session: nox.Session) -> None:
    """Remove generated/ (then `nox -s generate` rebuilds it from the specs)."""
    import shutil

    shutil.rmtree("generated", ignore_errors=True)


@nox.session(python=PYTHON)
def coverage(session: nox.Session) -> None:
    """Table of every kernel x backend: present, missing (and why), or a different signature."""
    session.install("-e", ".[jax,xp]")
    session.run("python", "-m", "autojax.util.mod_diff", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
