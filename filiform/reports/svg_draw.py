"""A few SVG drawing primitives for the plots on the request path (no matplotlib).

Matplotlib takes most of a second to import and about 100 ms to lay out a small chart, and
its SVG draws every letter as a path; the web page and the PDF only need lines, rectangles,
dots and text. Coordinates are points (1/72 in), as matplotlib's SVG uses, so a figure of
8 x 4.8 in is ``viewBox="0 0 576 345.6"``. Text stays text (selectable, read by screen
readers) in DejaVu Sans, the font matplotlib draws with, falling back to any sans-serif.
Everything here is string building: no I/O, no global state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

FONT = "DejaVu Sans, Bitstream Vera Sans, Verdana, Arial, sans-serif"
_ASCII_EM = (
    "0.318 0.401 0.46 0.838 0.636 0.95 0.78 0.275 0.39 0.39 0.5 0.838 0.318 0.361 0.318 0.337 0.636 0.636 "
    "0.636 0.636 0.636 0.636 0.636 0.636 0.636 0.636 0.337 0.337 0.838 0.838 0.838 0.531 1.0 0.684 0.686 "
    "0.698 0.77 0.632 0.575 0.775 0.752 0.295 0.295 0.656 0.557 0.863 0.748 0.787 0.603 0.787 0.695 0.635 "
    "0.611 0.732 0.684 0.989 0.685 0.611 0.685 0.39 0.337 0.39 0.838 0.5 0.5 0.613 0.635 0.55 0.635 0.615 "
    "0.352 0.635 0.634 0.278 0.278 0.579 0.278 0.974 0.634 0.612 0.635 0.635 0.411 0.521 0.392 0.634 0.592 "
    "0.818 0.592 0.592 0.525 0.636 0.337 0.636 0.838"
)
ADVANCE_EM = {chr(32 + i): float(w) for i, w in enumerate(_ASCII_EM.split())}
"""DejaVu Sans advance widths (em) of printable ASCII, read from the font's metrics; other
characters count as 0.7 em (maths signs and arrows are 0.838, dashes 0.5)."""


def num(x: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(attrs: dict[str, object]) -> str:
    out = []
    for key, value in attrs.items():
        if value is None:
            continue
        shown = num(value) if isinstance(value, float) else str(value)
        out.append(f' {key.rstrip("_").replace("_", "-")}="{escape(shown)}"')
    return "".join(out)


def text_width(text: str, size: float) -> float:
    """Width in points of ``text`` set in DejaVu Sans at ``size`` points (no kerning)."""
    return size * sum(ADVANCE_EM.get(ch, 0.7) for ch in text)


def wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of at most ``width`` points, breaking between words (as matplotlib's ``wrap=True``)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size) > width:
                out.append(line)
                line = word
            else:
                line = candidate
        out.append(line)
    return out


@dataclass
class Svg:
    """An SVG document built element by element, in drawing order."""

    width: float
    height: float
    title: str = ""
    parts: list[str] = field(default_factory=list)

    def add(self, tag: str, content: str | None = None, /, **attrs: object) -> None:
        """One element; ``content`` is escaped text. Attribute names use ``_`` for ``-``."""
        if content is None:
            self.parts.append(f"<{tag}{_attrs(attrs)}/>")
        else:
            self.parts.append(f"<{tag}{_attrs(attrs)}>{escape(content, quote=False)}</{tag}>")

    def rect(self, x0: float, y0: float, x1: float, y1: float, **attrs: object) -> None:
        """A rectangle between two corners given in any order."""
        x, y = min(x0, x1), min(y0, y1)
        self.add("rect", x=float(x), y=float(y), width=float(abs(x1 - x0)), height=float(abs(y1 - y0)), **attrs)

    def line(self, x0: float, y0: float, x1: float, y1: float, **attrs: object) -> None:
        self.add("line", x1=float(x0), y1=float(y0), x2=float(x1), y2=float(y1), **attrs)

    def polyline(self, points: Iterable[tuple[float, float]], **attrs: object) -> None:
        """An open line through ``points`` as one path."""
        d = "".join(f"{'L' if i else 'M'}{num(x)} {num(y)}" for i, (x, y) in enumerate(points))
        if d:
            self.add("path", d=d, fill="none", **attrs)

    def dots(self, points: Iterable[tuple[float, float]], diameter: float, colour: str) -> None:
        """Many round dots as one path of zero-length strokes with round caps (small and fast)."""
        d = "".join(f"M{num(x)} {num(y)}h0" for x, y in points)
        if d:
            self.add("path", d=d, fill="none", stroke=colour, stroke_width=float(diameter), stroke_linecap="round")

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float = 10.0,
        anchor: str = "start",
        valign: str = "baseline",
        rotate: float = 0.0,
        colour: str = "#000000",
        weight: str | None = None,
    ) -> None:
        """Text anchored at ``x`` (start, middle, end) with its top, centre or baseline at ``y``.

        The vertical offset is computed here (DejaVu Sans cap height is about 0.73 em) rather
        than with ``dominant-baseline``, which not every SVG renderer honours.
        """
        shift = {"top": 0.76 * size, "center": 0.36 * size, "bottom": -0.24 * size}.get(valign, 0.0)
        transform = None
        if rotate:  # draw in a frame turned about the anchor, so the offset turns with the text
            transform = f"translate({num(x)} {num(y)}) rotate({num(rotate)})"
            x, y = 0.0, 0.0
        self.add(
            "text",
            content,
            x=float(x),
            y=float(y + shift),
            font_size=float(size),
            text_anchor=None if anchor == "start" else anchor,
            fill=colour,
            font_weight=weight,
            transform=transform,
        )

    def render(self, *, prolog: bool = True) -> str:
        head = '<?xml version="1.0" encoding="utf-8"?>\n' if prolog else ""
        title = f"<title>{escape(self.title, quote=False)}</title>" if self.title else ""
        return (
            f'{head}<svg xmlns="http://www.w3.org/2000/svg" width="{num(self.width)}pt" '
            f'height="{num(self.height)}pt" viewBox="0 0 {num(self.width)} {num(self.height)}" '
            f'font-family="{FONT}" role="img">{title}'
            f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(self.parts)}</svg>\n'
        )


@dataclass(frozen=True)
class Scale:
    """Linear map from a data interval onto a pixel interval (which may run backwards)."""

    lo: float
    hi: float
    px_lo: float
    px_hi: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo or 1.0
        return self.px_lo + (value - self.lo) / span * (self.px_hi - self.px_lo)


def nice_ticks(lo: float, hi: float, most: int = 8) -> list[float]:
    """Round tick values inside ``[lo, hi]``: steps of 1, 2, 2.5, 5 or 10 x 10^k, at most ``most``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, most - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)
    first = math.ceil(lo / step - 1e-9) * step
    count = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + i * step, 10) + 0.0 for i in range(count)]


def tick_label(value: float) -> str:
    """A tick value as matplotlib prints it: no trailing ``.0``, a real minus sign."""
    text = f"{value:g}" if abs(value) < 1e6 else f"{value:.3g}"
    return text.replace("-", "\u2212")


def draw_sample(svg: Svg, x: float, cy: float, style: dict[str, object], *, length: float = 16.0) -> None:
    """A legend sample ``length`` points wide, centred on ``cy``.

    ``style`` is ``{"kind": "patch" | "line" | "dot" | "ring", "colour": ...}`` with ``opacity``
    for a patch, ``width`` and ``dash`` for a line and ``width`` (diameter) for a dot.
    """
    colour = str(style.get("colour", "#000000"))
    kind = style.get("kind")
    if kind == "patch":
        svg.rect(
            x,
            cy - 0.35 * length / 2,
            x + length,
            cy + 0.35 * length / 2,
            fill=colour,
            fill_opacity=style.get("opacity"),
        )
    elif kind == "dot":
        svg.dots([(x + length / 2, cy)], float(str(style.get("width", 2.5))), colour)
    elif kind == "ring":
        svg.add("circle", cx=x + length / 2, cy=cy, r=3.0, fill="none", stroke=colour, stroke_width=1.0)
    else:
        svg.line(
            x,
            cy,
            x + length,
            cy,
            stroke=colour,
            stroke_width=style.get("width", 1.0),
            stroke_dasharray=style.get("dash"),
        )
