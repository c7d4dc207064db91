"""The ``scatter`` kind: ``out[targets...] += expr`` over nested loops.

Rows may end early with a -1 sentinel (``stops``; see "Ragged rows" in docs/contract.md).
Loops in Numba (``prange`` over the outermost loop when it is provably race-free);
``.at[...].add`` in JAX, as windowed scatters where a target spans a whole axis; the array
API has no scatter-add, so an ``xp`` body (a one-hot contraction) replaces it. Templates:
``templates/<backend>/scatter.py.j2``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .. import expr as ex
from ..expr import called_names, read_names, tuple_source
from ..model import CONSTANTS, FUNCTIONS, Kernel


@dataclass
class Scatter(Kernel):
    """``out[targets] += expr`` over nested ``loops`` (outermost first).

    ``out_shape``: extents of the result (zeros to start with). ``stops``: loop index ->
    condition; the loop over that index ends at the first entry where it is false (the -1
    sentinel of docs/contract.md). ``updates``: statements ``out[t0, t1] += expr`` (or ``-=``).
    """

    loops: dict[str, str] = field(default_factory=dict)
    out_shape: tuple[str, ...] = ()
    stops: dict[str, str] = field(default_factory=dict)
    updates: list[str] = field(default_factory=list)

    kind = "scatter"

    def __post_init__(self):
        super().__post_init__()
        known = self.known_names()
        if not self.loops:
            self.fail("loops", "needs at least one loop")
        for idx, extent in self.loops.items():
            self.check_name(f"loops.{idx}", idx)
            self.check_extent(f"loops.{idx}", extent, known)
        if not self.out_decl.is_array or len(self.out_shape) != len(self.out_decl.shape):
            self.fail("out_shape", "must give one extent per axis of 'returns'")
        for i, extent in enumerate(self.out_shape):
            self.check_extent(f"out_shape[{i}]", extent, known)
        loops = set(self.loops)
        for idx, cond in self.stops.items():
            if idx not in loops:
                self.fail(f"stops.{idx}", "is not a loop index")
            node = self.parse_expr(f"stops.{idx}", cond)
            if read_names(node) - known - loops:
                self.fail(
                    f"stops.{idx}",
                    f"uses unknown names {sorted(read_names(node) - known - loops)}",
                )
        if not self.updates:
            self.fail("updates", "needs at least one 'out[...] += expr' statement")
        self.parsed_updates = []
        for n, text in enumerate(self.updates):
            try:
                stmt = ast.parse(text.strip()).body
            except SyntaxError as exc:
                self.fail(f"updates[{n}]", f"{text!r} is not a statement ({exc.msg})")
            if (
                len(stmt) != 1
                or not isinstance(stmt[0], ast.AugAssign)
                or not isinstance(stmt[0].op, (ast.Add, ast.Sub))
                or not isinstance(stmt[0].target, ast.Subscript)
                or not isinstance(stmt[0].target.value, ast.Name)
                or stmt[0].target.value.id != "out"
            ):
                self.fail(
                    f"updates[{n}]",
                    f"{text!r} must read 'out[...] += expr' or 'out[...] -= expr'",
                )
            target = stmt[0].target.slice
            targets = list(target.elts) if isinstance(target, ast.Tuple) else [target]
            if len(targets) != len(self.out_shape):
                self.fail(
                    f"updates[{n}]",
                    f"indexes out with {len(targets)} subscripts, out has {len(self.out_shape)} axes",
                )
            for t in targets:
                if read_names(t) - known - loops:
                    self.fail(
                        f"updates[{n}]",
                        f"subscript {ast.unparse(t)!r} uses unknown names",
                    )
            value = stmt[0].value
            if read_names(value) - known - loops - CONSTANTS:
                self.fail(
                    f"updates[{n}]",
                    f"value uses unknown names {sorted(read_names(value) - known - loops - CONSTANTS)}",
                )
            if called_names(value) - FUNCTIONS:
                self.fail(f"updates[{n}]", f"calls {sorted(called_names(value) - FUNCTIONS)}")
            sign = "+" if isinstance(stmt[0].op, ast.Add) else "-"
            self.parsed_updates.append((targets, sign, value))
        if "xp" not in self.skip and "xp" not in self.bodies:
            self.fail(
                "bodies",
                "the array API has no accumulating scatter-add: give an 'xp' body "
                "(e.g. a one-hot contraction) or skip xp with a reason",
            )

    @property
    def loop_names(self) -> list[str]:
        return list(self.loops)

    def race_free_outer(self) -> bool:
        """True when every update writes ``out[..., outer, ...]`` with the outermost loop index bare.

        Then two iterations of the outer loop never write the same element, so the loop can
        run in parallel without atomics.
        """
        outer = self.loop_names[0]
        for targets, _, _ in self.parsed_updates:
            if not any(isinstance(t, ast.Name) and t.id == outer for t in targets):
                return False
        return True


def view(k, backend: str) -> dict:
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
        "sizes": k.size_lines_for(*texts),
        "loops": loops,
        "stops": {i: ex.lower(c, backend) for i, c in k.stops.items()},
        "shape": tuple_source(k.out_shape),
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
            (
                name,
                extent,
                tuple_source("-1" if o == name else "1" for o in order),
                order.index(name),
            )
            for name, extent in loops
        ]
        view["inner_size"] = " * ".join(f"({e})" for _, e in loops[1:]) or "1"
        extents = _chunked_extents(k)
        view["loop_shape"] = tuple_source(extents[name] for name in order)
        for update, plan in zip(updates, plans):
            update["window"] = plan
        # out is accumulated with gathered axes first and window axes last (contiguous)
        view["layout"] = layout
        view["acc_size"] = " * ".join(f"({e})" for e in k.out_shape)
        view["acc_shape"] = (
            tuple_source(k.out_shape[p] for p in layout) if layout else view["shape"]
        )
        view["restore"] = (
            tuple_source(str(layout.index(p)) for p in range(len(layout)))
            if layout and list(layout) != sorted(layout)
            else None
        )
        view["blocks"] = _block_axis(k, plans)
        if view["blocks"] is not None:
            view["block_shape"] = tuple_source(
                "_chunk" if i == view["blocks"] else k.out_shape[p] for i, p in enumerate(layout)
            )
            view["padded_shape"] = tuple_source(
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
        "index_shape": tuple_source("1" if name in windows else extents[name] for name in order),
        "value_shape": tuple_source(["-1"] + [extents[w] for w in windows]),
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
