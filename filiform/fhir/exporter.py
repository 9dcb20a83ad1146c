"""Dict-based, streaming R4 export: a patient's Bundle and a clinic's Bulk Data NDJSON.

No model library sits in the hot path: mappers build dicts, ``json.dumps`` writes them,
one NDJSON file per resource type. Every export is a disclosure and is audited before
the first byte leaves (who, which patient or clinic, how much), in its own transaction,
so an interrupted export is still on record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from filiform.errors import ValidationFailed
from filiform.fhir import billing
from filiform.fhir.common import parse_dt
from filiform.fhir.map_clinical import (
    questionnaires,
    to_care_plan,
    to_condition,
    to_consent,
    to_outcome,
    to_screening,
)
from filiform.fhir.map_drawing import to_drawing
from filiform.fhir.map_people import to_organization, to_patient, to_practitioner, to_practitioner_role
from filiform.fhir.map_session import session_resources, to_adverse_event, to_provenance
from filiform.services.access.context import Actor
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records import bulk, streams
from filiform.storage.engine import session_factory, transaction

DEFAULT_BASE = "http://localhost:8000"
FHIR_PATH = "/api/fhir"  # the FHIR base under the server root: fullUrls name its read endpoints
Progress = Callable[[int], None]

# Every resource type ``resources`` can yield: what a Bulk Data ``_type`` filter may name.
# A type outside this set is refused rather than silently giving an empty export.
RESOURCE_TYPES = frozenset(
    {
        "AdverseEvent",
        "CarePlan",
        "Condition",
        "Consent",
        "DocumentReference",
        "Encounter",
        "Observation",
        "Organization",
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Procedure",
        "Provenance",
        "Questionnaire",
        "QuestionnaireResponse",
    }
)


require_export = streams.require_export  # the rule lives with the reads it guards


# Not in any patient's compartment: left out of a Patient-level export.
CLINIC_TYPES = frozenset({"Organization", "Practitioner", "PractitionerRole", "Questionnaire"})


def resources(
    conn: Connection,
    clinic_id: int,
    patient_id: int | None = None,
    *,
    base_url: str = DEFAULT_BASE,
    progress: Progress | None = None,
    since: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Every resource of a clinic (or of one patient), referenced resources first.

    With ``since`` (Bulk Data ``_since``), only resources whose record changed after it.
    """
    tick = progress or (lambda n: None)
    for org in streams.clinic(conn, clinic_id, since):
        yield to_organization(org)
    for user in streams.users(conn, clinic_id, since):
        yield to_practitioner(user)
        yield to_practitioner_role(user)
    yield from (q for q in questionnaires() if since is None or parse_dt(q["meta"]["lastUpdated"]) > since)
    simple: tuple[tuple[str, Callable[[Any], Any]], ...] = (
        ("patient", to_patient),
        ("consent", to_consent),
        ("screening", to_screening),
    )
    for table, mapper in simple:
        for row in streams.rows(conn, table, clinic_id, patient_id, since):
            yield mapper(row)
            tick(1)
    for row in streams.rows(conn, "episode", clinic_id, patient_id, since):
        yield to_condition(row)
        yield to_care_plan(row)
        tick(1)
    for row in streams.rows(conn, "pain_drawing", clinic_id, patient_id, since):
        yield to_drawing(row)
        tick(1)
    for row in streams.rows(conn, "outcome_response", clinic_id, patient_id, since):
        yield from to_outcome(row)
        tick(1)
    overridden = streams.overrides(conn, clinic_id, patient_id)
    for session, insertions, circuits in streams.sessions(conn, clinic_id, patient_id, since):
        cpt = billing.cpt_code(billing.count_muscles(insertions).muscles)
        reasons = overridden.get(session["id"], [])
        yield from session_resources(session, insertions, circuits, cpt, billing.target_name, base_url, reasons)
        tick(1 + len(insertions) + len(circuits))
    for row in streams.rows(conn, "adverse_event", clinic_id, patient_id, since):
        yield to_adverse_event(row)
        tick(1)
    for row in streams.rows(conn, "amendment", clinic_id, patient_id, since):
        yield to_provenance(row)
        tick(1)


def source_rows(conn: Connection, clinic_id: int) -> int:
    """How many source rows ``resources`` will tick through (the progress bar's total)."""
    counted = (*bulk.RECORD_TABLES, "insertion", "electrical_circuit")
    return sum(streams.count(conn, table, clinic_id) for table in counted)


def patient_bundle(
    session: Session, *, actor: Actor, patient_id: int, base_url: str = DEFAULT_BASE, kind: str = "collection"
) -> dict[str, Any]:
    """One patient's whole record as an R4 Bundle (audited disclosure)."""
    require_export(actor)
    patient_of_clinic(session, patient_id, actor=actor)
    entries = [
        _entry(r, base_url, kind)
        for r in resources(session.connection(), actor.clinic_id, patient_id, base_url=base_url)
    ]
    audit.record(
        session,
        actor=actor,
        action="export",
        entity="fhir_bundle",
        entity_id=patient_id,
        patient_id=patient_id,
        detail={"resources": len(entries)},
    )
    return bundle(entries, kind)


def clinic_bundle(session: Session, *, actor: Actor, base_url: str = DEFAULT_BASE) -> dict[str, Any]:
    """The whole clinic as one Bundle (for small clinics and the round-trip test)."""
    require_export(actor)
    entries = [
        _entry(r, base_url, "collection") for r in resources(session.connection(), actor.clinic_id, base_url=base_url)
    ]
    audit.record(
        session,
        actor=actor,
        action="export",
        entity="fhir_bundle",
        detail={"scope": "clinic", "resources": len(entries)},
    )
    return bundle(entries, "collection")


def _entry(res: dict[str, Any], base_url: str, kind: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"fullUrl": f"{base_url}{FHIR_PATH}/{res['resourceType']}/{res['id']}", "resource": res}
    if kind == "searchset":
        entry["search"] = {"mode": "match" if res["resourceType"] == "Patient" else "include"}
    return entry


def bundle(entries: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": kind,
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": entries,
    }
    if kind == "searchset":
        out["total"] = sum(1 for e in entries if e["resource"]["resourceType"] == "Patient")
    return out


def dumps(res: dict[str, Any]) -> str:
    return json.dumps(res, separators=(",", ":"), ensure_ascii=False)


def write_ndjson(stream: Iterator[dict[str, Any]], out_dir: Path) -> dict[str, int]:
    """One ``<Type>.ndjson`` per resource type; returns resources written per type."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, IO[str]] = {}
    counts: dict[str, int] = {}
    try:
        for res in stream:
            kind = res["resourceType"]
            handle = files.get(kind)
            if handle is None:
                handle = files[kind] = open(out_dir / f"{kind}.ndjson", "w", encoding="utf-8", opener=_private)  # noqa: SIM115
                counts[kind] = 0
            handle.write(dumps(res))
            handle.write("\n")
            counts[kind] += 1
    finally:
        for handle in files.values():
            handle.close()
    return counts


def _private(path: str, flags: int) -> int:
    """Export files hold whole records: readable by the server's user only (0600)."""
    return os.open(path, flags, 0o600)


def check_types(types: Collection[str]) -> None:
    """Refuse unknown ``_type`` names up front: a typo must not look like "no such data"."""
    unknown = sorted(set(types) - RESOURCE_TYPES)
    if unknown:
        raise ValidationFailed(
            "unsupported resource type in _type",
            details=[f"{t}: not exported (known: {', '.join(sorted(RESOURCE_TYPES))})" for t in unknown],
        )


def _stream(
    conn: Connection,
    actor: Actor,
    base_url: str,
    progress: Progress | None,
    since: datetime | None,
    patients: list[int] | None,
    level: str,
) -> Iterator[dict[str, Any]]:
    if patients is None:
        stream = resources(conn, actor.clinic_id, base_url=base_url, progress=progress, since=since)
    else:
        stream = (
            r
            for pid in streams.patient_ids(conn, actor.clinic_id, patients)
            for r in resources(conn, actor.clinic_id, pid, base_url=base_url, progress=progress, since=since)
        )
    if level == "patient":
        return (r for r in stream if r["resourceType"] not in CLINIC_TYPES)
    return stream


def file_urls(out_dir: Path) -> Callable[[str], str]:
    """Manifest URLs for files read from disk (the CLI): absolute ``file:`` URIs."""
    where = out_dir.resolve()
    return lambda name: (where / name).as_uri()


def bulk_export(
    engine: Engine,
    *,
    actor: Actor,
    out_dir: Path,
    base_url: str = DEFAULT_BASE,
    progress: Progress | None = None,
    on_total: Progress | None = None,
    request: str | None = None,
    types: Collection[str] | None = None,
    since: datetime | None = None,
    patients: list[int] | None = None,
    level: str = "system",
    url_of: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """A clinic's Bulk Data export to ``out_dir``; returns the Bulk Data manifest.

    ``out_dir`` is checked before the export is audited, so a path that names a file is
    refused up front instead of logging a disclosure and then failing to write it.
    ``types`` (Bulk Data ``_type``) keeps only those resource types; the filter sits on
    the stream, so referenced resources are still read but only the chosen ones are
    written (and the audit records which were disclosed). ``since`` keeps resources
    changed after it; ``patients`` limits the export to those patients and ``level``
    ``patient`` leaves out what is in no patient's compartment. ``url_of`` turns a file
    name into its absolute manifest URL (default: a ``file:`` URI).
    """
    require_export(actor)
    wanted = frozenset(types) if types else None
    if wanted is not None:
        check_types(wanted)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValidationFailed(f"cannot write to {out_dir}: it exists and is not a folder")
    started = datetime.now(UTC)
    detail: dict[str, Any] = {"scope": "clinic" if patients is None else "patients", "out": out_dir.name}
    if wanted is not None:
        detail["types"] = sorted(wanted)
    if since is not None:
        detail["since"] = since.isoformat()
    if patients is not None:
        detail["patients"] = patients[:100]
    with transaction(session_factory(engine)) as s:
        audit.record(s, actor=actor, action="export", entity="fhir_bulk", detail=detail)
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn, conn.begin():
        if on_total:
            on_total(source_rows(conn, actor.clinic_id))
        stream = _stream(conn, actor, base_url, progress, since, patients, level)
        if wanted is not None:
            stream = (r for r in stream if r["resourceType"] in wanted)
        counts = write_ndjson(stream, out_dir)
    url = url_of or file_urls(out_dir)
    manifest = {
        "transactionTime": started.isoformat(),
        "request": request or f"{base_url}{FHIR_PATH}/$export",
        "requiresAccessToken": url_of is not None,
        "output": [{"type": k, "url": url(f"{k}.ndjson"), "count": v} for k, v in counts.items()],
        "error": [],
    }
    fd = os.open(out_dir / "manifest.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(manifest, indent=2))
    return manifest
