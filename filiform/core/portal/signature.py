"""A drawn signature: strokes of points on a fixed pad, checked and drawn as SVG.

Stored as the strokes themselves (not a picture) so the record is small, exact and can be
drawn again at any size in the consent PDF.  A dot or a stray tap is not a signature.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from filiform.errors import ValidationFailed

PAD_WIDTH = 600
PAD_HEIGHT = 200
MAX_STROKES = 100
MAX_POINTS = 4000
MIN_INK = 60.0  # total stroke length in pad units


def check_strokes(raw: object) -> list[list[list[float]]]:
    """Strokes as ``[[[x, y], ...], ...]`` inside the pad, with enough ink to be a signature."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_STROKES:
        raise ValidationFailed("signature: draw your signature in the box")
    strokes: list[list[list[float]]] = []
    points = 0
    for stroke in raw:
        if not isinstance(stroke, list) or not stroke:
            raise ValidationFailed("signature: the drawing could not be read")
        clean: list[list[float]] = []
        for point in stroke:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in point)
            ):
                raise ValidationFailed("signature: the drawing could not be read")
            x, y = float(point[0]), float(point[1])
            if not (0 <= x <= PAD_WIDTH and 0 <= y <= PAD_HEIGHT):
                raise ValidationFailed("signature: the drawing goes outside the box")
            clean.append([round(x, 1), round(y, 1)])
        points += len(clean)
        strokes.append(clean)
    if points > MAX_POINTS:
        raise ValidationFailed("signature: the drawing is too large")
    if ink(strokes) < MIN_INK:
        raise ValidationFailed("signature: draw your signature in the box (a dot is not enough)")
    return strokes


def ink(strokes: Sequence[Sequence[Sequence[float]]]) -> float:
    """Total drawn length."""
    return sum(math.dist(a, b) for stroke in strokes for a, b in itertools.pairwise(stroke))


def svg(strokes: Sequence[Sequence[Sequence[float]]], *, width: int = 300) -> str:
    """The signature as a small standalone SVG (black ink on nothing)."""
    height = round(width * PAD_HEIGHT / PAD_WIDTH)
    paths = []
    for stroke in strokes:
        if len(stroke) == 1:
            x, y = stroke[0]
            paths.append(f'<circle cx="{x:g}" cy="{y:g}" r="2"/>')
            continue
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:g},{y:g}" for i, (x, y) in enumerate(stroke))
        paths.append(f'<path d="{d}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {PAD_WIDTH} {PAD_HEIGHT}" role="img" aria-label="signature">'
        f'<g fill="none" stroke="#111" stroke-width="3" stroke-linecap="round" stroke-linejoin="round">'
        f"{''.join(paths)}</g></svg>"
    )
