"""Write many records at once (FHIR import, demo clinics), through the same concept types.

A bulk write keeps the ids it is given (so references inside an imported Bundle stay
valid) and skips the per-record audit, but every row is validated exactly as the record
services validate a new one: demographics through ``Demographics``, a session with its
needles and circuits through ``NeedlingSession``, a drawing through the one region
validator, an outcome's total against its instrument's scorer. One bad row refuses the
whole batch, before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from filiform.core.concepts import (
    AdverseEventDetails,
    ConsentDetails,
    Demographics,
    EpisodeDetails,
    Insertion,
    NeedlingSession,
    OutcomeDetails,
    SessionDetails,
)
from filiform.core.concepts.circuit import ElectricalCircuit, setting_in_range
from filiform.core.concepts.drawing import DrawingDetails
from filiform.core.concepts.values import Strict
from filiform.errors import FiliformError, ValidationFailed
from filiform.services.records.drawings import checked_regions
from filiform.services.records.outcomes import scored
from filiform.storage.models import Base

# Tables in foreign-key order: a row's references are written before it.
TABLE_ORDER = (
    "clinic",
    "app_user",
    "patient",
    "consent",
    "screening",
    "episode",
    "pain_drawing",
    "outcome_response",
    "treatment_session",
    "insertion",
    "electrical_circuit",
    "adverse_event",
    "amendment",
)
# The patient's clinical records, in the same order (what an export counts and streams).
RECORD_TABLES = tuple(t for t in TABLE_ORDER if t not in ("clinic", "app_user", "insertion", "electrical_circuit"))
MAX_PROBLEMS = 20
Rows = Mapping[str, list[dict[str, Any]]]


def _fields(concept: type[Strict], row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in concept.model_fields if name in row}


def _concept(concept: type[Strict]) -> Callable[[Mapping[str, Any]], None]:
    def check(row: Mapping[str, Any]) -> None:
        concept.parse(_fields(concept, row))

    return check


def _drawing(row: Mapping[str, Any]) -> None:
    DrawingDetails.parse({**_fields(DrawingDetails, row), "regions": checked_regions(row.get("regions"))})


def _outcome(row: Mapping[str, Any]) -> None:
    _, result = scored(OutcomeDetails.parse(_fields(OutcomeDetails, row)))
    if row.get("total") != result.total:
        raise ValidationFailed(f"total {row.get('total')} is not what the instrument scores ({result.total})")


def _event(row: Mapping[str, Any]) -> None:
    event = AdverseEventDetails.parse(_fields(AdverseEventDetails, row))
    if event.is_significant and not row.get("significant"):
        raise ValidationFailed("a major adverse event is always significant")


CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "patient": _concept(Demographics),
    "consent": _concept(ConsentDetails),
    "episode": _concept(EpisodeDetails),
    "pain_drawing": _drawing,
    "outcome_response": _outcome,
    "adverse_event": _event,
}


def _legacy_circuit(circuit: Mapping[str, Any]) -> None:
    """A circuit migrated from per-needle settings: a note, and only valid settings kept."""
    if not circuit.get("migrated_from"):
        raise ValidationFailed("a circuit without its second needle must say what it was migrated from")
    bad = [
        name
        for name in ("frequency_hz", "pulse_width_us", "intensity_ma", "duration_s")
        if circuit.get(name) is not None and not setting_in_range(name, circuit[name])
    ]
    if bad:
        raise ValidationFailed(f"settings out of range: {', '.join(bad)}")


def _check_sessions(rows: Rows, problems: list[str]) -> None:
    """Each session with its needles and circuits, as ``record_session`` validates one."""
    needles: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    for row in sorted(rows.get("insertion", ()), key=lambda r: (r["session_id"], r["seq"])):
        needles[row["session_id"]].append(row)
    circuits: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    for row in sorted(rows.get("electrical_circuit", ()), key=lambda r: (r["session_id"], r["seq"])):
        circuits[row["session_id"]].append(row)
    for session in rows.get("treatment_session", ()):
        sid = session.get("id")
        try:
            _check_session(session, needles.pop(sid, []), circuits.pop(sid, []))
        except FiliformError as exc:
            problems.extend(f"treatment_session {sid}: {d}" for d in [exc.message, *exc.details][:5])
    for sid in [*needles, *circuits]:
        problems.append(f"treatment_session {sid}: needles or circuits of a session the Bundle does not hold")


def _check_session(
    session: Mapping[str, Any], needles: list[Mapping[str, Any]], circuits: list[Mapping[str, Any]]
) -> None:
    number = {row["id"]: n for n, row in enumerate(needles, 1)}
    insertions = [_fields(Insertion, row) for row in needles]
    paired = [c for c in circuits if c.get("lead_b_id") is not None]
    for c in circuits:
        if c.get("lead_a_id") not in number or (c.get("lead_b_id") is not None and c["lead_b_id"] not in number):
            raise ValidationFailed(f"circuit {c.get('seq')} joins a needle of another session")
        if c.get("lead_b_id") is None:
            _legacy_circuit(c)
    if len(paired) == len(circuits):
        NeedlingSession.parse(
            {
                **_fields(SessionDetails, session),
                "insertions": insertions,
                "circuits": [
                    {
                        **_fields(ElectricalCircuit, c),
                        "lead_a": number[c["lead_a_id"]],
                        "lead_b": number[c["lead_b_id"]],
                    }
                    for c in paired
                ],
            }
        )
        return
    SessionDetails.parse(_fields(SessionDetails, session))  # older rows: check what they hold
    for n, item in enumerate(insertions, 1):
        try:
            Insertion.parse(item)
        except ValidationFailed as exc:
            raise ValidationFailed(f"needle {n}: {exc.message}", details=exc.details) from None


def validate_rows(rows: Rows) -> None:
    """Refuse the batch if any record fails its concept's validation (every problem listed)."""
    problems: list[str] = []
    for table, check in CHECKS.items():
        for row in rows.get(table, ()):
            try:
                check(row)
            except FiliformError as exc:
                problems.extend(f"{table} {row.get('id')}: {d}" for d in [exc.message, *exc.details][:5])
            if len(problems) >= MAX_PROBLEMS:
                break
    _check_sessions(rows, problems)
    if problems:
        raise ValidationFailed("records do not pass validation", details=problems[:MAX_PROBLEMS])


def insert_rows(session: Session, rows: Rows) -> dict[str, int]:
    """Validate, then insert every table's rows in foreign-key order; returns rows per table.

    A database refusal (a reference that does not fit, a duplicate id) is a ValidationFailed
    naming the table, and the caller's transaction rolls back whole.
    """
    validate_rows(rows)
    tables = Base.metadata.tables
    for table in _in_order(rows):
        try:
            session.execute(sa.insert(tables[table]), rows[table])
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            detail = str(cause).splitlines()[0] if str(cause) else ""
            raise ValidationFailed(f"the {table} rows do not fit the rest of the data ({detail})") from exc
    fix_sequences(session, _in_order(rows))
    return {t: len(rows[t]) for t in TABLE_ORDER if t in rows}


def _in_order(rows: Rows) -> list[str]:
    unknown = sorted(set(rows) - set(TABLE_ORDER))
    if unknown:
        raise ValidationFailed("no such tables", details=unknown)
    return [t for t in TABLE_ORDER if rows.get(t)]


def fix_sequences(session: Session, tables: Iterable[str]) -> None:
    """Explicit ids bypass PostgreSQL sequences; move each sequence past the max id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )
