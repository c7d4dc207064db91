"""Load the specs, prepare a per-backend view of each kernel, render, format, write or check."""

from __future__ import annotations

import ast
import difflib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jinja2

from autojax._runtime import DEFAULT_CHUNK_BUDGET

from . import expr as ex
from . import kinds
from .model import BACKENDS, Alias, Kernel, SpecError

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT / "kernels_spec"
OUT_DIR = ROOT / "generated"
TEMPLATES = Path(__file__).with_name("templates")
REGENERATE = "nox -s generate  (or: python -m codegen)"


# ----------------------------------------------------------------------------- loading


@dataclass
class Spec:
    path: Path
    kernels: list  # Kernel and Alias objects

    @property
    def stem(self) -> str:
        return self.path.stem


def load_spec(path: Path) -> Spec:
    """Import one spec file and validate its ``KERNELS`` list; errors name the file."""
    module_name = f"_autojax_spec_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SpecError as exc:
        raise SpecError(f"{path.name}: {exc}") from None
    except Exception as exc:
        raise SpecError(f"{path.name}: could not be loaded: {type(exc).__name__}: {exc}") from exc
    kernels = getattr(module, "KERNELS", None)
    if not isinstance(kernels, list) or not kernels:
        raise SpecError(f"{path.name}: field 'KERNELS' must be a non-empty list of kernels")
    for item in kernels:
        if not isinstance(item, (Kernel, Alias)):
            raise SpecError(
                f"{path.name}: field 'KERNELS' holds {type(item).__name__}, not a kernel"
            )
        item.spec_file = path.name
    return Spec(path, kernels)


def load_specs(spec_dir: Path = SPEC_DIR) -> list[Spec]:
    specs = [load_spec(p) for p in sorted(spec_dir.glob("*.py")) if not p.name.startswith("_")]
    seen: dict[str, str] = {}
    for spec in specs:
        for item in spec.kernels:
            if item.name in seen:
                raise SpecError(
                    f"{spec.path.name}: kernel '{item.name}' is also defined in {seen[item.name]}"
                )
            seen[item.name] = spec.path.name
    everything = {k.name: k for s in specs for k in s.kernels}
    for spec in specs:
        for item in spec.kernels:
            if hasattr(item, "resolve"):
                try:
                    item.resolve(everything)
                except SpecError as exc:
                    raise SpecError(f"{spec.path.name}: {exc}") from None
    for spec in specs:
        for item in spec.kernels:
            if isinstance(item, Alias) and item.target not in everything:
                raise SpecError(
                    f"{spec.path.name}: alias '{item.name}', field 'target': no kernel '{item.target}'"
                )
            for call in getattr(item, "calls", []):
                if call not in everything:
                    raise SpecError(
                        f"{spec.path.name}: kernel '{item.name}', field 'calls': no kernel '{call}'"
                    )
    return specs


# ----------------------------------------------------------------------------- views


def _decl_kwargs(kernel: Kernel) -> str:
    return ", ".join(f'{a}="{t}"' for a, t in kernel.args.items())


def _size_symbols_used(kernel: Kernel, texts) -> list[str]:
    used = set()
    for text in texts:
        used |= ex.names(text)
    return [s for s in kernel.sizes if s in used and kernel.sizes[s]]


def _index_map_view(k, backend):
    names = k.index_names
    extents = k.extents
    texts = [*extents, k.expr, *k.lets.values()] + ([k.reduce[1]] if k.reduce else [])
    lets = [f"{n} = {ex.lower(t, backend)}" for n, t in k.lets.items()]
    indices = names + ([k.reduce[0]] if k.reduce else [])
    view = {
        "sizes": k.size_lines(_size_symbols_used(k, texts)),
        "lets": lets,
        "index": list(zip(names, extents)),
        "shape": _tuple(extents),
        "dtype": {"f8": "float64", "b1": "bool_"}[k.out_dtype]
        if backend == "numba"
        else {"f8": "float64", "b1": "bool"}[k.out_dtype],
        "expr": ex.lower(k.expr, backend, floats=indices),
        "reduce": k.reduce,
        "symmetric": k.symmetric,
        "ndim": len(names),
    }
    if backend != "numba":
        # vectorised: every index becomes an integer array on its own axis
        axes = names + ([k.reduce[0]] if k.reduce else [])
        view["iotas"] = [
            (n, e, "(" + ", ".join(e if j == i else "1" for j in range(len(axes))) + ")")
            for i, (n, e) in enumerate(zip(axes, extents + ([k.reduce[1]] if k.reduce else [])))
        ]
        view["out_size"] = " * ".join(f"({e})" for e in extents)
    return view


def _contraction_view(k, backend):
    (i, ei), (j, ej) = [*k.index.items(), (None, "1")][:2]
    kname, kext = k.reduce
    lefts = [left for left, _ in k.terms]
    rights = k.right_terms()
    texts = [ei, ej, kext, k.weight, *lefts, *rights, *k.lets.values()]
    view = {
        "sizes": k.size_lines(_size_symbols_used(k, texts)),
        "lets": [f"{n} = {ex.lower(t, backend)}" for n, t in k.lets.items()],
        "i": (i, ei),
        "j": (j, ej),
        "k_": (kname, kext),
        "weight": ex.lower(k.weight, backend, floats=(kname,)),
        "lefts": [ex.lower(t, backend, floats=(i, j, kname)) for t in lefts],
        "rights": [ex.lower(t, backend, floats=(i, j, kname)) for t in rights],
        "nterms": len(k.terms),
        "symmetric": k.symmetric,
        # one output index: the right factors are vectors over k (a GEMV per chunk)
        "vector": k.vector,
        "shape": _tuple([ei] if k.vector else [ei, ej]),
        # elements of the factor tables per step of k (the chunk budget divides this)
        "table_size": f"{len(k.terms)} * (({ei}) + ({ej}))",
        # the default of a Numba contraction's _budget argument (the wrapper passes the
        # run-time value); a constant, so generation does not depend on the environment
        "default_budget": DEFAULT_CHUNK_BUDGET,
    }
    return view


def _scatter_view(k, backend):
    texts = [*k.loops.values(), *k.out_shape, *k.stops.values(), *k.updates]
    loops = list(k.loops.items())
    updates = []
    for targets, sign, value in k.parsed_updates:
        updates.append(
            {
                "targets": [ex.lower(t, backend) for t in targets],
                "linear": _linear_index([ex.lower(t, backend) for t in targets], k.out_shape),
                "sign": sign,
                "value": ex.lower(value, backend),
            }
        )
    view = {
        "sizes": k.size_lines(_size_symbols_used(k, texts)),
        "loops": loops,
        "stops": {i: ex.lower(c, backend) for i, c in k.stops.items()},
        "shape": _tuple(k.out_shape),
        "updates": updates,
        "parallel": k.race_free_outer(),
    }
    if backend != "numba":
        plans = [_window_plan(k, targets, backend) for targets, _, _ in k.parsed_updates]
        kinds = {None if plan is None else (plan["layout"], plan["order"]) for plan in plans}
        if len(kinds) != 1:  # updates disagree on the layout: all scatter element-wise
            plans = [None] * len(plans)
        layout, order = kinds.pop() if len(kinds) == 1 and None not in kinds else (None, None)
        # array axes follow `order` (window loops last), so values need no transposing
        order = order or list(k.loops)
        view["iotas"] = [
            (name, extent, _tuple("-1" if o == name else "1" for o in order), order.index(name))
            for name, extent in loops
        ]
        view["inner_size"] = " * ".join(f"({e})" for _, e in loops[1:]) or "1"
        extents = _chunked_extents(k)
        view["loop_shape"] = _tuple(extents[name] for name in order)
        for update, plan in zip(updates, plans):
            update["window"] = plan
        # out is accumulated with gathered axes first and window axes last (contiguous)
        view["layout"] = layout
        view["acc_size"] = " * ".join(f"({e})" for e in k.out_shape)
        view["acc_shape"] = _tuple(k.out_shape[p] for p in layout) if layout else view["shape"]
        view["restore"] = (
            _tuple(str(layout.index(p)) for p in range(len(layout)))
            if layout and list(layout) != sorted(layout)
            else None
        )
        view["blocks"] = _block_axis(k, plans)
        if view["blocks"] is not None:
            view["block_shape"] = _tuple(
                "_chunk" if i == view["blocks"] else k.out_shape[p] for i, p in enumerate(layout)
            )
            view["padded_shape"] = _tuple(
                "-1" if i == view["blocks"] else k.out_shape[p] for i, p in enumerate(layout)
            )
    return view


def _chunked_extents(k) -> dict[str, str]:
    """Loop extents as the vectorised step sees them: the outer loop runs ``_chunk`` at a time."""
    return {name: ("_chunk" if i == 0 else e) for i, (name, e) in enumerate(k.loops.items())}


def _linear_index(targets: list[str], shape) -> str:
    """Row-major flat position of ``out[targets]`` (Horner form: ((t0) * n1 + t1) * n2 + t2)."""
    text = f"({targets[0]})"
    for t, n in zip(targets[1:], shape[1:]):
        text = f"({text} * ({n}) + ({t}))"
    return text


def _tuple(items) -> str:
    """Python source of a tuple (the trailing comma only where one item needs it)."""
    items = list(items)
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _window_plan(k, targets, backend):
    """How a vectorised backend applies ``out[targets] += value`` as a windowed scatter.

    A target that is a bare loop index spanning its whole axis, used by no other target,
    needs no index array: that axis is a window (a slice). The other ("gathered") targets
    get one flat index array each over the remaining loops, so the scatter adds one window
    per gathered element instead of one element. The accumulator holds the gathered axes
    first and the window axes last (``layout``, a permutation of out's axes), so windows are
    contiguous in memory. Returns None when no target is a window or none is gathered
    (then the update scatters element by element).
    """
    loop_names = list(k.loops)
    uses = [ex.names(ast.unparse(t)) & set(loop_names) for t in targets]
    window = {}
    for pos, t in enumerate(targets):
        if isinstance(t, ast.Name) and k.loops.get(t.id) == k.out_shape[pos]:
            if not any(t.id in u for q, u in enumerate(uses) if q != pos):
                window[pos] = t.id
    gathered = [pos for pos in range(len(targets)) if pos not in window]
    if not window or not gathered:
        return None
    extents = _chunked_extents(k)
    windows = [window[p] for p in sorted(window)]
    order = [name for name in loop_names if name not in windows] + windows
    return {
        "layout": tuple(gathered + sorted(window)),
        "order": tuple(order),
        "index": [ex.lower(targets[p], backend) for p in gathered],
        "index_shape": _tuple("1" if name in windows else extents[name] for name in order),
        "value_shape": _tuple(["-1"] + [extents[w] for w in windows]),
    }


def _block_axis(k, plans):
    """Axis of the accumulator the outermost loop fills as a window in every update, else None.

    Then each chunk of the outer loop owns a block of ``out`` and the scan stacks the blocks
    instead of adding into one carried array.
    """
    outer = next(iter(k.loops))
    axes = set()
    for (targets, _, _), plan in zip(k.parsed_updates, plans):
        if plan is None:
            return None
        pos = [p for p, t in enumerate(targets) if isinstance(t, ast.Name) and t.id == outer]
        window_positions = plan["layout"][len(plan["index"]) :]
        if len(pos) != 1 or pos[0] not in window_positions:
            return None
        axes.add(plan["layout"].index(pos[0]))
    return axes.pop() if len(axes) == 1 else None


def _composite_view(k, backend, private):
    body = k.body_for(backend)
    tree = ast.parse(body)

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in k.calls:
                return ast.copy_location(ast.Name(private(node.id), node.ctx), node)
            return node

    tree = Rename().visit(tree)
    return {"body": ast.unparse(ast.fix_missing_locations(tree)).splitlines()}


def kernel_view(k: Kernel, backend: str) -> dict:
    private = lambda name: f"_{name.lstrip('_')}_impl"
    kind = k.kind_for(backend)
    view = {
        "k": k,
        "name": k.name,
        "impl": private(k.name),
        "kind": kind,
        "signature": ", ".join(k.arg_names),
        "def_signature": k.def_signature,
        "decls": _decl_kwargs(k),
        "static": k.static_args,
        "array_args": k.array_args,
        "summary": k.doc.strip().splitlines()[0],
        "doc_rest": [line.rstrip() for line in k.doc.strip().splitlines()[1:]],
        "params": k.params_doc(),
        "returns_doc": k.returns_doc,
        "method": k.method,
        "family": k.family,
        "result_check": k.result_check,
    }
    if kind == "index_map":
        view.update(_index_map_view(k, backend))
    elif kind == "scatter":
        view.update(_scatter_view(k, backend))
    elif kind == "contraction":
        view.update(_contraction_view(k, backend))
    elif kind in kinds.VIEWS:
        view.update(kinds.VIEWS[kind](k, backend, private))
    else:
        view.update(_composite_view(k, backend, private))
    return view


def _imports_for(spec: Spec, backend: str, where: dict[str, str]) -> list[tuple[str, str]]:
    """(module stem, private name) of kernels from other spec files that composites call."""
    out = set()
    for k in spec.kernels:
        if isinstance(k, Kernel) and backend in k.backends():
            for call in k.calls:
                if where[call] != spec.stem:
                    out.add((where[call], f"_{call.lstrip('_')}_impl"))
    return sorted(out)


# ----------------------------------------------------------------------------- rendering


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals["regenerate"] = REGENERATE
    return env


def _methods_of(item, backend: str, kernels: dict) -> list[str] | None:
    """The methods ``item``'s ``method=`` takes in ``backend``: a dispatcher's own, or those
    of the dispatcher a kernel passes its ``method`` on to (through any chain of calls)."""
    if hasattr(item, "methods_for"):
        return item.methods_for(backend)
    if "method" not in item.args:
        return None
    for call in getattr(item, "calls", ()):
        found = _methods_of(kernels[call], backend, kernels)
        if found is not None:
            return found
    return None


def render_all(specs: list[Spec]) -> dict[str, str]:
    """Relative path -> text of every generated file."""
    env = environment()
    files: dict[str, str] = {}
    where = {k.name: s.stem for s in specs for k in s.kernels}
    kernels = {k.name: k for s in specs for k in s.kernels}
    for backend in BACKENDS:
        exported: list[tuple[str, list[str]]] = []
        methods: dict[str, list[str]] = {}
        for spec in specs:
            views, aliases = [], []
            for item in spec.kernels:
                if isinstance(item, Alias):
                    target = kernels[item.target]
                    if backend in target.backends():
                        aliases.append(item)
                elif backend in item.backends():
                    views.append(kernel_view(item, backend))
                    found = _methods_of(item, backend, kernels)
                    if found is not None:
                        methods[item.name] = found
            if not views and not aliases:
                continue
            template = env.get_template(f"{backend}/module.py.j2")
            files[f"{backend}/{spec.stem}.py"] = template.render(
                backend=backend,
                spec=spec,
                views=views,
                aliases=aliases,
                imports=_imports_for(spec, backend, where),
                template_name=f"codegen/templates/{backend}/",
            )
            exported.append(
                (
                    spec.stem,
                    [v["name"] for v in views] + [a.name for a in aliases],
                )
            )
        files[f"{backend}/__init__.py"] = env.get_template("package_init.py.j2").render(
            backend=backend, exported=exported, methods=methods
        )
    files["capabilities.py"] = env.get_template("capabilities.py.j2").render(
        capability=capabilities(specs), backends=BACKENDS
    )
    files["__init__.py"] = env.get_template("generated_init.py.j2").render()
    return {path: _format(text, path) for path, text in files.items()}


def capabilities(specs: list[Spec]) -> dict[str, dict]:
    """Kernel -> what ``generated/capabilities.py`` records (also read by ``codegen.docs``).

    Spec file, family, method, alias target, argument names, ``{backend: reason skipped}``
    and, for a dispatcher, ``{backend: the methods it has there}``.
    """
    kernels = {k.name: k for s in specs for k in s.kernels}
    capability = {}
    for spec in specs:
        for item in spec.kernels:
            alias = isinstance(item, Alias)
            target = kernels[item.target] if alias else item
            capability[item.name] = {
                "spec": spec.path.name,
                "family": target.family,
                "method": target.method,
                "alias_of": item.target if alias else None,
                "args": list(target.args),
                "skip": dict(target.skip),
                "methods": {b: target.methods_for(b) for b in BACKENDS}
                if hasattr(target, "methods_for")
                else {},
            }
    return capability


def _format(text: str, path: str) -> str:
    """ruff-format the text so regeneration is byte-for-byte stable."""
    ruff = shutil.which("ruff")
    if ruff is None and importlib.util.find_spec("ruff") is None:
        raise RuntimeError(
            "the generator formats its output with ruff, which is not installed: "
            "pip install -e '.[codegen]' (or run `nox -s generate`)"
        )
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
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
    return result.stdout


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


__all__ = ["load_specs", "render_all", "capabilities", "write", "check", "SpecError"]
