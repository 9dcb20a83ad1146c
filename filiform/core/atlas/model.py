"""The body-surface atlas as immutable values: views, regions and their polygons."""

from __future__ import annotations

from dataclasses import dataclass, field

from filiform.core.concepts.side import Side

Point = tuple[float, float]


@dataclass(frozen=True)
class Region:
    """One paintable area: ``id`` is ``<side>-<base>``, e.g. ``right-temple``."""

    id: str
    base: str
    side: Side
    view: str
    name: str
    polygon: tuple[Point, ...]

    @property
    def centroid(self) -> Point:
        """Area-weighted centroid (shoelace), used for labels and laterality tests."""
        pts = self.polygon
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
class View:
    """A drawing of the body (anterior, posterior, or an inset) with its own canvas."""

    id: str
    title: str
    width: float
    height: float
    placement: str
    gap: float
    outline: tuple[tuple[Point, ...], ...]  # segment quads, for the silhouette


@dataclass(frozen=True)
class Atlas:
    views: dict[str, View]
    regions: dict[str, Region]
    bases: dict[str, str] = field(default_factory=dict)  # base id -> view id
    thorax: frozenset[str] = frozenset()  # base ids over the thoracic cage

    def region(self, region_id: str) -> Region:
        return self.regions[region_id]

    def in_view(self, view_id: str) -> list[Region]:
        return [r for r in self.regions.values() if r.view == view_id]

    def resolve(self, base_or_ref: str, side: Side) -> str:
        """Turn a knowledge-base reference (``temple`` or ``contralateral:temple``) into an id."""
        if base_or_ref.startswith("contralateral:"):
            return f"{side.other.value}-{base_or_ref.split(':', 1)[1]}"
        return f"{side.value}-{base_or_ref}"

    @staticmethod
    def mirror_id(region_id: str) -> str:
        side, base = region_id.split("-", 1)
        return f"{Side(side).other.value}-{base}"
