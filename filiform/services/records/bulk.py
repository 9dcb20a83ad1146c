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
from filiform.core.concepts.drawing import DrawingDetails, stored_regions
from filiform.core.concepts.session import MIN_OVERRIDE_REASON
from filiform.core.concepts.values import Strict, column_values
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
    "session_override",
    "adverse_event",
    "amendment",
)
# The patient's clinical records, in the same order (what an export counts and streams).
RECORD_TABLES = tuple(
    t for t in TABLE_ORDER if t not in ("clinic", "app_user", "insertion", "electrical_circuit", "session_override")
)
MAX_PROBLEMS = 20
Rows = Mapping[str, list[dict[str, Any]]]  # table -> rows


Row = dict[str, Any]


def _fields(concept: type[Strict], row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in concept.model_fields if name in row}


def _valid(concept: type[Strict], row: Mapping[str, Any]) -> Row:
    """The row with its concept's fields as the concept validated (and parsed) them."""
    return {**row, **column_values(concept.parse(_fields(concept, row)))}


def _drawing(row: Mapping[str, Any]) -> Row:
    painted = checked_regions(row.get("regions"))
    valid = DrawingDetails.parse({**_fields(DrawingDetails, row), "regions": painted})
    return {**row, "drawn_on": valid.drawn_on, "episode_id": valid.episode_id, "regions": stored_regions(painted)}


def _outcome(row: Mapping[str, Any]) -> Row:
    entered = OutcomeDetails.parse(_fields(OutcomeDetails, row))
    answers, result = scored(entered)
    if row.get("total") != result.total:
        raise ValidationFailed(f"total {row.get('total')} is not what the instrument scores ({result.total})")
    return {**row, **column_values(entered), "answers": answers}


def _event(row: Mapping[str, Any]) -> Row:
    event = AdverseEventDetails.parse(_fields(AdverseEventDetails, row))
    if event.is_significant and not row.get("significant"):
        raise ValidationFailed("a major adverse event is always significant")
    return {**row, **column_values(event)}


def _override(row: Mapping[str, Any]) -> Row:
    """A safety problem set aside at saving: its rule, its wording and a written reason."""
    reason, problem, rule = row.get("reason"), row.get("problem"), row.get("rule_id")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_OVERRIDE_REASON:
        raise ValidationFailed(f"an override needs its written reason (at least {MIN_OVERRIDE_REASON} characters)")
    if not isinstance(problem, str) or not problem.strip() or not isinstance(rule, str) or not rule.strip():
        raise ValidationFailed("an override names its rule and the problem it set aside")
    needle = row.get("insertion_seq")
    if needle is not None and (not isinstance(needle, int) or isinstance(needle, bool) or needle < 1):
        raise ValidationFailed("an override's needle is a needle number (1 and up)")
    return dict(row)


CHECKS: dict[str, Callable[[Mapping[str, Any]], Row]] = {
    "patient": lambda row: _valid(Demographics, row),
    "consent": lambda row: _valid(ConsentDetails, row),
    "episode": lambda row: _valid(EpisodeDetails, row),
    "pain_drawing": _drawing,
    "outcome_response": _outcome,
    "adverse_event": _event,
    "session_override": _override,
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


def _grouped(rows: Rows, table: str) -> dict[Any, list[Mapping[str, Any]]]:
    out: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    for row in sorted(rows.get(table, ()), key=lambda r: (r["session_id"], r["seq"])):
        out[row["session_id"]].append(row)
    return out


def _check_sessions(rows: Rows, out: dict[str, list[Row]], problems: list[str]) -> None:
    """Each session with its needles and circuits, as ``record_session`` validates one."""
    needles, circuits = _grouped(rows, "insertion"), _grouped(rows, "electrical_circuit")
    for session in rows.get("treatment_session", ()):
        sid = session.get("id")
        its_circuits = circuits.pop(sid, [])
        try:
            valid, valid_needles = _check_session(session, needles.pop(sid, []), its_circuits)
        except FiliformError as exc:
            problems.extend(f"treatment_session {sid}: {d}" for d in [exc.message, *exc.details][:5])
            continue
        out["treatment_session"].append(valid)
        out["insertion"].extend(valid_needles)
        out["electrical_circuit"].extend(dict(c) for c in its_circuits)
    for sid in [*needles, *circuits]:
        problems.append(f"treatment_session {sid}: needles or circuits of a session the data does not hold")


def _check_session(
    session: Mapping[str, Any], needles: list[Mapping[str, Any]], circuits: list[Mapping[str, Any]]
) -> tuple[Row, list[Row]]:
    number = {row["id"]: n for n, row in enumerate(needles, 1)}
    paired = [c for c in circuits if c.get("lead_b_id") is not None]
    for c in circuits:
        if c.get("lead_a_id") not in number or (c.get("lead_b_id") is not None and c["lead_b_id"] not in number):
            raise ValidationFailed(f"circuit {c.get('seq')} joins a needle of another session")
        if c.get("lead_b_id") is None:
            _legacy_circuit(c)
    documented = {
        **_fields(SessionDetails, session),
        "insertions": [_fields(Insertion, row) for row in needles],
        "circuits": [
            {**_fields(ElectricalCircuit, c), "lead_a": number[c["lead_a_id"]], "lead_b": number[c["lead_b_id"]]}
            for c in paired
        ],
    }
    if len(paired) == len(circuits):
        valid = NeedlingSession.parse(documented)
        insertions: tuple[Insertion, ...] = valid.insertions
        details: SessionDetails = valid
    else:  # older rows whose circuits never named a second needle: check what they hold
        details = SessionDetails.parse(_fields(SessionDetails, session))
        insertions = tuple(Insertion.parse(item) for item in documented["insertions"])
    return (
        {**session, **column_values(details, include=set(SessionDetails.model_fields))},
        [{**row, **column_values(ins)} for row, ins in zip(needles, insertions, strict=True)],
    )


def validate_rows(rows: Rows) -> dict[str, list[Row]]:
    """The rows as the concept types validated them; every problem refuses the whole batch."""
    problems: list[str] = []
    out: dict[str, list[Row]] = {table: [dict(r) for r in rows.get(table, ())] for table in rows}
    for table, check in CHECKS.items():
        out[table] = []
        for row in rows.get(table, ()):
            try:
                out[table].append(check(row))
            except FiliformError as exc:
                problems.extend(f"{table} {row.get('id')}: {d}" for d in [exc.message, *exc.details][:5])
            if len(problems) >= MAX_PROBLEMS:
                break
    for table in ("treatment_session", "insertion", "electrical_circuit"):
        out[table] = []
    _check_sessions(rows, out, problems)
    if problems:
        raise ValidationFailed("records do not pass validation", details=problems[:MAX_PROBLEMS])
    return out


def insert_rows(session: Session, rows: Rows) -> dict[str, int]:
    """Validate, then insert every table's rows in foreign-key order; returns rows per table.

    A database refusal (a reference that does not fit, a duplicate id) is a ValidationFailed
    naming the table, and the caller's transaction rolls back whole.
    """
    valid = validate_rows(rows)
    tables = Base.metadata.tables
    for table in _in_order(valid):
        try:
            session.execute(sa.insert(tables[table]), valid[table])
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            detail = str(cause).splitlines()[0] if str(cause) else ""
            raise ValidationFailed(f"the {table} rows do not fit the rest of the data ({detail})") from exc
    fix_sequences(session, _in_order(valid))
    return {t: len(valid[t]) for t in TABLE_ORDER if t in valid}


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
