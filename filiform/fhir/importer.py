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
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, ValidationFailed
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
from filiform.fhir.map_circuit import from_circuit
from filiform.fhir.map_clinical import (
    from_consent,
    from_drawing,
    from_episode,
    from_outcome,
    from_screening,
)
from filiform.fhir.map_people import from_organization, from_patient, from_practitioner
from filiform.fhir.map_session import EXT_AE, EXT_AMENDMENT, EXT_INSERTION, EXT_LATERALITY, EXT_SESSION
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.records import bulk
from filiform.storage.models import Clinic

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


def index(bundle: Any) -> dict[str, dict[str, dict[str, Any]]]:
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


def _procedures(res: dict[str, dict[str, dict[str, Any]]], clinic: int, out: dict[str, list[dict[str, Any]]]) -> None:
    """Session, needle and circuit Procedures, told apart by their codes."""
    pains = _pain_scores(res["Observation"].values())
    for proc in res["Procedure"].values():
        kind = kind_of(proc)
        if kind == "session":
            out["treatment_session"].append(_mapped(proc, _session, pains, clinic))
        elif kind == "circuit":
            out["electrical_circuit"].append(_mapped(proc, from_circuit))
        elif kind == "needle":
            out["insertion"].append(_mapped(proc, _insertion))


def unsupported(res: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Every resource this importer cannot store (type/id and why): listed, never dropped."""
    out = []
    for kind, found in sorted(res.items()):
        for rid, resource in found.items():
            if kind_of(resource) is None:
                out.append(
                    f"{kind}/{rid}: {'not a Filiform record' if kind in SUPPORTED else 'type not stored by Filiform'}"
                )
    return out


def bundle_rows(bundle: Any, *, skip_unsupported: bool = False) -> dict[str, list[dict[str, Any]]]:
    """The database rows a Filiform Bundle describes, per table.

    A resource Filiform cannot store refuses the whole import with the list of them,
    unless ``skip_unsupported`` (then they are left out, and the caller reports them).
    """
    res = index(bundle)
    skipped = unsupported(res)
    if skipped and not skip_unsupported:
        raise ValidationFailed(
            f"{len(skipped)} resource(s) Filiform cannot store (import them with --skip-unsupported to leave them out)",
            details=skipped[:50],
        )
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
    totals = {o["derivedFrom"][0]["reference"]: o for o in res["Observation"].values() if kind_of(o) == "outcome_total"}
    for rid, qr in res["QuestionnaireResponse"].items():
        if kind_of(qr) == "screening":
            out["screening"].append(_mapped(qr, from_screening, clinic))
        elif kind_of(qr) == "outcome":
            total = totals.get(f"QuestionnaireResponse/{rid}")
            out["outcome_response"].append(_mapped(qr, from_outcome, total, clinic))
    for rid, cond in res["Condition"].items():
        plan = res["CarePlan"].get(rid)
        if plan is None:
            raise ValidationFailed(f"Condition/{rid} has no CarePlan")
        out["episode"].append(_mapped(cond, from_episode, plan, clinic))
    out["pain_drawing"] = [
        _mapped(o, from_drawing, clinic) for o in res["Observation"].values() if kind_of(o) == "drawing"
    ]
    _procedures(res, clinic, out)
    out["adverse_event"] = [_mapped(a, _adverse_event, clinic) for a in res["AdverseEvent"].values()]
    out["amendment"] = [_mapped(p, _amendment, clinic) for p in res["Provenance"].values()]
    for rows in out.values():
        rows.sort(key=lambda r: r["id"])
    return out


def import_bundle(session: Session, bundle: Any, *, skip_unsupported: bool = False) -> dict[str, int]:
    """Write a Bundle into an empty database; returns rows written per table.

    Every record goes through the same concept types as a record created on any face
    (:mod:`filiform.services.records.bulk`), so an import cannot store what the web form,
    the API or an amendment would refuse.
    """
    if session.scalar(sa.select(sa.func.count()).select_from(Clinic)):
        raise Conflict("import needs an empty database (ids are kept as exported)")
    rows = bundle_rows(bundle, skip_unsupported=skip_unsupported)
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
