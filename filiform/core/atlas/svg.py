"""Render the atlas as SVG text: the paintable chart of the web UI and the PDF notes.

Pure string building (no I/O). Regions are ``<path>`` elements whose ``id`` is the region
id, so a browser script can paint them and a test can find them.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from .layout import chart_layout, shift, side_markers
from .model import Atlas

BASE_FILL = "#f4efe9"
EDGE = "#8a8079"


def _path(points: list[tuple[float, float]]) -> str:
    head, *rest = points
    return f"M{head[0]:.1f},{head[1]:.1f} " + " ".join(f"L{x:.1f},{y:.1f}" for x, y in rest) + " Z"


def render_svg(
    atlas: Atlas,
    fills: Mapping[str, str] | None = None,
    hatches: Mapping[str, str] | None = None,
    title: str | None = None,
) -> str:
    """SVG of every view; ``fills`` maps region id to a colour, ``hatches`` to a pattern id."""
    fills = fills or {}
    hatches = hatches or {}
    places, width, height = chart_layout(atlas)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'class="body-chart" role="img" aria-label="{escape(title or "Body chart")}">',
        "<defs>"
        '<pattern id="hatch-essential" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="none"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#1f4e9c" stroke-width="2.4"/></pattern>'
        '<pattern id="hatch-spillover" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="1.1" fill="#4f86d9"/></pattern>'
        "</defs>",
        "<style>.region{stroke:#8a8079;stroke-width:0.6}.region:hover{stroke:#000;stroke-width:1.4}"
        ".view-title{font:600 13px sans-serif;fill:#333}.side{font:700 14px sans-serif;fill:#b03030}"
        "</style>",
    ]
    if title:
        out.append(f'<text x="24" y="18" class="view-title">{escape(title)}</text>')
    for place in places:
        view = atlas.views[place.view]
        out.append(f'<g class="view" data-view="{view.id}">')
        out.append(f'<text x="{place.dx:.0f}" y="{place.dy - 8:.0f}" class="view-title">{escape(view.title)}</text>')
        for region in atlas.in_view(view.id):
            fill = fills.get(region.id, BASE_FILL)
            out.append(
                f'<path id="{region.id}" class="region" data-name="{escape(region.name)}" '
                f'fill="{fill}" d="{_path(shift(region.polygon, place))}">'
                f"<title>{escape(region.name)}</title></path>"
            )
            if region.id in hatches:
                out.append(
                    f'<path class="hatch" pointer-events="none" fill="url(#{hatches[region.id]})" '
                    f'd="{_path(shift(region.polygon, place))}"/>'
                )
        for x, y, letter in side_markers(atlas, place):
            out.append(f'<text x="{x:.0f}" y="{y:.0f}" class="side">{letter}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
