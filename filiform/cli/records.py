"""Records commands: demo data, audit verification and reports, backup, restore, migrations.

Every command takes ``--db URL`` (default ``FILIFORM_DATABASE_URL`` or ./var/filiform.db).
Errors end with a message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import typer

from filiform.cli.database import DB_OPTION, acting, errors, existing_engine, progress_bar
from filiform.cli.output import console, fail, print_json
from filiform.services.operations import audit
from filiform.services.operations import backup as backups
from filiform.services.operations import demo as demo_service
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import current_revision, upgrade
from filiform.storage.settings import database_url

PASS_ENV = "FILIFORM_BACKUP_PASSPHRASE"

audit_app = typer.Typer(help="Verify and report the hash-chained audit trail.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(db: str | None = DB_OPTION) -> None:
    """Create or migrate the schema to the latest revision (same migrations for both DBs)."""
    with errors():
        engine = make_engine(database_url(db))
        upgrade(engine)
        console.print(f"schema at revision {current_revision(engine)}")


def demo(
    patients: int = typer.Option(
        200, "--patients", min=1, max=1_000_000, help="How many synthetic patients (about 10 sessions each)."
    ),
    seed: int = typer.Option(7, "--seed", help="Random seed (same seed, same clinic)."),
    db: str | None = DB_OPTION,
) -> None:
    """Create a believable synthetic clinic (no real people's data)."""
    with errors():
        engine = make_engine(database_url(db))
        upgrade(engine)
        with progress_bar() as bar:
            task = bar.add_task("patients", total=patients)
            stats = demo_service.generate(engine, patients=patients, seed=seed, progress=lambda n: bar.advance(task, n))
        console.print(f"clinic {stats.clinic_id}: " + ", ".join(f"{v} {k}" for k, v in stats.rows.items()))
        console.print(f"users (password '{demo_service.DEMO_PASSWORD}'): " + ", ".join(stats.usernames[:4]) + ", ...")


@audit_app.command("verify")
def audit_verify(db: str | None = DB_OPTION) -> None:
    """Recompute every hash chain; exit 1 if any entry was edited, deleted or reordered."""
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            report = audit.verify(s)
        if not report.ok:
            for problem in report.problems:
                console.print(f"[red]TAMPERED[/] {problem}", highlight=False)
            raise typer.Exit(1)
        console.print(f"audit ok: {report.entries} entries in {report.chains} chains")


def _parse_day(value: str, name: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        fail(f"--{name} must be a date like 2026-01-31, not {value!r}")


@audit_app.command("report")
def audit_report(
    start: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD), inclusive."),
    end: str = typer.Option(..., "--to", help="Last day (YYYY-MM-DD), inclusive."),
    user: str = typer.Option(..., "--user", help="Username of the admin asking (audited)."),
    sort: str = typer.Option("at", "--sort", help="Column to sort by (at, user_id, action...)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    db: str | None = DB_OPTION,
) -> None:
    """Audit entries of the user's clinic over a period, sortable by any field."""
    first, last = _parse_day(start, "from"), _parse_day(end, "to") + timedelta(days=1)
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            actor = acting(s, user)
            rows = audit.report(s, actor=actor, start=first, end=last, sort=sort)
        if as_json:
            print_json(rows)
            return
        from rich.table import Table

        table = Table(*rows[0].keys()) if rows else Table("no entries")
        for r in rows:
            table.add_row(*(str(v) if v is not None else "" for v in r.values()))
        console.print(table)


def _passphrase(confirm: bool) -> str:
    value = os.environ.get(PASS_ENV)
    if value is None:
        value = typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)
    if len(value) < 12:
        fail("the backup passphrase must have at least 12 characters")
    return value


def backup(
    out: Path = typer.Argument(..., help="Backup file to write."),
    encrypt: bool = typer.Option(
        False, "--encrypt", help=f"Encrypt (AES-256-GCM); passphrase from {PASS_ENV} or a prompt."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """Online, consistent backup (SQLite backup API or pg_dump)."""
    passphrase = _passphrase(confirm=True) if encrypt else None
    with errors():
        existing_engine(db).dispose()
        header = backups.backup(database_url(db), out, passphrase=passphrase)
        console.print(
            f"wrote {out} ({header['kind']}, sha256 {header['sha256'][:16]}..., "
            f"{'encrypted' if header['encrypted'] else '[yellow]not encrypted[/]'})"
        )


def restore(
    source: Path = typer.Argument(..., help="Backup file to read.", metavar="IN"),
    db: str | None = DB_OPTION,
) -> None:
    """Restore a backup into the database (stop the application first), then verify it."""
    with errors():
        header, _ = backups.read_header(source) if source.exists() else ({}, b"")
        passphrase = _passphrase(confirm=False) if header.get("encrypted") else None
        report = backups.restore(source, database_url(db), passphrase=passphrase)
        if not report.ok:
            fail("restored, but the audit trail does not verify:\n" + "\n".join(report.problems))
        console.print(f"restored {source}; audit ok ({report.entries} entries)")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.add_typer(audit_app, name="audit")
    app.add_typer(db_app, name="db")
