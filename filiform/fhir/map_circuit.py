"""Electrical circuits: one Procedure per lead pair, part of the session, naming its two needles.

A circuit's settings are UCUM quantities (Hz, us, mA, s). A circuit migrated from the
per-needle settings of older records names one needle and keeps the original settings
text (``migratedFrom``); nothing else is invented for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filiform.fhir.codes import CS_PROCEDURE, SD, UCUM
from filiform.fhir.common import concept, dt, ext, meta, ref, ref_id, sub

Row = Mapping[Any, Any]
EXT_CIRCUIT = SD + "electrical-circuit"
CIRCUIT_UNITS = {
    "frequency_hz": ("frequency", "Hz"),
    "pulse_width_us": ("pulseWidth", "us"),
    "intensity_ma": ("intensity", "mA"),
    "duration_s": ("duration", "s"),
}


def to_circuit(circuit: Row, session: Row) -> dict[str, Any]:
    """One lead pair: a Procedure part of the session, naming the two needle Procedures."""
    detail: list[dict[str, Any]] = [
        {"url": "seq", "valueInteger": circuit["seq"]},
        {"url": "leadA", "valueReference": ref("Procedure", f"i{circuit['lead_a_id']}")},
    ]
    if circuit["lead_b_id"] is not None:
        detail.append({"url": "leadB", "valueReference": ref("Procedure", f"i{circuit['lead_b_id']}")})
    for column, (url, unit) in CIRCUIT_UNITS.items():
        if circuit[column] is not None:
            detail.append(
                {"url": url, "valueQuantity": {"value": circuit[column], "unit": unit, "system": UCUM, "code": unit}}
            )
    if circuit["migrated_from"] is not None:
        detail.append({"url": "migratedFrom", "valueString": circuit["migrated_from"]})
    return {
        "resourceType": "Procedure",
        "id": f"c{circuit['id']}",
        "meta": meta(None, session["updated_at"]),
        "extension": [{"url": EXT_CIRCUIT, "extension": detail}],
        "partOf": [ref("Procedure", f"s{session['id']}")],
        "status": "completed",
        "code": concept(CS_PROCEDURE, "electrical-circuit", "Electrical stimulation between two needles"),
        "subject": ref("Patient", session["patient_id"]),
        "encounter": ref("Encounter", session["id"]),
        "performedDateTime": dt(session["started_at"]),
    }


def from_circuit(proc: dict[str, Any]) -> dict[str, Any]:
    detail = ext(proc, EXT_CIRCUIT)
    lead_b = sub(detail, "leadB")
    row: dict[str, Any] = {
        "id": ref_id({"reference": proc["id"]}),
        "session_id": ref_id(proc["partOf"][0]),
        "seq": sub(detail, "seq"),
        "lead_a_id": ref_id(sub(detail, "leadA")),
        "lead_b_id": ref_id(lead_b) if lead_b is not None else None,
        "migrated_from": sub(detail, "migratedFrom"),
    }
    for column, (url, _unit) in CIRCUIT_UNITS.items():
        quantity = sub(detail, url)
        row[column] = quantity["value"] if quantity is not None else None
    return row
