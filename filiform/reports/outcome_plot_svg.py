"""The outcome plot as SVG written directly: the same layout as the matplotlib PNG, in milliseconds.

Geometry follows the PNG (8 x 4.8 in; axes from 12 % to 97 % of the width and 30 % to 92 %
of the height; matplotlib's default tick, grid, dash and marker sizes), so the web page and
a saved PNG look alike. The legend goes in the corner (or edge) where it covers the fewest
points, line segments and bands, as matplotlib's ``loc="best"`` does.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from filiform.reports.outcome_plot_model import LINE, NEUTRAL, HLine, PlotModel, Span
from filiform.reports.svg_draw import Scale, Svg, draw_sample, nice_ticks, num, text_width, tick_label, wrap

W, H = 576.0, 345.6
X0, X1 = 0.12 * W, 0.97 * W
Y_TOP, Y_BOT = (1 - 0.92) * H, (1 - 0.3) * H
TICK, PAD = 3.5, 3.5
DASHES = {"--": (3.7, 1.6), ":": (1.0, 1.65)}
LEGEND_FONT = 8.0
LEGEND_ROW = 1.55 * LEGEND_FONT
HANDLE = 2.0 * LEGEND_FONT
Box = tuple[float, float, float, float]


def draw_svg(model: PlotModel) -> bytes:
    """SVG bytes of the plot."""
    svg = Svg(W, H, title=model.title)
    margin = (model.high - model.low) * 0.04
    ys = Scale(model.low - margin, model.high + margin, Y_BOT, Y_TOP)
    xs = _x_scale(model.dates)
    for span in sorted(model.spans, key=lambda s: s.zorder):
        svg.rect(X0, ys(span.low), X1, ys(span.high), fill=span.colour, fill_opacity=span.opacity)
    y_ticks = nice_ticks(ys.lo, ys.hi, 10)
    for value in y_ticks:
        svg.line(X0, ys(value), X1, ys(value), stroke="#eceff1", stroke_width=0.8)
    for line in model.lines:
        svg.line(
            X0, ys(line.y), X1, ys(line.y), stroke=line.colour, stroke_width=line.width, stroke_dasharray=_dash(line)
        )
    points = [(xs(d.toordinal()), ys(v)) for d, v in zip(model.dates, model.values, strict=True)]
    svg.polyline(points, stroke=LINE, stroke_width=1.6, stroke_linejoin="round", stroke_linecap="round")
    for (x, y), label in zip(points, model.labels, strict=True):
        svg.text(x, y - 8, label, size=8, anchor="middle", colour=LINE)
    for (x, y), colour in zip(points, model.colours, strict=True):
        svg.add("circle", cx=x, cy=y, r=3.39, fill=colour, stroke="#ffffff", stroke_width=0.8)
    for (x, y), at_home in zip(points, model.home, strict=True):
        if at_home:  # answered by the patient at home: ringed (matplotlib's s=150 marker)
            svg.add("circle", cx=x, cy=y, r=6.12, fill="none", stroke=LINE, stroke_width=1.2)
    _axes(svg, model, xs, ys, y_ticks)
    _legend(svg, model, ys, points)
    return svg.render().encode("utf-8")


def _x_scale(dates: list[date]) -> Scale:
    lo, hi = dates[0].toordinal(), dates[-1].toordinal()
    if hi == lo:
        return Scale(lo - 1.0, hi + 1.0, X0, X1)
    pad = (hi - lo) * 0.05  # matplotlib's default axes margin
    return Scale(lo - pad, hi + pad, X0, X1)


def _dash(line: HLine) -> str:
    on, off = DASHES[line.dash]
    return f"{num(on * line.width)} {num(off * line.width)}"


def _axes(svg: Svg, model: PlotModel, xs: Scale, ys: Scale, y_ticks: list[float]) -> None:
    """Frame, ticks, tick labels, axis label, title and caption."""
    widest = 0.0
    for value in y_ticks:
        y = ys(value)
        svg.line(X0 - TICK, y, X0, y, stroke="#000000", stroke_width=0.8)
        label = tick_label(value)
        widest = max(widest, text_width(label, 10))
        svg.text(X0 - TICK - PAD, y, label, size=10, anchor="end", valign="center")
    for day in _date_ticks(model.dates, xs):
        x = xs(day.toordinal())
        svg.line(x, Y_BOT, x, Y_BOT + TICK, stroke="#000000", stroke_width=0.8)
        svg.text(
            x, Y_BOT + TICK + PAD + 2, day.strftime("%d %b %Y"), size=10, anchor="end", valign="center", rotate=-30
        )
    svg.rect(X0, Y_TOP, X1, Y_BOT, fill="none", stroke="#000000", stroke_width=0.8)
    lines = model.ylabel.split("\n")
    right = X0 - TICK - PAD - widest - 4.0
    for i, text in enumerate(lines):
        x = right - (len(lines) - 1 - i) * 12.0 - 2.5
        svg.text(x, (Y_TOP + Y_BOT) / 2, text, size=10, anchor="middle", rotate=-90)
    svg.text((X0 + X1) / 2, Y_TOP - 6, model.title, size=11, anchor="middle")
    top = Y_BOT + (0.32 if len(model.dates) > 1 else 0.2) * (Y_BOT - Y_TOP)
    for i, text in enumerate(wrap(" ".join(model.caption.split()), 7.5, W - X0 - 4.0)):
        svg.text(X0, top + i * 9.2, text, size=7.5, valign="top", colour=NEUTRAL)


def _date_ticks(dates: list[date], xs: Scale) -> list[date]:
    """Every date when there are ten or fewer; else round dates as matplotlib's date locator
    picks them: days 1, 1+n, 1+2n... of each month (1, 8, 15, 22 for weeks; 1 and 15 for
    fortnights), the first of every n-th month, or 1 January of every n-th year, with the
    smallest n that gives at most eight ticks."""
    if len(dates) <= 10:
        return sorted(set(dates))
    first, last = date.fromordinal(int(xs.lo) + 1), date.fromordinal(int(xs.hi))
    for step, only in ((1, ()), (2, ()), (3, ()), (7, (1, 8, 15, 22)), (14, (1, 15))):
        ticks = [d for d in _days(first, last) if (d.day in only if only else (d.day - 1) % step == 0)]
        if len(ticks) <= 8:
            return ticks
    months = _month_starts(first, last)
    for step in (1, 2, 3, 4, 6):
        ticks = [d for d in months if (d.month - 1) % step == 0]
        if len(ticks) <= 8:
            return ticks
    for step in (1, 2, 5, 10, 20, 50):
        ticks = [d for d in months if d.month == 1 and d.year % step == 0]
        if len(ticks) <= 8:
            return ticks
    return [first, last]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _month_starts(first: date, last: date) -> list[date]:
    out, d = [], date(first.year, first.month, 1)
    while d <= last:
        if d >= first:
            out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def _legend(svg: Svg, model: PlotModel, ys: Scale, points: list[tuple[float, float]]) -> None:
    entries = model.legend
    if not entries:
        return
    labels = [_label(entry) for entry in entries]
    width = 0.8 * LEGEND_FONT + HANDLE + 0.8 * LEGEND_FONT + max(text_width(label, LEGEND_FONT) for label in labels)
    height = len(entries) * LEGEND_ROW + 0.8 * LEGEND_FONT
    box = _best_box(width, height, model, ys, points)
    x, y = box[0] + 0.4 * LEGEND_FONT, box[1] + 0.4 * LEGEND_FONT
    for i, (entry, label) in enumerate(zip(entries, labels, strict=True)):
        cy = y + (i + 0.5) * LEGEND_ROW
        draw_sample(svg, x, cy, _sample(entry), length=HANDLE)
        svg.text(x + HANDLE + 0.8 * LEGEND_FONT, cy, label, size=LEGEND_FONT, valign="center")


def _label(entry: Span | HLine | str) -> str:
    return entry if isinstance(entry, str) else entry.label or ""


def _sample(entry: Span | HLine | str) -> dict[str, object]:
    if isinstance(entry, str):  # the home-answer mark: an open ring, as matplotlib's "o" marker
        return {"kind": "ring", "colour": LINE}
    if isinstance(entry, Span):
        return {"kind": "patch", "colour": entry.colour, "opacity": entry.opacity}
    return {"kind": "line", "colour": entry.colour, "width": entry.width, "dash": _dash(entry)}


def _best_box(width: float, height: float, model: PlotModel, ys: Scale, points: list[tuple[float, float]]) -> Box:
    """The candidate box with the least overlap; ties go to the earlier (matplotlib's order)."""
    inset = 0.5 * LEGEND_FONT
    left, right = X0 + inset, X1 - inset - width
    top, bottom = Y_TOP + inset, Y_BOT - inset - height
    mid_x, mid_y = (X0 + X1 - width) / 2, (Y_TOP + Y_BOT - height) / 2
    corners = [
        (right, top), (left, top), (left, bottom), (right, bottom), (right, mid_y),
        (left, mid_y), (right, mid_y), (mid_x, bottom), (mid_x, top), (mid_x, mid_y),
    ]  # fmt: skip
    segments = list(itertools.pairwise(points))
    segments += [((X0, ys(line.y)), (X1, ys(line.y))) for line in model.lines]
    bands = [(X0, min(ys(s.low), ys(s.high)), X1, max(ys(s.low), ys(s.high))) for s in model.spans]

    def badness(box: Box) -> int:
        inside = sum(2 for p in points if _contains(box, p))  # a line vertex and a marker
        crossing = sum(1 for a, b in segments if _crosses(box, a, b))
        return inside + crossing + sum(1 for band in bands if _overlaps(box, band))

    boxes = [(x, y, x + width, y + height) for x, y in corners]
    return min(boxes, key=badness)


def _contains(box: Box, p: tuple[float, float]) -> bool:
    return box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crosses(box: Box, a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether the segment from ``a`` to ``b`` passes through ``box`` (sampled finely enough for a legend)."""
    if _contains(box, a) or _contains(box, b):
        return True
    steps = 32
    return any(
        _contains(box, (a[0] + (b[0] - a[0]) * i / steps, a[1] + (b[1] - a[1]) * i / steps)) for i in range(1, steps)
    )
