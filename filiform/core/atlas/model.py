"""The body-surface atlas as immutable values: views, regions, their cells and landmarks.

A *region* is a patch of skin (``right-temple-middle``, ``midline-vertex``); a *cell* is how that
patch is drawn in one view. A region seen from several directions (the temple from the
front, the side and on the whole-body figure) has a cell in each of those views, and
painting any of them paints the same region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from filiform.core.concepts.side import Side

Point = tuple[float, float]
MIDLINE = "midline"


def centroid(pts: tuple[Point, ...]) -> Point:
    """Area-weighted centroid (shoelace), used for labels and laterality tests."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area *= 0.5
    if area == 0:
        xs, ys = zip(*pts, strict=True)
        return (sum(xs) / len(xs), sum(ys) / len(ys))
    return (cx / (6 * area), cy / (6 * area))


@dataclass(frozen=True)
class Region:
    """One paintable patch of skin: ``id`` is ``<side>-<base>`` or ``midline-<base>``.

    ``view`` and ``polygon`` are its largest drawing (its home view); every drawing is in
    :attr:`Atlas.cells`.
    """

    id: str
    base: str
    side: Side | None  # None on the midline
    view: str
    name: str
    polygon: tuple[Point, ...]

    @property
    def centroid(self) -> Point:
        return centroid(self.polygon)

    @property
    def side_label(self) -> str:
        return self.side.value if self.side else MIDLINE


@dataclass(frozen=True)
class Cell:
    """One drawing of a region in one view (a region may have one per view, two for the
    midline regions of a view that shows the two sides apart)."""

    region: str
    view: str
    polygon: tuple[Point, ...]


@dataclass(frozen=True)
class Landmark:
    """A line of the anatomical drawing (eye, clavicle, patella), never a paintable area."""

    view: str
    points: tuple[Point, ...]
    closed: bool
    filled: bool = False


@dataclass(frozen=True)
class View:
    """A drawing of the body (anterior, posterior, lateral, head, hands, feet) on its own canvas."""

    id: str
    title: str
    width: float
    height: float
    placement: str
    gap: float
    outline: tuple[tuple[Point, ...], ...]  # the silhouette, one ring per separate piece


@dataclass(frozen=True)
class Atlas:
    views: dict[str, View]
    regions: dict[str, Region]
    bases: dict[str, str] = field(default_factory=dict)  # base id -> home view id
    thorax: frozenset[str] = frozenset()  # base ids over the thoracic cage
    midline: frozenset[str] = frozenset()  # base ids drawn once, across the midline
    cells: tuple[Cell, ...] = ()
    landmarks: tuple[Landmark, ...] = ()
    adjacency: dict[str, frozenset[str]] = field(default_factory=dict)  # region id -> touching ids
    version: int = 2

    def region(self, region_id: str) -> Region:
        return self.regions[region_id]

    def in_view(self, view_id: str) -> list[Cell]:
        """Cells drawn in a view (a region may appear in several views)."""
        return [c for c in self.cells if c.view == view_id]

    def home_regions(self, view_id: str) -> list[Region]:
        return [r for r in self.regions.values() if r.view == view_id]

    def region_id(self, base: str, side: Side) -> str:
        return f"{MIDLINE}-{base}" if base in self.midline else f"{side.value}-{base}"

    def resolve(self, base_or_ref: str, side: Side) -> str:
        """Turn a knowledge-base reference (``temple`` or ``contralateral:temple``) into an id.

        A midline base names the one midline region whichever side refers to it.
        """
        if base_or_ref.startswith("contralateral:"):
            return self.region_id(base_or_ref.split(":", 1)[1], side.other)
        return self.region_id(base_or_ref, side)

    @staticmethod
    def mirror_id(region_id: str) -> str:
        side, base = region_id.split("-", 1)
        if side == MIDLINE:
            return region_id
        return f"{Side(side).other.value}-{base}"
