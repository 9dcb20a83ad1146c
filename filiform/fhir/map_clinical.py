"""Consent, screening, episode (Condition + CarePlan), outcome measures (pain drawings:
:mod:`.map_drawing`).

Outcome answers travel as a QuestionnaireResponse for every instrument (they are the
patient's data, keyed by Filiform item ids, without licensed wording); the total is an
Observation coded with LOINC where LOINC has a code, else with a local code. The
Questionnaire itself, with item wording, is exported only for instruments whose licence
lets Filiform ship the wording.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from filiform.core.outcomes import get_instrument, list_instruments
from filiform.core.planning.codes import load_icd10cm
from filiform.core.safety.questions import QUESTIONS
from filiform.errors import NotFound
from filiform.fhir.codes import (
    CAREPLAN_CATEGORY,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONSENT_SCOPE,
    CS_CONSENT_FORM,
    CS_OBSERVATION,
    ICD10CM,
    LOINC,
    OBS_CATEGORY,
    Q_INSTRUMENT,
    Q_SCREENING,
    SD,
    SNOMED,
    UCUM,
    coding_table,
)
from filiform.fhir.common import (
    EXT_NOTE,
    coding,
    concept,
    dt,
    ext,
    from_items,
    items,
    meta,
    parse_dt,
    read_recorded,
    read_updated,
    recorded,
    ref,
    ref_id,
    sub,
)

Row = Mapping[Any, Any]
EXT_OBTAINED_BY = SD + "consent-obtained-by"
EXT_SCREENING = SD + "screening-decision"
EXT_EPISODE_CODES = SD + "episode-codes"  # the codes recorded with the episode (JSON list)
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
SURVEY = concept(OBS_CATEGORY, "survey", "Survey")
EXAM = concept(OBS_CATEGORY, "exam", "Exam")


def _base(kind: str, rid: str, row: Row) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "id": rid,
        "meta": meta(row["version"], row["updated_at"]),
        "extension": [recorded(row["created_by"], row["created_at"])],
    }


def _record(res: dict[str, Any], rid: int) -> dict[str, Any]:
    by, at = read_recorded(res)
    return {
        "id": rid,
        "version": int(res["meta"]["versionId"]),
        "created_by": by,
        "created_at": at,
        "updated_at": read_updated(res),
    }


def to_consent(row: Row) -> dict[str, Any]:
    res = _base("Consent", str(row["id"]), row)
    res["extension"].append({"url": EXT_OBTAINED_BY, "valueReference": ref("Practitioner", row["obtained_by"])})
    if row["notes"]:
        res["extension"].append({"url": EXT_NOTE, "valueString": row["notes"]})
    period = {"start": row["consented_on"].isoformat()}
    if row["withdrawn_on"]:
        period["end"] = row["withdrawn_on"].isoformat()
    res.update(
        {
            "status": "inactive" if row["withdrawn_on"] else "active",
            "scope": concept(CONSENT_SCOPE, "treatment", "Treatment"),
            "category": [concept(LOINC, "59284-0", "Patient Consent")],
            "patient": ref("Patient", row["patient_id"]),
            "dateTime": row["consented_on"].isoformat(),
            "performer": [ref("Patient", row["patient_id"])],
            "organization": [ref("Organization", row["clinic_id"])],
            "policyRule": concept(
                CS_CONSENT_FORM, row["form_version"], text="Dry-needling consent form " + row["form_version"]
            ),
            "provision": {"type": "permit", "period": period},
        }
    )
    return res


def from_consent(res: dict[str, Any], clinic_id: int) -> dict[str, Any]:
    period = res["provision"]["period"]
    note = ext(res, EXT_NOTE)
    return {
        **_record(res, int(res["id"])),
        "clinic_id": clinic_id,
        "patient_id": ref_id(res["patient"]),
        "form_version": res["policyRule"]["coding"][0]["code"],
        "consented_on": period["start"],
        "withdrawn_on": period.get("end"),
        "obtained_by": ref_id(ext(res, EXT_OBTAINED_BY)["valueReference"]),  # type: ignore[index]
        "notes": note["valueString"] if note else None,
    }


def to_screening(row: Row) -> dict[str, Any]:
    res = _base("QuestionnaireResponse", f"scr{row['id']}", row)
    detail = [{"url": "decision", "valueString": json.dumps(row["decision"], sort_keys=True)}]
    if row["engine_version"]:
        detail.append({"url": "engineVersion", "valueString": row["engine_version"]})
    res["extension"].append({"url": EXT_SCREENING, "extension": detail})
    res.update(
        {
            "questionnaire": Q_SCREENING,
            "status": "completed",
            "subject": ref("Patient", row["patient_id"]),
            "authored": dt(row["screened_at"]),
            "author": ref("Practitioner", row["created_by"]),
        }
    )
    if row["answers"]:
        res["item"] = items(row["answers"])
    return res


def from_screening(res: dict[str, Any], clinic_id: int) -> dict[str, Any]:
    detail = ext(res, EXT_SCREENING)
    return {
        **_record(res, ref_id({"reference": res["id"]}) or 0),
        "clinic_id": clinic_id,
        "patient_id": ref_id(res["subject"]),
        "screened_at": parse_dt(res["authored"]),
        "answers": from_items(res),
        "decision": json.loads(sub(detail, "decision")),
        "engine_version": sub(detail, "engineVersion"),
    }


def to_condition(row: Row) -> dict[str, Any]:
    """The episode's condition, coded with the one diagnosis the clinician chose (if any).

    The codes recorded when the episode was opened (candidates, headers) travel in the
    ``episode-codes`` extension, so a receiver never mistakes them for diagnoses.
    """
    code: dict[str, Any] = {"text": row["condition"]}
    chosen = row["diagnosis_code"]
    if chosen:
        snomed = coding_table("icd10cm_to_snomed").get(chosen)
        code["coding"] = [coding(ICD10CM, chosen, icd_title(chosen))]
        if snomed:
            code["coding"].append(coding(SNOMED, snomed[0], snomed[1]))
    res = _base("Condition", str(row["id"]), row)
    if row["icd10_codes"]:
        res["extension"].append({"url": EXT_EPISODE_CODES, "valueString": json.dumps(list(row["icd10_codes"]))})
    res.update(
        {
            "clinicalStatus": concept(CONDITION_CLINICAL, "resolved" if row["closed_on"] else "active"),
            "verificationStatus": concept(CONDITION_VERIFICATION, "confirmed" if chosen else "provisional"),
            "category": [concept(CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
            "code": code,
            "subject": ref("Patient", row["patient_id"]),
            "recordedDate": row["opened_on"].isoformat(),
        }
    )
    if row["closed_on"]:
        res["abatementDateTime"] = row["closed_on"].isoformat()
    return res


def icd_title(code: str) -> str | None:
    entry = load_icd10cm().entry(code)
    return entry.title if entry is not None else None


def to_care_plan(row: Row) -> dict[str, Any]:
    period = {"start": row["opened_on"].isoformat()}
    if row["closed_on"]:
        period["end"] = row["closed_on"].isoformat()
    res: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(row["id"]),
        "meta": meta(None, row["updated_at"]),
        "status": "completed" if row["closed_on"] else "active",
        "intent": "plan",
        "category": [concept(CAREPLAN_CATEGORY, "assess-plan", "Assessment and Plan of Treatment")],
        "text": {"status": "generated", "div": _narrative(row)},
        "title": row["condition"],
        "subject": ref("Patient", row["patient_id"]),
        "period": period,
        "addresses": [ref("Condition", row["id"])],
    }
    if row["plan"]:
        res["description"] = row["plan"]
    return res


def _narrative(row: Row) -> str:
    """The plan as XHTML narrative (escaped: it is free text)."""
    body = html.escape(row["plan"] or "No plan text recorded.")
    return f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{html.escape(row["condition"])}: {body}</p></div>'


def from_episode(cond: dict[str, Any], plan: dict[str, Any], clinic_id: int) -> dict[str, Any]:
    chosen = [c["code"] for c in cond["code"].get("coding", ()) if c["system"] == ICD10CM]
    recorded_codes = ext(cond, EXT_EPISODE_CODES)
    period = plan["period"]
    return {
        **_record(cond, int(cond["id"])),
        "clinic_id": clinic_id,
        "patient_id": ref_id(cond["subject"]),
        "condition": cond["code"]["text"],
        "icd10_codes": json.loads(recorded_codes["valueString"]) if recorded_codes else [],
        "diagnosis_code": chosen[0] if chosen else None,
        "plan": plan.get("description"),
        "opened_on": period["start"],
        "closed_on": period.get("end"),
    }


@lru_cache(maxsize=64)
def _instrument_code(instrument_id: str) -> tuple[dict[str, Any], str, str]:
    """(Observation.code, unit, UCUM code) for an instrument's total score."""
    try:
        inst = get_instrument(instrument_id)
    except NotFound:
        return concept(CS_OBSERVATION, f"{instrument_id}-total"), "score", "{score}"
    local = coding(CS_OBSERVATION, f"{instrument_id}-total", f"{inst.short_name} total score")
    codings = [coding(LOINC, inst.loinc.total), local] if inst.loinc.total else [local]
    unit = inst.unit if inst.unit == "%" else "score"
    return {"coding": codings, "text": f"{inst.short_name} score"}, unit, ("%" if unit == "%" else "{score}")


def to_outcome(row: Row) -> list[dict[str, Any]]:
    qr = _base("QuestionnaireResponse", f"o{row['id']}", row)
    qr.update(
        {
            "questionnaire": Q_INSTRUMENT + row["instrument_id"],
            "status": "completed",
            "subject": ref("Patient", row["patient_id"]),
            "authored": row["completed_on"].isoformat(),
        }
    )
    if row["episode_id"]:
        qr["basedOn"] = [ref("CarePlan", row["episode_id"])]
    if row["answers"]:
        qr["item"] = items(row["answers"])
    if row["total"] is None:
        return [qr]
    code, unit, ucum = _instrument_code(row["instrument_id"])
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"o{row['id']}",
        "meta": meta(None, row["updated_at"]),
        "status": "final",
        "category": [SURVEY],
        "code": code,
        "subject": ref("Patient", row["patient_id"]),
        "effectiveDateTime": row["completed_on"].isoformat(),
        "valueQuantity": {"value": row["total"], "unit": unit, "system": UCUM, "code": ucum},
        "derivedFrom": [ref("QuestionnaireResponse", f"o{row['id']}")],
    }
    if row["episode_id"]:
        obs["basedOn"] = qr["basedOn"]
    return [qr, obs]


def from_outcome(qr: dict[str, Any], total: dict[str, Any] | None, clinic_id: int) -> dict[str, Any]:
    return {
        **_record(qr, ref_id({"reference": qr["id"]}) or 0),
        "clinic_id": clinic_id,
        "patient_id": ref_id(qr["subject"]),
        "episode_id": ref_id(qr["basedOn"][0]) if "basedOn" in qr else None,
        "instrument_id": qr["questionnaire"].removeprefix(Q_INSTRUMENT),
        "answers": from_items(qr),
        "completed_on": qr["authored"],
        "total": float(total["valueQuantity"]["value"]) if total else None,
    }


# When the shipped questionnaire definitions last changed (their meta.lastUpdated for
# ``_since``): bump it with any change to the instrument or screening question data.
QUESTIONNAIRES_UPDATED = datetime(2026, 12, 5, tzinfo=UTC)


def _questionnaire(qid: str, url: str, title: str, items: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "id": qid,
        "meta": meta(None, QUESTIONNAIRES_UPDATED),
        "url": url,
        "name": qid.upper().replace("-", "_"),
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
        **more,
        "item": items,
    }


@lru_cache(maxsize=1)
def questionnaires() -> tuple[dict[str, Any], ...]:
    """A Questionnaire for every QuestionnaireResponse Filiform writes (every instrument and
    the screening), so each ``questionnaire`` canonical resolves. The item wording is shipped
    only where the instrument's licence allows; the others carry their item ids and types
    and say why the text is missing."""
    out = []
    for inst in list_instruments(include_unscorable=True):
        shipped = inst.licence.wording_may_be_shipped
        items = []
        for item in inst.items:
            entry: dict[str, Any] = {"linkId": item.id, "type": "decimal", "required": True}
            if shipped:
                entry["text"] = item.text or item.label
            items.append(entry)
        more: dict[str, Any] = {"copyright": inst.licence.terms}
        if inst.loinc.panel:
            more["code"] = [coding(LOINC, inst.loinc.panel)]
        if not shipped:
            more["description"] = "Item wording not shipped (licence); clinics use the form they hold."
        out.append(_questionnaire(inst.id.replace("_", "-"), Q_INSTRUMENT + inst.id, inst.name, items, **more))
    screening = [{"linkId": key, "text": text, "type": "string"} for key, text in QUESTIONS.items()]
    out.append(_questionnaire("screening", Q_SCREENING, "Dry-needling screening", screening))
    return tuple(out)
