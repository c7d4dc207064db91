"""What a new user trips on first: the Likelihood's errors speak the modeller's terms.

Wrong backend through jax.jit, a mapping made for another mask, a negative coefficient,
lists inside jax.jit, a missing extra, and when the precompute shows a progress bar.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autojax import backends
from autojax import likelihood as module
from autojax.datasets import DataLoaded
from autojax.likelihood import Likelihood
from autojax.observation import Mask, Observation

BACKENDS = [b for b in ("numba", "jax", "xp") if backends.available()[b] is None]


@pytest.fixture(scope="module")
def data():
    d = DataLoaded()
    args = (
        d.pix_indexes_for_sub_slim_index,
        d.pix_weights_for_sub_slim_index,
        d.neighbors,
        d.neighbors_sizes,
    )
    return d, Observation.from_dataset(d), args


@pytest.fixture(scope="module")
def jax():
    return pytest.importorskip("jax", reason="the jax extra is not installed")


# ------------------------------------------------------- only backend="jax" is a pytree
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "jax"])
@pytest.mark.parametrize("transform", ["jit", "vmap", "grad"])
def test_other_backends_refuse_jax_transformations_clearly(jax, data, backend, transform):
    _, obs, args = data
    likelihood = Likelihood(obs, backend=backend)
    if transform == "jit":
        call = lambda: jax.jit(Likelihood.log_evidence)(likelihood, *args, 1.0)  # noqa: E731
    elif transform == "vmap":
        batched = jax.vmap(Likelihood.log_evidence, in_axes=(None, 0, 0, None, None, None))
        stacked = [np.stack([a] * 2) for a in args[:2]]
        call = lambda: batched(likelihood, *stacked, *args[2:], 1.0)  # noqa: E731
    else:
        call = lambda: jax.grad(Likelihood.log_evidence, argnums=5)(likelihood, *args, 1.0)  # noqa: E731
    with pytest.raises(TypeError, match=rf"Likelihood\(backend='{backend}'\).*only backend='jax'"):
        call()
    # the object itself still works, eagerly
    assert np.isfinite(float(likelihood.log_evidence(*args, 1.0)))


# --------------------------------------------------------- a mapping for another mask
@pytest.mark.parametrize("method", ["log_evidence", "fit"])
def test_a_mapping_for_another_mask_names_both(data, method):
    d, obs, args = data
    small = Mask.circular(d.mask.shape, d.pixel_scale, 0.8 * d.radius)
    other = Observation(obs.visibilities, obs.noise_map, obs.uv_wavelengths, small)
    likelihood = Likelihood(other, progress=False)
    words = (
        rf"Likelihood\.{method}: the mapping does not match the observation's mask: "
        rf"'pix_indexes_for_sub_slim_index' has {d.M} rows .* M = {small.pixels} unmasked"
    )
    with pytest.raises(ValueError, match=words):
        getattr(likelihood, method)(*args, 1.0)
    with pytest.raises(ValueError, match=f"'pix_weights_for_sub_slim_index' has {d.M - 1} rows"):
        likelihood_on_d = Likelihood(obs, progress=False)
        getattr(likelihood_on_d, method)(args[0], args[1][:-1], *args[2:], 1.0)


# ---------------------------------------------------------------- the coefficient
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_negative_coefficient_is_refused(data, backend):
    _, obs, args = data
    likelihood = Likelihood(obs, backend=backend, progress=False)
    for method in ("log_evidence", "fit"):
        with pytest.raises(ValueError, match=r"'coefficient' .* must be >= 0, got -1\.0"):
            getattr(likelihood, method)(*args, -1.0)
    # 0 is allowed (H = 1e-8 I): a finite value, different from c = 1
    zero, one = (float(likelihood.log_evidence(*args, c)) for c in (0.0, 1.0))
    assert np.isfinite(zero) and zero != one
    # the kernel behind the step says the same in its own terms
    with pytest.raises(ValueError, match="'coefficient' is -1.0; it must be non-negative"):
        likelihood.kernels.log_evidence_via_w_compact_from(
            likelihood.dirty_image,
            likelihood.chi_squared_data,
            likelihood.noise_normalization,
            likelihood.w_compact,
            likelihood.native_index_for_slim_index,
            *args,
            -1.0,
        )


def test_a_negative_coefficient_under_jit_is_nan_and_checkify_says_why(jax, data):
    from jax.experimental import checkify

    _, obs, args = data
    likelihood = Likelihood(obs, backend="jax", progress=False)
    step = jax.jit(Likelihood.log_evidence)
    assert np.isnan(float(step(likelihood, *args, -1.0)))
    assert np.isfinite(float(step(likelihood, *args, 1.0)))
    error, _ = checkify.checkify(step)(likelihood, *args, -1.0)
    assert "'coefficient' is -1.0; it must be non-negative" in error.get()


# ------------------------------------------------------------------------- lists
@pytest.mark.parametrize("backend", BACKENDS)
def test_lists_are_arrays_eagerly(data, backend):
    _, obs, args = data
    likelihood = Likelihood(obs, backend=backend, progress=False)
    as_lists = [a.tolist() for a in args]
    assert float(likelihood.log_evidence(*as_lists, 1.0)) == pytest.approx(
        float(likelihood.log_evidence(*args, 1.0)), rel=1e-14
    )


def test_lists_inside_jit_get_a_clear_error(jax, data):
    _, obs, args = data
    likelihood = Likelihood(obs, backend="jax", progress=False)
    step = jax.jit(Likelihood.log_evidence)
    with pytest.raises(
        TypeError, match="'neighbors_sizes' is a list inside jax.jit.*pass an array"
    ):
        step(likelihood, *args[:3], args[3].tolist(), 1.0)


# ------------------------------------------------------------------- missing extras
BLOCK = """
import sys


class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)


sys.meta_path.insert(0, Missing())
import autojax
from autojax.datasets import DataLoaded

observation = autojax.Observation.from_dataset(DataLoaded())
for attempt in (lambda: __import__("autojax.{backend}"),
                lambda: autojax.Likelihood(observation, backend="{backend}")):
    try:
        attempt()
    except ImportError as error:
        print(type(error).__name__, "|", error)
"""


@pytest.mark.parametrize(
    "backend, blocked, extra",
    [("jax", ("jax", "jaxlib"), "autojax[jax]"), ("xp", ("array_api_compat",), "autojax[xp]")],
)
def test_a_missing_extra_is_named(backend, blocked, extra):
    code = textwrap.dedent(BLOCK.format(blocked=blocked, backend=backend))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert len(out) == 2, out
    for line in out:
        kind, message = line.split(" | ")
        assert kind == "ImportError"  # not a bare ModuleNotFoundError
        assert f"pip install '{extra}'" in message


# ------------------------------------------------------------------- progress bar
class FakeClock:
    """perf_counter for _chunks_with_progress: each step 'takes' ``seconds``."""

    def __init__(self, seconds):
        self.now, self.seconds = 0.0, seconds

    def perf_counter(self):
        return self.now

    def step(self, chunk):
        self.now += self.seconds
        return (chunk.stop - chunk.start,)


@pytest.mark.parametrize(
    "total, chunk, seconds, shown",
    [
        (190, 2**18, 30.0, False),  # one chunk: nothing left to show, however slow
        (190, 50, 0.5, True),  # 3 chunks left x 0.5 s > 1 s
        (190, 50, 0.2, False),  # 3 chunks left x 0.2 s < 1 s
    ],
)
def test_progress_bar_only_for_chunks_still_to_come(
    monkeypatch, capsys, total, chunk, seconds, shown
):
    clock = FakeClock(seconds)
    monkeypatch.setattr(module, "time", clock)
    monkeypatch.setattr(module, "CHUNK", chunk)
    parts = list(module._chunks_with_progress(total, clock.step, None, "autojax: test"))
    assert sum(p[0] for p in parts) == total
    assert ("autojax: test" in capsys.readouterr().err) is shown


def test_a_small_observation_shows_no_bar(monkeypatch, capsys, data):
    """DataLoaded's 190 visibilities: one chunk, no bar, even when the first call is slow."""
    _, obs, _ = data
    clock = FakeClock(5.0)
    monkeypatch.setattr(module, "time", clock)
    real_step = module._chunks_with_progress

    def slow(total, step, progress, label):
        return real_step(total, lambda c: (clock.step(c), step(c))[1], progress, label)

    monkeypatch.setattr(module, "_chunks_with_progress", slow)
    Likelihood(obs).precompute()
    assert "precompute" not in capsys.readouterr().err
