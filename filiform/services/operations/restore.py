"""Safe restore: verify first, never over a live or non-empty database by accident.

Order of work, and why:

1. the backup header's HMAC (audit key) and the payload's SHA-256 are checked, and an
   encrypted file is decrypted, before anything touches the target: a backup edited with
   a recomputed checksum is refused (an unsigned backup from before signing existed
   needs ``allow_unsigned``);
2. the target is held exclusively (:mod:`.server_lock`): refused while an application
   uses it, and no application can start during the restore;
3. a target that already holds data is refused unless ``force``; with ``force`` a
   pre-restore copy is written first (a signed backup next to the SQLite file, or next to
   the backup being restored for PostgreSQL; a raw file copy of a SQLite database too
   damaged to back up);
4. SQLite: the payload copy is migrated to the current schema, checked with
   ``integrity_check`` and its audit verified against the checkpoint in the header, and
   only then copied into place (so a bad backup never replaces anything); PostgreSQL:
   ``pg_restore --single-transaction`` then the same checks on the restored database;
5. the restore is audited and the database's checkpoint file replaced.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from filiform.errors import Conflict, ValidationFailed
from filiform.services.operations import audit, audit_keys, backup, checkpoint, db_check, server_lock
from filiform.services.operations.audit_verify import VerifyReport, verify
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.settings import is_sqlite, sqlite_path


@dataclass(frozen=True)
class RestoreResult:
    report: VerifyReport
    integrity: db_check.CheckResult
    pre_restore: Path | None
    header: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.report.ok and self.integrity.ok


def _check_signature(header: dict[str, Any], ring: audit_keys.KeyRing, allow_unsigned: bool) -> None:
    if "mac" not in header:
        if allow_unsigned:
            return
        raise ValidationFailed(
            "this backup carries no signature (written before backups were signed): restore it only if you trust "
            "the file, with --allow-unsigned"
        )
    if not backup.header_signature_ok(header, ring):
        raise ValidationFailed(
            "the backup's signature does not match: the file was altered, or it was written with an audit key "
            f"this machine does not have (install that audit.key or set {audit_keys.KEY_FILE_ENV})"
        )


def _has_data(engine: Engine) -> bool:
    """Whether replacing the target would lose something (an unreadable file counts)."""
    try:
        return _count_data(engine)
    except (SQLAlchemyError, sqlite3.DatabaseError):
        return True


def _count_data(engine: Engine) -> bool:
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        tables = set(sa.inspect(conn).get_table_names())
        if not tables:
            return False
        for table in ("clinic", "patient", "audit_log"):
            if table in tables and conn.scalar(sa.text(f"SELECT count(*) FROM {table}")):
                return True
        return bool(tables - {"alembic_version", "audit_head", "auth_state"})


def _pre_restore_copy(url: str, source: Path, passphrase: str | None) -> Path:
    """Next to the SQLite file, or (PostgreSQL) next to the backup being restored."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = sqlite_path(url).parent if is_sqlite(url) else source.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"pre-restore-{stamp}.bk"
    try:
        backup.backup(url, out, passphrase=passphrase)
        return out
    except Exception:
        if not is_sqlite(url):
            raise
    raw = folder / f"pre-restore-{stamp}.db"  # too damaged for a backup: keep the bytes
    shutil.copy2(sqlite_path(url), raw)
    for suffix in ("-wal", "-shm"):
        side = sqlite_path(url).with_name(sqlite_path(url).name + suffix)
        if side.exists():
            shutil.copy2(side, raw.with_name(raw.name + suffix))
    return raw


def _verify_payload(payload: Path, header: dict[str, Any], ring: audit_keys.KeyRing) -> None:
    """Migrate and check the extracted SQLite copy before it replaces anything."""
    engine = make_engine(f"sqlite:///{payload}")
    try:
        upgrade(engine)
        result = db_check.full_check(engine)
        if not result.ok:
            raise ValidationFailed("the backup's database fails its integrity check", details=list(result.messages))
        with transaction(session_factory(engine)) as s:
            report = verify(s, anchor=header.get("audit_checkpoint"), ring=ring)
        if not report.ok:
            raise ValidationFailed("the backup's audit trail does not verify", details=list(report.problems[:20]))
    finally:
        engine.dispose()


def _write_sqlite(payload: Path, url: str) -> None:
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The old file (already copied aside when it held data) may be damaged beyond what
    # the backup API can write into: start from an empty file.
    for old in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        old.unlink(missing_ok=True)
    src, dst = sqlite3.connect(payload), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _write_pg(payload: Path, url: str) -> None:
    subprocess.run(
        [
            backup.pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            backup.libpq_url(url),
            str(payload),
        ],
        check=True,
        capture_output=True,
        text=True,
    )


def restore(
    path: Path,
    url: str,
    *,
    passphrase: str | None = None,
    force: bool = False,
    allow_unsigned: bool = False,
) -> RestoreResult:
    """Restore ``path`` into the database at ``url`` (see the module doc for the order)."""
    if not path.is_file():
        raise ValidationFailed(f"{path} does not exist")
    ring = audit_keys.ring(url)
    header, _ = backup.read_header(path)
    target_kind = "sqlite" if is_sqlite(url) else "pg_dump"
    if header["kind"] != target_kind:
        raise Conflict(f"a {header['kind']} backup cannot be restored into this database")
    _check_signature(header, ring, allow_unsigned)
    engine = make_engine(url)
    try:
        with server_lock.exclusive(url, engine), tempfile.TemporaryDirectory(prefix="filiform-rs-") as tmp:
            payload = Path(tmp) / "payload"
            backup.extract(path, payload, passphrase)
            pre: Path | None = None
            exists = not is_sqlite(url) or sqlite_path(url).exists()
            if exists and _has_data(engine):
                if not force:
                    raise Conflict("the target database already holds records: pass --force to replace it")
                pre = _pre_restore_copy(url, path, passphrase)
            if target_kind == "sqlite":
                _verify_payload(payload, header, ring)
                engine.dispose()
                _write_sqlite(payload, url)
            else:
                _write_pg(payload, url)
                engine.dispose()
                upgrade(engine)
            return _finish(engine, url, header, pre)
    finally:
        engine.dispose()


def _finish(engine: Engine, url: str, header: dict[str, Any], pre: Path | None) -> RestoreResult:
    integrity = db_check.full_check(engine)
    with transaction(session_factory(engine)) as s:
        report = verify(s, anchor=header.get("audit_checkpoint"))
        audit.record(
            s,
            actor=None,
            action="restore",
            entity="database",
            detail={"from": header.get("created_at"), "sha256": header["sha256"], "verified": report.ok},
            chain=audit.SYSTEM_CHAIN,
        )
    if report.ok and integrity.ok:
        with transaction(session_factory(engine)) as s:
            checkpoint.replace_after_restore(s, url)
    return RestoreResult(report=report, integrity=integrity, pre_restore=pre, header=header)
