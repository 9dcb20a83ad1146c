"""Filiform FHIR resources back into database rows, and what each resource is.

A resource's kind comes from its type and codes (a session Procedure carries the local
``dry-needling-session`` code, a needle its technique, a pain score its before/after
code), never from the shape of its id; each ``_*`` mapper returns the row its record
was exported from.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from filiform.errors import ValidationFailed
from filiform.fhir.codes import (
    CS_OBSERVATION,
    CS_PROCEDURE,
    CS_SIDE,
    CS_TARGET,
    CS_TECHNIQUE,
    Q_INSTRUMENT,
    Q_SCREENING,
)
from filiform.fhir.common import EXT_NOTE, ext, parse_dt, read_recorded, read_updated, ref_id, sub
from filiform.fhir.map_override import override_rows
from filiform.fhir.map_session import EXT_AE, EXT_AMENDMENT, EXT_INSERTION, EXT_LATERALITY, EXT_SESSION

# Resource types stored as themselves (the rest are dispatched on their codes in kind_of).
KNOWN_TYPES = {
    "Organization": "clinic",
    "Practitioner": "user",
    "PractitionerRole": "role",
    "Patient": "patient",
    "Consent": "consent",
    "Condition": "episode",
    "CarePlan": "plan",
    "Encounter": "encounter",
    "DocumentReference": "note",
    "AdverseEvent": "adverse_event",
    "Provenance": "amendment",
    "Questionnaire": "definition",
}
SUPPORTED = frozenset({*KNOWN_TYPES, "Procedure", "Observation", "QuestionnaireResponse"})


def _session(proc: dict[str, Any], pains: dict[str, dict[str, int]], clinic: int) -> dict[str, Any]:
    by, at = read_recorded(proc)
    sid = ref_id({"reference": proc["id"]})
    basis = ext(proc, EXT_SESSION)
    pain = pains.get(f"Procedure/{proc['id']}", {})
    notes = {n["authorReference"]["reference"].split("/")[0]: n["text"] for n in proc.get("note", ())}
    return {
        "id": sid,
        "clinic_id": clinic,
        "patient_id": ref_id(proc["subject"]),
        "version": int(proc["meta"]["versionId"]),
        "created_by": by,
        "created_at": at,
        "updated_at": read_updated(proc),
        "episode_id": ref_id(proc["reasonReference"][0]) if "reasonReference" in proc else None,
        "clinician_id": ref_id(proc["performer"][0]["actor"]),
        "consent_id": ref_id(sub(basis, "consent")),
        "screening_id": ref_id(sub(basis, "screening")),
        "started_at": proc["performedDateTime"],
        "pain_pre": pain.get("before"),
        "pain_post": pain.get("after"),
        "patient_response": notes.get("Patient"),
        "notes": notes.get("Practitioner"),
        "override_justification": sub(basis, "overrideJustification"),
        **_fixed_in_time(basis),
    }


def _fixed_in_time(basis: dict[str, Any] | None) -> dict[str, Any]:
    """The session's drawing, plan, zone, form key and void mark (None on older exports)."""
    plan, voided = sub(basis, "plan"), sub(basis, "voidedAt")
    return {
        "drawing_id": ref_id(sub(basis, "drawing")),
        "plan": json.loads(plan) if plan is not None else None,
        "ultrasound_guided": sub(basis, "ultrasoundGuided"),
        "recorded_zone": sub(basis, "recordedZone"),
        "form_key": sub(basis, "formKey"),
        "voided_at": parse_dt(voided) if voided is not None else None,
    }


def session_overrides(proc: dict[str, Any]) -> list[dict[str, Any]]:
    """The written reasons for the safety problems a session was saved over."""
    return override_rows(ext(proc, EXT_SESSION), ref_id({"reference": proc["id"]}))


def _insertion(proc: dict[str, Any]) -> dict[str, Any]:
    detail = ext(proc, EXT_INSERTION)
    site = proc["bodySite"][0]
    side = ext(site, EXT_LATERALITY)["valueCodeableConcept"]["coding"]  # type: ignore[index]
    return {
        "id": ref_id({"reference": proc["id"]}),
        "session_id": ref_id(proc["partOf"][0]),
        "seq": sub(detail, "seq"),
        "target_id": next(c["code"] for c in site["coding"] if c["system"] == CS_TARGET),
        "side": next(c["code"] for c in side if c["system"] == CS_SIDE),
        "technique": proc["code"]["coding"][0]["code"],
        "needle_length_mm": sub(detail, "needleLength")["value"],
        "needle_gauge_mm": sub(detail, "needleGauge")["value"],
        "depth_mm": sub(detail, "depth")["value"],
        "twitch_responses": sub(detail, "twitchResponses"),
        "retention_s": sub(detail, "retention")["value"],
    }


def _adverse_event(ae: dict[str, Any], clinic: int) -> dict[str, Any]:
    by, at = read_recorded(ae)
    detail = ext(ae, EXT_AE)
    note = ext(ae, EXT_NOTE)
    return {
        "id": int(ae["id"]),
        "clinic_id": clinic,
        "patient_id": ref_id(ae["subject"]),
        "version": int(ae["meta"]["versionId"]),
        "created_by": by,
        "created_at": at,
        "updated_at": read_updated(ae),
        "session_id": ref_id(ae.get("encounter")),
        "occurred_on": ae["date"],
        "event_type": ae["event"]["coding"][0]["code"],
        "severity": sub(detail, "severity"),
        "significant": sub(detail, "significant"),
        "onset": sub(detail, "onset"),
        "duration": sub(detail, "duration"),
        "action_taken": sub(detail, "actionTaken"),
        "causality": sub(detail, "causality"),
        "description": note["valueString"] if note else None,
    }


def _amendment(prov: dict[str, Any], clinic: int) -> dict[str, Any]:
    detail = ext(prov, EXT_AMENDMENT)
    return {
        "id": ref_id({"reference": prov["id"]}),
        "clinic_id": clinic,
        "patient_id": ref_id(sub(detail, "patient")),
        "entity": sub(detail, "entity"),
        "entity_id": sub(detail, "entityId"),
        "from_version": sub(detail, "fromVersion"),
        "changes": json.loads(sub(detail, "changes")),
        "reason": prov["reason"][0]["text"],
        "amended_by": ref_id(prov["agent"][0]["who"]),
        "amended_at": parse_dt(prov["recorded"]),
    }


def _mapped(res: dict[str, Any], fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``fn(res, *args)``, with a missing or mistyped field reported against its resource.

    The mappers read a Filiform export field by field; a hand-edited or foreign Bundle
    would otherwise fail with a bare KeyError or TypeError naming no resource.
    """
    try:
        return fn(res, *args)
    except ValidationFailed:
        raise
    except KeyError as exc:
        raise ValidationFailed(
            f"{res.get('resourceType')}/{res.get('id')}: missing {exc.args[0]!r} (not a Filiform export?)"
        ) from exc
    except (TypeError, ValueError, IndexError, AttributeError, StopIteration) as exc:
        raise ValidationFailed(
            f"{res.get('resourceType')}/{res.get('id')}: malformed ({exc or 'unexpected value'})"
        ) from exc


def _codes(res: dict[str, Any]) -> set[tuple[str, str]]:
    """(system, code) of every coding of ``code`` (a CodeableConcept; anything else: none)."""
    code = res.get("code")
    codings = code.get("coding", ()) if isinstance(code, dict) else ()
    return {(str(c.get("system", "")), str(c.get("code", ""))) for c in codings if isinstance(c, dict)}


def _pain_scores(observations: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Pain before/after needling per session Procedure reference, found by their codes."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for obs in observations:
        for when in ("before", "after"):
            if (CS_OBSERVATION, f"pain-{when}-needling") in _codes(obs):
                value = obs["valueQuantity"]["value"]
                out[obs["partOf"][0]["reference"]][when] = int(value) if float(value).is_integer() else value
    return out


def kind_of(res: dict[str, Any]) -> str | None:
    """What a resource holds, from its type and codes (never from its id); None: not Filiform's."""
    kind, codes = res.get("resourceType"), _codes(res)
    if kind == "Procedure":
        if (CS_PROCEDURE, "dry-needling-session") in codes:
            return "session"
        if (CS_PROCEDURE, "electrical-circuit") in codes:
            return "circuit"
        if any(system == CS_TECHNIQUE for system, _ in codes):
            return "needle"
        return None
    if kind == "Observation":
        if (CS_OBSERVATION, "pain-drawing") in codes:
            return "drawing"
        if codes & {(CS_OBSERVATION, "pain-before-needling"), (CS_OBSERVATION, "pain-after-needling")}:
            return "pain"
        return "outcome_total" if res.get("derivedFrom") else None
    if kind == "QuestionnaireResponse":
        q = str(res.get("questionnaire", ""))
        return "screening" if q == Q_SCREENING else "outcome" if q.startswith(Q_INSTRUMENT) else None
    return KNOWN_TYPES.get(str(kind))
