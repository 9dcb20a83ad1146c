"""Import a Filiform export (Bundle, NDJSON file or Bulk Data folder) into an empty database.

The inverse of the exporter, in bounded memory: resources are read one at a time
(:mod:`.sources`), told apart by their type and codes (never their ids), staged on disk
(:mod:`.staging`), turned back into rows by the ``from_*`` functions and inserted in
foreign-key order in batches through :mod:`filiform.services.records.bulk` (the same
validation as every other face). Importing into
an empty database only keeps the ids (and so every reference) exactly as they were; the
import is audited on the imported clinic's chain, as its administrator. Imported users
get no usable password (an administrator sets new ones).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, ValidationFailed
from filiform.fhir import sources
from filiform.fhir.import_rows import (
    SUPPORTED,
    _adverse_event,
    _amendment,
    _insertion,
    _mapped,
    _pain_scores,
    _session,
    kind_of,
    session_overrides,
)
from filiform.fhir.map_circuit import from_circuit
from filiform.fhir.map_clinical import (
    from_consent,
    from_episode,
    from_outcome,
    from_screening,
)
from filiform.fhir.map_drawing import from_drawing
from filiform.fhir.map_people import from_organization, from_patient, from_practitioner
from filiform.fhir.sources import checked
from filiform.fhir.staging import Stage
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.records import bulk
from filiform.storage.models import Clinic, User


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


# Kinds that are rebuilt from others (an Encounter and a note from their session) or are
# definitions Filiform ships (Questionnaires): recognised, not stored.
DERIVED = frozenset({"encounter", "note", "definition"})
# kind -> where its grouping reference is (the record it belongs to)
GROUPED = {
    "role": ("practitioner",),
    "plan": ("addresses", 0),
    "outcome_total": ("derivedFrom", 0),
    "needle": ("partOf", 0),
    "circuit": ("partOf", 0),
    "pain": ("partOf", 0),
}
BATCH = 2000
MAX_LISTED = 50


def _group(kind: str, res: dict[str, Any]) -> str | None:
    path = GROUPED.get(kind)
    if path is None:
        return None
    value: Any = res
    for step in path:
        value = value[step]
    return str(value["reference"])


def _number(res: dict[str, Any]) -> int | None:
    digits = res["id"].lstrip("abcdefghijklmnopqrstuvwxyz")
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


def stage_all(stage: Stage, items: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
    """Stage every resource; returns the ones Filiform cannot store (``where``: why)."""
    left_out: list[str] = []
    for where, res in items:
        res.pop("_fullUrl", None)
        kind = kind_of(res)
        ref = f"{res['resourceType']}/{res['id']}"
        if kind is None:
            why = "not a Filiform record" if res["resourceType"] in SUPPORTED else "type not stored by Filiform"
            left_out.append(f"{ref} ({where}): {why}")
            continue
        if kind in DERIVED:
            continue
        try:
            grp = _group(kind, res)
        except (KeyError, IndexError, TypeError) as exc:
            raise ValidationFailed(f"{ref}: missing the reference to its record ({where}: {exc})") from None
        if not stage.add(kind, ref, grp, _number(res), res):
            raise ValidationFailed(f"{ref} appears more than once ({where})")
    return left_out


def _orphans(stage: Stage) -> list[str]:
    """Resources whose record is not in the data (a needle of a missing session...)."""
    rows = stage.db.execute(
        "SELECT ref, grp FROM staged WHERE grp IS NOT NULL AND grp NOT IN (SELECT ref FROM staged) LIMIT 20"
    )
    return [f"{ref}: refers to {grp}, which the data does not hold" for ref, grp in rows]


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _session_dicts(stage: Stage, clinic: int) -> Iterator[dict[str, Any]]:
    """Each session with its needles, circuits and written override reasons."""
    for proc in stage.of_kind("session"):
        ref = f"Procedure/{proc['id']}"
        pains = _pain_scores(stage.group(ref, "pain"))
        yield {
            "session": _mapped(proc, _session, pains, clinic),
            "needles": [_mapped(n, _insertion) for n in stage.group(ref, "needle")],
            "circuits": [_mapped(c, from_circuit) for c in stage.group(ref, "circuit")],
            "overrides": session_overrides(proc),
        }


def _write(session: Session, table: str, rows: Iterable[dict[str, Any]], counts: dict[str, int]) -> None:
    for batch in _batches(rows):
        for table_name, n in bulk.insert_rows(session, {table: batch}).items():
            counts[table_name] = counts.get(table_name, 0) + n


def restore(session: Session, stage: Stage) -> tuple[int, dict[str, int]]:
    """Insert the staged records in foreign-key order; returns (clinic id, rows per table)."""
    orgs = list(stage.of_kind("clinic"))
    if len(orgs) != 1:
        raise ValidationFailed(f"expected one Organization (the clinic), found {len(orgs)}")
    try:
        clinic = int(orgs[0]["id"])
    except ValueError as exc:
        raise ValidationFailed(f"Organization/{orgs[0]['id']}: the id is not a number") from exc
    orphans = _orphans(stage)
    if orphans:
        raise ValidationFailed("records refer to records the data does not hold", details=orphans)
    counts: dict[str, int] = {}
    _write(session, "clinic", [_mapped(orgs[0], from_organization)], counts)
    users = []
    for p in stage.of_kind("user"):
        roles = stage.group(f"Practitioner/{p['id']}", "role")
        if not roles:
            raise ValidationFailed(f"Practitioner/{p['id']} has no PractitionerRole")
        users.append(_mapped(p, from_practitioner, roles[0]))
    _write(session, "app_user", users, counts)
    _write(session, "patient", (_mapped(p, from_patient) for p in stage.of_kind("patient")), counts)
    _write(session, "consent", (_mapped(c, from_consent, clinic) for c in stage.of_kind("consent")), counts)
    _write(session, "screening", (_mapped(q, from_screening, clinic) for q in stage.of_kind("screening")), counts)
    _write(session, "episode", _episodes(stage, clinic), counts)
    _write(session, "pain_drawing", (_mapped(o, from_drawing, clinic) for o in stage.of_kind("drawing")), counts)
    _write(session, "outcome_response", _outcomes(stage, clinic), counts)
    for batch in _batches(_session_dicts(stage, clinic)):
        tables: dict[str, list[dict[str, Any]]] = {
            "treatment_session": [],
            "insertion": [],
            "electrical_circuit": [],
            "session_override": [],
        }
        for item in batch:
            tables["treatment_session"].append(item["session"])
            tables["insertion"] += item["needles"]
            tables["electrical_circuit"] += item["circuits"]
            tables["session_override"] += item["overrides"]
        for table_name, n in bulk.insert_rows(session, tables).items():
            counts[table_name] = counts.get(table_name, 0) + n
    _write(
        session, "adverse_event", (_mapped(a, _adverse_event, clinic) for a in stage.of_kind("adverse_event")), counts
    )
    _write(session, "amendment", (_mapped(p, _amendment, clinic) for p in stage.of_kind("amendment")), counts)
    return clinic, counts


def _episodes(stage: Stage, clinic: int) -> Iterator[dict[str, Any]]:
    for cond in stage.of_kind("episode"):
        plans = stage.group(f"Condition/{cond['id']}", "plan")
        if not plans:
            raise ValidationFailed(f"Condition/{cond['id']} has no CarePlan")
        yield _mapped(cond, from_episode, plans[0], clinic)


def _outcomes(stage: Stage, clinic: int) -> Iterator[dict[str, Any]]:
    for qr in stage.of_kind("outcome"):
        totals = stage.group(f"QuestionnaireResponse/{qr['id']}", "outcome_total")
        yield _mapped(qr, from_outcome, totals[0] if totals else None, clinic)


def database_is_empty(session: Session) -> bool:
    """No clinic yet: a Filiform export can be restored here with its ids."""
    return not session.scalar(sa.select(sa.func.count()).select_from(Clinic))


@dataclass(frozen=True)
class ImportReport:
    """Rows written per table, and what was left out (only with ``skip_unsupported``)."""

    counts: dict[str, int]
    left_out: list[str]


def import_resources(
    session: Session, items: Iterable[tuple[str, dict[str, Any]]], *, skip_unsupported: bool = False
) -> ImportReport:
    """Write a Filiform export into an empty database (all or nothing), in bounded memory.

    Resources Filiform cannot store refuse the import with their list, unless
    ``skip_unsupported`` (then they are reported as left out).
    """
    if not database_is_empty(session):
        raise Conflict("import needs an empty database (ids are kept as exported)")
    with Stage() as stage:
        left_out = stage_all(stage, items)
        if left_out and not skip_unsupported:
            raise ValidationFailed(
                f"{len(left_out)} resource(s) Filiform cannot store (import with --skip-unsupported to leave them out)",
                details=left_out[:MAX_LISTED],
            )
        clinic, counts = restore(session, stage)
    _audit(session, clinic, counts, len(left_out))
    return ImportReport(counts, left_out)


def _audit(session: Session, clinic: int, counts: dict[str, int], left_out: int) -> None:
    admin = session.execute(
        sa.select(User).where(User.clinic_id == clinic).order_by((User.role != "admin"), User.id).limit(1)
    ).scalar_one_or_none()
    actor = (
        Actor(user_id=admin.id, clinic_id=admin.clinic_id, role=Role(admin.role), client="fhir-import")
        if admin
        else None
    )
    detail: dict[str, Any] = {"rows": counts}
    if left_out:
        detail["left_out"] = left_out
    audit.record(session, actor=actor, action="import", entity="fhir_bundle", detail=detail, chain=clinic)


def bundle_items(bundle: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, resource) of a Bundle already in memory, with the shape checked first."""
    index(bundle)  # a stray array, an empty Bundle or a repeated entry: refused up front
    for n, entry in enumerate(bundle["entry"], start=1):
        yield f"entry {n}", checked(entry["resource"], f"entry {n}")


def import_bundle(session: Session, bundle: Any, *, skip_unsupported: bool = False) -> dict[str, int]:
    """Write a Bundle (already parsed) into an empty database; returns rows written per table."""
    return import_resources(session, bundle_items(bundle), skip_unsupported=skip_unsupported).counts


def import_path(session: Session, path: Path, *, skip_unsupported: bool = False) -> ImportReport:
    """Import a Bundle file, an NDJSON file or a Bulk Data folder, streaming."""
    return import_resources(session, sources.resources(path), skip_unsupported=skip_unsupported)
