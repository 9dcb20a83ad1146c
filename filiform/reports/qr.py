"""A QR code for the front desk to show a patient their link (SVG, drawn by ``segno``)."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str, *, scale: int = 4) -> str:
    """An inline SVG (no XML prolog) of ``text`` with medium error correction."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, title="QR code")
    return buffer.getvalue().decode("utf-8")
