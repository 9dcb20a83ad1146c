"""The RR tachogram as SVG written directly (web session view and PDF note), no matplotlib.

Same picture as the matplotlib PNG (9 x 3.6 in): phases shaded and named, recorded
intervals as grey dots, corrected ones as a dark blue line, warnings shaded from onset with a
line at confirmation, RR on the left axis and the matching heart rate on the right. The dots
are one path (a zero-length stroke with round caps per beat) and the line one path, so a
one-hour recording stays a few hundred kilobytes and WeasyPrint draws it in milliseconds;
matplotlib's SVG had one ``<use>`` element per dot and every letter as a glyph path.
"""

from __future__ import annotations

import hashlib

import numpy as np

from filiform.core.hrv.session import SessionAnalysis
from filiform.reports.svg_draw import Scale, Svg, draw_sample, nice_ticks, num, text_width, tick_label
from filiform.reports.tachogram_style import ALARM_COLOUR, PHASE_COLOURS, WARNING_COLOUR, title_of

W, H = 648.0, 259.2
TICK, PAD, LABEL = 3.5, 3.5, 4.0
FONT = 10.0
LINE_H = 1.16 * FONT
RAW, CORRECTED = "#9a9a9a", "#1f3b73"


def draw_svg(analysis: SessionAnalysis) -> str:
    """SVG text of the tachogram."""
    raw_t, raw_rr = np.asarray(analysis.raw_times_s), np.asarray(analysis.raw_rr_ms)
    t, rr = np.asarray(analysis.times_s), np.asarray(analysis.rr_ms)
    y_lo, y_hi = _y_limits(raw_rr, rr)
    rr_ticks = nice_ticks(y_lo, y_hi, 10)
    bpm_ticks = [b for b in nice_ticks(60000.0 / y_hi, 60000.0 / y_lo, 10) if b > 0]
    left = 3.0 + LINE_H + LABEL + max(text_width(tick_label(v), FONT) for v in rr_ticks) + TICK + PAD
    right = W - (3.0 + LINE_H + LABEL + max((text_width(tick_label(v), FONT) for v in bpm_ticks), default=0) + 7)
    top, bottom = 3.0 + LINE_H + 6.0, H - (3.0 + 14.0 + LINE_H + LABEL + LINE_H + TICK + PAD)
    xs = Scale(*_x_limits(analysis, raw_t, t), left, right)
    ys = Scale(y_lo, y_hi, bottom, top)
    svg = Svg(W, H, title=title_of(analysis))
    for i, result in enumerate(analysis.phases):
        p = result.phase
        svg.rect(xs(p.start_s), top, xs(p.end_s), bottom, fill=PHASE_COLOURS[i % len(PHASE_COLOURS)])
    for event in analysis.events:
        colour = ALARM_COLOUR if event.kind == "alarm" else WARNING_COLOUR
        svg.rect(xs(event.onset_s), top, xs(event.detected_s), bottom, fill=colour, fill_opacity=0.25)
    for value in rr_ticks:
        svg.line(left, ys(value), right, ys(value), stroke="#e0e0e0", stroke_width=0.5)
    clip = "tach-" + hashlib.sha256(np.ascontiguousarray(raw_rr).tobytes()).hexdigest()[:10]
    svg.parts.append(
        f'<clipPath id="{clip}"><rect x="{num(left)}" y="{num(top)}" width="{num(right - left)}" '
        f'height="{num(bottom - top)}"/></clipPath><g clip-path="url(#{clip})">'
    )
    svg.dots(zip(map(xs, raw_t.tolist()), map(ys, raw_rr.tolist()), strict=True), 2.25, RAW)
    svg.polyline(
        zip(map(xs, t.tolist()), map(ys, rr.tolist()), strict=True),
        stroke=CORRECTED,
        stroke_width=0.9,
        stroke_linejoin="round",
    )
    svg.parts.append("</g>")
    for event in analysis.events:
        colour = ALARM_COLOUR if event.kind == "alarm" else WARNING_COLOUR
        x = xs(event.detected_s)
        svg.line(x, top, x, bottom, stroke=colour, stroke_width=1.6)
        label = f"{event.kind}: {event.hr_bpm:.0f}/min"
        svg.text(x + 4, bottom - 0.06 * (bottom - top), label, size=8, colour=colour, weight="bold")
    for result in analysis.phases:
        p = result.phase
        mid = xs((p.start_s + p.end_s) / 2)
        svg.text(mid, top + 0.02 * (bottom - top), p.name, size=9, anchor="middle", valign="top", colour="#333333")
    _frame(svg, xs, ys, rr_ticks, bpm_ticks, (left, right, top, bottom))
    svg.text((left + right) / 2, top - 6, title_of(analysis), size=FONT, anchor="middle")
    _legend(svg, (left + right) / 2, H - 3.0 - 7.0)
    return svg.render()


def _y_limits(raw_rr: np.ndarray, rr: np.ndarray) -> tuple[float, float]:
    if rr.size and raw_rr.size:
        return max(200.0, float(raw_rr.min()) - 60), min(3000.0, float(raw_rr.max()) + 120)
    return 200.0, 3000.0


def _x_limits(analysis: SessionAnalysis, raw_t: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    """Everything drawn along time (phases, beats, events), with matplotlib's 5 % margins."""
    edges = [p.phase.start_s for p in analysis.phases] + [p.phase.end_s for p in analysis.phases]
    edges += [e.onset_s for e in analysis.events] + [e.detected_s for e in analysis.events]
    for series in (raw_t, t):
        if series.size:
            edges += [float(series.min()), float(series.max())]
    lo, hi = min(edges), max(edges)
    pad = (hi - lo) * 0.05 or 1.0
    return lo - pad, hi + pad


def _frame(
    svg: Svg,
    xs: Scale,
    ys: Scale,
    rr_ticks: list[float],
    bpm_ticks: list[float],
    box: tuple[float, float, float, float],
) -> None:
    """Axes box, ticks with labels on three sides, and the three axis labels."""
    left, right, top, bottom = box
    black = {"stroke": "#000000", "stroke_width": 0.8}
    for value in rr_ticks:
        y = ys(value)
        svg.line(left - TICK, y, left, y, **black)
        svg.text(left - TICK - PAD, y, tick_label(value), size=FONT, anchor="end", valign="center")
    for bpm in bpm_ticks:
        y = ys(60000.0 / bpm)
        svg.line(right, y, right + TICK, y, **black)
        svg.text(right + TICK + PAD, y, tick_label(bpm), size=FONT, valign="center")
    for value in nice_ticks(xs.lo, xs.hi, 10):
        x = xs(value)
        svg.line(x, bottom, x, bottom + TICK, **black)
        svg.text(x, bottom + TICK + PAD, tick_label(value), size=FONT, anchor="middle", valign="top")
    svg.rect(left, top, right, bottom, fill="none", **black)
    mid_y = (top + bottom) / 2
    svg.text(3.0, mid_y, "RR interval (ms)", size=FONT, anchor="middle", valign="top", rotate=-90)
    svg.text(W - 3.0, mid_y, "heart rate (beats/min)", size=FONT, anchor="middle", valign="bottom", rotate=-90)
    label_y = bottom + TICK + PAD + LINE_H + LABEL
    svg.text((left + right) / 2, label_y, "time from start of recording (s)", size=FONT, anchor="middle", valign="top")


def _legend(svg: Svg, centre: float, cy: float) -> None:
    """Two entries side by side under the plot, as matplotlib's figure legend below the axes."""
    entries = [
        ("recorded", {"kind": "dot", "colour": RAW, "width": 2.6}),
        ("corrected", {"kind": "line", "colour": CORRECTED, "width": 0.9}),
    ]
    widths = [16 + 6.4 + text_width(label, 8) for label, _ in entries]
    x = centre - (sum(widths) + 16) / 2
    for (label, style), width in zip(entries, widths, strict=True):
        draw_sample(svg, x, cy, style)
        svg.text(x + 16 + 6.4, cy, label, size=8, valign="center")
        x += width + 16
