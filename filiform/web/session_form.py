"""Turn the session form's flat fields into the one session type (``NeedlingSession``).

Rows are numbered fields (``ins-0-target``, ``circ-0-lead_a``, ``ae-0-event_type``...) so
the page works without JavaScript for a fixed number of rows, and the script only clones
rows. Blank rows are skipped. The form only reshapes text into the concept's fields; the
concept validates (reading numbers from text: ``lax``), and its problems are shown with
the form's own words ("Needle 2 depth mm: ...") so the clinician fixes them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from filiform.core.concepts import AdverseEventDetails, NeedlingSession
from filiform.core.concepts.values import filled
from filiform.errors import ValidationFailed

MAX_ROWS = 30
# form field -> Insertion field
NEEDLE_FIELDS = {
    "target": "target_id",
    "side": "side",
    "technique": "technique",
    "length": "needle_length_mm",
    "gauge": "needle_gauge_mm",
    "depth": "depth_mm",
    "twitches": "twitch_responses",
    "retention": "retention_s",
}
CIRCUIT_FIELDS = ("lead_a", "lead_b", "frequency_hz", "pulse_width_us", "intensity_ma", "duration_s")
SESSION_FIELDS = ("started_at", "pain_pre", "pain_post", "patient_response", "notes", "episode_id")
AE_FIELDS = ("event_type", "severity", "onset", "action_taken", "causality", "duration", "description")
LABELS = {"started_at": "Start time", "pain_pre": "Pain before", "pain_post": "Pain after", "episode_id": "Episode"}
_ROW = re.compile(r"^(insertions|circuits) (\d+) ?([^:]*):")  # field_words: row numbers from 1


def row_indexes(form: Mapping[str, str], prefix: str) -> list[int]:
    found = set()
    for key in form:
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit() and int(parts[1]) < MAX_ROWS:
            found.add(int(parts[1]))
    return sorted(found)


def rows(form: Mapping[str, str], prefix: str) -> list[dict[str, str]]:
    """Each numbered row's fields, by the name after the row number."""
    return [
        {k.split("-", 2)[2]: v for k, v in form.items() if k.startswith(f"{prefix}-{i}-")}
        for i in row_indexes(form, prefix)
    ]


def _needle(row: dict[str, str]) -> dict[str, Any]:
    return filled({NEEDLE_FIELDS[k]: v for k, v in row.items() if k in NEEDLE_FIELDS})


def _relabel(detail: str) -> str:
    """``insertions 2 depth mm: ...`` -> ``Needle 2 depth mm: ...`` (the form's words)."""
    found = _ROW.match(detail)
    if found:
        kind = "Needle" if found.group(1) == "insertions" else "Circuit"
        field = found.group(3).strip()
        return f"{kind} {found.group(2)}{' ' + field if field else ''}:{detail[found.end() :]}"
    name, sep, rest = detail.partition(":")
    return f"{LABELS.get(name, name.replace('_', ' '))}{sep}{rest}"


def session_from_form(form: Mapping[str, str]) -> NeedlingSession:
    """The documented session, or ValidationFailed listing every problem in the form's words."""
    data: dict[str, Any] = filled({k: form.get(k, "") for k in SESSION_FIELDS})
    data |= filled({"override_justification": form.get("override_justification", "")})
    data["insertions"] = [_needle(r) for r in rows(form, "ins") if r.get("target", "").strip()]
    data["circuits"] = [
        filled({k: r.get(k, "") for k in CIRCUIT_FIELDS})
        for r in rows(form, "circ")
        if any(r.get(k, "").strip() for k in CIRCUIT_FIELDS)
    ]
    if not data["insertions"]:
        raise ValidationFailed("invalid session", details=["Needles: record at least one needle"])
    try:
        return NeedlingSession.parse(data, lax=True)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, details=[_relabel(d) for d in exc.details]) from None


def adverse_events_from_form(form: Mapping[str, str], session_id: int, on: date) -> list[AdverseEventDetails]:
    """Filled adverse-event rows, validated as every adverse event report is."""
    events = []
    for n, row in enumerate(rows(form, "ae"), 1):
        if not row.get("event_type"):
            continue
        data = filled({k: row.get(k, "") for k in AE_FIELDS})
        data |= {"session_id": session_id, "occurred_on": on, "significant": row.get("significant") == "yes"}
        try:
            events.append(AdverseEventDetails.parse(data, lax=True))
        except ValidationFailed as exc:
            raise ValidationFailed(f"Adverse event {n}: {exc.message}", details=exc.details) from None
    return events
