"""Which regions touch: the neighbourhood the referral-pattern checker and the keyboard use.

Two regions touch when cells of theirs share a stretch of border in any view (the lateral
views join the front and the back, the midline joins left and right).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from shapely.geometry import Polygon
from shapely.strtree import STRtree

from .model import Cell

MIN_SHARED = 0.5  # drawing units of shared border; a corner contact is not touching


def touching(cells: Sequence[Cell]) -> dict[str, frozenset[str]]:
    polys = [Polygon(c.polygon) for c in cells]
    tree = STRtree(polys)
    out: dict[str, set[str]] = defaultdict(set)
    for i, poly in enumerate(polys):
        grown = poly.buffer(0.05)
        for j in tree.query(grown):
            j = int(j)
            if j <= i or cells[i].view != cells[j].view or cells[i].region == cells[j].region:
                continue
            if grown.intersection(polys[j].buffer(0.05)).area > MIN_SHARED * 0.1:
                out[cells[i].region].add(cells[j].region)
                out[cells[j].region].add(cells[i].region)
    return {rid: frozenset(ids) for rid, ids in out.items()}
