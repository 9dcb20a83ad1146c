"""Build the atlas from its YAML specification.

The specification describes only the patient's right half as strips of cuts (see the
comments in ``filiform/data/atlas.yaml``). Building it here, rather than storing drawn
polygons, guarantees that left and right are exact mirror images and that the cells of a
view tile the silhouette with no gaps or overlaps.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from importlib import resources
from typing import Any

from shapely.geometry import Polygon
from shapely.ops import unary_union

from filiform.core.concepts import Side
from filiform.core.kb.yaml_source import load_data
from filiform.errors import KnowledgeBaseError

from .model import Atlas, Point, Region, View

Cut = tuple[float, float, float, float]


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _parse_row(row: list[Any], where: str) -> list[tuple[str, float, float]]:
    """``[a, 0.3, b]`` -> ``[(a, 0, 0.3), (b, 0.3, 1)]``."""
    names = row[0::2]
    cuts = row[1::2]
    if not names or not all(isinstance(n, str) for n in names):
        raise KnowledgeBaseError(f"atlas {where}: a row alternates names and fractions")
    bounds = [0.0, *[float(c) for c in cuts], 1.0]
    if any(b1 <= b0 for b0, b1 in itertools.pairwise(bounds)):
        raise KnowledgeBaseError(f"atlas {where}: split fractions must increase within (0, 1)")
    return [(names[i], bounds[i], bounds[i + 1]) for i in range(len(names))]


def _cells(segment: dict[str, Any], where: str) -> list[tuple[str, Polygon]]:
    cuts: list[Cut] = [tuple(float(v) for v in c) for c in segment["cuts"]]  # type: ignore[misc]
    rows = segment["rows"]
    if len(rows) != len(cuts) - 1:
        raise KnowledgeBaseError(f"atlas {where}: {len(cuts)} cuts need {len(cuts) - 1} rows")
    cells: list[tuple[str, Polygon]] = []
    for i, row in enumerate(rows):
        top, bottom = cuts[i], cuts[i + 1]
        t_in, t_out = (top[0], top[1]), (top[2], top[3])
        b_in, b_out = (bottom[0], bottom[1]), (bottom[2], bottom[3])
        for name, f0, f1 in _parse_row(row, f"{where} row {i + 1}"):
            quad = Polygon(
                [_lerp(t_in, t_out, f0), _lerp(t_in, t_out, f1), _lerp(b_in, b_out, f1), _lerp(b_in, b_out, f0)]
            )
            cells.append((name, quad))
    return cells


def _place(points: list[Point], view: View, side: Side) -> tuple[Point, ...]:
    cx = view.width / 2
    right_on_left = view.placement == "right_on_viewer_left"
    sign = -1.0 if (side is Side.RIGHT) == right_on_left else 1.0
    placed = [(round(cx + sign * (view.gap + u), 3), round(y, 3)) for u, y in points]
    if sign < 0:
        placed.reverse()  # keep a consistent winding after mirroring
    return tuple(placed)


def _label(base: str, side: Side, labels: dict[str, str]) -> str:
    words = labels.get(base, base.replace("-", " "))
    return f"{side.value.capitalize()} {words}"


def build_atlas(spec: dict[str, Any]) -> Atlas:
    """Turn a parsed specification into an :class:`Atlas` (pure; raises on bad specs)."""
    labels: dict[str, str] = dict(spec.get("labels") or {})
    views: dict[str, View] = {}
    regions: dict[str, Region] = {}
    bases: dict[str, str] = {}
    for view_id, vspec in spec["views"].items():
        merged: dict[str, list[Polygon]] = {}
        outline: list[Polygon] = []
        for seg_id, seg in vspec["segments"].items():
            for name, cell in _cells(seg, f"{view_id}/{seg_id}"):
                merged.setdefault(name, []).append(cell)
                outline.append(cell)
        width, height = (float(v) for v in vspec["size"])
        silhouette = unary_union(outline)
        outline_polys = list(getattr(silhouette, "geoms", [silhouette]))
        view = View(
            id=view_id,
            title=str(vspec["title"]),
            width=width,
            height=height,
            placement=str(vspec["placement"]),
            gap=float(vspec.get("gap", 0)),
            outline=(),
        )
        placed_outline: list[tuple[Point, ...]] = []
        for side in Side:
            for poly in outline_polys:
                placed_outline.append(_place(list(poly.exterior.coords)[:-1], view, side))
        views[view_id] = View(**{**view.__dict__, "outline": tuple(placed_outline)})
        for base, cells in merged.items():
            if base in bases:
                raise KnowledgeBaseError(f"atlas: region '{base}' appears in views {bases[base]} and {view_id}")
            bases[base] = view_id
            shape = unary_union(cells)
            if shape.geom_type != "Polygon":
                raise KnowledgeBaseError(f"atlas: region '{base}' is not one connected shape")
            coords = list(shape.simplify(0).exterior.coords)[:-1]
            for side in Side:
                rid = f"{side.value}-{base}"
                regions[rid] = Region(
                    id=rid,
                    base=base,
                    side=side,
                    view=view_id,
                    name=_label(base, side, labels),
                    polygon=_place(coords, views[view_id], side),
                )
    unknown = set(labels) - set(bases)
    if unknown:
        raise KnowledgeBaseError(f"atlas: labels for unknown regions: {sorted(unknown)}")
    thorax = frozenset(spec.get("thorax") or ())
    if thorax - set(bases):
        raise KnowledgeBaseError(f"atlas: thorax lists unknown regions: {sorted(thorax - set(bases))}")
    return Atlas(views=views, regions=regions, bases=bases, thorax=thorax)


@lru_cache(maxsize=1)
def load_atlas() -> Atlas:
    """The shipped atlas, built once per process."""
    return build_atlas(load_data(resources.files("filiform.data").joinpath("atlas.yaml"), "atlas.yaml"))
