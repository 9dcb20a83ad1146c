"""Online, consistent, optionally encrypted backups, and restore.

SQLite is copied with the SQLite backup API (a consistent snapshot while writers keep
going; copying the file mid-transaction can corrupt it).  PostgreSQL is exported with its
own ``pg_dump -Fc`` (one MVCC snapshot) and restored with ``pg_restore``.

The file is an envelope: a magic line, a JSON header line (kind, schema revision,
SHA-256 of the payload, a signed checkpoint of every audit chain head, and for encrypted
files the scrypt salt and nonce prefix), then the payload.  The header carries
``mac``: HMAC-SHA256 under the audit key (:mod:`.audit_keys`, outside the database) over
the rest of the header, so an edited payload with a recomputed checksum no longer passes
(a plain SHA-256 can be recomputed by anyone).  Encryption is AES-256-GCM in 1 MiB chunks;
each chunk's nonce carries its index and its associated data binds the header and a
last-chunk flag, so reordering, truncating or editing any byte fails authentication.  The
key comes from a passphrase through scrypt (n=2^15, r=8, p=1).  Restore is in
:mod:`.restore`.
"""

from __future__ import annotations

import hashlib
import json
import logging
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

from filiform.errors import ValidationFailed
from filiform.services.operations import audit, audit_keys, checkpoint
from filiform.storage.engine import make_engine, transaction
from filiform.storage.engine import session_factory as _factory
from filiform.storage.migrate import current_revision
from filiform.storage.pgcluster import find_pg_bin
from filiform.storage.settings import is_sqlite, parse, sqlite_path

log = logging.getLogger("filiform.backup")

MAGIC = b"FILIFORM-BACKUP 1\n"
CHUNK = 1 << 20
HEADER_PURPOSE = "backup-header"


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def pg_tool(name: str) -> str:
    bin_dir = find_pg_bin()
    tool = (bin_dir / name) if bin_dir else None
    if tool is None or not tool.exists():
        found = shutil.which(name)
        if not found:
            raise ValidationFailed(f"{name} not found: install the PostgreSQL client tools")
        return found
    return str(tool)


def libpq_url(url: str) -> str:
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
        [pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-f", str(dest), libpq_url(url)],
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
        ring = audit_keys.ring(url)
        with transaction(_factory(engine)) as s:
            # Taken before the snapshot: every head it names is in the payload too.
            anchor = checkpoint.sign(ring, checkpoint.heads(s))
            _refresh_checkpoint(s, url)
        with tempfile.TemporaryDirectory(prefix="filiform-bk-") as tmp:
            payload = Path(tmp) / "payload"
            kind = _snapshot(url, engine, payload)
            header: dict[str, Any] = {
                "kind": kind,
                "schema_revision": current_revision(engine),
                "created_at": datetime.now(UTC).isoformat(),
                "sha256": _sha256(payload),
                "encrypted": passphrase is not None,
                "audit_checkpoint": anchor,
            }
            key = b""
            if passphrase is not None:
                salt, prefix = os.urandom(16), os.urandom(8)
                header.update(salt=salt.hex(), nonce_prefix=prefix.hex())
                key = _key(passphrase, salt)
            header["key_id"] = ring.current
            header["mac"] = ring.sign(HEADER_PURPOSE, _signed_part(header))
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


def _signed_part(header: dict[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in header.items() if k != "mac"}, sort_keys=True, separators=(",", ":")).encode()


def _refresh_checkpoint(session: Any, url: str) -> None:
    """Every backup also anchors the live database (best effort: verify reports problems)."""
    try:
        checkpoint.write(session, url)
    except checkpoint.CheckpointError as exc:
        log.error("%s", exc.message)


def header_signature_ok(header: dict[str, Any], ring: audit_keys.KeyRing) -> bool:
    mac, key_id = header.get("mac"), header.get("key_id")
    if not isinstance(mac, str) or not isinstance(key_id, str):
        return False
    return ring.check(HEADER_PURPOSE, _signed_part(header), key_id, mac)


def read_header(path: Path) -> tuple[dict[str, Any], bytes]:
    with path.open("rb") as fh:
        if fh.readline() != MAGIC:
            raise ValidationFailed(f"{path} is not a Filiform backup")
        line = fh.readline()
    try:
        header = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{path}: damaged backup header") from exc
    if not isinstance(header, dict) or not {"kind", "sha256", "encrypted"} <= set(header):
        raise ValidationFailed(f"{path}: damaged backup header")
    return header, line


def extract(path: Path, dest: Path, passphrase: str | None) -> dict[str, Any]:
    """Write the payload of ``path`` to ``dest`` and check it against the header."""
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
