"""FHIR R4 commands: export a patient's Bundle or a clinic's Bulk NDJSON, import, billing.

The commands act as a named user (``--user``) or, when the database holds one clinic,
as that clinic's administrator; every export is audited as a disclosure by that actor.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from filiform.cli.output import console, fail
from filiform.cli.records import describe_error
from filiform.errors import FiliformError
from filiform.fhir import billing, exporter, importer
from filiform.services.access.context import Actor, Role
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import current_revision, head_revision
from filiform.storage.models import Clinic, User
from filiform.storage.settings import database_url

DB_OPTION = typer.Option(
    None, "--db", help="Database URL (default: FILIFORM_DATABASE_URL or sqlite:///var/filiform.db)."
)
USER_OPTION = typer.Option(None, "--user", help="Username to act as (default: the admin of the only clinic).")
BASE_OPTION = typer.Option(exporter.DEFAULT_BASE, "--base-url", help="Server root used in fullUrl and document links.")

export_app = typer.Typer(help="Export records as FHIR R4.", no_args_is_help=True)
import_app = typer.Typer(help="Import FHIR R4 records.", no_args_is_help=True)
billing_app = typer.Typer(help="Billing summaries (CPT 20560/20561, billable ICD-10-CM).", no_args_is_help=True)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except FiliformError as exc:
        fail(exc)
    except (SQLAlchemyError, OSError, ValueError, KeyError) as exc:
        fail(describe_error(exc))


def _check_out_file(out: Path) -> None:
    """Refuse an output file that cannot be written, before anything is exported.

    Exports are audited as disclosures, so a typo in ``--out`` must fail before the
    export runs, not after a disclosure was logged for a file that never existed.
    """
    if out.is_dir():
        fail(f"cannot write to {out}: it is a folder")
    if not out.parent.is_dir():
        fail(f"cannot write to {out}: folder {out.parent} does not exist")


def _engine(db: str | None) -> sa.Engine:
    """An engine on an existing, up-to-date database: reading commands never create one."""
    engine = make_engine(database_url(db), must_exist=True)
    if current_revision(engine) != head_revision():
        fail("the database schema is not up to date: run `filiform db upgrade` first")
    return engine


def _actor(s: Session, user: str | None) -> Actor:
    if user:
        row = s.scalar(sa.select(User).where(User.username == user.strip().lower()))
    else:
        clinics = s.scalars(sa.select(Clinic.id).limit(2)).all()
        if len(clinics) != 1:
            fail("the database holds several clinics (or none): pass --user")
        row = s.scalar(
            sa.select(User).where(User.clinic_id == clinics[0], User.role == "admin", User.active).order_by(User.id)
        )
    if row is None or not row.active:
        fail(f"no active user '{user or 'admin'}'")
    return Actor(user_id=row.id, clinic_id=row.clinic_id, role=Role(row.role), client=f"cli:{os.getenv('USER', '?')}")


@export_app.command("fhir")
def export_fhir(
    patient: int = typer.Option(..., "--patient", min=1, help="Patient id."),
    out: Path | None = typer.Option(None, "--out", help="Bundle file (default: stdout)."),
    user: str | None = USER_OPTION,
    base_url: str = BASE_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """One patient's whole record as an R4 Bundle (collection)."""
    if out is not None:
        _check_out_file(out)
    with _errors():
        engine = _engine(db)
        with transaction(session_factory(engine)) as s:
            bundle = exporter.patient_bundle(s, actor=_actor(s, user), patient_id=patient, base_url=base_url)
        text = json.dumps(bundle, indent=1, ensure_ascii=False)
        if out is None:
            sys.stdout.write(text + "\n")
            return
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}: {len(bundle['entry'])} resources")


@export_app.command("bulk")
def export_bulk(
    out: Path = typer.Option(..., "--out", help="Folder for the NDJSON files and manifest.json."),
    user: str | None = USER_OPTION,
    base_url: str = BASE_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """The whole clinic as Bulk Data NDJSON, one file per resource type."""
    if out.exists() and not out.is_dir():
        fail(f"cannot write to {out}: it exists and is not a folder")
    with _errors():
        engine = _engine(db)
        with transaction(session_factory(engine)) as s:
            actor = _actor(s, user)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("records", total=None)
            manifest = exporter.bulk_export(
                engine,
                actor=actor,
                out_dir=out,
                base_url=base_url,
                on_total=lambda n: bar.update(task, total=n),
                progress=lambda n: bar.advance(task, n),
            )
        total = sum(o["count"] for o in manifest["output"])
        console.print(f"wrote {total} resources in {len(manifest['output'])} files to {out}")


@import_app.command("fhir")
def import_fhir(
    source: Path = typer.Argument(..., help="A Bundle written by `filiform export fhir`."),
    db: str | None = DB_OPTION,
) -> None:
    """Import a Filiform Bundle into an empty database (ids kept; create it with `db upgrade`)."""
    with _errors():
        bundle = importer.read_bundle(source)
        engine = _engine(db)
        with transaction(session_factory(engine)) as s:
            counts = importer.import_bundle(s, bundle)
        console.print("imported " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))


@billing_app.command("csv")
def billing_csv(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """One line per session: distinct muscles, CPT code, billable ICD-10-CM codes, flags."""
    _check_out_file(out)
    with _errors():
        engine = _engine(db)
        with transaction(session_factory(engine)) as s:
            actor = _actor(s, user)
        with out.open("w", encoding="utf-8", newline="") as handle:
            n = billing.billing_csv(engine, actor=actor, out=handle)
        console.print(f"wrote {out}: {n} sessions")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
    app.add_typer(billing_app, name="billing")
