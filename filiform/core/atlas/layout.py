"""Where each view sits on a combined chart, shared by the SVG and PNG renderers."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Atlas, Point

MARGIN = 24.0
TITLE_SPACE = 22.0


@dataclass(frozen=True)
class Placement:
    view: str
    dx: float
    dy: float


def chart_layout(atlas: Atlas) -> tuple[list[Placement], float, float]:
    """Anterior and posterior side by side, the two insets stacked to their right."""
    ant, post = atlas.views["anterior"], atlas.views["posterior"]
    lat, pla = atlas.views["lateral_head"], atlas.views["plantar"]
    x_post = MARGIN + ant.width + MARGIN
    x_inset = x_post + post.width + MARGIN
    y0 = MARGIN + TITLE_SPACE
    places = [
        Placement("anterior", MARGIN, y0),
        Placement("posterior", x_post, y0),
        Placement("lateral_head", x_inset, y0),
        Placement("plantar", x_inset + (lat.width - pla.width) / 2, y0 + lat.height + 2 * TITLE_SPACE + 20),
    ]
    width = x_inset + max(lat.width, pla.width) + MARGIN
    height = y0 + max(ant.height, post.height) + MARGIN
    return places, width, height


def shift(points: tuple[Point, ...], place: Placement) -> list[Point]:
    return [(x + place.dx, y + place.dy) for x, y in points]


def side_markers(atlas: Atlas, place: Placement) -> list[tuple[float, float, str]]:
    """'R' and 'L' letters beside a view, so nobody has to remember the convention."""
    view = atlas.views[place.view]
    right_left = view.placement == "right_on_viewer_left"
    y = place.dy + 12
    left_x, right_x = place.dx + 10, place.dx + view.width - 10
    if right_left:
        return [(left_x, y, "R"), (right_x, y, "L")]
    return [(left_x, y, "L"), (right_x, y, "R")]
