"""``filiform record``: write clinical records from the command line, as a named user.

Each command takes the record as JSON (``--json '{...}'``, ``--json @file.json`` or
``--json -`` for stdin) and calls the same service function the web form and the API call,
with the same strict concept type, so a value refused there is refused here (exit 2, a
message naming every problem) and nothing is written.

    filiform record patient --user doc --json '{"mrn": "A-1", "given_name": "Ada", ...}'
    filiform record session --user doc --patient 3 --json @session.json
    filiform record amend patient 3 --version 1 --reason "typo" --json '{"email": "a@b.org"}'
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from filiform.cli.database import DB_OPTION, USER_OPTION, acting, errors, existing_engine
from filiform.cli.output import fail, print_json
from filiform.services.access.context import Actor
from filiform.services.records import amendments, clinical, drawings, outcomes, patients, sessions
from filiform.storage.engine import session_factory, transaction

record_app = typer.Typer(help="Write clinical records (JSON in, validated as on every face).", no_args_is_help=True)
JSON_OPTION = typer.Option(..., "--json", help="The record as JSON, @FILE for a file, or - for stdin.")
PATIENT_OPTION = typer.Option(..., "--patient", min=1, help="Patient id.")
MAX_JSON = 1_000_000


def read_json(source: str) -> Any:
    """The JSON given inline, in a file (``@path``) or on stdin (``-``); a clear error otherwise."""
    if source == "-":
        text = sys.stdin.read(MAX_JSON + 1)
    elif source.startswith("@"):
        path = Path(source[1:])
        if not path.is_file():
            fail(f"no such file: {path}")
        text = path.read_text(encoding="utf-8")
    else:
        text = source
    if len(text) > MAX_JSON:
        fail("the JSON is larger than 1 MB")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"not valid JSON: line {exc.lineno} column {exc.colno} ({exc.msg})")


def _for_patient(
    create: Callable[..., Any], patient_id: int, **data: Any
) -> Callable[[Session, Actor], dict[str, Any]]:
    """An action that creates one record of ``patient_id`` with ``create`` and reports its id."""

    def action(s: Session, who: Actor) -> dict[str, Any]:
        return {"id": create(s, actor=who, patient_id=patient_id, **data).id}

    return action


def _write(db: str | None, user: str | None, action: Callable[[Session, Actor], dict[str, Any]]) -> None:
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            out = action(s, acting(s, user))
        print_json(out)


@record_app.command("patient")
def patient(data: str = JSON_OPTION, user: str | None = USER_OPTION, db: str | None = DB_OPTION) -> None:
    """Register a patient (mrn, given_name, family_name, birth_date, sex, phone, email)."""
    details = read_json(data)
    _write(db, user, lambda s, who: {"id": patients.register_patient(s, actor=who, details=details).id})


@record_app.command("consent")
def consent(
    patient_id: int = PATIENT_OPTION,
    data: str = JSON_OPTION,
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Record informed consent (form_version, consented_on, notes)."""
    _write(db, user, _for_patient(clinical.record_consent, patient_id, details=read_json(data)))


@record_app.command("episode")
def episode(
    patient_id: int = PATIENT_OPTION,
    data: str = JSON_OPTION,
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Open an episode of care (condition, icd10_codes, opened_on, plan)."""
    _write(db, user, _for_patient(clinical.open_episode, patient_id, details=read_json(data)))


@record_app.command("drawing")
def drawing(
    patient_id: int = PATIENT_OPTION,
    data: str = JSON_OPTION,
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Store a pain drawing (drawn_on, regions: [{region, intensity}], episode_id)."""
    _write(db, user, _for_patient(drawings.record_drawing, patient_id, details=read_json(data)))


@record_app.command("session")
def session(
    patient_id: int = PATIENT_OPTION,
    data: str = JSON_OPTION,
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Record a needling session (started_at, insertions, circuits, pain_pre, pain_post...)."""
    _write(db, user, _for_patient(sessions.record_session, patient_id, documented=read_json(data)))


@record_app.command("outcome")
def outcome(
    patient_id: int = PATIENT_OPTION,
    data: str = JSON_OPTION,
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Store an outcome-measure response (instrument_id, answers, completed_on); prints the score."""
    details = read_json(data)

    def write(s: Session, who: Actor) -> dict[str, Any]:
        row, result = outcomes.record_outcome(s, actor=who, patient_id=patient_id, details=details)
        return {"id": row.id, "total": result.total}

    _write(db, user, write)


@record_app.command("adverse-event")
def adverse_event(
    patient_id: int = PATIENT_OPTION,
    data: str = JSON_OPTION,
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Report an adverse event (occurred_on, event_type, severity, onset, action_taken, causality...)."""
    _write(db, user, _for_patient(sessions.report_adverse_event, patient_id, details=read_json(data)))


@record_app.command("amend")
def amend(
    entity: str = typer.Argument(..., help="patient, consent, episode, pain_drawing, treatment_session..."),
    entity_id: int = typer.Argument(..., min=1),
    version: int = typer.Option(..., "--version", min=1, help="The version the change applies to."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the change)."),
    data: str = JSON_OPTION,
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Amend a record: the changed fields as JSON, validated as creating the record would be."""
    changes = read_json(data)
    if not isinstance(changes, dict):
        fail("the changes are a JSON object of field: new value")

    def write(s: Session, who: Actor) -> dict[str, Any]:
        row = amendments.amend(
            s,
            actor=who,
            entity=entity,
            entity_id=entity_id,
            changes=changes,
            reason=reason,
            expected_version=version,
        )
        return {"id": row.id, "entity": entity, "entity_id": entity_id}

    _write(db, user, write)


def register(app: typer.Typer) -> None:
    app.add_typer(record_app, name="record")
