"""The outcome plot as PNG, drawn by matplotlib (command-line files; imported only when asked).

Matplotlib's Agg canvas is attached to each figure directly, so pyplot and the global backend
are never touched (safe in a web worker).
"""

from __future__ import annotations

import io

import matplotlib.dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from filiform.reports.outcome_plot_model import HOME_LABEL, LINE, NEUTRAL, PlotModel


def draw_png(model: PlotModel) -> bytes:
    """PNG bytes of the plot (8 x 4.8 in at 110 dpi)."""
    fig = Figure(figsize=(8, 4.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for span in model.spans:
        ax.axhspan(span.low, span.high, color=span.colour, alpha=span.opacity, label=span.label, zorder=span.zorder)
    for line in (line for line in model.lines if not line.after_data):
        ax.axhline(line.y, color=line.colour, linestyle=line.dash, linewidth=line.width, label=line.label, zorder=2)
    dates = [float(mdates.date2num(d)) for d in model.dates]  # type: ignore[no-untyped-call]
    ax.plot(dates, model.values, color=LINE, linewidth=1.6, zorder=3)
    ax.scatter(dates, model.values, c=model.colours, s=46, zorder=4, edgecolors="white", linewidths=0.8)
    home = [(x, y) for x, y, at_home in zip(dates, model.values, model.home, strict=True) if at_home]
    if home:  # answered by the patient at home: ringed, and said so in the legend
        home_x, home_y = [x for x, _ in home], [y for _, y in home]
        ax.scatter(home_x, home_y, s=150, facecolors="none", edgecolors=LINE, linewidths=1.2, zorder=5)
        ax.plot([], [], "o", mfc="none", mec=LINE, label=HOME_LABEL)
    for x, y, text in zip(dates, model.values, model.labels, strict=True):
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8, color=LINE)
    for line in (line for line in model.lines if line.after_data):
        ax.axhline(line.y, color=line.colour, linestyle=line.dash, linewidth=line.width, label=line.label)
    margin = (model.high - model.low) * 0.04
    ax.set_ylim(model.low - margin, model.high + margin)
    ax.set_ylabel(model.ylabel)
    ax.xaxis_date()
    if len(dates) <= 10:
        ax.set_xticks(dates)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))  # type: ignore[no-untyped-call]
    fig.autofmt_xdate()
    ax.grid(True, axis="y", color="#eceff1")
    ax.set_title(model.title, fontsize=11)
    ax.text(
        0.0,
        -0.32 if len(dates) > 1 else -0.2,
        model.caption,
        transform=ax.transAxes,
        fontsize=7.5,
        color=NEUTRAL,
        va="top",
        wrap=True,
    )
    ax.legend(loc="best", fontsize=8, frameon=False)
    fig.subplots_adjust(bottom=0.3, left=0.12, right=0.97, top=0.92)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
