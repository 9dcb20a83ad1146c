"""Build the atlas from its YAML specification (``filiform/data/atlas/*.yaml``).

The specification draws only the patient's right half of each view (see the comments in
``filiform/data/atlas/README.md``): outlines as smooth curves, cut into cells by lines,
plus landmark lines. Building here, rather than storing drawn polygons, guarantees that
left and right are exact mirror images, that the cells of a view tile its silhouette with
no gaps or overlaps, and that a view embedded in another (the face on the whole figure)
is the very same partition, scaled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from shapely.geometry import LineString, Polygon, box
from shapely.ops import split, unary_union

from filiform.core.concepts import Side
from filiform.core.kb.cache import cached, shipped_root
from filiform.core.kb.yaml_source import load_data
from filiform.errors import KnowledgeBaseError

from .adjacency import touching
from .geometry import ellipse, polygons, shape_of, smooth_open, strip_cells, transform
from .model import MIDLINE, Atlas, Cell, Landmark, Point, Region, View

HalfCell = tuple[str, Polygon]
RIGHT_HALF = box(0, -1e4, 1e4, 1e4)
SLIVER = 40.0  # square units: a stray piece this small is absorbed by its neighbour


@dataclass
class _Half:
    """A view's right half before placement: cells, outline and landmark lines."""

    cells: list[HalfCell] = field(default_factory=list)
    shape: Any = None
    lines: list[tuple[list[Point], bool, bool]] = field(default_factory=list)


def _landmarks(items: list[dict[str, Any]], where: str) -> list[tuple[list[Point], bool, bool]]:
    out: list[tuple[list[Point], bool, bool]] = []
    for item in items:
        if "line" in item:
            out.append((smooth_open(item["line"], where), False, False))
        elif "closed" in item:
            out.append((list(shape_of({"curve": item["closed"]}, where).exterior.coords)[:-1], True, False))
        elif "ellipse" in item:
            cu, cy, ru, ry = (float(v) for v in item["ellipse"])
            out.append((ellipse(cu, cy, ru, ry), True, bool(item.get("filled"))))
        else:
            raise KnowledgeBaseError(f"atlas {where}: a landmark is a line, closed curve or ellipse")
    return out


def _part(part: dict[str, Any], halves: dict[str, _Half], spec: dict[str, Any], where: str, axis: bool) -> _Half:
    if "embed" in part:
        source = _half(str(part["embed"]), spec, halves)
        cells = [(name, transform(poly, part)) for name, poly in source.cells]
        lines = [(_moved(pts, part), closed, filled) for pts, closed, filled in source.lines]
        return _Half(cells=cells, shape=unary_union([c for _, c in cells]), lines=lines)
    outline = shape_of(part["outline"], where)
    if axis:
        outline = outline.intersection(RIGHT_HALF)
    cells = strip_cells(outline, part, where)
    for shape in part.get("shapes") or []:
        carved = shape_of(shape, f"{where}/{shape['name']}").intersection(outline)
        cells = [(n, c.difference(carved)) for n, c in cells] + [(str(shape["name"]), carved)]
    lines = _landmarks(part.get("landmarks") or [], where)
    if "place" in part:  # an outline drawn once and reused mirrored (the back of the hand)
        place = part["place"]
        cells = [(n, transform(c, place)) for n, c in cells]
        lines = [(_moved(pts, place), closed, filled) for pts, closed, filled in lines]
        outline = transform(outline, place)
    return _Half(cells=cells, shape=outline, lines=lines)


def _moved(pts: list[Point], part: dict[str, Any]) -> list[Point]:
    moved = transform(LineString(pts), part)
    return [(x, y) for x, y in moved.coords]


def _half(view_id: str, spec: dict[str, Any], halves: dict[str, _Half]) -> _Half:
    """The right half of a view, building the views it embeds first."""
    if view_id in halves:
        if halves[view_id].shape is None:
            raise KnowledgeBaseError(f"atlas: view '{view_id}' embeds itself")
        return halves[view_id]
    vspec = spec["views"].get(view_id)
    if vspec is None:
        raise KnowledgeBaseError(f"atlas: unknown view '{view_id}'")
    halves[view_id] = _Half()
    taken: Any = Polygon()
    result = _Half()
    axis = float(vspec.get("gap", 0)) == 0
    for i, part in enumerate(vspec["parts"]):
        piece = _part(part, halves, spec, f"{view_id}/part {part.get('name', i + 1)}", axis)
        own = piece.shape.difference(taken)
        if axis:
            own = own.intersection(RIGHT_HALF)
        for name, cell in piece.cells:
            for poly in polygons(cell.intersection(own)):
                result.cells.append((name, poly))
        taken = unary_union([taken, piece.shape])
        result.lines.extend(piece.lines)
    result.cells = _absorb_slivers(result.cells)
    result.lines.extend(_landmarks(vspec.get("landmarks") or [], view_id))
    result.shape = taken.intersection(RIGHT_HALF) if axis else taken
    halves[view_id] = result
    return result


def _absorb_slivers(cells: list[HalfCell]) -> list[HalfCell]:
    """Give a small stray piece of a region (left where two parts meet) to its neighbour.

    Why: a region must be one connected patch; a crumb cut off by a neighbouring part is
    an artefact of the construction, not anatomy, so it joins the cell it borders most.
    Large stray pieces are left alone and reported as an error by the caller.
    """
    merged: dict[str, Any] = {}
    for name, poly in cells:
        merged[name] = unary_union([merged[name], poly]) if name in merged else poly
    for name in list(merged):
        parts = sorted(polygons(merged[name]), key=lambda p: p.area, reverse=True)
        for crumb in parts[1:]:
            if crumb.area > SLIVER:
                continue
            edge = crumb.buffer(0.05)
            others = [(edge.intersection(g).area, n) for n, g in merged.items() if n != name]
            best = max(others, default=(0.0, ""))
            if best[0] > 0:
                merged[best[1]] = unary_union([merged[best[1]], crumb])
                merged[name] = merged[name].difference(crumb)
    return [(name, poly) for name, geom in merged.items() for poly in polygons(geom)]


def _placer(view: View, side: Side) -> Any:
    cx = view.width / 2
    sign = -1.0 if (side is Side.RIGHT) == (view.placement == "right_on_viewer_left") else 1.0

    def place(points: list[Point]) -> tuple[Point, ...]:
        return tuple((round(cx + sign * (view.gap + u), 3), round(y, 3)) for u, y in points)

    return place


def _placed(poly: Polygon, view: View, side: Side) -> Polygon:
    """A half-view polygon (holes kept) moved onto its side of the view."""
    place = _placer(view, side)
    return Polygon(place(_ring(poly)), [place(list(r.coords)[:-1]) for r in poly.interiors]).buffer(0)


def _ring(poly: Polygon) -> list[Point]:
    return [(x, y) for x, y in list(poly.exterior.coords)[:-1]]


def _without_holes(poly: Polygon) -> list[Polygon]:
    """Split a polygon with holes (a cell around the nipple) into hole-free pieces.

    Why: cells are drawn as simple rings; a vertical cut through each hole keeps the
    pieces exactly tiling the original.
    """
    if not poly.interiors:
        return [poly]
    x = poly.interiors[0].centroid.x
    _, miny, _, maxy = poly.bounds
    pieces = split(poly, LineString([(x, miny - 1), (x, maxy + 1)]))
    return [q for piece in polygons(pieces) for q in _without_holes(piece)]


def _label(base: str, side: Side | None, labels: dict[str, str]) -> str:
    words = labels.get(base, base.replace("-", " "))
    if side is None:
        return f"{words[0].upper()}{words[1:]} (midline)"
    return f"{side.value.capitalize()} {words}"


def _mirror(poly: Polygon, width: float) -> Polygon:
    """The exact reflection of a placed polygon about the view's centre line."""

    def flip(coords: Any) -> list[Point]:
        return [(round(width - x, 3), y) for x, y in list(coords)[:-1]]

    return Polygon(flip(poly.exterior.coords), [flip(r.coords) for r in poly.interiors])


def _view_cells(view: View, half: _Half, midline: frozenset[str]) -> dict[str, list[Polygon]]:
    """Region id -> its polygons in this view, both sides placed; midline halves merged.

    The left side is the reflection of the placed right side (not placed separately), so
    the two are mirror images to the last digit.
    """
    pieces: dict[str, list[Polygon]] = defaultdict(list)
    for base, poly in half.cells:
        right = _placed(poly, view, Side.RIGHT)
        if base in midline:
            pieces[f"{MIDLINE}-{base}"].extend([right, _mirror(right, view.width)])
        else:
            pieces[f"right-{base}"].append(right)
    out: dict[str, list[Polygon]] = {}
    for rid, polys in pieces.items():
        merged = polygons(unary_union(polys).buffer(0))
        expected = 1 if (view.gap == 0 or not rid.startswith(MIDLINE)) else 2
        if len(merged) > expected:
            where = "; ".join(",".join(f"{v:.0f}" for v in m.bounds) for m in merged)
            raise KnowledgeBaseError(f"atlas: region '{rid}' falls apart in view {view.id}: pieces at {where}")
        out[rid] = merged
        if rid.startswith("right-"):
            out[f"left-{rid[len('right-') :]}"] = [_mirror(p, view.width) for p in merged]
    return out


def build_atlas(spec: dict[str, Any]) -> Atlas:
    """Turn a parsed specification into an :class:`Atlas` (pure; raises on bad specs)."""
    labels: dict[str, str] = dict(spec.get("labels") or {})
    midline = frozenset(spec.get("midline") or ())
    halves: dict[str, _Half] = {}
    views: dict[str, View] = {}
    cells: list[Cell] = []
    landmarks: list[Landmark] = []
    home: dict[str, tuple[float, str, Polygon]] = {}
    for view_id, vspec in spec["views"].items():
        half = _half(view_id, spec, halves)
        width, height = (float(v) for v in vspec["size"])
        view = View(
            view_id, str(vspec["title"]), width, height, str(vspec["placement"]), float(vspec.get("gap", 0)), ()
        )
        outline = unary_union([_placed(p, view, s) for s in Side for p in polygons(half.shape)])
        views[view_id] = View(**{**view.__dict__, "outline": tuple(tuple(_ring(p)) for p in polygons(outline))})
        for rid, polys in _view_cells(view, half, midline).items():
            for poly in polys:
                cells.extend(Cell(rid, view_id, tuple(_ring(q))) for q in _without_holes(poly))
                if rid not in home or poly.area > home[rid][0] + 1e-9:
                    home[rid] = (poly.area, view_id, poly)
        for side in Side:
            place = _placer(view, side)
            landmarks.extend(Landmark(view_id, place(pts), closed, filled) for pts, closed, filled in half.lines)
    regions: dict[str, Region] = {}
    bases: dict[str, str] = {}
    for rid in sorted(home):
        prefix, base = rid.split("-", 1)
        sided = None if prefix == MIDLINE else Side(prefix)
        _, view_id, poly = home[rid]
        regions[rid] = Region(rid, base, sided, view_id, _label(base, sided, labels), tuple(_ring(poly)))
        bases.setdefault(base, view_id)
    _check_names(labels, midline, spec.get("thorax") or (), bases)
    return Atlas(
        views=views,
        regions=regions,
        bases=bases,
        thorax=frozenset(spec.get("thorax") or ()),
        midline=midline,
        cells=tuple(cells),
        landmarks=tuple(landmarks),
        adjacency=touching(cells),
        version=int(spec.get("version", 2)),
    )


def _check_names(labels: dict[str, str], midline: frozenset[str], thorax: Any, bases: dict[str, str]) -> None:
    for what, names in (("labels", set(labels)), ("midline", set(midline)), ("thorax", set(thorax))):
        unknown = names - set(bases)
        if unknown:
            raise KnowledgeBaseError(f"atlas: {what} lists unknown regions: {sorted(unknown)}")


def load_spec() -> dict[str, Any]:
    """Merge ``filiform/data/atlas/*.yaml`` (views in file order, then lists and labels)."""
    folder = resources.files("filiform.data").joinpath("atlas")
    index = load_data(folder.joinpath("index.yaml"), "atlas/index.yaml")
    spec: dict[str, Any] = {"version": index["version"], "views": {}, "labels": {}, "midline": [], "thorax": []}
    for name in index["files"]:
        part = load_data(folder.joinpath(name), f"atlas/{name}")  # the one located loader (C parser)
        for key in ("views", "labels"):
            dup = set(spec[key]) & set(part.get(key) or {})
            if dup:
                raise KnowledgeBaseError(f"atlas {name}: {key} defined twice: {sorted(dup)}")
            spec[key].update(part.get(key) or {})
        for key in ("midline", "thorax"):
            spec[key].extend(part.get(key) or [])
    spec["views"] = {v: spec["views"][v] for v in index["order"]} | {
        k: v for k, v in spec["views"].items() if k not in index["order"]
    }
    return spec


@lru_cache(maxsize=1)
def load_atlas() -> Atlas:
    """The shipped atlas, built once per process and kept on disk keyed by the data's hash
    (:mod:`filiform.core.kb.cache`): the geometry takes seconds to build."""
    return cached("atlas", lambda: build_atlas(load_spec()), Atlas, root=shipped_root(), libraries=("shapely", "numpy"))
