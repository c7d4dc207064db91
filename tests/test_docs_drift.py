"""What README.md and docs/ say about the code is what the code has.

The generated tables (``python -m codegen.tables``) must be up to date, a stale one must be
caught, no file may cite the contract under its old file name, and the "Runtime API" page
must document everything ``import autojax`` exports. Cheap: the specs are loaded and the
backends imported (nothing is compiled); MkDocs is not needed.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess

import pytest

import autojax
from autojax.util import mod_diff
from codegen import tables

ROOT = tables.ROOT
RUNTIME_API = ROOT / "docs" / "api" / "runtime.md"
# the contract's old file name, built so that this file does not cite it
OLD_CONTRACT = re.compile("KERNELS" + r"[._]md", re.IGNORECASE)


@pytest.fixture(scope="module")
def blocks() -> dict[str, str]:
    return tables.make_blocks()


def test_readme_and_docs_tables_match_the_specs_and_modules(blocks):
    files = tables.expected(blocks=blocks)
    stale = [path.relative_to(ROOT).as_posix() for path, (now, new) in files.items() if now != new]
    assert not stale, (
        f"stale generated tables in {stale}: run `python -m codegen.tables --write` "
        "(or `python -m codegen.tables --check` for the diff)"
    )
    for rel, names in tables.PLACES.items():
        text = (ROOT / rel).read_text(encoding="utf-8")
        for name in names:
            assert f"<!-- BEGIN generated:{name}" in text, (rel, name)


def test_tables_cover_every_kernel_and_every_method_function(blocks):
    modules = mod_diff.load_modules()
    kernels = set().union(*(m.__all__ for m in modules.values()))
    rows = re.findall(r"^\| `(\w+)` \|", blocks["kernels"], flags=re.M)
    assert sorted(rows) == sorted(kernels)
    assert len(rows) == len(set(rows))
    with_method = set().union(*(modules[b].METHODS for b in mod_diff.GENERATED))
    for block in ("methods-readme", "methods-docs"):
        for function in with_method:
            assert f"`{function}`" in blocks[block], (block, function)
    # a kernel every generated backend has is marked present in each of them
    both = set.intersection(*(set(modules[b].__all__) for b in mod_diff.GENERATED))
    for row in mod_diff.rows(modules):
        if row.kernel in both:
            assert all(row.cells[b].mark in ("✓", "alias") for b in mod_diff.GENERATED), row


def _copy_tree(tmp_path):
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    for page in (ROOT / "docs").glob("*.md"):
        shutil.copy(page, tmp_path / "docs" / page.name)
    return tmp_path


def test_a_stale_table_is_caught_and_rewritten(tmp_path, blocks):
    root = _copy_tree(tmp_path)
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    row = re.search(r"^\| `w_tilde_via_preload_from` \|.*$", text, flags=re.M)
    assert row, "the kernel table has no row for w_tilde_via_preload_from"
    stale = text.replace(row.group(0), row.group(0).replace("✓", "–"))
    assert stale != text
    readme.write_text(stale, encoding="utf-8")
    now, new = tables.expected(root, blocks)[readme]
    assert now != new and new == text


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda t: t.replace("generated:kernels", "generated:kernelz"), "unknown generated block"),
        (lambda t: t.replace("<!-- END generated:kernels -->", ""), "exactly one BEGIN"),
        (
            lambda t: re.sub(
                r"<!-- BEGIN generated:kernels.*?END generated:kernels -->", "", t, flags=re.S
            ),
            "is missing",
        ),
    ],
)
def test_broken_markers_are_refused(tmp_path, blocks, damage, message):
    root = _copy_tree(tmp_path)
    readme = root / "README.md"
    readme.write_text(damage(readme.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(tables.TableError, match=message):
        tables.expected(root, blocks)


def test_markdown_cells_escape_markup_outside_code_only():
    assert mod_diff.markdown_cell("a_b *c* ``x**2 | y``") == r"a\_b \*c\* `x**2 \| y`"
    assert mod_diff.markdown_cell("1 < 2 | 3") == r"1 &lt; 2 \| 3"


def _repository_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the repository's file list is unknown")
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in out.stdout.splitlines() if (ROOT / line).is_file()]


def test_no_file_cites_the_old_contract_file():
    """The contract is docs/contract.md; the file of its old name is not in the repository."""
    citing = []
    for rel in _repository_files():
        try:
            text = (ROOT / rel).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images, .npz, FITS
        citing += [
            f"{rel}:{n}" for n, line in enumerate(text.splitlines(), 1) if OLD_CONTRACT.search(line)
        ]
    assert not citing, "cite docs/contract.md instead: " + ", ".join(citing)


def test_runtime_api_page_documents_every_export():
    text = RUNTIME_API.read_text(encoding="utf-8")
    documented = re.findall(r"^::: ([\w.]+)\s*$", text, flags=re.M)
    for ident in documented:  # every directive names something that exists
        module, _, attr = ident.rpartition(".")
        try:
            importlib.import_module(ident)
        except ImportError:
            assert hasattr(importlib.import_module(module), attr), ident
    missing = []
    for name in autojax.__all__:
        if name.startswith("__"):
            if f"autojax.{name}" not in text:
                missing.append(name)
            continue
        obj = getattr(autojax, name)
        where = {f"autojax.{name}", obj.__module__, f"{obj.__module__}.{name}"}
        if not where & set(documented):
            missing.append(name)
    assert not missing, f"docs/api/runtime.md does not document autojax.{missing}"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"- Runtime API:\n\s+- .*: api/runtime\.md", nav)
