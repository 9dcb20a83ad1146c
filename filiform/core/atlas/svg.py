"""Render the atlas as SVG text: the paintable chart of the web UI and the PDF notes.

Pure string building (no I/O). Each cell is a ``<path class="region">`` whose
``data-region`` is the region id (a region drawn in several views has several cells), so a
browser script can paint every drawing of a region at once and a test can find them.
Landmark lines (eyes, clavicles, patellae...) are drawn over the cells and ignore the pointer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from .layout import SHEETS, Placement, chart_layout, sheet_layout, shift, side_markers
from .model import Atlas, Point

BASE_FILL = "#f6efe7"
SKIN_EDGE = "#5b4636"
LANDMARK = "#6b5647"

SYMBOLS = {  # the pain-drawing symbol of each symptom kind, as a pattern tile
    "ache": '<path d="M1.5,7.5 L4.5,2.5 L7.5,7.5" fill="none"/>',
    "stabbing": '<path d="M2,8 L8,2" fill="none"/>',
    "burning": '<path d="M2,2 L7,7 M7,2 L2,7" fill="none"/>',
    "numbness": '<path d="M1.5,3.5 L7.5,3.5 M1.5,6.5 L7.5,6.5" fill="none"/>',
    "pins_and_needles": '<circle cx="4.5" cy="4.5" r="2.2" fill="none"/>',
}


def defs(prefix: str = "") -> str:
    """Hatching for referral patterns and a symbol tile per symptom kind (ids prefixed per
    sheet, so several charts on one page never share an id)."""
    symbols = "".join(
        f'<pattern id="{prefix}sym-{kind}" width="9" height="9" patternUnits="userSpaceOnUse">'
        f'<g stroke="#4a0d0d" stroke-width="1.1">{shape}</g></pattern>'
        for kind, shape in SYMBOLS.items()
    )
    return (
        "<defs>"
        f'<pattern id="{prefix}hatch-essential" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="none"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#1f4e9c" stroke-width="2.4"/></pattern>'
        f'<pattern id="{prefix}hatch-spillover" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="1.1" fill="#4f86d9"/></pattern>' + symbols + "</defs>"
    )


DEFS = defs()
STYLE = (
    "<style>.region{stroke:#b9a999;stroke-width:0.35}.region:hover{stroke:#000;stroke-width:1}"
    ".silhouette{fill:none;stroke:#5b4636;stroke-width:1.4;pointer-events:none}"
    ".landmark{fill:none;stroke:#6b5647;stroke-width:0.8;pointer-events:none;stroke-linecap:round}"
    ".landmark.dot{fill:#6b5647}.view-title{font:600 14px sans-serif;fill:#333}"
    ".side{font:700 15px sans-serif;fill:#a4161a}</style>"
)


def _path(points: Iterable[Point], closed: bool = True) -> str:
    head, *rest = list(points)
    body = f"M{head[0]:.1f},{head[1]:.1f} " + " ".join(f"L{x:.1f},{y:.1f}" for x, y in rest)
    return body + (" Z" if closed else "")


def _view(
    atlas: Atlas,
    place: Placement,
    fills: Mapping[str, str],
    hatches: Mapping[str, str],
    interactive: bool,
) -> list[str]:
    view = atlas.views[place.view]
    out = [f'<g class="view" data-view="{view.id}">']
    out.append(f'<text x="{place.dx:.0f}" y="{place.dy - 8:.0f}" class="view-title">{escape(view.title)}</text>')
    for ring in view.outline:
        out.append(f'<path class="skin" fill="{BASE_FILL}" d="{_path(shift(ring, place))}"/>')
    for cell in atlas.in_view(view.id):
        region = atlas.regions[cell.region]
        name = escape(region.name)
        d = _path(shift(cell.polygon, place))
        fill = fills.get(cell.region, BASE_FILL)
        extra = f' tabindex="-1" role="button" aria-label="{name}" aria-pressed="false"' if interactive else ""
        out.append(
            f'<path class="region" data-region="{cell.region}" data-name="{name}" fill="{fill}" d="{d}"{extra}>'
            f"<title>{name}</title></path>"
        )
        if cell.region in hatches:
            out.append(f'<path class="hatch" pointer-events="none" fill="url(#{hatches[cell.region]})" d="{d}"/>')
    for lm in (m for m in atlas.landmarks if m.view == view.id):
        css = "landmark dot" if lm.filled else "landmark"
        out.append(f'<path class="{css}" d="{_path(shift(lm.points, place), lm.closed)}"/>')
    for ring in view.outline:
        out.append(f'<path class="silhouette" d="{_path(shift(ring, place))}"/>')
    for x, y, letter in side_markers(atlas, place):
        out.append(f'<text x="{x:.0f}" y="{y:.0f}" class="side" aria-hidden="true">{letter}</text>')
    out.append("</g>")
    return out


def _svg(
    atlas: Atlas,
    places: list[Placement],
    size: tuple[float, float],
    label: str,
    fills: Mapping[str, str] | None,
    hatches: Mapping[str, str] | None,
    interactive: bool,
    prefix: str = "",
) -> str:
    role = 'role="group"' if interactive else 'role="img"'
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size[0]:.0f} {size[1]:.0f}" '
        f'class="body-chart" {role} aria-label="{escape(label)}" data-prefix="{prefix}">',
        defs(prefix),
        STYLE,
    ]
    for place in places:
        out.extend(_view(atlas, place, fills or {}, hatches or {}, interactive))
    out.append("</svg>")
    return "\n".join(out)


def render_svg(
    atlas: Atlas,
    fills: Mapping[str, str] | None = None,
    hatches: Mapping[str, str] | None = None,
    title: str | None = None,
    sheets: Iterable[str] | None = None,
) -> str:
    """Every view (or the views of ``sheets``) on one picture, for notes and exports.

    ``fills`` maps region id to a colour, ``hatches`` to a pattern id.
    """
    places, width, height = chart_layout(atlas, sheets)
    top = 26.0 if title else 0.0
    moved = [Placement(p.view, p.dx, p.dy + top) for p in places]
    svg = _svg(atlas, moved, (width, height + top), title or "Body chart", fills, hatches, False)
    if title:
        svg = svg.replace(STYLE, STYLE + f'<text x="16" y="20" class="view-title">{escape(title)}</text>', 1)
    return svg


def render_sheet(atlas: Atlas, sheet: str, fills: Mapping[str, str] | None = None, interactive: bool = True) -> str:
    """One sheet of the web chart; interactive cells carry a role, a name and a tab stop."""
    title = next(t for sid, t, _ in SHEETS if sid == sheet)
    places, width, height = sheet_layout(atlas, sheet)
    return _svg(atlas, places, (width, height), f"{title}: paint the pain", fills, None, interactive, f"{sheet}-")


def sheets_with(atlas: Atlas, region_ids: Iterable[str]) -> list[str]:
    """The sheets that show any of ``region_ids`` (always the whole figure)."""
    ids = set(region_ids)
    views = {c.view for c in atlas.cells if c.region in ids}
    return [sid for sid, _, rows in SHEETS if sid == "body" or any(v in views for row in rows for v in row)]
