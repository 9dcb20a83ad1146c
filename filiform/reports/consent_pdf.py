"""The signed e-consent as a PDF: the exact text shown, the typed name and drawn signature,
the clinic's contact details, the time (clinic clock) and the text version with its hash."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from filiform.core.portal.consent_text import ConsentDocument
from filiform.core.portal.signature import svg
from filiform.reports.pdf import _pdf


@dataclass(frozen=True)
class ClinicHead:
    name: str
    address: str | None
    phone: str | None
    email: str | None


def consent_pdf(
    doc: ConsentDocument,
    *,
    head: ClinicHead,
    typed_name: str,
    strokes: list[list[list[float]]],
    signed_at: str,
    labels: dict[str, str],
    lang: str,
) -> bytes:
    """PDF bytes; ``labels`` carries the translated headings (title, techniques, risks, ...)."""
    return _pdf(
        "consent.html",
        {
            "title": labels["title"],
            "doc": doc,
            "head": head,
            "typed_name": typed_name,
            "signature": Markup(svg(strokes, width=260)),
            "signed_at": signed_at,
            "labels": labels,
            "lang": lang,
        },
    )
