"""RR tachogram of a session: phases shaded, corrected beats drawn, warnings marked.

Returns SVG text (for the web session view and the WeasyPrint PDF note), written directly by
``hrv_plot_svg`` in milliseconds without matplotlib, or PNG bytes drawn by matplotlib
(``hrv_plot_png``, imported only when a PNG is asked for) with the same layout.
"""

from __future__ import annotations

from filiform.core.hrv.session import SessionAnalysis

PHASE_COLOURS = ("#dbe9f6", "#fde3c8", "#dff3e1", "#efe0f5", "#f5f0d0")
WARNING_COLOUR = "#d9822b"
ALARM_COLOUR = "#c23030"


def title_of(analysis: SessionAnalysis) -> str:
    """The plot's title: how much of the series correction changed."""
    report = analysis.correction
    return f"RR tachogram - artefacts corrected: {report.corrected} of {report.n_input} beats"


def tachogram_svg(analysis: SessionAnalysis) -> str:
    """The tachogram as standalone SVG text."""
    from filiform.reports.hrv_plot_svg import draw_svg

    return draw_svg(analysis)


def tachogram_png(analysis: SessionAnalysis, *, dpi: int = 150) -> bytes:
    """The tachogram as PNG bytes."""
    from filiform.reports.hrv_plot_png import draw_png

    return draw_png(analysis, dpi=dpi)
