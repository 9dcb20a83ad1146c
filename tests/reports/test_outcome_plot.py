"""The outcome plot renders PNG and SVG with the MCID band on the right side of baseline."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest

from filiform.core.outcomes import DatedScore
from filiform.errors import ValidationFailed
from filiform.reports.outcome_plot import BETTER, NEUTRAL, clear_plot_cache, render_outcome_plot, save_outcome_plot
from filiform.reports.svg_draw import text_width

SVG_NS = "{http://www.w3.org/2000/svg}"


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
    clear_plot_cache()
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


def _svg_tree(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg" and root.get("viewBox") == "0 0 576 345.6"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG_NS}text")]


def test_svg_is_drawn_directly_with_the_plot_as_text_and_shapes() -> None:
    root = _svg_tree(render_outcome_plot("ndi", weekly([44, 40, 30, 22]), fmt="svg"))
    texts = _texts(root)
    for expected in ("Neck Disability Index", "44", "22", "05 Jan 2026", "26 Jan 2026", "baseline"):
        assert expected in texts
    assert "within ±10 (MCID) of baseline" in texts and "improved by at least the MCID" in texts
    assert any("lower is better" in t for t in texts) and any(t.startswith("NDI: 4 scores") for t in texts)
    dots = [c for c in root.iter(f"{SVG_NS}circle")]
    assert [c.get("fill") for c in dots] == [NEUTRAL, NEUTRAL, BETTER, BETTER]  # 44 -> 30 passes the MCID of 10
    assert float(dots[0].get("cy", "0")) < float(dots[-1].get("cy", "0"))  # 44 is drawn above 22
    assert b"matplotlib" not in render_outcome_plot("ndi", weekly([44, 40]), fmt="svg").lower()


def test_plots_are_kept_by_content_and_a_changed_score_draws_again() -> None:
    clear_plot_cache()
    first = render_outcome_plot("ndi", weekly([44, 40, 30]), fmt="svg")
    assert render_outcome_plot("ndi", weekly([44, 40, 30]), fmt="svg") is first
    changed = render_outcome_plot("ndi", weekly([44, 40, 31]), fmt="svg")
    assert changed != first and "31" in _texts(_svg_tree(changed))
    clear_plot_cache()
    again = render_outcome_plot("ndi", weekly([44, 40, 30]), fmt="svg")
    assert again is not first and again == first


def test_many_scores_get_round_date_ticks_and_the_caption_wraps_inside_the_figure() -> None:
    start = date(2026, 1, 5)
    points = [DatedScore(when=start + timedelta(days=19 * i), value=20 + 3 * i) for i in range(20)]
    root = _svg_tree(render_outcome_plot("lefs", points, fmt="svg"))
    ticks = [t for t in _texts(root) if t.startswith("01 ")]
    assert 4 <= len(ticks) <= 8 and ticks[0] == "01 Jan 2026"
    caption = [t for t in root.iter(f"{SVG_NS}text") if t.get("font-size") == "7.5"]
    assert len(caption) >= 2
    for line in caption:
        assert float(line.get("x", "0")) + text_width(line.text or "", 7.5) <= 576


def test_scores_answered_at_home_are_ringed_and_named_in_the_svg() -> None:
    start = date(2026, 1, 5)
    points = [
        DatedScore(when=start + timedelta(weeks=i), value=v, source="home" if i == 1 else "clinic")
        for i, v in enumerate([44, 40, 30])
    ]
    root = _svg_tree(render_outcome_plot("ndi", points, fmt="svg"))
    texts = _texts(root)
    assert "40 (home)" in texts and "answered at home" in texts and "44" in texts
    rings = [c for c in root.iter(f"{SVG_NS}circle") if c.get("fill") == "none" and c.get("r") != "3"]
    assert len(rings) == 1  # one ringed point (the other open circle is the legend's sample)
    assert render_outcome_plot("ndi", points, fmt="svg") != render_outcome_plot(
        "ndi", [p.model_copy(update={"source": "clinic"}) for p in points], fmt="svg"
    )  # the cache tells a home answer from a clinic one
