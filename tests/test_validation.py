"""Bad input gets a clear TypeError/ValueError naming the argument, in every backend."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import backend_name, get_dataset

CASES = [
    # (kernel, argument to spoil, how, exception, words the message must contain)
    ("w_tilde_curvature_interferometer_from", "uv_wavelengths", lambda a: a[:-1], ValueError, "K"),
    (
        "w_tilde_curvature_interferometer_from",
        "grid_radians_slim",
        lambda a: a[:, :1],
        ValueError,
        "axis 1",
    ),
    (
        "w_tilde_curvature_interferometer_from",
        "noise_map_real",
        lambda a: a.astype(complex),
        TypeError,
        "float64",
    ),
    (
        "w_tilde_curvature_interferometer_from",
        "noise_map_real",
        lambda a: "noise",
        TypeError,
        "float64",
    ),
    (
        "constant_regularization_matrix_from",
        "neighbors",
        lambda a: a.astype(float),
        TypeError,
        "int64",
    ),
    (
        "constant_regularization_matrix_from",
        "neighbors",
        lambda a: np.where(a == a.max(), 10**6, a),
        ValueError,
        "range",
    ),
    (
        "constant_regularization_matrix_from",
        "coefficient",
        lambda a: "one",
        TypeError,
        "real number",
    ),
    ("data_vector_from", "dirty_image", lambda a: a[:-2], ValueError, "M"),
    (
        "noise_normalization_complex_from",
        "noise_map",
        lambda a: a.reshape(1, -1),
        ValueError,
        "shape",
    ),
]


@pytest.mark.parametrize(
    ("kernel", "name", "spoil", "exc", "words"),
    CASES,
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_argument_is_named(backend, kernel, name, spoil, exc, words):
    func = getattr(backend, kernel, None)
    if func is None:
        pytest.skip(f"{backend_name(backend)} has no {kernel}")
    ds = get_dataset("S<<M")
    kwargs = dict(zip(__import__("inspect").signature(func).parameters, ds.args_for(func)))
    kwargs[name] = spoil(kwargs[name])
    with pytest.raises(exc) as info:
        func(**kwargs)
    message = str(info.value)
    assert name in message and kernel in message and words in message, message


def test_wrong_number_of_arguments(backend):
    func = getattr(backend, "data_vector_from", None)
    if func is None:
        pytest.skip("no data_vector_from")
    with pytest.raises(TypeError, match="data_vector_from"):
        func(np.zeros((2, 2)))


# ------------------------------------------------------------------ the rule language

import textwrap  # noqa: E402

from autojax._validate import Checker, parse_decl  # noqa: E402


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("f8[K] finite !=0", "flags", ("finite", "!=0")),
        ("c16[K] finite !=0 re==im", "flags", ("finite", "!=0", "re==im")),
        ("i8[S] in [0,P] counts neighbors", "counts", "neighbors"),
        ("i8[S] in [0,P] counts neighbors", "closed", True),
        ("i8[M,B] in [-1,S)", "closed", False),
        ("f8[N,W=2*N-1] finite", "ties", (("W", "2*N-1"),)),
        ("float finite >0", "flags", ("finite", ">0")),
        ("int2 >0", "flags", (">0",)),
        ("int -> S", "bind", "S"),
        ("int -> S >0", "flags", (">0",)),
        ("i8[M,2] in [0,Ry//2)x[0,Rx//2)", "columns", ((0, "Ry//2"), (0, "Rx//2"))),
        ("i8[M,3] in [0,N)x[-1,S)x[0,2*N-1)", "columns", ((0, "N"), (-1, "S"), (0, "2*N-1"))),
    ],
)
def test_rule_declarations_parse(text, field, value):
    assert getattr(parse_decl(text), field) == value


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("f8[K] positive", "not understood"),
        ("i8[K] finite", "does not apply"),
        ("f8[K] re==im", "does not apply"),
        ("c16[K] >0", "does not apply"),
        ("f8[K] finite finite", "twice"),
        ("f8[N,W=2*N+x.y]", "size expression"),
        ("f8[N,W=W+1]", "itself"),
        ("f8[S] counts neighbors", "1-d i8"),
        ("f8[K] in [0,K)", "only i8"),
        ("i8[M,3] in [0,N)x[0,N)", "last axis is the number of ranges"),
        ("i8[M,K] in [0,N)x[0,N)", "last axis is the number of ranges"),
        ("f8[M,2] in [0,N)x[0,N)", "one range per column"),
        ("i8[M,2] in [0,N)x[0,N.x)", "bad bound"),
    ],
)
def test_bad_rule_declaration_is_refused(text, words):
    with pytest.raises(ValueError, match=words):
        parse_decl(text)


@pytest.mark.parametrize(
    ("decls", "words"),
    [
        (
            {"rows": "i8[S,P]", "sizes": "i8[S] in [0,P] counts nothing"},
            "counts the rows of 'nothing'",
        ),
        ({"rows": "i8[T,P]", "sizes": "i8[S] counts rows"}, "has S rows but 'rows' has T"),
        ({"w": "f8[N,W=2*Q-1]"}, "uses size Q"),
        ({"idx": "i8[M] in [0,S)"}, "uses size S"),
        ({"idx": "i8[M,2] in [0,R//2)x[0,N)"}, "uses size N, R"),
    ],
)
def test_inconsistent_declarations_are_refused(decls, words):
    with pytest.raises(ValueError, match=words):
        Checker("k", decls)


def test_bad_rule_in_a_spec_names_file_kernel_and_field(tmp_path):
    from codegen.load import load_specs
    from codegen.model import SpecError

    (tmp_path / "bad.py").write_text(
        textwrap.dedent(
            """
            from codegen.kinds import Composite
            KERNELS = [Composite(name="k", doc="d", returns="f8[S]", body="return sizes",
                args={"neighbors": "i8[S,P] in [-1,S)", "sizes": "i8[S] in [0,P] counts neighbours"})]
            """
        )
    )
    with pytest.raises(SpecError, match=r"bad.py: kernel 'k', field 'args.sizes'.*neighbours"):
        load_specs(tmp_path)


def _rules(text):
    decl = parse_decl(text)
    return decl.flags, decl.counts, decl.closed


def test_original_declares_the_rules_of_the_specs():
    """``original`` is decorated by hand; its rules (not its size names) match the specs'."""
    from autojax.generated.capabilities import KERNELS

    import autojax.numba as generated
    from autojax import original

    compared = 0
    for name in original.__all__:
        if name not in KERNELS or not hasattr(generated, name):
            continue
        mine = original.__dict__[name].__autojax_decls__
        spec = getattr(generated, name).__autojax_decls__
        for arg in set(mine) & set(spec):
            if (
                parse_decl(spec[arg]).is_array
                and parse_decl(mine[arg]).dtype != parse_decl(spec[arg]).dtype
            ):
                continue
            assert _rules(mine[arg]) == _rules(spec[arg]), (name, arg, mine[arg], spec[arg])
            compared += 1
    assert compared > 20


def test_per_column_ranges_name_the_column_eagerly_and_under_jit():
    """``in [lo,hi)x[lo,hi)``: each column of the last axis against its own range."""
    checker = Checker("k", {"p": "f8[Ry,Rx]", "idx": "i8[M,2] in [0,Ry//2)x[0,Rx//2)"})
    preload = np.zeros((6, 8))
    assert (
        parse_decl("i8[M,2] in [0,Ry//2)x[0,Rx//2)")
        .describe()
        .endswith("values in [0, Ry//2) x [0, Rx//2) (one range per column)")
    )
    checker({"p": preload, "idx": np.array([[2, 3], [0, 0]])})
    for idx, column, bad in (
        ([[2, 4], [0, 0]], 1, 4),
        ([[0, 0], [3, 1]], 0, 3),
        ([[0, -1]], 1, -1),
    ):
        with pytest.raises(
            ValueError, match=rf"'idx' holds {bad} in column {column}, .*\[0, 3\) x \[0, 4\)"
        ):
            checker({"p": preload, "idx": np.array(idx)})
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    from autojax._validate import validated

    @validated(convert="jax", p="f8[Ry,Rx]", idx="i8[M,2] in [0,Ry//2)x[0,Rx//2)")
    def total(p, idx):
        return jnp.sum(p[idx[:, 0], idx[:, 1]]) + 1.0

    step = jax.jit(total)
    assert float(step(jnp.asarray(preload), jnp.asarray([[2, 3]]))) == 1.0
    assert np.isnan(float(step(jnp.asarray(preload), jnp.asarray([[2, 4]]))))
