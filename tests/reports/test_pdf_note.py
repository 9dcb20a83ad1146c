"""The session note keeps every part (header, needles, events, chart, HRV) with pictures as images."""

from __future__ import annotations

import io
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).parents[1] / "core" / "hrv"))

from hrv_synth import vasovagal_session

from filiform.core.atlas.build import load_atlas
from filiform.core.hrv import analyse_session
from filiform.reports.pdf import clear_pdf_cache, session_note_pdf, svg_image

FRONT_VIEW = next(iter(load_atlas().views.values())).title


def bundle(with_hrv: bool = True) -> dict[str, Any]:
    insertion = {
        "target_id": "upper_trapezius",
        "side": "right",
        "technique": "deep_dry_needling",
        "electrical": None,
        "needle_length_mm": 40,
        "needle_gauge_mm": 0.25,
        "depth_mm": 15,
        "twitch_responses": 2,
        "retention_s": 30,
    }
    return {
        "patient": {"family_name": "Quill", "given_name": "Ada", "mrn": "M-17", "birth_date": date(1980, 1, 1)},
        "session": {
            "id": 5,
            "started_at": datetime(2026, 1, 7, 10, 0),
            "pain_pre": 6,
            "pain_post": 3,
            "patient_response": "settled",
            "notes": "tolerated well",
            "override_justification": None,
            "insertions": [{**insertion, "seq": i} for i in (1, 2)],
        },
        "clinician": "Dr Wren",
        "events": [
            {"occurred_on": date(2026, 1, 7), "event_type": "bruising", "severity": "minor", "action_taken": "none"}
        ],
        "drawing": {"drawn_on": date(2026, 1, 6), "regions": [{"region": "right-upper-trapezius", "intensity": 7}]},
        "hrv": analyse_session(vasovagal_session(2), "baseline=0-300,needling=300-900,rest=900-1200", n_boot=50)
        if with_hrv
        else None,
        "hrv_error": None,
        "technique_names": {"deep_dry_needling": "Deep dry needling"},
    }


def test_session_note_has_every_part_and_the_pictures_are_vector_images() -> None:
    reader = PdfReader(io.BytesIO(session_note_pdf(bundle())))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for expected in (
        "Dry needling session note",
        "Quill, Ada (MRN M-17",
        "Dr Wren",
        "before 6, after 3",
        "settled",
        "tolerated well",
        "Deep dry needling",
        "40 × 0.25 mm",
        "bruising",
        "Body chart",
        "Pain drawing of 2026-01-06",  # drawn inside the chart picture
        FRONT_VIEW,  # the first view's title, drawn inside the chart
        "Heart-rate variability",
        "baseline (",
        "RR tachogram - artefacts corrected",  # inside the tachogram picture, as text
        "time from start of recording (s)",
        "watch for a vasovagal reaction",
        "Descriptive only.",
    ):
        assert expected in text, expected
    images = [name for page in reader.pages for name in page["/Resources"].get("/XObject", {})]
    assert images  # the pictures are drawn (as form objects), not dropped


def test_note_without_hrv_or_drawing_still_renders() -> None:
    data = {**bundle(with_hrv=False), "drawing": None}
    text = PdfReader(io.BytesIO(session_note_pdf(data))).pages[0].extract_text()
    assert "No pain drawing recorded" in text and "Heart-rate variability" not in text


def test_svg_image_is_an_escaped_data_url() -> None:
    markup = str(svg_image('<svg xmlns="http://www.w3.org/2000/svg"/>', 'a "chart" <b>'))
    assert markup.startswith('<img src="data:image/svg+xml;base64,') and 'alt="a &quot;chart&quot; &lt;b&gt;"' in markup


def test_an_unchanged_note_is_served_from_memory_and_a_change_renders_again() -> None:
    clear_pdf_cache()
    data = bundle(with_hrv=False)
    first = session_note_pdf(data)
    assert session_note_pdf(data) is first
    amended = session_note_pdf({**data, "clinician": "Dr Finch"})
    assert amended != first and "Dr Finch" in PdfReader(io.BytesIO(amended)).pages[0].extract_text()
    clear_pdf_cache()
    again = session_note_pdf(data)
    assert again is not first and again == first  # WeasyPrint writes no date: same HTML, same bytes
