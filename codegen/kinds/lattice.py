"""The ``lattice`` kind: ``out = T^T W T`` for a lattice-stationary W and a sparse T.

``W[a, b] = kernel(r_a - r_b)`` depends only on the offset ``(dr, dc)`` between the lattice
positions of image pixels a and b (W-tilde from its compact form is such an operator), and
T is given by its sparse rows (an index and a weight per entry, -1 ending a row). For one
column t of T, ``W t`` is a 2-D convolution of t, placed on the lattice, with the kernel
table; ``out[:, s] = T^T (W t_s)``. Two lowerings:

- ``conv`` (loops, Numba): per column, per row of the mask's bounding box, the row of
  ``W t`` is a sum of contiguous slices of the kernel table (AXPYs, four entries at a
  time), limited to the columns the mask uses in that row; the finished row is gathered
  through the sparse rows at once while it is in cache. Columns run in parallel, each
  owning its row of the result. Cost: (entries of T) x (mask pixels) multiply-adds.
  When W is symmetric (``symmetric``) and the box is small (at most ``CONV_GROUP_BOX``
  positions), a second path: ``CONV_GROUP`` columns at a time (consecutive in rank), W t
  over the whole box for each, then every pair (s, p) with p of higher rank as a dot
  product over T's column p read from those buffers. The scatter of the row path (its
  repeated ``out[s, p] +=`` on the same p, latency-bound) becomes register sums, the
  sparse columns are read once per group, not once per column, and each pair is written
  once; at M = 716 (25-pixel mask rows, 3.4 entries per column) the scatter was two
  thirds of the time. Same multiply-adds. The pairs are written in rank order (each
  group's rows, and the same values as one cache line of every later row), so the result
  is symmetric there, and a permutation in place puts it in the columns' own order, row by
  row along the cycles of the rank (a row gathered in cache): the mirror in the columns'
  order it replaces read one entry per cache line, 30 ms of 146 at S = 3,000. A symmetric
  kernel's loop is also compiled serial (``parallel=False``), and the impl, a Python
  function, calls that twin when M^2 B is at most ``CONV_SERIAL_WORK`` (waking the
  thread pool for each parallel loop costs more than it saves there).
- ``conv`` in JAX: the Numba backend's compiled loop, called on the host (``vmap`` calls it
  once per batch), under a ``custom_vjp``. On the CPU through
  ``jax.experimental.buffer_callback``: the loop writes out into the output buffer XLA
  allocates, whose pages are first advised huge (``_runtime.advise_huge_pages``), so out is
  neither copied nor faulted in 4 KiB pages (at S = 3,000, 72 MB: 40 of 150 ms). Elsewhere,
  or in a JAX without it, ``jax.pure_callback``. The
  gradient with respect to the weights of T needs W T and one gather:
  ``dL/dw[m, b] = sum_j (G + G^T)[p, j] (W T)[m, j]`` with ``p = indexes[m, b]`` and G the
  cotangent of out; the backward pass runs the row loop again and uses each row of W t
  while it is in cache (keeping W T, S x M, from the forward pass cost more in copies
  through the host callbacks than recomputing it), a generated Numba loop in the JAX module. The
  gradient with respect to the kernel's float arguments goes through the array form (the
  fft lowering, ``jax.vjp``), computed only when they are differentiated. On a GPU the
  callback copies to the host: dispatchers pick ``fft`` there.
- ``fft`` (any array library): columns placed on the zero-padded lattice (each side at
  least 2 extent - 1, rounded up to a 2-3-5-smooth length), batched real FFTs multiplied
  by the transform of the kernel table in circular layout, then the gather T^T. Columns
  are taken in chunks so memory stays bounded.

Spec fields: ``kernel`` (an expression of ``dr``, ``dc``, arguments, sizes and lets),
``extent`` (the two size expressions bounding the lattice: positions lie in
[0, extent)), ``positions`` (an (M, 2) index array argument), ``indexes`` and
``weights`` (the sparse rows), ``columns`` (the size symbol of the result's side),
``lowering`` (backend -> ``conv`` or ``fft``), ``symmetric`` (True when
``kernel(dr, dc) == kernel(-dr, -dc)``, so out is symmetric: the Numba conv lowering forms
only half of it and mirrors), and the kernels the fft lowering calls:
``mapping`` (dense T) and ``transpose_matmul`` (T^T X from the sparse rows).

Two optional variations of the operands:

- a second sparse matrix to gather through, ``left_indexes``, ``left_weights`` and
  ``rows`` (its size symbol): ``out = L^T W T`` (rows, columns), the cross block of two
  different mappings. The convolution still runs per column of T (``indexes``,
  ``weights``); the finished rows of ``W t`` are gathered through L's sparse rows. Not
  symmetric (``symmetric`` must stay False); lowerings ``conv`` (Numba) and ``fft`` (any
  backend: JAX's host conv path has a gradient that assumes L == T, so JAX takes ``fft``).
  Left out, L is T.
- ``dense_columns``: an (M, ``columns``) float argument B in place of the sparse T, and no
  gather at all: ``out = W B`` (M, columns). Only the ``fft`` lowering; in JAX plain array
  code (jit, vmap and grad work).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import expr as ex
from ..model import BACKENDS, Kernel, impl_name

LOWERINGS = ("conv", "fft")
#: the symmetric conv lowering's small-box path (see the module doc): columns per group and
#: the largest bounding box (lattice positions) it is used for. Measured at M = 716 (box 30 x
#: 30), 3,228 (64 x 64) and 15,380 (140 x 140) it is 1.6-2.6x faster than the row path (8
#: columns a little faster than 4); above 160 x 160 the GROUP buffers (8 bytes per position
#: each) outgrow a 2 MB L2 and the row path, whose buffer is one box row, takes over.
CONV_GROUP = 8
CONV_GROUP_BOX = 160 * 160
#: the symmetric conv lowering runs its serial twin when M^2 B (a bound on its multiply-adds)
#: is at most this: at M = 716, B = 3 (1.5e6) on 2 loaded cores, one thread took 0.8 ms and
#: two 1.2 ms (each parallel loop wakes the pool).
CONV_SERIAL_WORK = 2**21
#: the small-box path's permutation into the columns' order moves rows along the cycles of
#: the rank; a cycle longer than this is cut into pieces of this many rows, run in parallel
#: (each piece saves the one row after it first)
CONV_PERMUTE_PIECE = 64


@dataclass
class Lattice(Kernel):
    """``out[s, p] = sum_{a,b} T[a, s] T[b, p] kernel(r_a - r_b)`` (see the module doc)."""

    kernel: str = ""
    extent: tuple[str, str] = ("N", "N")
    positions: str = ""
    indexes: str = ""
    weights: str = ""
    columns: str = "S"
    lowering: dict[str, str] = field(default_factory=dict)
    lets: dict[str, str] = field(default_factory=dict)
    symmetric: bool = False
    left_indexes: str = ""
    left_weights: str = ""
    rows: str = ""
    dense_columns: str = ""
    mapping: str = "mapping_matrix_from"
    transpose_matmul: str = "sparse_mapping_matrix_transpose_matmul"

    kind = "lattice"

    def __post_init__(self):
        super().__post_init__()
        known = self.known_names()
        known = self.check_lets(self.lets, known)
        self.check_expr("kernel", self.kernel, known | {"dr", "dc"})
        if not (isinstance(self.extent, tuple) and len(self.extent) == 2):
            self.fail("extent", "must be a pair of size expressions")
        for n, text in enumerate(self.extent):
            self.check_extent(f"extent[{n}]", text, known)
        cross = bool(self.left_indexes or self.left_weights or self.rows)
        if self.dense_columns:
            if self.indexes or self.weights or cross:
                self.fail(
                    "dense_columns",
                    "dense columns take no sparse rows (indexes, weights, left_*, rows)",
                )
            fields = (("positions", "i8["), ("dense_columns", "f8["))
        else:
            fields = (("positions", "i8["), ("indexes", "i8["), ("weights", "f8["))
            if cross:
                fields += (("left_indexes", "i8["), ("left_weights", "f8["))
        for fld, decl_start in fields:
            arg = getattr(self, fld)
            if arg not in self.args or not self.args[arg].startswith(decl_start):
                self.fail(fld, f"{arg!r} must name a {decl_start}...] argument")
        if self.decls[self.positions].shape[1:] != (2,):
            self.fail("positions", "must be an (M, 2) array of (row, column)")
        if not isinstance(self.symmetric, bool):
            self.fail("symmetric", "must be True or False")
        if self.columns not in known:
            self.fail("columns", f"{self.columns!r} is not a size symbol")
        rows_axis = self.decls[self.positions].shape[0]
        if self.dense_columns:
            if self.decls[self.dense_columns].shape != (rows_axis, self.columns):
                self.fail(
                    "dense_columns",
                    f"must be a ({rows_axis}, {self.columns}) array (a value per mask pixel and column)",
                )
            if self.symmetric:
                self.fail("symmetric", "W B is not a square matrix: leave symmetric False")
            for backend in self.backends():
                if self.lowering.get(backend) != "fft":
                    self.fail(f"lowering.{backend}", "dense columns have only the 'fft' lowering")
        else:
            if self.decls[self.indexes].shape != self.decls[self.weights].shape:
                self.fail("weights", "must have the shape of 'indexes'")
        if cross:
            if self.decls[self.left_indexes].shape != self.decls[self.left_weights].shape:
                self.fail("left_weights", "must have the shape of 'left_indexes'")
            if self.decls[self.left_indexes].shape[0] != self.decls[self.indexes].shape[0]:
                self.fail("left_indexes", "must have a row per mask pixel, as 'indexes'")
            if self.rows not in known:
                self.fail("rows", f"{self.rows!r} is not a size symbol")
            if self.symmetric:
                self.fail("symmetric", "a block of two different matrices is not symmetric")
            if self.lowering.get("jax") == "conv" and "jax" in self.backends():
                self.fail(
                    "lowering.jax",
                    "JAX's host conv path differentiates T^T W T only: use 'fft' for a cross block",
                )
        for backend in self.backends():
            if self.lowering.get(backend) not in LOWERINGS:
                self.fail(
                    f"lowering.{backend}",
                    f"must be one of {LOWERINGS} for every backend the kernel has",
                )
        if self.lowering.get("jax") == "conv" and "jax" in self.backends():
            if self.lowering.get("numba") != "conv" or "numba" not in self.backends():
                self.fail(
                    "lowering.jax",
                    "'conv' calls the Numba backend's conv loop: lower numba to 'conv'",
                )
        for backend in self.lowering:
            if backend not in BACKENDS:
                self.fail("lowering", f"unknown backend {backend!r}")
        # the fft lowering calls them; so does JAX's conv (its array form, for the gradient
        # with respect to the kernel table's arguments)
        uses = {"fft"} & {self.lowering.get(b) for b in self.backends()}
        if self.dense_columns:
            pass  # no sparse rows: nothing to call
        elif uses or self.lowering.get("jax") == "conv" and "jax" in self.backends():
            self.calls = list(dict.fromkeys([*self.calls, self.mapping, self.transpose_matmul]))


def view(k: Lattice, backend: str) -> dict:
    pos, idx, wts = k.positions, k.indexes, k.weights
    cross = bool(k.left_indexes)
    # the fft lowering is array code: in the Numba module it runs on NumPy (``xp = np``)
    spelling = backend if (k.lowering[backend] == "conv" or backend == "jax") else "xp"
    host = backend == "jax" and k.lowering[backend] == "conv"
    return {
        # JAX's conv: the Numba backend's compiled loop called on the host (a host callback)
        # with a custom_vjp whose backward pass is a generated gather; its array form (the
        # fft lowering) gives the gradient with respect to the kernel table's arguments
        "host_loop": host,
        "kernel_expr_loop": ex.lower(k.kernel, "numba"),
        "lets_loop": [f"{n} = {ex.lower(t, 'numba')}" for n, t in k.lets.items()],
        "static_positions": [n for n, a in enumerate(k.args) if a in k.static_args],
        "traced_args": [a for a in k.args if a not in k.static_args],
        # each traced argument's rank for one walker (the host callback's batch axes lead)
        "host_ranks": [
            len(k.decls[a].shape) if a in k.array_args else 0
            for a in k.args
            if a not in k.static_args
        ],
        "float_args": [a for a in k.array_args if k.args[a].startswith("f8[") and a != wts],
        "sizes": k.size_lines_for(
            k.kernel, *k.extent, *k.lets.values(), k.columns, *([k.rows] if cross else [])
        ),
        # the symmetric conv's impl (a Python function) allocates F: the size its side needs
        "columns_sizes": k.size_lines_for(k.columns),
        "lets": [f"{n} = {ex.lower(t, backend)}" for n, t in k.lets.items()],
        "kernel_expr": ex.lower(k.kernel, spelling),
        "extent": [ex.lower(e, backend) for e in k.extent],
        "lowering": k.lowering[backend],
        "positions": pos,
        "indexes": idx,
        "weights": wts,
        "columns": k.columns,
        "symmetric": bool(k.symmetric),
        # the symmetric conv's small-box path: columns per group, and the largest box
        # (H x W lattice positions) it takes: GROUP buffers of the box stay in L2 below it
        "group": CONV_GROUP,
        "group_box": CONV_GROUP_BOX,
        "serial_work": CONV_SERIAL_WORK,
        "permute_piece": CONV_PERMUTE_PIECE,
        # out = L^T W T: the sparse rows gathered through (L is T unless the spec names one)
        "cross": cross,
        "left_indexes": k.left_indexes or idx,
        "left_weights": k.left_weights or wts,
        "rows": k.rows or k.columns,
        # out = W B for a dense (M, columns) argument B: no sparse rows on either side
        "dense_columns": k.dense_columns,
        "mapping_impl": impl_name(k.mapping),
        "transpose_impl": impl_name(k.transpose_matmul),
    }
