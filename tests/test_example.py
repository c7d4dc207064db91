"""The worked example in examples/ runs (quick mode) and writes its picture."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sma_evidence.py"


def load_example():
    spec = importlib.util.spec_from_file_location("sma_evidence", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_writes_its_png(tmp_path):
    pytest.importorskip("matplotlib", reason="the example plots with matplotlib (plot extra)")
    pytest.importorskip("astropy", reason="the example reads FITS files (io extra)")
    out = tmp_path / "example.png"
    result = load_example().main(out, quick=True)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 40_000  # six panels, not an empty figure
    evidences, best, (lo, hi) = result["evidences"], result["best"], result["bracket"]
    assert all(math.isfinite(v) for v in evidences.values())
    assert evidences[best] == max(evidences.values())
    # the maximum is bracketed by two lower values, not at an end of the search
    assert lo < best < hi and evidences[lo] < evidences[best] > evidences[hi]
    assert min(evidences) < lo and hi < max(evidences)
    # the normalised residuals of the visibilities give the fit's chi-squared
    fit = result["fit"]
    assert result["residuals"].shape == (190, 2)
    assert float((result["residuals"] ** 2).sum()) == pytest.approx(fit.chi_squared, rel=1e-9)
    assert set(result["timings"]) >= {"numba"}
    assert all(t > 0 for t in result["timings"].values())


def test_the_coefficient_search_widens_until_it_brackets():
    """A maximum far outside the first grid (at 1e-5) is found and bracketed."""
    example = load_example()
    calls = []

    def evidence(c):
        calls.append(c)
        return -((math.log10(c) + 5) ** 2)

    values, best, (lo, hi) = example.search_coefficient(evidence, (0.01, 0.1, 1.0), 20)
    assert lo < 1e-5 < hi and lo < best < hi
    assert best == pytest.approx(1e-5, rel=1e-3)
    assert values[lo] < values[best] > values[hi]
    assert len(calls) == len(values)  # every evaluation is reported
    with pytest.raises(RuntimeError, match="still rises"):
        example.search_coefficient(lambda c: c, (1.0, 2.0), 2)
