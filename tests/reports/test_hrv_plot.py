from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "core" / "hrv"))

from hrv_synth import vasovagal_session

from filiform.core.hrv import analyse_session
from filiform.reports.hrv_plot import tachogram_png, tachogram_svg

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
