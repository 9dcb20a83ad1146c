"""The session note keeps every part (header, needles, events, chart, HRV) with pictures as images."""

from __future__ import annotations

import io
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).parents[1] / "core" / "hrv"))

from hrv_synth import vasovagal_session

from filiform.core.atlas.build import load_atlas
from filiform.core.hrv import analyse_session
from filiform.reports.pdf import clear_pdf_cache, session_note_pdf, svg_image
from filiform.services.records.session_views import SessionRecord

FRONT_VIEW = next(iter(load_atlas().views.values())).title


def record(**more: Any) -> SessionRecord:
    """A session as its page reads it (``SessionRecord``): written out here, not computed."""
    insertion = {
        "target_id": "upper_trapezius",
        "side": "right",
        "technique": "deep_dry_needling",
        "needle_length_mm": 40,
        "needle_gauge_mm": 0.25,
        "depth_mm": 15,
        "twitch_responses": 2,
        "retention_s": 30,
    }
    fields: dict[str, Any] = {
        "session": {
            "id": 5,
            "started_at": datetime(2026, 1, 7, 10, 0, tzinfo=UTC),
            "clinician_id": 3,
            "pain_pre": 6,
            "pain_post": 3,
            "patient_response": "settled",
            "notes": "tolerated well",
            "override_justification": None,
            "version": 2,
            "insertions": [{**insertion, "seq": i} for i in (1, 2)],
        },
        "clinician": "Dr Wren",
        "clinician_id": 3,
        "zone": "Europe/Berlin",
        "letterhead": {"name": "Wren Physio", "address": "4 Elm Row, Bath", "phone": "+44 1225 000000", "email": None},
        "events": [
            {
                "id": 1,
                "occurred_on": date(2026, 1, 7),
                "event_type": "bruising",
                "severity": "minor",
                "action_taken": "none",
                "session_id": 5,
            }
        ],
        "drawing": {
            "id": 2,
            "drawn_on": date(2026, 1, 6),
            "regions": [{"region": "right-temple-middle", "intensity": 7}],
        },
        "drawing_basis": "recorded",
        "screening": {
            "id": 4,
            "screened_at": datetime(2026, 1, 6, 9, 0, tzinfo=UTC),
            "level": "caution",
            "per_technique": {"deep_dry_needling": "caution"},
            "blocking": (),
        },
        "consent": {"id": 1, "form_version": "dn-2026", "consented_on": date(2026, 1, 5), "withdrawn_on": None},
        "diagnosis": {
            "id": 7,
            "condition": "Neck pain",
            "icd10_codes": ["M54.2"],
            "opened_on": date(2026, 1, 5),
            "closed_on": None,
        },
        "plan": None,
        "ultrasound_guided": False,
        "overrides": [
            {
                "seq": 1,
                "rule_id": "depth_beyond_plan",
                "insertion_seq": 1,
                "problem": "Needle 1 deeper than planned",
                "reason": "Thick muscle layer, confirmed by palpation",
            }
        ],
        "legacy_override": None,
        "history": [
            {
                "id": 9,
                "kind": "amended",
                "at": datetime(2026, 1, 8, 9, 0, tzinfo=UTC),
                "by": "Dr Wren",
                "cosigned_by": None,
                "reason": "Typed 4 for 3",
                "changes": [{"field": "Pain after", "old": 4, "new": 3}],
            }
        ],
        "proposals": [],
    }
    return SessionRecord.model_validate({**fields, **more})


def bundle(with_hrv: bool = True, **more: Any) -> dict[str, Any]:
    return {
        "patient": {"family_name": "Quill", "given_name": "Ada", "mrn": "M-17", "birth_date": date(1980, 1, 1)},
        "record": record(**more),
        "hrv": analyse_session(vasovagal_session(2), "baseline=0-300,needling=300-900,rest=900-1200", n_boot=50)
        if with_hrv
        else None,
        "technique_names": {"deep_dry_needling": "Deep dry needling"},
        "target_names": {"upper_trapezius": "Upper trapezius"},
    }


def test_session_note_has_every_part_and_the_pictures_are_vector_images() -> None:
    reader = PdfReader(io.BytesIO(session_note_pdf(bundle())))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for expected in (
        "Dry needling session note",
        "Wren Physio",
        "4 Elm Row, Bath",
        "Quill, Ada (MRN M-17",
        "07 Jan 2026, 11:00 (Europe/Berlin)",  # the clinic's time, not UTC
        "Dr Wren",
        "Signature",
        "Neck pain (ICD-10-CM M54.2)",
        "caution",
        "Upper trapezius",
        "Thick muscle layer, confirmed by palpation",
        "AMENDED",
        "Typed 4 for 3",
        "before 6, after 3",
        "settled",
        "tolerated well",
        "Deep dry needling",
        "40 × 0.25 mm",
        "bruising",
        "Body chart",
        "Pain drawing of 06 Jan 2026",  # drawn inside the chart picture
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
    data = bundle(with_hrv=False, drawing=None)
    text = PdfReader(io.BytesIO(session_note_pdf(data))).pages[0].extract_text()
    assert "No pain drawing belongs to this session" in text and "Heart-rate variability" not in text


def test_svg_image_is_an_escaped_data_url() -> None:
    markup = str(svg_image('<svg xmlns="http://www.w3.org/2000/svg"/>', 'a "chart" <b>'))
    assert markup.startswith('<img src="data:image/svg+xml;base64,') and 'alt="a &quot;chart&quot; &lt;b&gt;"' in markup


def test_an_unchanged_note_is_served_from_memory_and_a_change_renders_again() -> None:
    clear_pdf_cache()
    data = bundle(with_hrv=False)
    first = session_note_pdf(data)
    assert session_note_pdf(data) is first
    amended = session_note_pdf(bundle(with_hrv=False, clinician="Dr Finch"))
    assert amended != first and "Dr Finch" in PdfReader(io.BytesIO(amended)).pages[0].extract_text()
    clear_pdf_cache()
    again = session_note_pdf(data)
    assert again is not first and again == first  # WeasyPrint writes no date: same HTML, same bytes
