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
from filiform.core.atlas.model import Atlas

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
    """Return PNG or SVG bytes of the whole chart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.patches import Polygon as MplPolygon

    drawing = drawing or {}
    places, width, height = chart_layout(atlas)
    scale = 1 / 72
    fig = Figure(figsize=(width * scale * 1.2, height * scale * 1.2), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    for place in places:
        view = atlas.views[place.view]
        ax.text(place.dx, place.dy - 8, view.title, fontsize=9, weight="bold", color="#333")
        for x, y, letter in side_markers(atlas, place):
            ax.text(x, y, letter, fontsize=11, weight="bold", color="#b03030", ha="center")
        for region in atlas.in_view(view.id):
            pts = shift(region.polygon, place)
            level = drawing.get(region.id)
            face = (0.85, 0.12, 0.1, 0.15 + 0.085 * level) if level is not None else "#f4efe9"
            ax.add_patch(MplPolygon(pts, closed=True, facecolor=face, edgecolor="#8a8079", lw=0.4))
        for i, pattern in enumerate(patterns):
            colour = PATTERN_COLOURS[i % len(PATTERN_COLOURS)]
            for rid, hatch in [(r, "////") for r in pattern.essential] + [(r, "...") for r in pattern.spillover]:
                overlay = atlas.regions.get(rid)
                if overlay is None or overlay.view != view.id:
                    continue
                ax.add_patch(
                    MplPolygon(
                        shift(overlay.polygon, place), closed=True, fill=False, hatch=hatch, edgecolor=colour, lw=0.9
                    )
                )
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
        ax.text(24, 16, title, fontsize=11, weight="bold")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    return buf.getvalue()


def _label(ax: Axes, atlas: Atlas, places: list[Placement], region_ids: set[str]) -> None:
    by_view = {p.view: p for p in places}
    for rid in sorted(region_ids):
        region = atlas.regions.get(rid)
        if region is None:
            continue
        place = by_view[region.view]
        cx, cy = region.centroid
        ax.text(cx + place.dx, cy + place.dy, region.base, fontsize=4.5, ha="center", va="center", color="#111")
