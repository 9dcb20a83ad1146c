"""RR tachogram of a session: phases shaded, corrected beats drawn, warnings marked.

Returns SVG text (for the web session view and the WeasyPrint PDF note), written directly by
``hrv_plot_svg`` in milliseconds without matplotlib, or PNG bytes drawn by matplotlib
(``hrv_plot_png``, imported only when a PNG is asked for) with the same layout.
"""

from __future__ import annotations

from filiform.core.hrv.session import SessionAnalysis
from filiform.reports.hrv_plot_svg import draw_svg
from filiform.reports.tachogram_style import ALARM_COLOUR, PHASE_COLOURS, WARNING_COLOUR, title_of

__all__ = ["ALARM_COLOUR", "PHASE_COLOURS", "WARNING_COLOUR", "tachogram_png", "tachogram_svg", "title_of"]


def tachogram_svg(analysis: SessionAnalysis) -> str:
    """The tachogram as standalone SVG text."""
    return draw_svg(analysis)


def tachogram_png(analysis: SessionAnalysis, *, dpi: int = 150) -> bytes:
    """The tachogram as PNG bytes."""
    from filiform.reports.hrv_plot_png import draw_png

    return draw_png(analysis, dpi=dpi)
