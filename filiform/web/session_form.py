"""Turn the session form's flat fields into insertions and adverse events.

Rows are numbered fields (``ins-0-target``, ``ae-0-event_type``...) so the page works
without JavaScript for a fixed number of rows, and the script only clones rows. Blank rows
are skipped; problems are collected per row so the clinician fixes them all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filiform.core.concepts import Technique
from filiform.services.records.sessions import InsertionIn

MAX_ROWS = 30
ELECTRICAL_FIELDS = ("frequency_hz", "pulse_width_us", "intensity_ma", "duration_s")


def _num(
    form: Mapping[str, str],
    key: str,
    label: str,
    problems: list[str],
    *,
    integer: bool = False,
    default: float | None = None,
) -> float:
    raw = form.get(key, "").strip().replace(",", ".")
    if not raw:
        if default is not None:
            return default
        problems.append(f"{label} is required")
        return 0.0
    try:
        return float(int(raw)) if integer else float(raw)
    except ValueError:
        problems.append(f"{label}: '{raw}' is not a {'whole ' if integer else ''}number")
        return 0.0


def row_indexes(form: Mapping[str, str], prefix: str) -> list[int]:
    found = set()
    for key in form:
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit() and int(parts[1]) < MAX_ROWS:
            found.add(int(parts[1]))
    return sorted(found)


def insertions_from_form(form: Mapping[str, str]) -> tuple[list[InsertionIn], list[str]]:
    out: list[InsertionIn] = []
    problems: list[str] = []
    for i in row_indexes(form, "ins"):
        f = {k.split("-", 2)[2]: v for k, v in form.items() if k.startswith(f"ins-{i}-")}
        if not f.get("target", "").strip():
            continue
        n = len(out) + 1
        label = f"Needle {n}"
        technique = f.get("technique", Technique.TRIGGER_POINT.value)
        electrical = None
        if technique == Technique.ELECTRICAL.value:
            electrical = {
                name: _num(f, name, f"{label} {name.replace('_', ' ')}", problems) for name in ELECTRICAL_FIELDS
            }
        out.append(
            InsertionIn(
                target_id=f["target"].strip(),
                side=f.get("side", ""),
                technique=technique,
                needle_length_mm=_num(f, "length", f"{label} needle length", problems),
                needle_gauge_mm=_num(f, "gauge", f"{label} needle diameter", problems),
                depth_mm=_num(f, "depth", f"{label} depth", problems),
                twitch_responses=int(_num(f, "twitches", f"{label} twitches", problems, integer=True, default=0)),
                retention_s=int(_num(f, "retention", f"{label} retention", problems, integer=True, default=0)),
                electrical=electrical,
            )
        )
    return out, problems


def adverse_events_from_form(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """Filled adverse-event rows as keyword arguments for ``report_adverse_event``."""
    events = []
    for i in row_indexes(form, "ae"):
        f = {k.split("-", 2)[2]: v for k, v in form.items() if k.startswith(f"ae-{i}-")}
        if not f.get("event_type"):
            continue
        events.append(
            {
                "event_type": f["event_type"],
                "severity": f.get("severity", "minor"),
                "onset": f.get("onset", "during"),
                "action_taken": f.get("action_taken", "none"),
                "causality": f.get("causality", "possible"),
                "duration": f.get("duration") or None,
                "description": f.get("description") or None,
                "significant": f.get("significant") == "yes",
            }
        )
    return events
