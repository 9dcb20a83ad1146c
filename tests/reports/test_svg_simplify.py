"""Dropping invisible vertices keeps every subpath, its ends, and the shape within tolerance."""

from __future__ import annotations

import itertools
import math
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.reports.pdf import chart_markup
from filiform.reports.svg_simplify import TOLERANCE, simplify_path, simplify_svg_paths

SEEDED = settings(max_examples=80, deadline=None, derandomize=True)
coordinate = st.integers(0, 12000).map(lambda v: v / 10)  # 0.1-unit steps, as the atlas writes them
polylines = st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=60)


def as_path(rings: list[list[tuple[float, float]]], closed: bool) -> str:
    return " ".join(
        f"M{r[0][0]},{r[0][1]} " + " ".join(f"L{x},{y}" for x, y in r[1:]) + (" Z" if closed else "") for r in rings
    )


def rings_of(d: str) -> list[list[tuple[float, float]]]:
    return [
        [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", part)]
        for part in re.split(r"(?=M)", d)
        if part.strip()
    ]


def segment_distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


@SEEDED
@given(st.lists(polylines, min_size=1, max_size=4), st.booleans())
def test_every_dropped_vertex_lies_within_tolerance_and_the_ends_stay(
    rings: list[list[tuple[float, float]]], closed: bool
) -> None:
    d = as_path(rings, closed)
    out = simplify_path(d)
    kept_rings = rings_of(out)
    assert len(kept_rings) == len(rings) and out.count("Z") == d.count("Z")
    for original, kept in zip(rings, kept_rings, strict=True):
        assert kept[0] == original[0] and kept[-1] == original[-1]
        assert len(kept) <= len(original)
        segments = list(itertools.pairwise(kept)) or [(kept[0], kept[0])]
        for p in original:
            assert min(segment_distance(p, a, b) for a, b in segments) <= TOLERANCE + 1e-9
    assert simplify_path(out) == out  # nothing more to drop


def test_collinear_vertices_go_and_corners_stay() -> None:
    assert simplify_path("M0,0 L1,0 L2,0 L2,1 L2,2 Z") == "M0,0 L2,0 L2,2 Z"
    assert simplify_path("M0,0 L1,0.1 L2,0") == "M0,0 L1,0.1 L2,0"  # 0.1 off the line: kept


def test_other_path_data_is_left_alone() -> None:
    for d in ("M1,1 C2,2 3,3 4,4", "m1,1 l2,2", "M1 1 L2 2", "L1,1"):
        assert simplify_path(d) == d
    svg = '<path d="M0,0 L1,0 L2,0"/><path d="M1 1 Q2 2 3 3"/>'
    assert simplify_svg_paths(svg) == '<path d="M0,0 L2,0"/><path d="M1 1 Q2 2 3 3"/>'


def test_the_body_chart_keeps_every_element_and_loses_about_half_its_vertices() -> None:
    svg = str(chart_markup([{"region": "right-upper-trapezius", "intensity": 7}]))
    simplified = simplify_svg_paths(svg)
    tags = re.compile(r"<(\w+)[^>]*?(?: d=\"[^\"]*\")?[^>]*>")
    assert [m.group(1) for m in tags.finditer(simplified)] == [m.group(1) for m in tags.finditer(svg)]
    assert re.findall(r'data-region="([^"]+)"', simplified) == re.findall(r'data-region="([^"]+)"', svg)
    before, after = len(re.findall(r"\d,\d", svg)), len(re.findall(r"\d,\d", simplified))
    assert after < 0.7 * before
