"""Colours and title shared by both tachogram painters (``hrv_plot_svg`` and ``hrv_plot_png``)."""

from __future__ import annotations

from filiform.core.hrv.session import SessionAnalysis

PHASE_COLOURS = ("#dbe9f6", "#fde3c8", "#dff3e1", "#efe0f5", "#f5f0d0")
WARNING_COLOUR = "#d9822b"
ALARM_COLOUR = "#c23030"


def title_of(analysis: SessionAnalysis) -> str:
    """The plot's title: how much of the series correction changed."""
    report = analysis.correction
    return f"RR tachogram - artefacts corrected: {report.corrected} of {report.n_input} beats"
