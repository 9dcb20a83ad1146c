"""Render a patient's scores on one instrument over time, with the MCID band.

What to draw (bands, lines, colours, labels, caption) is decided once
(``outcome_plot_model.plot_model``); two painters draw it: SVG is written directly
(``outcome_plot_svg``: a few milliseconds, no matplotlib, used by the web page) and PNG by
matplotlib's Agg canvas (``outcome_plot_png``, for files from the command line; imported only
then). A plot depends only on its inputs, so the last few are kept by content
(:func:`clear_plot_cache`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from filiform.core.outcomes import DatedScore, Instrument, get_instrument
from filiform.errors import ValidationFailed
from filiform.reports.outcome_plot_model import BETTER, LINE, NEUTRAL, WORSE, plot_model
from filiform.reports.outcome_plot_svg import draw_svg

__all__ = ["BETTER", "LINE", "NEUTRAL", "WORSE", "clear_plot_cache", "render_outcome_plot", "save_outcome_plot"]

Format = Literal["png", "svg"]

_CACHE: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 256
"""Plots kept in memory (an SVG is about 10 kB)."""


def clear_plot_cache() -> None:
    """Forget every kept plot (benchmarks and tests start cold with it)."""
    with _LOCK:
        _CACHE.clear()


def render_outcome_plot(
    instrument: Instrument | str,
    scores: Sequence[DatedScore],
    *,
    scale: str = "total",
    fmt: Format = "png",
    title: str | None = None,
    mcid: float | None = None,
) -> bytes:
    """PNG or SVG bytes of ``scores`` over time for one instrument and scale.

    Plots of a registered instrument (given by id) are kept by their content: the same
    scores give the same bytes without drawing again.
    """
    if fmt not in ("png", "svg"):
        raise ValidationFailed(f"plot format must be png or svg, not {fmt!r}")
    key: tuple[object, ...] | None = None
    if isinstance(instrument, str):
        key = (instrument, scale, fmt, title, mcid, tuple((p.when, p.value, p.source) for p in scores))
        with _LOCK:
            hit = _CACHE.get(key)
            if hit is not None:
                _CACHE.move_to_end(key)
                return hit
    inst = instrument if isinstance(instrument, Instrument) else get_instrument(instrument)
    model = plot_model(inst, scores, scale=scale, title=title, mcid=mcid)
    if fmt == "svg":
        data = draw_svg(model)
    else:
        from filiform.reports.outcome_plot_png import draw_png

        data = draw_png(model)
    if key is not None:
        with _LOCK:
            _CACHE[key] = data
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return data


def save_outcome_plot(
    path: str | Path,
    instrument: Instrument | str,
    scores: Sequence[DatedScore],
    *,
    scale: str = "total",
    title: str | None = None,
    mcid: float | None = None,
) -> Path:
    """Write the plot to ``path``; the suffix (.png or .svg) chooses the format."""
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg"):
        raise ValidationFailed(f"plot file must end in .png or .svg, not {target.name!r}")
    fmt: Format = "png" if suffix == "png" else "svg"
    data = render_outcome_plot(instrument, scores, scale=scale, fmt=fmt, title=title, mcid=mcid)
    target.write_bytes(data)
    return target
