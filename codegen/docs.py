"""Kernel reference pages (Markdown) for the documentation site, from the specs.

``python -m codegen.docs OUTDIR`` writes into ``OUTDIR`` (``nox -s docs`` uses
``docs/reference/``, which git ignores):

- ``index.md``: every kernel x backend (``original``, ``numba``, ``jax``, ``xp``), with a
  link to its entry;
- ``<spec>.md``, one per file of ``kernels_spec/``: for each kernel its signature with
  defaults, every argument's declaration in words (dtype, symbolic shape, value bounds),
  the result, the docstring, the methods and ``auto`` rule of a dispatcher per backend,
  and which backends have it (the data of ``generated/capabilities.py``);
- ``original.md``: the hand-written ports of upstream (``src/autojax/original.py``),
  read with ``ast`` (nothing is imported), with the declarations of their ``@validated``.

Nothing here needs MkDocs; the pages are plain Markdown with ``attr_list`` anchors.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from autojax._decl import Decl, parse_decl

from .kinds import Alias
from .load import ROOT, SPEC_DIR, Spec, load_specs
from .model import BACKENDS, Kernel, SpecError
from .render import capabilities

ORIGINAL = ROOT / "src" / "autojax" / "original.py"
#: every backend in report order: the hand-written baseline, then the generated ones
ALL_BACKENDS = ("original", *BACKENDS)

#: size symbols and what they count (those of docs/contract.md, plus the ones some specs add)
SYMBOLS = {
    "N": "edge, in pixels, of the square grid around the mask (`grid_size`)",
    "W": "2N - 1, the column offsets of the compact form",
    "M": "unmasked image pixels",
    "K": "visibilities",
    "S": "source pixels (`pixels`)",
    "B": "source pixels one image pixel can map to (width of `pix_indexes_for_sub_slim_index`)",
    "P": "most neighbours of one source pixel (width of `neighbors`)",
    "C": "columns of the matrix multiplied",
    "R": "source pixels of a second mapping (`pixels_other`)",
    "Q": "entries per image pixel of a second mapping (width of `pix_indexes_other`)",
    "L": "function columns (linear light profiles evaluated at the mask's pixels)",
    "Ny": "rows of the grid",
    "Nx": "columns of the grid",
    "Msub": "sub-pixels (rows of `pix_indexes_for_sub_slim_index` in `original`)",
    "Gy": "rows of the full grid",
    "Gx": "columns of the full grid",
    "Py": "rows of the preload (2 Ny)",
    "Px": "columns of the preload (2 Nx)",
}
#: run-time flags an ``auto`` rule may read (``codegen.kinds.dispatch.FLAGS``)
FLAG_DOCS = {
    "gpu": "the computation runs on a GPU (always false for Numba)",
    "have_nufft": "the optional NUFFT libraries of the `nufft` extra import",
}
_DTYPE_WORDS = {"f8": "float64", "i8": "int64", "c16": "complex128", "b1": "bool"}


# --------------------------------------------------------------------------- text helpers

# inline code: ``...`` or `...` (kept verbatim)
_CODE = re.compile(r"(``.+?``|`[^`]+`)", re.DOTALL)
_ESCAPES = {"*": r"\*", "_": r"\_", "<": "&lt;", ">": "&gt;", "\\": "\\\\"}


def escape_prose(text: str) -> str:
    """Markdown-safe prose: characters Markdown would read as markup are escaped outside code.

    Spec docstrings are written for Python (``N**2``, ``noise_k``, ``K > 3N``); inline code
    (single or double backticks) is left as it is.
    """
    out = []
    for n, part in enumerate(_CODE.split(text)):
        if n % 2:
            out.append(part)
        else:
            out.append("".join(_ESCAPES.get(ch, ch) for ch in part))
    return "".join(out)


def doc_markdown(doc: str) -> str:
    """A spec or module docstring as Markdown paragraphs (lists and blank lines kept)."""
    return escape_prose(textwrap.dedent(doc).strip())


def describe_decl(decl: Decl) -> str:
    """A declaration in words: the one wording of :meth:`autojax._decl.Decl.describe`, which
    the generated docstrings and the input checks' messages also use."""
    return decl.describe()


def _cell(text: str) -> str:
    """A table cell: one line, ``|`` escaped outside inline code."""
    parts = _CODE.split(text.replace("\n", " "))
    return "".join(p if n % 2 else p.replace("|", r"\|") for n, p in enumerate(parts))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _symbols_of(decls) -> list[str]:
    seen = []
    for decl in decls:
        for sym in decl.symbols:
            if sym not in seen:
                seen.append(sym)
            if sym == "W" and "N" not in seen:
                seen.append("N")
    return seen


def _sizes_line(decls) -> list[str]:
    syms = _symbols_of(decls)
    if not syms:
        return []
    items = [f"{s}: {SYMBOLS[s]}" if s in SYMBOLS else s for s in syms]
    return ["*Sizes*: " + "; ".join(items) + ".", ""]


# --------------------------------------------------------------------------- original


@dataclass
class OriginalKernel:
    """One public function of ``autojax.original``, read from the source."""

    name: str
    args: list[str]
    defaults: dict[str, str]
    doc: str
    decls: dict[str, str] = field(default_factory=dict)


def read_original(path: Path = ORIGINAL) -> dict[str, OriginalKernel]:
    """``__all__`` of ``original.py`` with each function's arguments, defaults, docstring and
    the declarations of its ``@validated(...)`` decorator (by parsing, not importing)."""
    tree = ast.parse(path.read_text())
    names: list[str] = []
    funcs = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            names = list(ast.literal_eval(node.value))
        elif isinstance(node, ast.FunctionDef):
            funcs[node.name] = node
    out = {}
    for name in names:
        node = funcs.get(name)
        if node is None:
            raise SpecError(f"{path.name}: '{name}' is in __all__ but not defined at the top level")
        args = [a.arg for a in node.args.args]
        defaults = {
            a.arg: ast.unparse(d)
            for a, d in zip(
                node.args.args[len(args) - len(node.args.defaults) :], node.args.defaults
            )
        }
        decls = {}
        for dec in node.decorator_list:
            if (
                isinstance(dec, ast.Call)
                and isinstance(dec.func, ast.Name)
                and dec.func.id == "validated"
            ):
                for kw in dec.keywords:
                    if kw.arg and isinstance(kw.value, ast.Constant) and kw.arg in args:
                        decls[kw.arg] = kw.value.value
        out[name] = OriginalKernel(name, args, defaults, ast.get_docstring(node) or "", decls)
    return out


# --------------------------------------------------------------------------- the model


@dataclass
class Reference:
    """Everything the pages are made from."""

    specs: list[Spec]
    capability: dict[str, dict]
    original: dict[str, OriginalKernel]
    docs: dict[str, str]  # spec stem -> module docstring

    @property
    def kernels(self) -> dict:
        return {k.name: k for s in self.specs for k in s.kernels}

    def page_of(self, name: str) -> str:
        if name in self.capability:
            return self.capability[name]["spec"].removesuffix(".py") + ".md"
        return "original.md"

    def link(self, name: str, here: str) -> str:
        page = self.page_of(name)
        target = f"#{anchor(name)}" if page == here else f"{page}#{anchor(name)}"
        return f"[`{name}`]({target})"

    def status(self, name: str, backend: str) -> str:
        """One cell of the backend table: ✓, alias, ≠ (other arguments) or – with the reason."""
        cap = self.capability.get(name)
        if backend == "original":
            orig = self.original.get(name)
            if orig is None:
                return "–"
            if cap is None or orig.args == cap["args"]:
                return "✓"
            return f"≠ [upstream arguments](original.md#{anchor(name)})"
        if cap is None:
            return "–"
        if backend in cap["skip"]:
            return f"– ({cap['skip'][backend]})"
        if cap["alias_of"]:
            return "alias"
        return "✓"


def anchor(name: str) -> str:
    return name.lower()


def load(spec_dir: Path = SPEC_DIR, original: Path = ORIGINAL) -> Reference:
    specs = load_specs(spec_dir)
    docs = {s.stem: ast.get_docstring(ast.parse(s.path.read_text())) or "" for s in specs}
    return Reference(specs, capabilities(specs), read_original(original), docs)


# --------------------------------------------------------------------------- pages


def _signature(name: str, args: list[str], defaults: dict[str, str], returns: str) -> list[str]:
    params = [f"{a}={defaults[a]}" if a in defaults else a for a in args]
    one_line = f"{name}({', '.join(params)}) -> {returns}"
    if len(one_line) <= 88:
        return ["```python", one_line, "```"]
    return ["```python", f"{name}(", *[f"    {p}," for p in params], f") -> {returns}", "```"]


def _returns_short(decl: Decl) -> str:
    if decl.is_array:
        return f"{_DTYPE_WORDS[decl.dtype]}[{', '.join(str(s) for s in decl.shape)}]"
    return {"float2": "tuple[float, float]", "int2": "tuple[int, int]"}.get(
        decl.scalar, decl.scalar
    )


def _backend_table(ref: Reference, name: str) -> list[str]:
    return _table(list(ALL_BACKENDS), [[ref.status(name, b) for b in ALL_BACKENDS]])


def _dispatch_lines(ref: Reference, k: Kernel, here: str) -> list[str]:
    """Methods (with the kernels behind them, per backend) and the ``auto`` rule per backend."""
    lines = ['**Methods** (`method=`; `"auto"` by default):', ""]
    rows = []
    for method, target in k.methods.items():
        have = ["✓" if method in k.methods_for(b) else "–" for b in BACKENDS]
        rows.append([f"`{method}`", ref.link(target, here), *have])
    lines += _table(["method", "kernel", *BACKENDS], rows)
    lines += ["", "**`auto`** picks, per backend:", ""]
    rows = [
        [b, f"`{k.rules[b]}`" if b in k.rules and k.methods_for(b) else "– (no method here)"]
        for b in BACKENDS
    ]
    lines += _table(["backend", "rule"], rows)
    used = [f for f in FLAG_DOCS if any(re.search(rf"\b{f}\b", r) for r in k.rules.values())]
    if used:
        lines += ["", "Flags: " + "; ".join(f"`{f}`: {FLAG_DOCS[f]}" for f in used) + "."]
    lines += [
        "",
        "A method a backend lacks raises `ValueError` naming the backend and its methods.",
        "",
    ]
    return lines


def _passes_method_lines(ref: Reference, target: Kernel, here: str) -> list[str]:
    """A kernel whose ``method`` argument reaches the dispatcher ``target`` (through its calls)."""
    per_backend = "; ".join(
        f"{b}: {', '.join(f'`{m}`' for m in target.methods_for(b)) or '–'}" for b in BACKENDS
    )
    return [
        f"`method` is passed on to {ref.link(target.name, here)} (its `auto` rule applies). "
        f"Methods per backend: {per_backend}.",
        "",
    ]


def kernel_section(ref: Reference, k, here: str) -> list[str]:
    """The entry of one spec kernel or alias."""
    lines = [f"## `{k.name}` {{ #{anchor(k.name)} }}", ""]
    if isinstance(k, Alias):
        lines += [
            f"Another name for {ref.link(k.target, here)}: same arguments, same result"
            + (f" ({escape_prose(k.doc)})." if k.doc else "."),
            "",
        ]
        target = ref.kernels[k.target]
        lines += _signature(
            k.name, list(target.args), target.defaults, _returns_short(target.out_decl)
        )
        lines += ["", *_backend_table(ref, k.name), ""]
        return lines
    doc = textwrap.dedent(k.doc).strip().splitlines()
    summary, rest = doc[0], "\n".join(doc[1:]).strip()
    lines += [escape_prose(summary), ""]
    lines += _signature(k.name, k.arg_names, k.defaults, _returns_short(k.out_decl))
    lines += [""]
    if rest:
        lines += [escape_prose(rest), ""]
    rows = [
        [
            f"`{a}`",
            f"`{k.args[a]}`",
            describe_decl(d),
            f"`{k.defaults[a]}`" if a in k.defaults else "",
        ]
        for a, d in k.decls.items()
    ]
    lines += [
        "**Arguments**",
        "",
        *_table(["argument", "declared", "meaning", "default"], rows),
        "",
    ]
    lines += [f"**Returns**: {describe_decl(k.out_decl)} (`{k.returns}`).", ""]
    lines += _sizes_line([*k.decls.values(), k.out_decl])
    target = k.method_target(ref.kernels)
    if target is k:
        lines += _dispatch_lines(ref, k, here)
    elif target is not None:
        lines += _passes_method_lines(ref, target, here)
    facts = [f"family `{k.family}`", f"method `{k.method}`", f"kind `{k.kind}`"]
    lines += ["*" + ", ".join(facts) + "*", ""]
    lines += ["**Backends**", "", *_backend_table(ref, k.name), ""]
    return lines


def spec_page(ref: Reference, spec: Spec) -> str:
    here = f"{spec.stem}.md"
    lines = [f"# `{spec.stem}`: kernels of `kernels_spec/{spec.path.name}`", ""]
    if ref.docs.get(spec.stem):
        lines += [doc_markdown(ref.docs[spec.stem]), ""]
    lines += [
        "Each kernel below is `autojax.<backend>.<name>` for the backends its table marks; "
        f"the generated source is `generated/<backend>/{spec.path.name}`.",
        "",
    ]
    public = [k for k in spec.kernels if not k.name.startswith("_")]
    private = [k for k in spec.kernels if k.name.startswith("_")]
    rows = []
    for k in public + private:
        target = ref.kernels[k.target] if isinstance(k, Alias) else k
        what = (
            f"alias of `{k.target}`"
            if isinstance(k, Alias)
            else escape_prose(textwrap.dedent(target.doc).strip().splitlines()[0])
        )
        rows.append([ref.link(k.name, here), what])
    lines += _table(["kernel", "computes"], rows) + [""]
    for k in public:
        lines += kernel_section(ref, k, here)
    if private:
        lines += [
            "## Helpers",
            "",
            "Names starting with `_` are exported for the benchmarks and the seed's code but are "
            "building blocks of the kernels above, not a stable interface.",
            "",
        ]
        for k in private:
            section = kernel_section(ref, k, here)
            section[0] = "#" + section[0]  # one level below "Helpers"
            lines += section
    return "\n".join(lines).rstrip() + "\n"


def original_page(ref: Reference) -> str:
    here = "original.md"
    lines = [
        "# `original`: the upstream ports",
        "",
        "`autojax.original` is written by hand, not generated: faithful Numba ports of the "
        "upstream PyAutoArray loops, the baseline of every benchmark. Where its argument list "
        "differs from the spec's, it keeps the upstream one. Functions that also have a spec "
        "link to it; the declarations below are those of each function's input checks.",
        "",
    ]
    for name, orig in ref.original.items():
        lines += [f"## `{name}` {{ #{anchor(name)} }}", ""]
        if orig.doc:
            lines += [doc_markdown(orig.doc), ""]
        lines += _signature(f"original.{name}", orig.args, orig.defaults, "...")[:-1]
        lines[-1] = lines[-1].removesuffix(" -> ...")
        lines += ["```", ""]
        rows = [
            [
                f"`{a}`",
                f"`{orig.decls[a]}`" if a in orig.decls else "",
                describe_decl(parse_decl(orig.decls[a])) if a in orig.decls else "",
                f"`{orig.defaults[a]}`" if a in orig.defaults else "",
            ]
            for a in orig.args
        ]
        lines += [
            "**Arguments**",
            "",
            *_table(["argument", "declared", "meaning", "default"], rows),
            "",
        ]
        lines += _sizes_line([parse_decl(t) for t in orig.decls.values()])
        if name in ref.capability:
            same = ref.status(name, "original") == "✓"
            lines += [
                f"Spec: {ref.link(name, here)}"
                + (
                    " (same arguments)."
                    if same
                    else " (the generated backends take the spec's arguments)."
                ),
                "",
            ]
        else:
            lines += [
                "Only in `original` (no spec; the generated backends use the compact form).",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def _short(status: str) -> str:
    """The first word of a backend cell (✓, –, ≠, alias) for the overview table."""
    return status.split(" ")[0]


def index_page(ref: Reference) -> str:
    lines = [
        "# Kernel reference",
        "",
        "Generated from `kernels_spec/` by `python -m codegen.docs` (run by `nox -s docs`); "
        "nothing on these pages is written by hand. Every kernel has the same name and "
        "argument order in each backend (`autojax.numba`, `autojax.jax`, `autojax.xp`); "
        "`autojax.original` keeps the upstream argument lists where they differ.",
        "",
        "## Reading a declaration",
        "",
        "Each argument is declared once in its spec; the same text drives the input checks "
        "of every backend.",
        "",
        *_table(
            ["declared", "means"],
            [
                [f"`{t}`", describe_decl(parse_decl(t))]
                for t in (
                    "f8[K,2] finite",
                    "f8[N,W=2*N-1]",
                    "c16[K] finite !=0 re==im",
                    "i8[M,B] in [-1,S)",
                    "i8[S] in [0,P] counts neighbors",
                    "b1[Ny,Nx]",
                    "int -> S",
                    "float2",
                    "str",
                )
            ],
        ),
        "",
        "A symbol (N, M, K, S, B, P, ...) names one size: two arguments declaring the same symbol "
        "must agree, and a mismatch raises `ValueError` naming both. See "
        "[the kernel contract](../contract.md) for the symbols and conventions.",
        "",
        "## Kernels by backend",
        "",
        "✓ present; – absent (with the spec's reason); ≠ present with the upstream argument "
        "list; alias: another name for a kernel.",
        "",
    ]
    names = list(ref.capability) + [n for n in ref.original if n not in ref.capability]
    rows = []
    for name in names:
        if name.startswith("_"):
            continue
        cells = [_short(ref.status(name, b)) for b in ALL_BACKENDS]
        rows.append([ref.link(name, "index.md"), *cells])
    lines += _table(["kernel", *ALL_BACKENDS], rows)
    lines += ["", "## Pages", ""]
    for spec in ref.specs:
        first = (ref.docs.get(spec.stem) or "").strip().splitlines()
        lines.append(
            f"- [`{spec.stem}`]({spec.stem}.md): {escape_prose(first[0]) if first else ''}"
        )
    lines.append("- [`original`](original.md): the hand-written upstream ports")
    return "\n".join(lines).rstrip() + "\n"


def pages(ref: Reference) -> dict[str, str]:
    """File name -> Markdown text of every reference page."""
    out = {"index.md": index_page(ref)}
    for spec in ref.specs:
        out[f"{spec.stem}.md"] = spec_page(ref, spec)
    out["original.md"] = original_page(ref)
    return out


def write_pages(out_dir: Path, ref: Reference | None = None) -> list[Path]:
    """Write every page into ``out_dir`` (created; stale ``.md`` files there removed)."""
    ref = ref or load()
    texts = pages(ref)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.md"):
        if stale.name not in texts:
            stale.unlink()
    written = []
    for name, text in texts.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen.docs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("out", type=Path, help="folder for the pages (e.g. docs/reference)")
    parser.add_argument("--specs", type=Path, default=SPEC_DIR, help="spec folder")
    args = parser.parse_args(argv)
    try:
        ref = load(args.specs)
    except SpecError as exc:
        print(f"codegen.docs: invalid spec: {exc}", file=sys.stderr)
        return 2
    written = write_pages(args.out, ref)
    n = sum(len(s.kernels) for s in ref.specs)
    print(
        f"codegen.docs: {n} kernels, {len(ref.original)} original -> {len(written)} pages in {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
