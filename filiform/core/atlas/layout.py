"""Where each view sits: the sheets of the web chart and the combined chart of the notes.

A *sheet* is what the chart shows at one time (the whole figure front and back, the sides,
the head, the hands, the feet); the PDF and PNG renderers put every sheet on one page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import Atlas, Point

MARGIN = 16.0
TITLE_SPACE = 22.0
PAGE = 1300.0  # widest row of the combined chart, in drawing units

SHEETS: tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...] = (
    ("body", "Whole body", (("anterior", "posterior"),)),
    ("sides", "Sides", (("lateral",),)),
    ("head", "Head and face", (("head_front", "head_back"), ("head_side",))),
    ("hands", "Hands", (("hand_palmar",), ("hand_dorsal",))),
    ("feet", "Feet", (("foot_dorsal", "foot_plantar"), ("foot_medial",), ("foot_lateral",))),
)


@dataclass(frozen=True)
class Placement:
    view: str
    dx: float
    dy: float


def sheet_layout(atlas: Atlas, sheet: str) -> tuple[list[Placement], float, float]:
    """Views of one sheet in rows, each row left to right, with room for their titles."""
    rows = next(rows for sid, _, rows in SHEETS if sid == sheet)
    places: list[Placement] = []
    y, width = MARGIN, 0.0
    for row in rows:
        x, tallest = MARGIN, 0.0
        for vid in row:
            view = atlas.views[vid]
            places.append(Placement(vid, x, y + TITLE_SPACE))
            x += view.width + MARGIN
            tallest = max(tallest, view.height)
        width = max(width, x)
        y += TITLE_SPACE + tallest + MARGIN
    return places, width, y


def chart_layout(atlas: Atlas, sheets: Iterable[str] | None = None) -> tuple[list[Placement], float, float]:
    """Several sheets on one page (all by default), packed in rows no wider than ``PAGE``."""
    wanted = list(sheets) if sheets is not None else [sid for sid, _, _ in SHEETS]
    places: list[Placement] = []
    x = y = row_height = width = 0.0
    for sheet in (sid for sid, _, _ in SHEETS if sid in wanted):
        sub, w, h = sheet_layout(atlas, sheet)
        if x > 0 and x + w > PAGE:
            x, y, row_height = 0.0, y + row_height, 0.0
        places.extend(Placement(p.view, p.dx + x, p.dy + y) for p in sub)
        x += w
        width = max(width, x)
        row_height = max(row_height, h)
    return places, width, y + row_height


def shift(points: tuple[Point, ...], place: Placement) -> list[Point]:
    return [(x + place.dx, y + place.dy) for x, y in points]


def side_markers(atlas: Atlas, place: Placement) -> list[tuple[float, float, str]]:
    """'R' and 'L' letters beside a view, so nobody has to remember the convention."""
    view = atlas.views[place.view]
    right_left = view.placement == "right_on_viewer_left"
    y = place.dy + 14
    left_x, right_x = place.dx + 6, place.dx + view.width - 16
    if right_left:
        return [(left_x, y, "R"), (right_x, y, "L")]
    return [(left_x, y, "L"), (right_x, y, "R")]
