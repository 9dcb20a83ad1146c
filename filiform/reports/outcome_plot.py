"""Render a patient's scores on one instrument over time, with the MCID band.

The band is drawn around the baseline (the first score): inside it the change is smaller
than the MCID; the region beyond it on the *better* side (up for the LEFS, down for the
NDI) is tinted green and the region beyond it on the worse side red. Points are coloured
the same way. Matplotlib's Agg canvas is attached to each figure directly, so pyplot and the
global backend are never touched (safe in a web worker).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import matplotlib as mpl
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from filiform.core.outcomes import (
    DatedScore,
    Instrument,
    get_instrument,
    interpret_change,
    summarise_trend,
)
from filiform.core.outcomes.interpret import shown
from filiform.errors import ValidationFailed

Format = Literal["png", "svg"]

BETTER = "#2e7d32"
WORSE = "#c62828"
NEUTRAL = "#546e7a"
LINE = "#263238"


def render_outcome_plot(
    instrument: Instrument | str,
    scores: Sequence[DatedScore],
    *,
    scale: str = "total",
    fmt: Format = "png",
    title: str | None = None,
    mcid: float | None = None,
) -> bytes:
    """PNG or SVG bytes of ``scores`` over time for one instrument and scale."""
    inst = instrument if isinstance(instrument, Instrument) else get_instrument(instrument)
    if fmt not in ("png", "svg"):
        raise ValidationFailed(f"plot format must be png or svg, not {fmt!r}")
    trend = summarise_trend(inst, scores, scale=scale, mcid=mcid)
    ordered = sorted(scores, key=lambda p: p.when)
    low, high = inst.scale_range(scale)
    baseline = ordered[0].value
    sign = 1 if inst.higher_is_better else -1

    fig = Figure(figsize=(8, 4.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    threshold = _threshold(inst, scale, mcid)
    if threshold is not None and inst.kind == "score":
        _draw_band(ax, baseline, threshold, sign, low, high)
    elif inst.kind == "transition" and inst.transition is not None:
        ax.axhline(
            inst.transition.value,
            color=BETTER,
            linestyle="--",
            linewidth=1.2,
            label=f"responder threshold ({inst.transition.responder_if} {inst.transition.value})",
        )

    dates = [float(mdates.date2num(p.when)) for p in ordered]  # type: ignore[no-untyped-call]
    values = [p.value for p in ordered]
    ax.plot(dates, values, color=LINE, linewidth=1.6, zorder=3)
    colours = [_colour(inst, scale, baseline, v, mcid, i == 0) for i, v in enumerate(values)]
    ax.scatter(dates, values, c=colours, s=46, zorder=4, edgecolors="white", linewidths=0.8)
    home = [(d, v) for d, v, p in zip(dates, values, ordered, strict=True) if p.source == "home"]
    if home:  # answered by the patient at home: ringed, and said so in the legend
        home_x, home_y = [d for d, _v in home], [v for _d, v in home]
        ax.scatter(home_x, home_y, s=150, facecolors="none", edgecolors=LINE, linewidths=1.2, zorder=5)
        ax.plot([], [], "o", mfc="none", mec=LINE, label="answered at home")
    for point in ordered:
        x = float(mdates.date2num(point.when))  # type: ignore[no-untyped-call]
        ax.annotate(
            shown(point.value) + (" (home)" if point.source == "home" else ""),
            (x, point.value),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
            color=LINE,
        )
    if inst.kind == "score":
        ax.axhline(baseline, color=NEUTRAL, linestyle=":", linewidth=1, label="baseline")

    margin = (high - low) * 0.04
    ax.set_ylim(low - margin, high + margin)
    better_word = "higher is better ↑" if inst.higher_is_better else "lower is better ↓"
    unit = "" if inst.unit in ("points", "category") else f" ({inst.unit})"
    scale_name = "" if scale == "total" else f" – {_scale_name(inst, scale)}"
    ax.set_ylabel(f"{inst.short_name}{scale_name}{unit}\n{better_word}")
    ax.xaxis_date()
    if len(dates) <= 10:
        ax.set_xticks(dates)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))  # type: ignore[no-untyped-call]
    fig.autofmt_xdate()
    ax.grid(True, axis="y", color="#eceff1")
    ax.set_title(title or f"{inst.name}{scale_name}", fontsize=11)
    ax.text(
        0.0,
        -0.32 if len(dates) > 1 else -0.2,
        _caption(inst, trend.summary, threshold),
        transform=ax.transAxes,
        fontsize=7.5,
        color=NEUTRAL,
        va="top",
        wrap=True,
    )
    ax.legend(loc="best", fontsize=8, frameon=False)
    fig.subplots_adjust(bottom=0.3, left=0.12, right=0.97, top=0.92)

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with mpl.rc_context({"svg.hashsalt": "filiform-outcomes"}):  # stable SVG ids
        fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def save_outcome_plot(
    path: str | Path,
    instrument: Instrument | str,
    scores: Sequence[DatedScore],
    *,
    scale: str = "total",
    title: str | None = None,
    mcid: float | None = None,
) -> Path:
    """Write the plot to ``path``; the suffix (.png or .svg) chooses the format."""
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg"):
        raise ValidationFailed(f"plot file must end in .png or .svg, not {target.name!r}")
    fmt: Format = "png" if suffix == "png" else "svg"
    data = render_outcome_plot(instrument, scores, scale=scale, fmt=fmt, title=title, mcid=mcid)
    target.write_bytes(data)
    return target


def _threshold(inst: Instrument, scale: str, mcid: float | None) -> float | None:
    if mcid is not None:
        return mcid
    primary = inst.primary_mcid(scale)
    return primary.value if primary else None


def _draw_band(ax: Axes, baseline: float, mcid: float, sign: int, low: float, high: float) -> None:
    better_edge = baseline + sign * mcid
    worse_edge = baseline - sign * mcid
    band_low, band_high = sorted((better_edge, worse_edge))
    ax.axhspan(
        max(low, band_low),
        min(high, band_high),
        color="#cfd8dc",
        alpha=0.55,
        label=f"within ±{mcid:g} (MCID) of baseline",
        zorder=1,
    )
    if sign > 0:
        good = (min(better_edge, high), high)
        bad = (low, max(worse_edge, low))
    else:
        good = (low, max(better_edge, low))
        bad = (min(worse_edge, high), high)
    if good[1] > good[0]:
        ax.axhspan(*good, color=BETTER, alpha=0.08, zorder=0, label="improved by at least the MCID")
    if bad[1] > bad[0]:
        ax.axhspan(*bad, color=WORSE, alpha=0.06, zorder=0, label="worse by at least the MCID")
    if low <= better_edge <= high:
        ax.axhline(better_edge, color=BETTER, linestyle="--", linewidth=1.1, zorder=2)


def _colour(inst: Instrument, scale: str, baseline: float, value: float, mcid: float | None, is_baseline: bool) -> str:
    if is_baseline:
        return NEUTRAL
    if inst.kind == "transition":
        rule = inst.transition
        if rule is None:
            return NEUTRAL
        hit = value <= rule.value if rule.responder_if == "<=" else value >= rule.value
        return BETTER if hit else NEUTRAL
    change = interpret_change(inst, baseline, value, scale=scale, mcid=mcid)
    return {"improved": BETTER, "worsened": WORSE}.get(change.classification.value, NEUTRAL)


def _scale_name(inst: Instrument, scale: str) -> str:
    for sub in inst.subscales:
        if sub.id == scale:
            return sub.name
    return scale


def _caption(inst: Instrument, summary: str, threshold: float | None) -> str:
    if inst.kind == "score" and threshold is None:
        summary += " No MCID is established for this scale, so no band is drawn."
    words = summary.split()
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) + 1 > 130:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)
