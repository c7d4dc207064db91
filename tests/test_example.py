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
    assert out.stat().st_size > 20_000  # three panels, not an empty figure
    assert all(math.isfinite(v) for v in result["evidences"].values())
    assert result["evidences"][result["best"]] == max(result["evidences"].values())
    assert set(result["timings"]) >= {"numba"}
    assert all(t > 0 for t in result["timings"].values())
