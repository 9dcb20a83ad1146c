"""Turn the session form's flat fields into the one session type (``NeedlingSession``).

The form is one card per needle (``ins-0-target``, ``ins-0-side``...; a needle on a lead
pair names its pair in ``ins-0-pair``) and one card of settings per lead pair
(``circ-1-frequency_hz``...). Cards are numbered fields so the page works without
JavaScript; the script adds, removes and reorders cards and renumbers them. Blank cards
are skipped. The form only reshapes text into the concept's fields: the start time, typed
on the clinic's clock, becomes a UTC instant; the four note boxes (SOAP) become one note;
needles that share a pair number become one lead pair. The concept validates (numbers
from text: ``lax``), and its problems are shown in the form's words ("Needle 2 depth mm:
...") so the clinician fixes them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from filiform.core.concepts import AdverseEventDetails, NeedlingSession
from filiform.core.concepts.clock import to_utc
from filiform.core.concepts.session import MIN_OVERRIDE_REASON
from filiform.core.concepts.values import filled
from filiform.errors import ValidationFailed

MAX_ROWS = 30
MAX_PAIRS = 8
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
CIRCUIT_SETTINGS = ("frequency_hz", "pulse_width_us", "intensity_ma", "duration_s")
SOAP = (("soap_s", "S"), ("soap_o", "O"), ("soap_a", "A"), ("soap_p", "P"))
SESSION_FIELDS = ("pain_pre", "pain_post", "patient_response", "episode_id")
AE_FIELDS = ("event_type", "severity", "onset", "action_taken", "causality", "duration", "description")
LABELS = {"started_at": "Start time", "pain_pre": "Pain before", "pain_post": "Pain after", "episode_id": "Episode"}
REASON_PREFIX = "reason::"
_ROW = re.compile(r"^(insertions|circuits|override_reasons) (\d+) ?([^:]*):")  # field_words: rows from 1


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


def needle_cards(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The filled needle cards, in order (a card without a target is an unused blank)."""
    return [r for r in rows(form, "ins") if r.get("target", "").strip()]


def _relabel(detail: str, pairs: list[int]) -> str:
    """``insertions 2 depth mm: ...`` -> ``Needle 2 depth mm: ...`` (the form's words)."""
    found = _ROW.match(detail)
    if found:
        number, field = int(found.group(2)), found.group(3).strip()
        if found.group(1) == "insertions":
            head = f"Needle {number}"
        elif found.group(1) == "circuits":
            head = f"Lead pair {pairs[number - 1] if 0 < number <= len(pairs) else number}"
        else:
            head = "Reason"
        return f"{head}{' ' + field if field else ''}:{detail[found.end() :]}"
    name, sep, rest = detail.partition(":")
    return f"{LABELS.get(name, name.replace('_', ' '))}{sep}{rest}"


def local_start(text: str, zone: str) -> str:
    """The start typed on the clinic's clock (``YYYY-MM-DDTHH:MM``) as an ISO UTC instant."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("invalid session", details=["Start time: enter the date and the time"]) from None
    return to_utc(when.replace(tzinfo=None, second=0, microsecond=0), zone).isoformat()


def soap_note(form: Mapping[str, str]) -> str:
    """The four note boxes as one note, each part under its letter (empty parts left out)."""
    parts = [f"{letter}: {form.get(name, '').strip()}" for name, letter in SOAP if form.get(name, "").strip()]
    return "\n".join(parts)


def soap_parts(note: str | None) -> dict[str, str]:
    """A stored note back into its boxes (a note not written in parts goes to S)."""
    out = {name: "" for name, _ in SOAP}
    current = "soap_s"
    letters = {letter: name for name, letter in SOAP}
    for line in (note or "").splitlines():
        head = re.match(r"^([SOAP]): ?(.*)$", line)
        if head:
            current = letters[head.group(1)]
            line = head.group(2)
        out[current] = f"{out[current]}\n{line}" if out[current] else line
    return out


def _pairs(cards: list[dict[str, str]], form: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[int], list[str]]:
    """Lead pairs from the needles' pair numbers: each pair joins exactly two needles."""
    members: dict[int, list[int]] = {}
    problems: list[str] = []
    for n, card in enumerate(cards, 1):
        text = card.get("pair", "").strip()
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= MAX_PAIRS:
            problems.append(f"Needle {n} lead pair: choose a pair from 1 to {MAX_PAIRS}")
            continue
        members.setdefault(int(text), []).append(n)
    circuits, numbers = [], []
    for pair, needles in sorted(members.items()):
        if len(needles) != 2:
            problems.append(f"Lead pair {pair}: a pair joins two needles; needles {needles} chose it")
            continue
        settings = filled({k: form.get(f"circ-{pair}-{k}", "") for k in CIRCUIT_SETTINGS})
        circuits.append({"lead_a": needles[0], "lead_b": needles[1], **settings})
        numbers.append(pair)
    return circuits, numbers, problems


def override_reasons(form: Mapping[str, str]) -> list[dict[str, str]]:
    """Reasons typed for the problems of a refused save (a short one counts as not given,
    so the problem is shown again with its box and the length it needs)."""
    return [
        {"problem": key.removeprefix(REASON_PREFIX), "reason": value.strip()}
        for key, value in form.items()
        if key.startswith(REASON_PREFIX) and len(value.strip()) >= MIN_OVERRIDE_REASON
    ]


def plan_reference(form: Mapping[str, str], findings: list[str]) -> dict[str, Any] | None:
    condition = form.get("plan_condition", "").strip()
    if not condition:
        return None
    ref: dict[str, Any] = {"condition": condition, "findings": findings}
    ref |= filled({"side": form.get("plan_side", ""), "drawing_id": form.get("plan_drawing", "")})
    return ref


def session_from_form(form: Mapping[str, str], zone: str, findings: list[str] | None = None) -> NeedlingSession:
    """The documented session, or ValidationFailed listing every problem in the form's words."""
    data: dict[str, Any] = filled({k: form.get(k, "") for k in SESSION_FIELDS})
    data["started_at"] = local_start(form.get("started_at", ""), zone)
    data |= filled({"notes": soap_note(form), "form_key": form.get("form_key", "")})
    data["ultrasound_guided"] = form.get("ultrasound_guided") == "yes"
    cards = needle_cards(form)
    data["insertions"] = [filled({NEEDLE_FIELDS[k]: v for k, v in c.items() if k in NEEDLE_FIELDS}) for c in cards]
    data["circuits"], numbers, problems = _pairs(cards, form)
    data["override_reasons"] = override_reasons(form)
    plan = plan_reference(form, findings or [])
    if plan is not None:
        data["plan"] = plan
    if not cards:
        problems.append("Needles: record at least one needle (choose its muscle)")
    if problems:
        raise ValidationFailed("invalid session", details=problems)
    try:
        return NeedlingSession.parse(data, lax=True)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, details=[_relabel(d, numbers) for d in exc.details]) from None


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
