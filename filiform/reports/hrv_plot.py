"""RR tachogram of a session: phases shaded, corrected beats drawn, warnings marked.

Returns SVG text (for the web session view and the WeasyPrint PDF note) or PNG bytes. Uses
matplotlib's object API with the Agg canvas, so it is thread-safe and needs no display.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from filiform.core.hrv.session import SessionAnalysis

PHASE_COLOURS = ("#dbe9f6", "#fde3c8", "#dff3e1", "#efe0f5", "#f5f0d0")
WARNING_COLOUR = "#d9822b"
ALARM_COLOUR = "#c23030"


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
    ax.set_title(
        f"RR tachogram - artefacts corrected: {analysis.correction.corrected} of {analysis.correction.n_input} beats",
        fontsize=10,
    )
    return fig


def _to_bpm(x: Any) -> Any:
    with np.errstate(divide="ignore"):
        return 60000.0 / np.asarray(x, dtype=float)


def tachogram_svg(analysis: SessionAnalysis) -> str:
    """The tachogram as standalone SVG text."""
    fig = tachogram_figure(analysis)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def tachogram_png(analysis: SessionAnalysis, *, dpi: int = 150) -> bytes:
    """The tachogram as PNG bytes."""
    fig = tachogram_figure(analysis)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
