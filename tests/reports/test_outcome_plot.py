"""The outcome plot renders PNG and SVG with the MCID band on the right side of baseline."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from filiform.core.outcomes import DatedScore
from filiform.errors import ValidationFailed
from filiform.reports.outcome_plot import render_outcome_plot, save_outcome_plot


def weekly(values: list[float]) -> list[DatedScore]:
    start = date(2026, 1, 5)
    return [DatedScore(when=start + timedelta(weeks=i), value=v) for i, v in enumerate(values)]


def test_png_and_svg(tmp_path: Path) -> None:
    png = render_outcome_plot("ndi", weekly([44, 40, 30, 22]), fmt="png")
    assert png.startswith(b"\x89PNG")
    svg = save_outcome_plot(tmp_path / "ndi.svg", "ndi", weekly([44, 40, 30, 22]))
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "<svg" in text
    assert "within ±10 (MCID) of baseline" in text
    assert "lower is better" in text


def test_direction_aware_labels() -> None:
    svg = render_outcome_plot("lefs", weekly([38, 45, 52]), fmt="svg").decode()
    assert "higher is better" in svg
    assert "within ±9 (MCID) of baseline" in svg


def test_svg_is_reproducible() -> None:
    first = render_outcome_plot("lefs", weekly([38, 45, 52]), fmt="svg")
    assert first == render_outcome_plot("lefs", weekly([38, 45, 52]), fmt="svg")


def test_subscale_anchor_and_no_mcid() -> None:
    koos = render_outcome_plot("koos", weekly([40, 50, 62]), scale="pain", fmt="svg").decode()
    assert "Pain" in koos and "within ±15 (MCID)" in koos
    pgic = render_outcome_plot("pgic", weekly([4, 3, 2]), fmt="svg").decode()
    assert "responder threshold" in pgic
    jfls = render_outcome_plot("jfls_8", weekly([5, 4, 3]), fmt="svg").decode()
    assert "No MCID is established" in jfls
    assert render_outcome_plot("nprs", weekly([6]), fmt="png").startswith(b"\x89PNG")


def test_bad_format_and_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="png or svg"):
        render_outcome_plot("ndi", weekly([40]), fmt="pdf")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match=r"\.png or \.svg"):
        save_outcome_plot(tmp_path / "x.jpg", "ndi", weekly([40]))
