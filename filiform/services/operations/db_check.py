"""Is this database sound, and is it ours?  Quick at start-up, full on demand.

Why: a damaged SQLite header used to surface as a traceback at start, B-tree damage as a
generic 500 on one patient's page while ``audit verify`` said "ok", and a foreign SQLite
file would have been "migrated" by creating Filiform's tables in it.

* :func:`startup_check` (every server start and every command that opens records):
  the file is a SQLite database, ``PRAGMA quick_check`` passes, and a database that has
  tables has Filiform's ``alembic_version``; otherwise :class:`DatabaseUnusable`, whose
  message names the file and what to do (the CLI exits with :data:`EXIT_UNUSABLE`);
* :func:`full_check` (``filiform db check`` and ``filiform audit verify``): SQLite's
  ``PRAGMA integrity_check`` (every page, index and constraint); on PostgreSQL the
  cluster's data-checksum failure count plus a full read of every table (a read verifies
  each page's checksum).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from filiform.errors import FiliformError
from filiform.storage.engine import make_engine
from filiform.storage.settings import is_sqlite, sqlite_path

EXIT_UNUSABLE = 3
SQLITE_MAGIC = b"SQLite format 3\x00"


class DatabaseUnusable(FiliformError):
    """The file is damaged or is not a Filiform database: refuse to serve it."""

    status = 503
    code = "database_unusable"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    method: str
    messages: tuple[str, ...]


def _sqlite_header(url: str) -> None:
    path = sqlite_path(url)
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as fh:
            magic = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseUnusable(f"cannot read the database {path}: {exc.strerror}") from exc
    if magic != SQLITE_MAGIC:
        raise DatabaseUnusable(
            f"{path} is not a SQLite database (or its header is damaged): restore it from a backup "
            "with `filiform restore`, or point --db / FILIFORM_DATABASE_URL at the right file"
        )


def _tables(conn: sa.Connection) -> set[str]:
    return set(sa.inspect(conn).get_table_names())


def _lines(rows: list[str], limit: int = 20) -> tuple[str, ...]:
    return tuple(line for row in rows for line in row.splitlines())[:limit]


def startup_check(engine: Engine, *, quick: bool = True) -> None:
    """Refuse a damaged or foreign database with a clear message (no traceback).

    ``quick=False`` skips ``quick_check`` (for commands that run the full check and report
    it themselves, like ``audit verify``).
    """
    url = engine.url.render_as_string(hide_password=False)
    where = str(sqlite_path(url)) if is_sqlite(url) else engine.url.render_as_string(hide_password=True)
    if is_sqlite(url):
        _sqlite_header(url)
    try:
        with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            if engine.dialect.name == "sqlite" and quick:
                rows = [str(r) for r in conn.exec_driver_sql("PRAGMA quick_check").scalars()]
                if rows != ["ok"]:
                    raise DatabaseUnusable(
                        f"{where} is damaged (PRAGMA quick_check: {'; '.join(_lines(rows, 3))}): stop, keep a copy "
                        "of the file, run `filiform db check`, and restore the latest backup with "
                        "`filiform restore --force`"
                    )
            tables = _tables(conn)
    except (DBAPIError, sqlite3.DatabaseError) as exc:
        cause = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise DatabaseUnusable(f"{where} cannot be opened as a database ({cause})") from exc
    if tables and "alembic_version" not in tables:
        raise DatabaseUnusable(
            f"{where} holds tables but is not a Filiform database (no alembic_version): refusing to change it"
        )


def full_check(engine: Engine) -> CheckResult:
    """The database's own full consistency check."""
    try:
        with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            if engine.dialect.name == "sqlite":
                rows = [str(r) for r in conn.exec_driver_sql("PRAGMA integrity_check").scalars()]
                return CheckResult(rows == ["ok"], "sqlite integrity_check", _lines(rows))
            return _pg_check(conn)
    except (SQLAlchemyError, sqlite3.DatabaseError) as exc:
        cause = str(getattr(exc, "orig", exc)).splitlines()[0]
        return CheckResult(False, "open", (f"cannot read the database: {cause}",))


def _pg_check(conn: sa.Connection) -> CheckResult:
    messages: list[str] = []
    failures = conn.scalar(
        sa.text("SELECT coalesce(checksum_failures, 0) FROM pg_stat_database WHERE datname = current_database()")
    )
    if failures:
        messages.append(f"{failures} data-checksum failures recorded for this database")
    for table in sorted(_tables(conn)):
        try:
            conn.exec_driver_sql(f'SELECT count(*) FROM (SELECT * FROM "{table}") AS t')
        except DBAPIError as exc:
            messages.append(f"{table}: {str(exc.orig).splitlines()[0]}")
    return CheckResult(not messages, "postgresql checksums + full table read", tuple(messages) or ("ok",))


def check_url(url: str) -> CheckResult:
    engine = make_engine(url, must_exist=True)
    try:
        startup_check(engine, quick=False)
        return full_check(engine)
    finally:
        engine.dispose()
