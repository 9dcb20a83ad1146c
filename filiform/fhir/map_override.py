"""A session's safety overrides (one per problem set aside at saving, with its written reason)
as sub-extensions of the session Procedure's ``dry-needling-session`` extension, and back.

Why here and not in ``map_session``: the reasons are part of what the note prints, so an
export that dropped them would lose the clinician's written justification on import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from filiform.fhir.common import sub

Row = Mapping[Any, Any]


def override_extensions(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """One complex ``override`` extension per stored override, in ``seq`` order."""
    out = []
    for r in rows:
        parts: list[dict[str, Any]] = [
            {"url": "id", "valueInteger": r["id"]},
            {"url": "seq", "valueInteger": r["seq"]},
            {"url": "rule", "valueString": r["rule_id"]},
        ]
        if r["insertion_seq"] is not None:
            parts.append({"url": "needle", "valueInteger": r["insertion_seq"]})
        parts += [{"url": "problem", "valueString": r["problem"]}, {"url": "reason", "valueString": r["reason"]}]
        out.append({"url": "override", "extension": parts})
    return out


def override_rows(basis: Mapping[str, Any] | None, session_id: int | None) -> list[dict[str, Any]]:
    """The ``session_override`` rows a session's extension carries (none on older exports)."""
    return [
        {
            "id": sub(item, "id"),
            "session_id": session_id,
            "seq": sub(item, "seq"),
            "rule_id": sub(item, "rule"),
            "insertion_seq": sub(item, "needle"),
            "problem": sub(item, "problem"),
            "reason": sub(item, "reason"),
        }
        for item in (basis or {}).get("extension", ())
        if item.get("url") == "override"
    ]
