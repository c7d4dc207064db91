"""The kernel reference pages (``python -m codegen.docs``): every exported kernel is there.

Cheap: the specs are loaded and ``original.py`` and the backends' ``__init__.py`` are
parsed; no backend is imported and MkDocs is not needed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from codegen import docs
from codegen.load import ROOT

GENERATED = ROOT / "generated"


def _exports(path: Path) -> list[str]:
    """``__all__`` of a module, read from its source."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{path} has no __all__")


def _original_args() -> dict[str, list[str]]:
    tree = ast.parse((ROOT / "src" / "autojax" / "original.py").read_text())
    funcs = {
        n.name: [a.arg for a in n.args.args] for n in tree.body if isinstance(n, ast.FunctionDef)
    }
    return {name: funcs[name] for name in _exports(ROOT / "src" / "autojax" / "original.py")}


def _spec_args() -> dict[str, list[str]]:
    namespace: dict = {}
    exec((GENERATED / "capabilities.py").read_text(), namespace)
    return {name: entry["args"] for name, entry in namespace["KERNELS"].items()}


def _sections(text: str) -> dict[str, str]:
    """Kernel name -> its section (from its heading to the next heading of a kernel)."""
    parts = re.split(r"^#{2,3} `([A-Za-z_]\w*)` \{ #[\w-]+ \}$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _signature_args(section: str) -> list[str]:
    """Parameter names of the first ``python`` code block of a section (its signature)."""
    block = section.split("```python", 1)[1].split("```", 1)[0]
    call = ast.parse(block.split(" -> ")[0].strip(), mode="eval").body
    return [a.id for a in call.args] + [kw.arg for kw in call.keywords]


def _backend_cells(section: str) -> dict[str, str]:
    """Backend -> its cell in the section's backends table."""
    lines = section.splitlines()
    head = lines.index("| original | numba | jax | xp |")
    cells = [c.strip() for c in lines[head + 2].strip("|").split(" | ")]
    return dict(zip(["original", "numba", "jax", "xp"], cells))


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reference")
    assert docs.main([str(out)]) == 0
    return {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.md")}


@pytest.fixture(scope="module")
def sections(pages) -> dict[str, str]:
    """Entries of the spec pages (original.md repeats some names for the upstream ports)."""
    found: dict[str, str] = {}
    for name, text in pages.items():
        if name == "original.md":
            continue
        for kernel, section in _sections(text).items():
            assert kernel not in found, f"{kernel} has an entry on two pages"
            found[kernel] = section
    return found


@pytest.mark.parametrize("backend", ["numba", "jax", "xp"])
def test_every_generated_kernel_has_an_entry_with_its_arguments(backend, sections):
    spec_args = _spec_args()
    exported = [n for n in _exports(GENERATED / backend / "__init__.py") if not n.startswith("_")]
    assert exported
    for name in exported:
        assert name in sections, f"{backend}.{name} has no entry in the reference"
        assert _signature_args(sections[name]) == spec_args[name], name
        assert _backend_cells(sections[name])[backend] in ("✓", "alias"), name
        if "**Arguments**" in sections[name]:  # aliases point to their target's table
            for arg in spec_args[name]:
                assert f"| `{arg}` |" in sections[name], f"{name}: no row for {arg!r}"


@pytest.mark.parametrize("backend", ["numba", "jax", "xp"])
def test_kernels_a_backend_lacks_are_marked_absent(backend, sections):
    exported = set(_exports(GENERATED / backend / "__init__.py"))
    for name, section in sections.items():
        if name not in exported:
            assert _backend_cells(section)[backend].startswith("–"), (backend, name)


def test_every_original_kernel_has_an_entry_with_its_arguments(pages):
    original = _sections(pages["original.md"])
    for name, args in _original_args().items():
        assert name in original, f"original.{name} has no entry in original.md"
        assert _signature_args(original[name]) == args, name
        for arg in args:
            assert f"| `{arg}` |" in original[name], f"original.{name}: no row for {arg!r}"


def test_entries_show_signature_declarations_backends_and_dispatch_rules(sections):
    entry = sections["w_compact_curvature_interferometer_from"]
    assert "method='auto'" in entry and "eps=1e-14" in entry  # signature with defaults
    assert "`f8[K,2] finite`" in entry and "float64 array of shape (K, 2), finite" in entry
    for method in ("`exact`", "`nufft`"):
        assert method in entry
    assert "K > 3 * N" in entry  # the auto rule
    assert "| original | numba | jax | xp |" in entry
    curvature = sections["curvature_matrix_via_w_compact_sparse_mapping_matrix_from"]
    assert "`'conv'`" in curvature and "`'fft' if gpu else 'conv'`" in curvature
    assert "int64 array of shape (M, B), values in [-1, S)" in curvature
    conv = sections["curvature_matrix_via_w_compact_conv_from"]
    assert "a direct convolution is a loop" in conv  # the skip reason


def test_index_links_every_page_and_mkdocs_nav_lists_them(pages):
    index = pages["index.md"]
    nav = (ROOT / "mkdocs.yml").read_text()
    for name in pages:
        if name != "index.md":
            assert f"]({name})" in index, f"index.md does not link {name}"
        assert f"reference/{name}" in nav, f"mkdocs.yml nav lacks reference/{name} (one line)"


def test_prose_is_escaped_outside_code_only():
    text = "O(K N**2) and ``N**2 <x>`` for noise_k > 0"
    assert docs.escape_prose(text) == r"O(K N\*\*2) and ``N**2 <x>`` for noise\_k &gt; 0"
    assert docs.escape_prose("``a\nb**c``") == "``a\nb**c``"


def test_stale_pages_are_removed(tmp_path):
    (tmp_path / "gone.md").write_text("old")
    docs.write_pages(tmp_path)
    assert not (tmp_path / "gone.md").exists()
    assert (tmp_path / "index.md").exists()
