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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, ValidationFailed
from filiform.fhir.codes import CS_SIDE, CS_TARGET
from filiform.fhir.common import EXT_NOTE, ext, parse_dt, read_recorded, ref_id, sub
from filiform.fhir.map_circuit import from_circuit
from filiform.fhir.map_clinical import (
    from_consent,
    from_drawing,
    from_episode,
    from_outcome,
    from_screening,
)
from filiform.fhir.map_override import override_rows
from filiform.fhir.map_people import from_organization, from_patient, from_practitioner
from filiform.fhir.map_session import EXT_AE, EXT_AMENDMENT, EXT_INSERTION, EXT_LATERALITY, EXT_SESSION
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.records import bulk
from filiform.storage.models import Clinic


def read_bundle(path: Path) -> dict[str, Any]:
    """Parse a Bundle file, turning every way it can be unreadable into ``ValidationFailed``.

    The file comes from the user, so a missing file, a folder, binary data or broken JSON
    are input mistakes to explain in plain words, not exceptions to surface.
    """
    if not path.exists():
        raise ValidationFailed(f"no such file: {path}")
    if path.is_dir():
        raise ValidationFailed(f"{path} is a folder, not a Bundle file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"{path} is not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ValidationFailed(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{path} is not valid JSON: line {exc.lineno} column {exc.colno} ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise ValidationFailed(f"{path} is not a FHIR Bundle (a JSON {_json_kind(data)})")
    return data


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _index(bundle: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Resources by type and id, after checking the Bundle's shape.

    Checked up front so that a stray JSON array, an empty Bundle or a repeated entry is a
    clear refusal before anything is written, not an AttributeError half-way through or a
    silent "last one wins" that drops a record.
    """
    if not isinstance(bundle, dict):
        raise ValidationFailed(f"not a FHIR Bundle (a JSON {_json_kind(bundle)})")
    if bundle.get("resourceType") != "Bundle":
        raise ValidationFailed("not a FHIR Bundle (resourceType is not 'Bundle')")
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise ValidationFailed("the Bundle has no entries to import")
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    problems: list[str] = []
    for n, entry in enumerate(entries, start=1):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            problems.append(f"entry {n} has no resource")
            continue
        kind, rid = res.get("resourceType"), res.get("id")
        if not isinstance(kind, str) or not kind or not isinstance(rid, str) or not rid:
            problems.append(f"entry {n}: the resource needs a resourceType and an id")
            continue
        if rid in found[kind]:
            problems.append(f"entry {n}: {kind}/{rid} appears more than once")
            continue
        found[kind][rid] = res
    if problems:
        raise ValidationFailed("the Bundle cannot be imported", details=problems[:20])
    return found


def _session(proc: dict[str, Any], res: dict[str, dict[str, dict[str, Any]]], clinic: int) -> dict[str, Any]:
    by, at = read_recorded(proc)
    sid = ref_id({"reference": proc["id"]})
    basis = ext(proc, EXT_SESSION)
    pain = {w: res["Observation"].get(f"{w}{sid}") for w in ("pre", "post")}
    notes = {n["authorReference"]["reference"].split("/")[0]: n["text"] for n in proc.get("note", ())}
    return {
        "id": sid,
        "clinic_id": clinic,
        "patient_id": ref_id(proc["subject"]),
        "version": int(proc["meta"]["versionId"]),
        "created_by": by,
        "created_at": at,
        "episode_id": ref_id(proc["reasonReference"][0]) if "reasonReference" in proc else None,
        "clinician_id": ref_id(proc["performer"][0]["actor"]),
        "consent_id": ref_id(sub(basis, "consent")),
        "screening_id": ref_id(sub(basis, "screening")),
        "started_at": proc["performedDateTime"],
        "pain_pre": pain["pre"]["valueInteger"] if pain["pre"] else None,
        "pain_post": pain["post"]["valueInteger"] if pain["post"] else None,
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


def _procedures(res: dict[str, dict[str, dict[str, Any]]], clinic: int, out: dict[str, list[dict[str, Any]]]) -> None:
    """Session Procedures (``s…``), needle Procedures (``i…``) and circuit Procedures (``c…``)."""
    for rid, proc in res["Procedure"].items():
        if rid.startswith("s"):
            out["treatment_session"].append(_mapped(proc, _session, res, clinic))
            out["session_override"] += override_rows(ext(proc, EXT_SESSION), ref_id({"reference": proc["id"]}))
        elif rid.startswith("c"):
            out["electrical_circuit"].append(_mapped(proc, from_circuit))
        else:
            out["insertion"].append(_mapped(proc, _insertion))


def bundle_rows(bundle: Any) -> dict[str, list[dict[str, Any]]]:
    """The database rows a Filiform Bundle describes, per table."""
    res = _index(bundle)
    orgs = list(res["Organization"].values())
    if len(orgs) != 1:
        raise ValidationFailed(f"expected one Organization (the clinic), found {len(orgs)}")
    try:
        clinic = int(orgs[0]["id"])
    except ValueError as exc:
        raise ValidationFailed(f"Organization/{orgs[0]['id']}: the id is not a number") from exc
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in bulk.TABLE_ORDER}
    out["clinic"].append(_mapped(orgs[0], from_organization))
    for p in res["Practitioner"].values():
        role = res["PractitionerRole"].get(p["id"])
        if role is None:
            raise ValidationFailed(f"Practitioner/{p['id']} has no PractitionerRole")
        out["app_user"].append(_mapped(p, from_practitioner, role))
    out["patient"] = [_mapped(p, from_patient) for p in res["Patient"].values()]
    out["consent"] = [_mapped(c, from_consent, clinic) for c in res["Consent"].values()]
    for rid, qr in res["QuestionnaireResponse"].items():
        if rid.startswith("scr"):
            out["screening"].append(_mapped(qr, from_screening, clinic))
        else:
            out["outcome_response"].append(_mapped(qr, from_outcome, res["Observation"].get(rid), clinic))
    for rid, cond in res["Condition"].items():
        plan = res["CarePlan"].get(rid)
        if plan is None:
            raise ValidationFailed(f"Condition/{rid} has no CarePlan")
        out["episode"].append(_mapped(cond, from_episode, plan, clinic))
    out["pain_drawing"] = [
        _mapped(o, from_drawing, clinic) for rid, o in res["Observation"].items() if rid.startswith("d")
    ]
    _procedures(res, clinic, out)
    out["adverse_event"] = [_mapped(a, _adverse_event, clinic) for a in res["AdverseEvent"].values()]
    out["amendment"] = [_mapped(p, _amendment, clinic) for p in res["Provenance"].values()]
    for rows in out.values():
        rows.sort(key=lambda r: r["id"])
    return out


def import_bundle(session: Session, bundle: Any) -> dict[str, int]:
    """Write a Bundle into an empty database; returns rows written per table.

    Every record goes through the same concept types as a record created on any face
    (:mod:`filiform.services.records.bulk`), so an import cannot store what the web form,
    the API or an amendment would refuse.
    """
    if session.scalar(sa.select(sa.func.count()).select_from(Clinic)):
        raise Conflict("import needs an empty database (ids are kept as exported)")
    rows = bundle_rows(bundle)
    counts = bulk.insert_rows(session, rows)
    users = rows["app_user"]
    admin = next((u for u in users if u["role"] == "admin"), users[0] if users else None)
    actor = (
        Actor(user_id=admin["id"], clinic_id=admin["clinic_id"], role=Role(admin["role"]), client="fhir-import")
        if admin
        else None
    )
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="fhir_bundle",
        detail={"rows": counts},
        chain=rows["clinic"][0]["id"],
    )
    return counts
