"""The RR tachogram drawn by matplotlib, for PNG files from the command line (imported only then).

Uses matplotlib's object API with the Agg canvas, so it is thread-safe and needs no display.
The web page and the PDF note use the SVG written directly by ``hrv_plot_svg``.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from filiform.core.hrv.session import SessionAnalysis
from filiform.reports.tachogram_style import ALARM_COLOUR, PHASE_COLOURS, WARNING_COLOUR, title_of


def tachogram_figure(analysis: SessionAnalysis, *, width_in: float = 9.0) -> Figure:
    """Build the figure: raw intervals in grey, corrected in dark blue, phases behind."""
    fig = Figure(figsize=(width_in, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for i, result in enumerate(analysis.phases):
        p = result.phase
        ax.axvspan(p.start_s, p.end_s, color=PHASE_COLOURS[i % len(PHASE_COLOURS)], zorder=0)
        ax.text(
            (p.start_s + p.end_s) / 2,
            0.98,
            p.name,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=9,
            color="#333333",
        )
    raw_t, raw_rr = np.asarray(analysis.raw_times_s), np.asarray(analysis.raw_rr_ms)
    t, rr = np.asarray(analysis.times_s), np.asarray(analysis.rr_ms)
    ax.plot(raw_t, raw_rr, ".", ms=2.5, color="#9a9a9a", label="recorded", zorder=2)
    ax.plot(t, rr, "-", lw=0.9, color="#1f3b73", label="corrected", zorder=3)
    for event in analysis.events:
        colour = ALARM_COLOUR if event.kind == "alarm" else WARNING_COLOUR
        ax.axvspan(event.onset_s, event.detected_s, color=colour, alpha=0.25, zorder=1)
        ax.axvline(event.detected_s, color=colour, lw=1.6, zorder=4)
        ax.annotate(
            f"{event.kind}: {event.hr_bpm:.0f}/min",
            xy=(event.detected_s, 0.06),
            xycoords=("data", "axes fraction"),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
            color=colour,
            fontweight="bold",
        )
    ax.set_xlabel("time from start of recording (s)")
    ax.set_ylabel("RR interval (ms)")
    hr_axis = ax.secondary_yaxis("right", functions=(_to_bpm, _to_bpm))
    hr_axis.set_ylabel("heart rate (beats/min)")
    if rr.size:
        ax.set_ylim(max(200.0, raw_rr.min() - 60), min(3000.0, raw_rr.max() + 120))
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    ax.grid(axis="y", color="#e0e0e0", lw=0.5)
    ax.set_title(title_of(analysis), fontsize=10)
    return fig


def _to_bpm(x: Any) -> Any:
    with np.errstate(divide="ignore"):
        return 60000.0 / np.asarray(x, dtype=float)


def draw_png(analysis: SessionAnalysis, *, dpi: int = 150) -> bytes:
    """The tachogram as PNG bytes."""
    fig = tachogram_figure(analysis)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
