"""PDF session notes and patient handouts, rendered from HTML by WeasyPrint.

Three WeasyPrint habits shape this module. Page CSS does not reach inside an SVG, so the body
chart carries ``fill=`` attributes (``render_svg`` does this) and the tachogram its own
styles. The pictures go in as ``<img>`` data URLs, not inline ``<svg>``: inline, every one of
their thousands of elements passes through the HTML parser and the page's style cascade before
WeasyPrint hands them to its SVG renderer anyway (about 0.4 s for the chart alone). And HTML
attributes count only with ``presentational_hints=True``. Fonts are loaded once per process
(one shared ``FontConfiguration``, used by one render at a time; a new one per document cost
about 50 ms); the chart's vertices that no printer could show are dropped first
(``svg_simplify``: about half of them). A document whose HTML has not changed is served from
memory (:func:`clear_pdf_cache`).

Handouts arrive as Markdown from planning; the small subset they use (headings, paragraphs,
lists, bold, italics) is converted here rather than adding a Markdown dependency.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import OrderedDict
from datetime import date
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.svg import render_svg, sheets_with
from filiform.core.concepts.clock import show
from filiform.core.hrv.session import SessionAnalysis
from filiform.reports.hrv_plot import tachogram_svg
from filiform.reports.svg_simplify import simplify_svg_paths

TEMPLATES = Path(__file__).with_name("templates")
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))

# Pain intensity 1-10 as fills: pale yellow to deep red, each distinct on screen and paper.
INTENSITY_COLOURS = (
    "#f4efe9",
    "#fff3b0",
    "#ffe08a",
    "#ffc966",
    "#ffad4d",
    "#ff8f3d",
    "#f86f34",
    "#e8512e",
    "#d1352a",
    "#b31f24",
    "#8c0f1d",
)
HRV_METRICS = ("hr", "rmssd", "sdnn", "pnn50", "lf", "hf")


def intensity_colour(intensity: int) -> str:
    return INTENSITY_COLOURS[max(0, min(10, int(intensity)))]


def chart_markup(regions: list[dict[str, Any]] | None, title: str = "Pain drawing") -> Markup:
    """The atlas SVG with painted regions filled by intensity (attributes, not page CSS)."""
    fills = {r["region"]: intensity_colour(r["intensity"]) for r in regions or []}
    atlas = load_atlas()
    svg = render_svg(atlas, fills=fills, title=title, sheets=sheets_with(atlas, fills))
    # WeasyPrint misreads the ``font`` shorthand in the SVG's own <style>: spell it out.
    svg = re.sub(r"font:(\d+) (\d+)px sans-serif", r"font-weight:\1;font-size:\2px;font-family:sans-serif", svg)
    return Markup(svg)


def _strip_prolog(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def tachogram_markup(analysis: SessionAnalysis) -> Markup:
    """The tachogram as inline SVG (for the web page; without its XML prolog)."""
    return Markup(_strip_prolog(tachogram_svg(analysis)))


def svg_image(svg: str, alt: str) -> Markup:
    """An SVG as an ``<img>`` with a data URL: WeasyPrint's SVG renderer, no HTML cascade."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(f'<img src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}">')


def hrv_rows(analysis: SessionAnalysis) -> list[dict[str, Any]]:
    """Per phase: beats, seconds covered and the headline metrics (None = withheld, with reason)."""
    rows = []
    for phase in analysis.phases:
        values: dict[str, Any] = {m.name: m for m in phase.metrics}
        cells = []
        for name in HRV_METRICS:
            m = values.get(name)
            if m is None:
                continue
            shown = f"{m.value:.3g} {m.unit}".strip() if m.value is not None else "–"
            cells.append({"name": name, "value": shown, "reason": m.reason})
        rows.append(
            {"phase": phase.phase.name, "beats": phase.n_beats, "covered_s": round(phase.covered_s), "cells": cells}
        )
    return rows


_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])"), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"<em>\1</em>"),
]


def _inline(text: str) -> str:
    out = escape(text, quote=False)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


class _Markdown:
    """Collects blocks line by line; an open paragraph, list and list item are buffered."""

    def __init__(self) -> None:
        self.html: list[str] = []
        self.para: list[str] = []
        self.item: list[str] = []
        self.list_tag: str | None = None

    def close_para(self) -> None:
        if self.para:
            self.html.append(f"<p>{_inline(' '.join(self.para))}</p>")
            self.para.clear()

    def close_item(self) -> None:
        if self.item:
            self.html.append(f"<li>{_inline(' '.join(self.item))}</li>")
            self.item.clear()

    def close_list(self) -> None:
        self.close_item()
        if self.list_tag:
            self.html.append(f"</{self.list_tag}>")
            self.list_tag = None

    def open_item(self, tag: str, text: str) -> None:
        self.close_para()
        if self.list_tag != tag:
            self.close_list()
            self.html.append(f"<{tag}>")
            self.list_tag = tag
        self.close_item()
        self.item.append(text)

    def line(self, raw: str) -> None:
        line = raw.strip()
        heading = re.match(r"^(#{1,4})\s+(.*)$", line)
        marker = re.match(r"^(?:([-*+])|\d+[.)])\s+(.*)$", line)
        if not line or heading:
            self.close_para()
            self.close_list()
            if heading:
                level = len(heading.group(1))
                self.html.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif marker:
            self.open_item("ul" if marker.group(1) else "ol", marker.group(2))
        elif self.list_tag and raw[:1].isspace():
            self.item.append(line)  # continuation of the current list item
        else:
            self.close_list()
            self.para.append(line)


def markdown_to_html(markdown: str) -> str:
    """Headings, paragraphs, bullet and numbered lists (indented lines continue an item),
    bold and italics; everything else is escaped text."""
    doc = _Markdown()
    for raw in markdown.splitlines():
        doc.line(raw)
    doc.close_para()
    doc.close_list()
    return "\n".join(doc.html)


_FONTS_LOCK = threading.Lock()


@cache
def _fonts() -> FontConfiguration:
    """One font configuration per process, so fonts are found and loaded once."""
    return FontConfiguration()


PDF_CACHE_SIZE = 32
"""Documents kept in memory by a hash of their HTML (a session note is 50-500 kB)."""
_PDF_CACHE: OrderedDict[str, bytes] = OrderedDict()


def clear_pdf_cache() -> None:
    """Forget every kept document (benchmarks and tests start cold with it)."""
    with _FONTS_LOCK:
        _PDF_CACHE.clear()


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render ``template`` to PDF bytes.

    The HTML (pictures included, as data URLs) fully determines the PDF, and WeasyPrint writes
    no date into it, so a document whose HTML did not change is served from memory: the same
    note downloaded again costs a template render and a hash, not a layout.
    """
    html = _env.get_template(template).render(**context)
    key = hashlib.sha256(html.encode("utf-8")).hexdigest()
    with _FONTS_LOCK:  # the shared font configuration is not meant for two renders at once
        hit = _PDF_CACHE.get(key)
        if hit is not None:
            _PDF_CACHE.move_to_end(key)
            return hit
        data = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(font_config=_fonts(), presentational_hints=True)
        assert data is not None
        _PDF_CACHE[key] = bytes(data)
        while len(_PDF_CACHE) > PDF_CACHE_SIZE:
            _PDF_CACHE.popitem(last=False)
        return _PDF_CACHE[key]


def _clinic_time(moment: Any, zone: str, fmt: str = "%d %b %Y, %H:%M") -> str:
    return show(moment, zone, fmt)


_env.filters["clinic_time"] = _clinic_time


def session_note_pdf(bundle: dict[str, Any]) -> bytes:
    """The session note a clinic can file: letterhead, patient, date in the clinic's zone,
    clinician and signature line, diagnosis, the screening decision, needles with their
    planned range and safe cap, safety overrides with their reasons, adverse events, the
    session's own drawing, heart-rate analysis, and the void mark and amendment history.

    ``bundle`` is what the session page shows (``filiform.web.session_page.bundle``):
    ``patient``, ``record`` (a ``SessionRecord``), ``hrv`` (the stored analysis or None),
    ``technique_names`` and ``target_names``.
    """
    record = bundle["record"]
    analysis = bundle.get("hrv")
    drawing = record.drawing
    title = f"Pain drawing of {drawing.drawn_on:%d %b %Y}" if drawing else "Pain drawing"
    regions = [r.model_dump() for r in drawing.regions] if drawing else None
    chart = chart_markup(regions, title=title)
    context = {
        **bundle,
        "session": record.session,
        "chart": svg_image(simplify_svg_paths(str(chart)), title) if drawing else None,
        "tachogram": svg_image(tachogram_svg(analysis), "RR tachogram") if analysis is not None else None,
        "hrv_rows": hrv_rows(analysis) if analysis is not None else [],
    }
    return _pdf("session_note.html", context)


def handout_pdf(
    markdown: str,
    *,
    title: str,
    patient_name: str,
    clinic: str = "",
    on: date | None = None,
    clinician: str = "",
) -> bytes:
    """A patient handout from planning's Markdown (which carries the clinic's phone when
    planning was given it), headed with the clinic, the date and the clinician."""
    return _pdf(
        "handout.html",
        {
            "title": title,
            "patient_name": patient_name,
            "clinic": clinic,
            "on": on,
            "clinician": clinician,
            "body": Markup(markdown_to_html(markdown)),
        },
    )
