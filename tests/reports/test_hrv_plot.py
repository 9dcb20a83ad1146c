from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "core" / "hrv"))

from hrv_synth import vasovagal_session

from filiform.core.hrv import analyse_session
from filiform.reports.hrv_plot import ALARM_COLOUR, tachogram_png, tachogram_svg

PHASES = "baseline=0-300,needling=300-900,rest=900-1200"


def test_png_and_svg_show_phases_and_the_warning() -> None:
    analysis = analyse_session(vasovagal_session(), PHASES, n_boot=50)
    png = tachogram_png(analysis, dpi=60)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = tachogram_svg(analysis)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("baseline", "needling", "rest", "warning: "):
        assert label in svg


def test_no_warning_label_when_there_is_no_event() -> None:
    analysis = analyse_session(vasovagal_session(faint=False), PHASES, n_boot=50)
    assert analysis.events == []
    assert "warning: " not in tachogram_svg(analysis)


def test_svg_draws_every_beat_in_one_path_inside_a_clip() -> None:
    analysis = analyse_session(vasovagal_session(), PHASES, n_boot=50)
    root = ET.fromstring(tachogram_svg(analysis))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert texts.count("RR interval (ms)") == 1 and "heart rate (beats/min)" in texts
    assert f"RR tachogram - artefacts corrected: {analysis.correction.corrected} of" in " ".join(map(str, texts))
    clipped = next(g for g in root.iter(f"{ns}g") if (g.get("clip-path") or "").startswith("url(#tach-"))
    dots, line = list(clipped)
    assert dots.get("stroke-linecap") == "round" and (dots.get("d") or "").count("h0") == len(analysis.raw_rr_ms)
    assert (line.get("d") or "").count("L") == len(analysis.rr_ms) - 1
    assert len(ET.tostring(root)) < 200_000  # a 20-minute session stays small


def test_alarm_is_marked_in_the_alarm_colour() -> None:
    rr = [850.0] * 200 + [1700.0] * 30 + [850.0] * 50
    analysis = analyse_session(rr, "baseline=0-100,rest=100-250", n_boot=20)
    svg = tachogram_svg(analysis)
    assert [e.kind for e in analysis.events] == ["alarm"]
    assert "alarm: 35/min" in svg and f'stroke="{ALARM_COLOUR}"' in svg
