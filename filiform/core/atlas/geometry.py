"""Geometry primitives of the atlas specification: smooth outlines, strips of cells, transforms.

The specification draws the body from curves and cut lines instead of stored artwork, so
that every cell is computed: the cells of a part tile its outline exactly (each one is the
outline intersected with a band between two cuts and two fraction lines), and the left half
is an exact reflection of the right half.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from filiform.errors import KnowledgeBaseError

Point = tuple[float, float]
SAMPLES = 10  # points per curve span


def _coord(item: Any, where: str) -> tuple[float, float, float]:
    if not isinstance(item, list | tuple) or len(item) not in (2, 3):
        raise KnowledgeBaseError(f"atlas {where}: a point is [u, y] or [u, y, tension]")
    tension = float(item[2]) if len(item) == 3 else 1.0
    return float(item[0]), float(item[1]), tension


def smooth_closed(points: Sequence[Any], where: str) -> list[Point]:
    """A closed Catmull-Rom curve through ``points``; a third value 0 makes a corner."""
    pts = [_coord(p, where) for p in points]
    if len(pts) < 3:
        raise KnowledgeBaseError(f"atlas {where}: an outline needs at least 3 points")
    n = len(pts)
    out: list[Point] = []
    for i in range(n):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[(i + 1) % n], pts[(i + 2) % n]
        t1 = ((p2[0] - p0[0]) / 2 * p1[2], (p2[1] - p0[1]) / 2 * p1[2])
        t2 = ((p3[0] - p1[0]) / 2 * p2[2], (p3[1] - p1[1]) / 2 * p2[2])
        for k in range(SAMPLES):
            s = k / SAMPLES
            h1, h2 = 2 * s**3 - 3 * s**2 + 1, -2 * s**3 + 3 * s**2
            h3, h4 = s**3 - 2 * s**2 + s, s**3 - s**2
            out.append(
                (
                    h1 * p1[0] + h2 * p2[0] + h3 * t1[0] + h4 * t2[0],
                    h1 * p1[1] + h2 * p2[1] + h3 * t1[1] + h4 * t2[1],
                )
            )
    return out


def smooth_open(points: Sequence[Any], where: str) -> list[Point]:
    """An open Catmull-Rom curve through ``points`` (landmark lines)."""
    pts = [_coord(p, where) for p in points]
    if len(pts) < 2:
        raise KnowledgeBaseError(f"atlas {where}: a line needs at least 2 points")
    ext = [pts[0], *pts, pts[-1]]
    out: list[Point] = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        t1 = ((p2[0] - p0[0]) / 2, (p2[1] - p0[1]) / 2)
        t2 = ((p3[0] - p1[0]) / 2, (p3[1] - p1[1]) / 2)
        for k in range(SAMPLES):
            s = k / SAMPLES
            h1, h2 = 2 * s**3 - 3 * s**2 + 1, -2 * s**3 + 3 * s**2
            h3, h4 = s**3 - 2 * s**2 + s, s**3 - s**2
            out.append(
                (
                    h1 * p1[0] + h2 * p2[0] + h3 * t1[0] + h4 * t2[0],
                    h1 * p1[1] + h2 * p2[1] + h3 * t1[1] + h4 * t2[1],
                )
            )
    out.append((pts[-1][0], pts[-1][1]))
    return out


def ellipse(cu: float, cy: float, ru: float, ry: float, steps: int = 36) -> list[Point]:
    return [
        (cu + ru * math.cos(2 * math.pi * k / steps), cy + ry * math.sin(2 * math.pi * k / steps)) for k in range(steps)
    ]


def shape_of(spec: dict[str, Any], where: str) -> Polygon:
    """An outline given as ``curve`` (smooth), ``poly`` (straight) or ``ellipse``."""
    if "curve" in spec:
        points = list(spec["curve"])
        if spec.get("mirror"):  # points run down the right side from the midline: add the left
            points += [[-p[0], *p[1:]] for p in reversed(points[1:-1])]
        poly = Polygon(smooth_closed(points, where))
    elif "poly" in spec:
        poly = Polygon([_coord(p, where)[:2] for p in spec["poly"]])
    elif "ellipse" in spec:
        cu, cy, ru, ry = (float(v) for v in spec["ellipse"])
        poly = Polygon(ellipse(cu, cy, ru, ry))
    else:
        raise KnowledgeBaseError(f"atlas {where}: an outline needs curve, poly or ellipse")
    if not poly.is_valid:
        poly = poly.buffer(0)
    if not isinstance(poly, Polygon) or poly.is_empty:
        raise KnowledgeBaseError(f"atlas {where}: the outline crosses itself")
    return poly


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _extended(a: Point, b: Point, by: float) -> tuple[Point, Point]:
    length = math.hypot(b[0] - a[0], b[1] - a[1]) or 1.0
    dx, dy = (b[0] - a[0]) / length * by, (b[1] - a[1]) / length * by
    return (a[0] - dx, a[1] - dy), (b[0] + dx, b[1] + dy)


def parse_row(row: Any, where: str) -> list[tuple[str, float, float]]:
    """``[a, 0.3, b]`` -> ``[(a, 0, 0.3), (b, 0.3, 1)]``."""
    if not isinstance(row, list) or not row:
        raise KnowledgeBaseError(f"atlas {where}: a row is a list of names and fractions")
    names, cuts = row[0::2], row[1::2]
    if not all(isinstance(n, str) for n in names) or not all(isinstance(c, int | float) for c in cuts):
        raise KnowledgeBaseError(f"atlas {where}: a row alternates names and fractions")
    bounds = [0.0, *[float(c) for c in cuts], 1.0]
    if any(b1 <= b0 for b0, b1 in itertools.pairwise(bounds)):
        raise KnowledgeBaseError(f"atlas {where}: split fractions must increase within (0, 1)")
    return [(names[i], bounds[i], bounds[i + 1]) for i in range(len(names))]


def strip_cells(outline: Polygon, spec: dict[str, Any], where: str) -> list[tuple[str, Polygon]]:
    """Cells of ``outline`` cut by ``cuts`` (lines across it) and per-row name/fraction lists.

    Each cut ``[u0, y0, u1, y1]`` is extended by ``extend`` beyond both ends, so the first
    and last cell of a row reach the curved outline; fractions are measured along the cut
    as written.
    """
    cuts = [tuple(float(v) for v in c) for c in spec["cuts"]]
    rows = spec["rows"]
    if len(rows) != len(cuts) - 1:
        raise KnowledgeBaseError(f"atlas {where}: {len(cuts)} cuts need {len(cuts) - 1} rows")
    by = float(spec.get("extend", 60))
    cells: list[tuple[str, Polygon]] = []
    for i, row in enumerate(rows):
        c, d = cuts[i], cuts[i + 1]
        a0, a1 = (c[0], c[1]), (c[2], c[3])
        b0, b1 = (d[0], d[1]), (d[2], d[3])
        ea0, ea1 = _extended(a0, a1, by)
        eb0, eb1 = _extended(b0, b1, by)
        for name, f0, f1 in parse_row(row, f"{where} row {i + 1}"):
            top0 = ea0 if f0 == 0 else _lerp(a0, a1, f0)
            top1 = ea1 if f1 == 1 else _lerp(a0, a1, f1)
            bot0 = eb0 if f0 == 0 else _lerp(b0, b1, f0)
            bot1 = eb1 if f1 == 1 else _lerp(b0, b1, f1)
            quad = Polygon([top0, top1, bot1, bot0])
            if not quad.is_valid:
                raise KnowledgeBaseError(f"atlas {where} row {i + 1}: cell '{name}' is twisted (cuts cross)")
            cell = quad.intersection(outline)
            if cell.area > 1e-6:
                cells.append((name, cell))
    covered = unary_union([c for _, c in cells])
    gap = outline.difference(covered)
    if gap.area > 0.5:
        bounds = "; ".join(",".join(f"{v:.0f}" for v in g.bounds) for g in polygons(gap) if g.area > 0.1)
        raise KnowledgeBaseError(f"atlas {where}: the cuts leave {gap.area:.1f} units uncovered, within ({bounds})")
    return cells


def transform(geom: BaseGeometry, spec: dict[str, Any]) -> BaseGeometry:
    """Scale (``scale``, ``scale_y``), mirror (``flip_u``, ``flip_y``), rotate, then move to ``at``."""
    sx = float(spec.get("scale", 1.0))
    sy = float(spec.get("scale_y", sx))
    if spec.get("flip_u"):
        sx = -sx
    if spec.get("flip_y"):
        sy = -sy
    out = affinity.scale(geom, xfact=sx, yfact=sy, origin=(0, 0))
    if spec.get("rotate"):
        out = affinity.rotate(out, float(spec["rotate"]), origin=(0, 0))
    at = spec.get("at", [0, 0])
    return affinity.translate(out, xoff=float(at[0]), yoff=float(at[1]))


def polygons(geom: BaseGeometry) -> list[Polygon]:
    """The polygons of a geometry (drops slivers, lines and points left by clipping)."""
    if isinstance(geom, Polygon):
        return [geom] if geom.area > 1e-3 else []
    if isinstance(geom, MultiPolygon):
        return [g for g in geom.geoms if g.area > 1e-3]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and g.area > 1e-3]
