"""Online, consistent, optionally encrypted backups, and restore.

SQLite is copied with the SQLite backup API (a consistent snapshot while writers keep
going; copying the file mid-transaction can corrupt it).  PostgreSQL is exported with its
own ``pg_dump -Fc`` (one MVCC snapshot) and restored with ``pg_restore``.

The file is an envelope: a magic line, a JSON header line (kind, schema revision,
SHA-256 of the payload, and for encrypted files the scrypt salt and nonce prefix), then
the payload.  Encryption is AES-256-GCM in 1 MiB chunks; each chunk's nonce carries its
index and its associated data binds the header and a last-chunk flag, so reordering,
truncating or editing any byte fails authentication.  The key comes from a passphrase
through scrypt (n=2^15, r=8, p=1).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy.engine import Engine

from filiform.errors import Conflict, ValidationFailed
from filiform.services.operations import audit
from filiform.storage.engine import make_engine, sqlite_integrity_check, transaction
from filiform.storage.engine import session_factory as _factory
from filiform.storage.migrate import current_revision
from filiform.storage.pgcluster import find_pg_bin
from filiform.storage.settings import is_sqlite, parse, sqlite_path

MAGIC = b"FILIFORM-BACKUP 1\n"
CHUNK = 1 << 20


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def _pg_tool(name: str) -> str:
    bin_dir = find_pg_bin()
    tool = (bin_dir / name) if bin_dir else None
    if tool is None or not tool.exists():
        found = shutil.which(name)
        if not found:
            raise ValidationFailed(f"{name} not found: install the PostgreSQL client tools")
        return found
    return str(tool)


def _libpq_url(url: str) -> str:
    return parse(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _snapshot(url: str, engine: Engine, dest: Path) -> str:
    """Write a consistent payload to ``dest``; return its kind."""
    if is_sqlite(url):
        src = sqlite3.connect(sqlite_path(url))
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst, pages=4096)
        finally:
            dst.close()
            src.close()
        return "sqlite"
    subprocess.run(
        [_pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-f", str(dest), _libpq_url(url)],
        check=True,
        capture_output=True,
        text=True,
    )
    return "pg_dump"


def _encrypt(src: BinaryIO, out: BinaryIO, key: bytes, prefix: bytes, header: bytes) -> None:
    aead = AESGCM(key)
    index = 0
    block = src.read(CHUNK)
    while True:
        nxt = src.read(CHUNK)
        last = not nxt
        nonce = prefix + struct.pack(">I", index)
        sealed = aead.encrypt(nonce, block, header + struct.pack(">I?", index, last))
        out.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        block, index = nxt, index + 1


def _decrypt(src: BinaryIO, key: bytes, prefix: bytes, header: bytes) -> Iterator[bytes]:
    aead = AESGCM(key)
    index = 0
    while True:
        size_raw = src.read(4)
        if len(size_raw) < 4:
            raise ValidationFailed("backup is truncated")
        sealed = src.read(struct.unpack(">I", size_raw)[0])
        nonce = prefix + struct.pack(">I", index)
        for last in (False, True):
            try:
                yield aead.decrypt(nonce, sealed, header + struct.pack(">I?", index, last))
            except InvalidTag:
                continue
            if last:
                return
            break
        else:
            raise ValidationFailed("wrong passphrase, or the backup was altered")
        index += 1


def backup(url: str, out: Path, *, passphrase: str | None = None) -> dict[str, Any]:
    """Write a backup of the database at ``url`` to ``out`` (atomically: .part then rename).

    The destination is checked first and the database must already exist: a backup is
    audited, so a mistyped path must not log a backup that was never written, nor create
    an empty database just to copy it.
    """
    if out.is_dir():
        raise ValidationFailed(f"cannot write to {out}: it is a folder")
    if not out.parent.is_dir():
        raise ValidationFailed(f"cannot write to {out}: folder {out.parent} does not exist")
    engine = make_engine(url, must_exist=True)
    try:
        with transaction(_factory(engine)) as s:
            audit.record(
                s,
                actor=None,
                action="backup",
                entity="database",
                detail={"encrypted": passphrase is not None},
                chain=audit.SYSTEM_CHAIN,
            )
        with tempfile.TemporaryDirectory(prefix="filiform-bk-") as tmp:
            payload = Path(tmp) / "payload"
            kind = _snapshot(url, engine, payload)
            header: dict[str, Any] = {
                "kind": kind,
                "schema_revision": current_revision(engine),
                "created_at": datetime.now(UTC).isoformat(),
                "sha256": _sha256(payload),
                "encrypted": passphrase is not None,
            }
            key = b""
            if passphrase is not None:
                salt, prefix = os.urandom(16), os.urandom(8)
                header.update(salt=salt.hex(), nonce_prefix=prefix.hex())
                key = _key(passphrase, salt)
            header_line = json.dumps(header, sort_keys=True).encode() + b"\n"
            part = out.with_name(out.name + ".part")
            with part.open("wb") as fh, payload.open("rb") as src:
                fh.write(MAGIC + header_line)
                if passphrase is None:
                    shutil.copyfileobj(src, fh, CHUNK)
                else:
                    _encrypt(src, fh, key, bytes.fromhex(header["nonce_prefix"]), header_line)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, out)
            return header
    finally:
        engine.dispose()


def read_header(path: Path) -> tuple[dict[str, Any], bytes]:
    with path.open("rb") as fh:
        if fh.readline() != MAGIC:
            raise ValidationFailed(f"{path} is not a Filiform backup")
        line = fh.readline()
    try:
        return json.loads(line), line
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{path}: damaged backup header") from exc


def _extract(path: Path, dest: Path, passphrase: str | None) -> dict[str, Any]:
    header, line = read_header(path)
    if header["encrypted"] and not passphrase:
        raise ValidationFailed("this backup is encrypted: a passphrase is required")
    with path.open("rb") as fh, dest.open("wb") as out:
        fh.readline()
        fh.readline()
        if header["encrypted"]:
            key = _key(passphrase or "", bytes.fromhex(header["salt"]))
            for block in _decrypt(fh, key, bytes.fromhex(header["nonce_prefix"]), line):
                out.write(block)
        else:
            shutil.copyfileobj(fh, out, CHUNK)
    if _sha256(dest) != header["sha256"]:
        raise ValidationFailed("backup payload does not match its checksum (damaged file)")
    return header


def restore(path: Path, url: str, *, passphrase: str | None = None) -> audit.VerifyReport:
    """Restore ``path`` into the (stopped-application) database at ``url``; verify the audit."""
    if not path.exists():
        raise ValidationFailed(f"{path} does not exist")
    with tempfile.TemporaryDirectory(prefix="filiform-rs-") as tmp:
        payload = Path(tmp) / "payload"
        header = _extract(path, payload, passphrase)
        target_kind = "sqlite" if is_sqlite(url) else "pg_dump"
        if header["kind"] != target_kind:
            raise Conflict(f"a {header['kind']} backup cannot be restored into this database")
        if target_kind == "sqlite":
            target = sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            src, dst = sqlite3.connect(payload), sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        else:
            subprocess.run(
                [
                    _pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--exit-on-error",
                    "-d",
                    _libpq_url(url),
                    str(payload),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
    engine = make_engine(url)
    try:
        if target_kind == "sqlite" and sqlite_integrity_check(engine) != "ok":
            raise ValidationFailed("restored database fails PRAGMA integrity_check")
        with transaction(_factory(engine)) as s:
            report = audit.verify(s)
            audit.record(
                s,
                actor=None,
                action="restore",
                entity="database",
                detail={"from": header["created_at"], "sha256": header["sha256"]},
                chain=audit.SYSTEM_CHAIN,
            )
        return report
    finally:
        engine.dispose()
