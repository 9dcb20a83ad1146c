"""Import a Filiform R4 Bundle into an empty database, keeping every id.

The inverse of the exporter: resources are grouped by type and id, turned back into
rows by the ``from_*`` functions and bulk-inserted in foreign-key order. Importing into
an empty database only keeps the ids (and so every reference) exactly as they were; the
import is audited on the imported clinic's chain, as its administrator. Imported users
get no usable password (an administrator sets new ones).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, ValidationFailed
from filiform.fhir.codes import CS_SIDE, CS_TARGET
from filiform.fhir.common import EXT_NOTE, ext, parse_dt, read_recorded, ref_id, sub
from filiform.fhir.map_clinical import (
    from_consent,
    from_drawing,
    from_episode,
    from_outcome,
    from_screening,
)
from filiform.fhir.map_people import from_organization, from_patient, from_practitioner
from filiform.fhir.map_session import EXT_AE, EXT_AMENDMENT, EXT_INSERTION, EXT_LATERALITY, EXT_SESSION
from filiform.services import audit
from filiform.services.context import Actor, Role
from filiform.storage.models import Base, Clinic

ORDER = ("clinic", "app_user", "patient", "consent", "screening", "episode", "pain_drawing",
         "outcome_response", "treatment_session", "insertion", "adverse_event", "amendment")


def _index(bundle: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    if bundle.get("resourceType") != "Bundle":
        raise ValidationFailed("not a FHIR Bundle")
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for entry in bundle.get("entry", ()):
        res = entry["resource"]
        found[res["resourceType"]][res["id"]] = res
    return found


def _session(proc: dict[str, Any], res: dict[str, dict[str, dict[str, Any]]], clinic: int
             ) -> dict[str, Any]:
    by, at = read_recorded(proc)
    sid = ref_id({"reference": proc["id"]})
    basis = ext(proc, EXT_SESSION)
    pain = {w: res["Observation"].get(f"{w}{sid}") for w in ("pre", "post")}
    notes = {n["authorReference"]["reference"].split("/")[0]: n["text"] for n in proc.get("note", ())}
    return {"id": sid, "clinic_id": clinic, "patient_id": ref_id(proc["subject"]),
            "version": int(proc["meta"]["versionId"]), "created_by": by, "created_at": at,
            "episode_id": ref_id(proc["reasonReference"][0]) if "reasonReference" in proc else None,
            "clinician_id": ref_id(proc["performer"][0]["actor"]),
            "consent_id": ref_id(sub(basis, "consent")), "screening_id": ref_id(sub(basis, "screening")),
            "started_at": parse_dt(proc["performedDateTime"]),
            "pain_pre": pain["pre"]["valueInteger"] if pain["pre"] else None,
            "pain_post": pain["post"]["valueInteger"] if pain["post"] else None,
            "patient_response": notes.get("Patient"), "notes": notes.get("Practitioner"),
            "override_justification": sub(basis, "overrideJustification")}


def _insertion(proc: dict[str, Any]) -> dict[str, Any]:
    detail = ext(proc, EXT_INSERTION)
    site = proc["bodySite"][0]
    side = ext(site, EXT_LATERALITY)["valueCodeableConcept"]["coding"]  # type: ignore[index]
    electrical = sub(detail, "electrical")
    return {"id": ref_id({"reference": proc["id"]}), "session_id": ref_id(proc["partOf"][0]),
            "seq": sub(detail, "seq"),
            "target_id": next(c["code"] for c in site["coding"] if c["system"] == CS_TARGET),
            "side": next(c["code"] for c in side if c["system"] == CS_SIDE),
            "technique": proc["code"]["coding"][0]["code"],
            "needle_length_mm": sub(detail, "needleLength")["value"],
            "needle_gauge_mm": sub(detail, "needleGauge")["value"],
            "depth_mm": sub(detail, "depth")["value"],
            "twitch_responses": sub(detail, "twitchResponses"),
            "retention_s": sub(detail, "retention")["value"],
            "electrical": json.loads(electrical) if electrical is not None else None}


def _adverse_event(ae: dict[str, Any], clinic: int) -> dict[str, Any]:
    by, at = read_recorded(ae)
    detail = ext(ae, EXT_AE)
    note = ext(ae, EXT_NOTE)
    return {"id": int(ae["id"]), "clinic_id": clinic, "patient_id": ref_id(ae["subject"]),
            "version": int(ae["meta"]["versionId"]), "created_by": by, "created_at": at,
            "session_id": ref_id(ae.get("encounter")), "occurred_on": date.fromisoformat(ae["date"][:10]),
            "event_type": ae["event"]["coding"][0]["code"], "severity": sub(detail, "severity"),
            "significant": sub(detail, "significant"), "onset": sub(detail, "onset"),
            "duration": sub(detail, "duration"), "action_taken": sub(detail, "actionTaken"),
            "causality": sub(detail, "causality"), "description": note["valueString"] if note else None}


def _amendment(prov: dict[str, Any], clinic: int) -> dict[str, Any]:
    detail = ext(prov, EXT_AMENDMENT)
    return {"id": ref_id({"reference": prov["id"]}), "clinic_id": clinic,
            "patient_id": ref_id(sub(detail, "patient")), "entity": sub(detail, "entity"),
            "entity_id": sub(detail, "entityId"), "from_version": sub(detail, "fromVersion"),
            "changes": json.loads(sub(detail, "changes")), "reason": prov["reason"][0]["text"],
            "amended_by": ref_id(prov["agent"][0]["who"]), "amended_at": parse_dt(prov["recorded"])}


def bundle_rows(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The database rows a Filiform Bundle describes, per table."""
    res = _index(bundle)
    orgs = list(res["Organization"].values())
    if len(orgs) != 1:
        raise ValidationFailed(f"expected one Organization (the clinic), found {len(orgs)}")
    clinic = int(orgs[0]["id"])
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in ORDER}
    out["clinic"].append(from_organization(orgs[0]))
    out["app_user"] = [from_practitioner(p, res["PractitionerRole"][p["id"]])
                       for p in res["Practitioner"].values()]
    out["patient"] = [from_patient(p) for p in res["Patient"].values()]
    out["consent"] = [from_consent(c, clinic) for c in res["Consent"].values()]
    for rid, qr in res["QuestionnaireResponse"].items():
        if rid.startswith("scr"):
            out["screening"].append(from_screening(qr, clinic))
        else:
            out["outcome_response"].append(from_outcome(qr, res["Observation"].get(rid), clinic))
    out["episode"] = [from_episode(c, res["CarePlan"][rid], clinic) for rid, c in res["Condition"].items()]
    out["pain_drawing"] = [from_drawing(o, clinic) for rid, o in res["Observation"].items()
                           if rid.startswith("d")]
    for rid, proc in res["Procedure"].items():
        if rid.startswith("s"):
            out["treatment_session"].append(_session(proc, res, clinic))
        else:
            out["insertion"].append(_insertion(proc))
    out["adverse_event"] = [_adverse_event(a, clinic) for a in res["AdverseEvent"].values()]
    out["amendment"] = [_amendment(p, clinic) for p in res["Provenance"].values()]
    for rows in out.values():
        rows.sort(key=lambda r: r["id"])
    return out


def import_bundle(session: Session, bundle: dict[str, Any]) -> dict[str, int]:
    """Write a Bundle into an empty database; returns rows written per table."""
    if session.scalar(sa.select(sa.func.count()).select_from(Clinic)):
        raise Conflict("import needs an empty database (ids are kept as exported)")
    rows = bundle_rows(bundle)
    tables = Base.metadata.tables
    for table in ORDER:
        if rows[table]:
            session.execute(sa.insert(tables[table]), rows[table])
    if session.get_bind().dialect.name == "postgresql":
        for table in ORDER:
            session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
    users = rows["app_user"]
    admin = next((u for u in users if u["role"] == "admin"), users[0] if users else None)
    actor = (Actor(user_id=admin["id"], clinic_id=admin["clinic_id"], role=Role(admin["role"]),
                   client="fhir-import") if admin else None)
    counts = {t: len(r) for t, r in rows.items()}
    audit.record(session, actor=actor, action="import", entity="fhir_bundle",
                 detail={"rows": counts}, chain=rows["clinic"][0]["id"])
    return counts
