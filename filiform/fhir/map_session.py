"""Sessions: Encounter, session Procedure (CPT), one Procedure per needle, pain scores,
adverse events, the session-note PDF (DocumentReference) and amendments (Provenance).

No SNOMED concept for dry needling or for most muscles was confirmed, so the needle
Procedure is coded with Filiform's technique CodeSystem and the body site with the
Filiform target CodeSystem (plus SNOMED where ``codes.json`` lists a confirmed body
structure); the side is always SNOMED-coded (7771000 / 24028007 / 51440002).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from filiform.fhir.codes import (
    AE_CAUSALITY,
    AE_SEVERITY,
    CPT,
    CS_AE_TYPE,
    CS_DOCUMENT,
    CS_OBSERVATION,
    CS_PROCEDURE,
    CS_SIDE,
    CS_TARGET,
    CS_TECHNIQUE,
    ICD10CM,
    LOINC,
    OBS_CATEGORY,
    SD,
    SNOMED,
    UCUM,
    V3_ACT_CODE,
    coding_table,
)
from filiform.fhir.common import EXT_NOTE, EXT_RECORDED, coding, concept, dt, meta, recorded, ref
from filiform.fhir.map_circuit import to_circuit
from filiform.fhir.map_override import override_extensions

Row = Mapping[Any, Any]
EXT_SESSION = SD + "session-basis"
EXT_INSERTION = SD + "insertion"
EXT_LATERALITY = SD + "laterality"
EXT_AE = SD + "adverse-event-detail"
EXT_AMENDMENT = SD + "amendment"
SEVERITY = {"minor": "mild", "moderate": "moderate", "major": "severe"}
CAUSALITY = {"certain": "Certain", "probable": "Probably-Likely", "possible": "Possible", "unlikely": "Unlikely"}
PAIN = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
AMENDED = {
    "patient": ("Patient", ""),
    "consent": ("Consent", ""),
    "episode": ("Condition", ""),
    "pain_drawing": ("Observation", "d"),
    "outcome_response": ("QuestionnaireResponse", "o"),
    "treatment_session": ("Procedure", "s"),
    "adverse_event": ("AdverseEvent", ""),
    "screening": ("QuestionnaireResponse", "scr"),
}


def _mm(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mm", "system": UCUM, "code": "mm"}


def to_encounter(row: Row) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(row["id"]),
        "status": "finished",
        "class": coding(V3_ACT_CODE, "AMB", "ambulatory"),
        "subject": ref("Patient", row["patient_id"]),
        "participant": [{"individual": ref("Practitioner", row["clinician_id"])}],
        "period": {"start": dt(row["started_at"])},
        "serviceProvider": ref("Organization", row["clinic_id"]),
    }
    if row["episode_id"]:
        res["reasonReference"] = [ref("Condition", row["episode_id"])]
    return res


def _fixed_in_time(row: Row) -> list[dict[str, Any]]:
    """What the session was done under and its status (revision pointofcare); absent on older rows."""
    out: list[dict[str, Any]] = []
    if row.get("drawing_id") is not None:
        out.append({"url": "drawing", "valueReference": ref("Observation", f"d{row['drawing_id']}")})
    if row.get("plan") is not None:
        out.append({"url": "plan", "valueString": json.dumps(row["plan"], sort_keys=True)})
    if row.get("ultrasound_guided") is not None:
        out.append({"url": "ultrasoundGuided", "valueBoolean": bool(row["ultrasound_guided"])})
    for column, url in (("recorded_zone", "recordedZone"), ("form_key", "formKey")):
        if row.get(column) is not None:
            out.append({"url": url, "valueString": row[column]})
    if row.get("voided_at") is not None:
        out.append({"url": "voidedAt", "valueDateTime": dt(row["voided_at"])})
    return out


def to_session(row: Row, cpt: str | None, overrides: Sequence[Row] = ()) -> dict[str, Any]:
    sid = row["id"]
    basis = [
        {"url": "consent", "valueReference": ref("Consent", row["consent_id"])},
        {"url": "screening", "valueReference": ref("QuestionnaireResponse", f"scr{row['screening_id']}")},
    ]
    if row["override_justification"]:
        basis.append({"url": "overrideJustification", "valueString": row["override_justification"]})
    basis.extend(_fixed_in_time(row))
    basis.extend(override_extensions(overrides))
    codes = [coding(CPT, cpt)] if cpt else []
    codes.append(coding(CS_PROCEDURE, "dry-needling-session", "Dry-needling session"))
    res: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": f"s{sid}",
        "meta": meta(row["version"]),
        "extension": [recorded(row["created_by"], row["created_at"]), {"url": EXT_SESSION, "extension": basis}],
        "status": "completed",
        "code": {"coding": codes, "text": "Dry-needling session"},
        "subject": ref("Patient", row["patient_id"]),
        "encounter": ref("Encounter", sid),
        "performedDateTime": dt(row["started_at"]),
        "recorder": ref("Practitioner", row["created_by"]),
        "performer": [{"actor": ref("Practitioner", row["clinician_id"])}],
    }
    if row["episode_id"]:
        res["reasonReference"] = [ref("Condition", row["episode_id"])]
    notes = []
    if row["patient_response"]:
        notes.append({"authorReference": ref("Patient", row["patient_id"]), "text": row["patient_response"]})
    if row["notes"]:
        notes.append({"authorReference": ref("Practitioner", row["clinician_id"]), "text": row["notes"]})
    if notes:
        res["note"] = notes
    return res


def to_pain(row: Row) -> list[dict[str, Any]]:
    out = []
    for when in ("pre", "post"):
        value = row[f"pain_{when}"]
        if value is None:
            continue
        label = "before" if when == "pre" else "after"
        out.append(
            {
                "resourceType": "Observation",
                "id": f"{when}{row['id']}",
                "status": "final",
                "category": [concept(OBS_CATEGORY, "survey", "Survey")],
                "code": {
                    "coding": [coding(LOINC, *PAIN), coding(CS_OBSERVATION, f"pain-{label}-needling")],
                    "text": f"Pain (0-10) {label} needling",
                },
                "subject": ref("Patient", row["patient_id"]),
                "encounter": ref("Encounter", row["id"]),
                "effectiveDateTime": dt(row["started_at"]),
                "valueInteger": value,
                "partOf": [ref("Procedure", f"s{row['id']}")],
            }
        )
    return out


def body_site(target: str, side: str, name: str) -> dict[str, Any]:
    laterality = coding_table("laterality_snomed")
    snomed = coding_table("target_snomed").get(target)
    codes = [coding(CS_TARGET, target, name)]
    if snomed:
        codes.insert(0, coding(SNOMED, snomed[0], snomed[1]))
    side_codes = [coding(CS_SIDE, side)]
    if side in laterality:
        side_codes.insert(0, coding(SNOMED, *laterality[side]))
    return {
        "extension": [{"url": EXT_LATERALITY, "valueCodeableConcept": {"coding": side_codes}}],
        "coding": codes,
        "text": f"{name} ({side})",
    }


def _note(ins: Row, name: str) -> str:
    text = (
        f"{name} ({ins['side']}): {ins['technique'].replace('_', ' ')}; needle "
        f"{ins['needle_gauge_mm']} x {ins['needle_length_mm']} mm to {ins['depth_mm']} mm; "
        f"{ins['twitch_responses']} local twitch response(s)"
    )
    if ins["retention_s"]:
        text += f"; retained {ins['retention_s']} s"
    return text


def to_insertion(ins: Row, session: Row, name: str) -> dict[str, Any]:
    detail: list[dict[str, Any]] = [
        {"url": "seq", "valueInteger": ins["seq"]},
        {"url": "needleLength", "valueQuantity": _mm(ins["needle_length_mm"])},
        {"url": "needleGauge", "valueQuantity": _mm(ins["needle_gauge_mm"])},
        {"url": "depth", "valueQuantity": _mm(ins["depth_mm"])},
        {"url": "twitchResponses", "valueInteger": ins["twitch_responses"]},
        {"url": "retention", "valueDuration": {"value": ins["retention_s"], "unit": "s", "system": UCUM, "code": "s"}},
    ]
    technique = ins["technique"]
    return {
        "resourceType": "Procedure",
        "id": f"i{ins['id']}",
        "extension": [{"url": EXT_INSERTION, "extension": detail}],
        "partOf": [ref("Procedure", f"s{session['id']}")],
        "status": "completed",
        "code": concept(CS_TECHNIQUE, technique, text="Dry needling: " + technique.replace("_", " ")),
        "subject": ref("Patient", session["patient_id"]),
        "encounter": ref("Encounter", session["id"]),
        "performedDateTime": dt(session["started_at"]),
        "performer": [{"actor": ref("Practitioner", session["clinician_id"])}],
        "bodySite": [body_site(ins["target_id"], ins["side"], name)],
        "note": [{"text": _note(ins, name)}],
    }


def session_resources(
    row: Row,
    insertions: Sequence[Row],
    circuits: Sequence[Row],
    cpt: str | None,
    names: Callable[[str], str],
    base_url: str,
    overrides: Sequence[Row] = (),
) -> list[dict[str, Any]]:
    """Everything one session produces, in reference order."""
    out = [to_encounter(row), to_session(row, cpt, overrides), *to_pain(row)]
    out += [to_insertion(i, row, names(i["target_id"])) for i in insertions]
    out += [to_circuit(c, row) for c in circuits]
    out.append(
        {
            "resourceType": "DocumentReference",
            "id": f"n{row['id']}",
            "status": "current",
            "type": concept(CS_DOCUMENT, "session-note", "Dry-needling session note"),
            "subject": ref("Patient", row["patient_id"]),
            "date": dt(row["started_at"]),
            "author": [ref("Practitioner", row["clinician_id"])],
            "content": [
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "title": f"Session note {row['id']}",
                        "url": f"{base_url}/patients/{row['patient_id']}/sessions/{row['id']}/note.pdf",
                    }
                }
            ],
            "context": {"encounter": [ref("Encounter", row["id"])]},
        }
    )
    return out


def to_adverse_event(row: Row) -> dict[str, Any]:
    icd = coding_table("adverse_event_icd10cm").get(row["event_type"])
    codes = [coding(CS_AE_TYPE, row["event_type"])]
    if icd:
        codes.append(coding(ICD10CM, icd[0], icd[1]))
    detail: list[dict[str, Any]] = [
        {"url": "severity", "valueCode": row["severity"]},
        {"url": "significant", "valueBoolean": bool(row["significant"])},
        {"url": "onset", "valueCode": row["onset"]},
        {"url": "actionTaken", "valueCode": row["action_taken"]},
        {"url": "causality", "valueCode": row["causality"]},
    ]
    if row["duration"]:
        detail.append({"url": "duration", "valueString": row["duration"]})
    res: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": str(row["id"]),
        "meta": meta(row["version"]),
        "extension": [recorded(row["created_by"], row["created_at"]), {"url": EXT_AE, "extension": detail}],
        "actuality": "actual",
        "event": {"coding": codes, "text": row["event_type"].replace("_", " ")},
        "subject": ref("Patient", row["patient_id"]),
        "date": row["occurred_on"].isoformat(),
        "recorder": ref("Practitioner", row["created_by"]),
        "severity": concept(AE_SEVERITY, SEVERITY[row["severity"]]),
    }
    if row["description"]:
        res["extension"].append({"url": EXT_NOTE, "valueString": row["description"]})
    if row["session_id"]:
        res["encounter"] = ref("Encounter", row["session_id"])
        res["suspectEntity"] = [
            {
                "instance": ref("Procedure", f"s{row['session_id']}"),
                "causality": [{"assessment": concept(AE_CAUSALITY, CAUSALITY[row["causality"]])}],
            }
        ]
    return res


def to_provenance(row: Row) -> dict[str, Any]:
    kind, prefix = AMENDED.get(row["entity"], ("Patient", ""))
    target = row["entity_id"] if row["entity"] in AMENDED else row["patient_id"]
    detail = [
        {"url": "entity", "valueString": row["entity"]},
        {"url": "entityId", "valueInteger": row["entity_id"]},
        {"url": "fromVersion", "valueInteger": row["from_version"]},
        {"url": "changes", "valueString": json.dumps(row["changes"], sort_keys=True)},
        {"url": "patient", "valueReference": ref("Patient", row["patient_id"])},
    ]
    return {
        "resourceType": "Provenance",
        "id": f"a{row['id']}",
        "extension": [{"url": EXT_AMENDMENT, "extension": detail}],
        "target": [ref(kind, f"{prefix}{target}")],
        "recorded": dt(row["amended_at"]),
        "reason": [{"text": row["reason"]}],
        "activity": concept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "UPDATE"),
        "agent": [{"who": ref("Practitioner", row["amended_by"])}],
    }


__all__ = ["EXT_RECORDED", "session_resources", "to_adverse_event", "to_provenance"]
