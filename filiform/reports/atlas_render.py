"""Raster and vector pictures of the body chart (matplotlib), for people to look at.

The chart shows a pain drawing (red, darker for higher intensity) and, optionally, the
referral patterns of chosen trigger points (essential zones hatched, spillover dotted).
Matplotlib is imported when a chart is drawn, not with this module, and the figure gets
its own Agg canvas (no pyplot, no global backend).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from filiform.core.atlas.layout import Placement, chart_layout, shift, side_markers
from filiform.core.atlas.model import Atlas, centroid
from filiform.core.atlas.svg import sheets_with

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PATTERN_COLOURS = ("#1f4e9c", "#2a8c4a", "#8c2a84", "#b8860b", "#00838f")


@dataclass(frozen=True)
class PatternOverlay:
    """One trigger point's referral pattern, as atlas region ids."""

    label: str
    essential: Sequence[str]
    spillover: Sequence[str] = field(default_factory=tuple)


def render_chart(
    atlas: Atlas,
    drawing: Mapping[str, float] | None = None,
    patterns: Sequence[PatternOverlay] = (),
    title: str | None = None,
    fmt: str = "png",
    label_regions: bool = True,
) -> bytes:
    """Return PNG or SVG bytes of the chart: the whole figure plus the insets that matter."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    drawing = drawing or {}
    shown = set(drawing) | {r for p in patterns for r in (*p.essential, *p.spillover)}
    places, width, height = chart_layout(atlas, sheets_with(atlas, shown))
    scale = 1 / 72
    fig = Figure(figsize=(width * scale * 1.2, height * scale * 1.2), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    for place in places:
        _draw_view(ax, atlas, place, drawing, patterns)
    if label_regions:
        _label(ax, atlas, places, set(drawing) | {r for p in patterns for r in p.essential})
    handles = [Patch(facecolor=(0.85, 0.12, 0.1, 0.7), label="pain drawing")]
    for i, pattern in enumerate(patterns):
        colour = PATTERN_COLOURS[i % len(PATTERN_COLOURS)]
        handles.append(Patch(fill=False, hatch="////", edgecolor=colour, label=f"{pattern.label}: essential"))
        if pattern.spillover:
            handles.append(Patch(fill=False, hatch="...", edgecolor=colour, label=f"{pattern.label}: spillover"))
    ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=True)
    if title:
        ax.text(16, 14, title, fontsize=11, weight="bold")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    return buf.getvalue()


def _draw_view(
    ax: Axes, atlas: Atlas, place: Placement, drawing: Mapping[str, float], patterns: Sequence[PatternOverlay]
) -> None:
    from matplotlib.patches import Polygon as MplPolygon

    view = atlas.views[place.view]
    ax.text(place.dx, place.dy - 8, view.title, fontsize=9, weight="bold", color="#333")
    for x, y, letter in side_markers(atlas, place):
        ax.text(x, y, letter, fontsize=11, weight="bold", color="#b03030", ha="center")
    cells = atlas.in_view(view.id)
    for cell in cells:
        level = drawing.get(cell.region)
        face = (0.85, 0.12, 0.1, 0.15 + 0.085 * level) if level is not None else "#f6efe7"
        ax.add_patch(MplPolygon(shift(cell.polygon, place), closed=True, facecolor=face, edgecolor="#c4b5a6", lw=0.3))
    for i, pattern in enumerate(patterns):
        colour = PATTERN_COLOURS[i % len(PATTERN_COLOURS)]
        zones = {**{r: "..." for r in pattern.spillover}, **{r: "////" for r in pattern.essential}}
        for cell in cells:
            if cell.region in zones:
                pts = shift(cell.polygon, place)
                ax.add_patch(
                    MplPolygon(pts, closed=True, fill=False, hatch=zones[cell.region], edgecolor=colour, lw=0.9)
                )
    for lm in (m for m in atlas.landmarks if m.view == view.id):
        pts = shift(lm.points, place)
        if lm.filled:
            ax.add_patch(MplPolygon(pts, closed=True, facecolor="#6b5647", edgecolor="none"))
        else:
            xs, ys = zip(*(pts + pts[:1] if lm.closed else pts), strict=True)
            ax.plot(xs, ys, color="#6b5647", lw=0.6)
    for ring in view.outline:
        ax.add_patch(MplPolygon(shift(ring, place), closed=True, fill=False, edgecolor="#5b4636", lw=1.0))


def _label(ax: Axes, atlas: Atlas, places: list[Placement], region_ids: set[str]) -> None:
    """Name each drawn region once, on its largest drawing among the views shown."""
    by_view = {p.view: p for p in places}
    best: dict[str, tuple[float, Placement, tuple[tuple[float, float], ...]]] = {}
    for cell in atlas.cells:
        if cell.region in region_ids and cell.view in by_view:
            area = abs(_area(cell.polygon))
            if cell.region not in best or area > best[cell.region][0]:
                best[cell.region] = (area, by_view[cell.view], cell.polygon)
    for rid, (_, place, polygon) in sorted(best.items()):
        cx, cy = centroid(polygon)
        ax.text(cx + place.dx, cy + place.dy, atlas.regions[rid].base, fontsize=4.5, ha="center", va="center")


def _area(pts: tuple[tuple[float, float], ...]) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True))
