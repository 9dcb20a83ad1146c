"""Operator commands: database checks and schema, audit verification, backup and restore,
account recovery.

Every command takes ``--db URL`` (default ``FILIFORM_DATABASE_URL`` or ./var/filiform.db).
Errors end with a message and a non-zero exit, never a traceback: 2 for bad input,
1 when ``audit verify`` or ``db check`` finds a problem, 3 (:data:`db_check.EXIT_UNUSABLE`)
when the database is damaged or not a Filiform database.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import typer
from sqlalchemy.exc import SQLAlchemyError

from filiform.cli.database import DB_OPTION, describe_error
from filiform.cli.output import console, fail, print_json
from filiform.errors import FiliformError
from filiform.services.access import accounts
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit, audit_keys, checkpoint, db_check
from filiform.services.operations import backup as backups
from filiform.services.operations import restore as restores
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import current_revision, head_revision, upgrade
from filiform.storage.models import User
from filiform.storage.settings import database_url

PASS_ENV = "FILIFORM_BACKUP_PASSPHRASE"

audit_app = typer.Typer(help="Verify, anchor and report the keyed audit trail.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and integrity.", no_args_is_help=True)
user_app = typer.Typer(help="Account recovery from the server's console.", no_args_is_help=True)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except db_check.DatabaseUnusable as exc:
        fail(exc, code=db_check.EXIT_UNUSABLE)
    except FiliformError as exc:
        fail(exc)
    except subprocess.CalledProcessError as exc:
        fail(f"{Path(str(exc.cmd[0])).name} failed: {(exc.stderr or '').strip()}")
    except (SQLAlchemyError, OSError, ValueError) as exc:
        fail(describe_error(exc))


def _engine(db: str | None, *, quick: bool = True) -> sa.Engine:
    """An engine on an existing, sound, up-to-date database: reading commands never create one."""
    engine = make_engine(database_url(db), must_exist=True)
    db_check.startup_check(engine, quick=quick)
    if current_revision(engine) != head_revision():
        fail("the database schema is not up to date: run `filiform db upgrade` first")
    return engine


def _url(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@db_app.command("upgrade")
def db_upgrade(db: str | None = DB_OPTION) -> None:
    """Create or migrate the schema to the latest revision (same migrations for both DBs)."""
    with _errors():
        engine = make_engine(database_url(db))
        db_check.startup_check(engine)
        upgrade(engine)
        console.print(f"schema at revision {current_revision(engine)}")


@db_app.command("check")
def db_check_command(db: str | None = DB_OPTION) -> None:
    """The database's own full integrity check (SQLite integrity_check; PostgreSQL checksums)."""
    with _errors():
        result = db_check.check_url(database_url(db))
        for line in result.messages:
            console.print(f"{result.method}: {line}", highlight=False)
        if not result.ok:
            raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(db: str | None = DB_OPTION) -> None:
    """Check the database's integrity, recompute every chain, row hash and the checkpoint."""
    with _errors():
        engine = _engine(db, quick=False)
        integrity = db_check.full_check(engine)
        label = "[green]ok[/]" if integrity.ok else "[red]DAMAGED[/]"
        console.print(f"database integrity ({integrity.method}): {label}", highlight=False)
        for line in integrity.messages if not integrity.ok else ():
            console.print(f"  {line}", highlight=False, markup=False)
        try:
            with transaction(session_factory(engine)) as s:
                report = audit.verify(s)
        except SQLAlchemyError as exc:
            if integrity.ok:
                raise
            fail(f"the audit trail cannot be read from the damaged database: {describe_error(exc)}", code=1)
        for problem in report.problems:
            console.print(f"[red]TAMPERED[/] {problem}", highlight=False)
        if report.ok:
            console.print(
                f"audit ok: {report.entries} entries in {report.chains} chains, {report.rows_checked} record rows, "
                f"anchored by {report.checkpoint}"
            )
        if not (report.ok and integrity.ok):
            raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    force: bool = typer.Option(False, "--force", help="Replace a checkpoint the database contradicts (after review)."),
    db: str | None = DB_OPTION,
) -> None:
    """Write the signed checkpoint of every chain head next to the audit key."""
    with _errors():
        engine = _engine(db)
        with transaction(session_factory(engine)) as s:
            path = checkpoint.write(s, _url(engine), force=force)
        console.print(f"checkpoint written to {path}")


@audit_app.command("rotate-key")
def audit_rotate_key(db: str | None = DB_OPTION) -> None:
    """Add a new audit key (it signs from now on; keep the old lines to verify older entries)."""
    with _errors():
        engine = _engine(db)
        ring = audit_keys.rotate(_url(engine))
        with transaction(session_factory(engine)) as s:
            audit.record(
                s, actor=None, action="rotate_key", entity="audit_key", detail={"key_id": ring.current}, chain=0
            )
            checkpoint.write(s, _url(engine))
        console.print(f"audit key {ring.current} added to {ring.path}; restart running servers to use it")


def _parse_day(value: str, name: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        fail(f"--{name} must be a date like 2026-01-31, not {value!r}")


def _cli_actor(s: sa.orm.Session, username: str) -> Actor:
    row = s.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if row is None or not row.active:
        fail(f"no active user '{username}'")
    return Actor(user_id=row.id, clinic_id=row.clinic_id, role=Role(row.role), client=f"cli:{os.getenv('USER', '?')}")


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
    with _errors():
        engine = _engine(db)
        with transaction(session_factory(engine)) as s:
            rows = audit.report(s, actor=_cli_actor(s, user), start=first, end=last, sort=sort)
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
    """Online, consistent, signed backup (SQLite backup API or pg_dump)."""
    passphrase = _passphrase(confirm=True) if encrypt else None
    with _errors():
        _engine(db).dispose()
        header = backups.backup(database_url(db), out, passphrase=passphrase)
        console.print(
            f"wrote {out} ({header['kind']}, sha256 {header['sha256'][:16]}..., signed with audit key "
            f"{header['key_id']}, {'encrypted' if header['encrypted'] else '[yellow]not encrypted[/]'})"
        )
        for chain, head in sorted(header["audit_checkpoint"]["body"]["heads"].items(), key=lambda kv: int(kv[0])):
            console.print(f"  audit chain {chain}: seq {head['seq']} hash {head['hash'][:16]}...", highlight=False)


def restore(
    source: Path = typer.Argument(..., help="Backup file to read.", metavar="IN"),
    force: bool = typer.Option(False, "--force", help="Replace a database that holds records (a copy is kept)."),
    allow_unsigned: bool = typer.Option(False, "--allow-unsigned", help="Accept a backup written before signing."),
    db: str | None = DB_OPTION,
) -> None:
    """Verify a backup, then restore it (refused while a server uses the database)."""
    with _errors():
        header, _ = backups.read_header(source) if source.is_file() else ({}, b"")
        passphrase = _passphrase(confirm=False) if header.get("encrypted") else None
        result = restores.restore(
            source, database_url(db), passphrase=passphrase, force=force, allow_unsigned=allow_unsigned
        )
        if result.pre_restore is not None:
            console.print(f"the previous database was saved to {result.pre_restore}")
        if not result.ok:
            found = (*result.integrity.messages, *result.report.problems)
            fail("restored, but it does not verify:\n" + "\n".join(found))
        console.print(f"restored {source}; integrity ok; audit ok ({result.report.entries} entries)")


@user_app.command("reset-password")
def user_reset_password(
    username: str = typer.Argument(..., help="The account to reset."),
    db: str | None = DB_OPTION,
) -> None:
    """Issue a one-time reset token (for an imported clinic's first administrator, say)."""
    with _errors():
        engine = _engine(db)
        with transaction(session_factory(engine)) as s:
            token = accounts.console_reset(s, username=username, operator=os.getenv("USER", "?"))
        console.print(f"one-time reset token for {username} (valid {accounts.RESET_VALID_HOURS} h): {token}")
        console.print("the user opens /account/reset, or POST /api/auth/reset, with it and chooses a password")


@user_app.command("reactivate")
def user_reactivate(
    username: str = typer.Argument(..., help="The account to reactivate."),
    db: str | None = DB_OPTION,
) -> None:
    """Reactivate a deactivated (or imported inactive) account; it still needs a password reset."""
    with _errors():
        engine = _engine(db)
        with transaction(session_factory(engine)) as s:
            accounts.console_reactivate(s, username=username, operator=os.getenv("USER", "?"))
        console.print(f"{username} is active again")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.add_typer(audit_app, name="audit")
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
