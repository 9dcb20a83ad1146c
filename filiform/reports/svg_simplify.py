"""Drop path vertices that no printer could show, so WeasyPrint draws the body chart faster.

WeasyPrint parses and emits every vertex of an SVG path in Python; the body chart has about
27,000 of them, and on paper most lie on a straight line through their neighbours. Its
coordinates are already rounded to 0.1 chart units; a vertex closer than half that (0.05
units, about 8 µm on an A4 note, a tenth of a 300-dpi printer dot) to the line through the
vertices kept around it is dropped (Ramer-Douglas-Peucker). Every subpath keeps its first and
last vertex and its closing ``Z``, so every region, outline and landmark stays where it was;
the web chart is not touched. Only paths made of absolute ``M``/``L``/``Z`` commands with
``x,y`` pairs (how ``core.atlas.svg`` writes them) are rewritten; any other path is left as it is.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

TOLERANCE = 0.05
"""Largest distance (chart units) between a dropped vertex and the simplified line."""
_PATH_DATA = re.compile(r' d="([MLZ0-9.,\- ]*)"')
_COMMAND = re.compile(r"([MLZ])\s*(?:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?))?\s*")
Point = tuple[float, float]


def simplify_svg_paths(svg: str, tolerance: float = TOLERANCE) -> str:
    """``svg`` with the data of every plain polyline path simplified."""
    return _PATH_DATA.sub(lambda m: f' d="{simplify_path(m.group(1), tolerance)}"', svg)


@lru_cache(maxsize=8192)
def simplify_path(d: str, tolerance: float = TOLERANCE) -> str:
    """One path's data, simplified; unchanged when it is not plain ``M``/``L``/``Z`` polylines.

    Cached by the data itself: the chart's geometry is the same in every note, only its
    fills change, so each outline is simplified once per process.
    """
    subpaths = _parse(d)
    if subpaths is None:
        return d
    out = []
    for points, closed, texts in subpaths:
        kept = _kept(points, tolerance)
        head, *rest = (texts[i] for i in kept)
        out.append(f"M{head} " + " ".join(f"L{t}" for t in rest) + (" Z" if closed else ""))
    return " ".join(part.strip() for part in out)


def _parse(d: str) -> list[tuple[list[Point], bool, list[str]]] | None:
    """Subpaths as (points, closed, the points' original text), or None for other path data."""
    subpaths: list[tuple[list[Point], bool, list[str]]] = []
    pos = 0
    while pos < len(d):
        m = _COMMAND.match(d, pos)
        if m is None or m.end() == pos:
            return None
        command, x, y = m.groups()
        if command == "Z":
            if not subpaths or subpaths[-1][1]:
                return None
            points, _, texts = subpaths[-1]
            subpaths[-1] = (points, True, texts)
        elif x is None or y is None or (command == "L" and (not subpaths or subpaths[-1][1])):
            return None
        elif command == "M":
            subpaths.append(([(float(x), float(y))], False, [f"{x},{y}"]))
        else:
            subpaths[-1][0].append((float(x), float(y)))
            subpaths[-1][2].append(f"{x},{y}")
        pos = m.end()
    return subpaths or None


def _kept(points: list[Point], tolerance: float) -> list[int]:
    """Indices of the vertices Ramer-Douglas-Peucker keeps (iterative: rings can be long)."""
    if len(points) < 3:
        return list(range(len(points)))
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = -1.0, -1
        for i in range(first + 1, last):
            distance = _distance(points[i], points[first], points[last])
            if distance > worst:
                worst, index = distance, i
        if index >= 0 and worst > tolerance:
            keep.add(index)
            stack += [(first, index), (index, last)]
    return sorted(keep)


def _distance(p: Point, a: Point, b: Point) -> float:
    """Distance from ``p`` to the segment from ``a`` to ``b``."""
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    if length2 == 0.0:
        return math.hypot(x - x1, y - y1)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))
