"""Signed checkpoints of the audit chain heads, kept outside the database.

Why: an HMAC chain stops anyone without the key from editing or forging entries, but
not from deleting the newest ones and moving the head back to an older, genuine entry
(or from rolling the head's ``keyed_from`` forward and re-hashing everything as plain
entries).  A checkpoint records, for every chain, the head (seq, hash) and
``keyed_from`` at a moment, signed with the audit key; ``audit verify`` then requires
that the log still holds each checkpointed entry unchanged.  What a checkpoint cannot
vouch for is what was written after it, so the server writes one at start-up and every
``FILIFORM_CHECKPOINT_SECONDS`` (default 300), and every backup carries one in its header.

The file is ``FILIFORM_AUDIT_CHECKPOINT_FILE`` or ``audit-checkpoint-<database id>.json``
next to the audit key, written atomically with mode 0600.  A checkpoint that the database
no longer extends is never overwritten (it is the evidence); the writer logs an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from filiform.errors import FiliformError
from filiform.services.access.secrets import SecretKeyError
from filiform.services.operations import audit_keys
from filiform.storage.engine import session_factory, transaction
from filiform.storage.models import AuditHead, AuditLog
from filiform.storage.settings import normalise_url

FILE_ENV = "FILIFORM_AUDIT_CHECKPOINT_FILE"
INTERVAL_ENV = "FILIFORM_CHECKPOINT_SECONDS"
DEFAULT_INTERVAL_S = 300.0
PURPOSE = "audit-checkpoint"
VERSION = 1

log = logging.getLogger("filiform.audit")


class CheckpointError(FiliformError):
    status = 500
    code = "checkpoint_error"


def database_id(database_url: str) -> str:
    """A stable name for one database: its resolved SQLite path, or its URL without password."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database:
        ident = "sqlite:" + str(Path(url.database).resolve())
    else:
        ident = url.set(password=None).render_as_string(hide_password=True)
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def path_for(database_url: str) -> Path:
    explicit = os.environ.get(FILE_ENV, "").strip()
    if explicit:
        return Path(explicit)
    return audit_keys.key_path(database_url).parent / f"audit-checkpoint-{database_id(database_url)}.json"


def heads(session: Session) -> dict[str, dict[str, Any]]:
    rows = session.execute(sa.select(AuditHead).order_by(AuditHead.chain)).scalars()
    return {str(h.chain): {"seq": h.seq, "hash": h.hash, "keyed_from": h.keyed_from} for h in rows}


def _body_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(ring: audit_keys.KeyRing, chain_heads: dict[str, dict[str, Any]]) -> dict[str, Any]:
    body = {"version": VERSION, "written_at": datetime.now(UTC).isoformat(timespec="seconds"), "heads": chain_heads}
    return {"body": body, "key_id": ring.current, "mac": ring.sign(PURPOSE, _body_bytes(body))}


def is_signed(ring: audit_keys.KeyRing, doc: Any) -> bool:
    try:
        return ring.check(PURPOSE, _body_bytes(doc["body"]), str(doc["key_id"]), str(doc["mac"]))
    except (KeyError, TypeError):
        return False


def load(database_url: str) -> dict[str, Any] | None:
    """The checkpoint file's content, or None when there is none yet (signature not checked)."""
    path = path_for(database_url)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CheckpointError(f"audit checkpoint {path} cannot be read: {exc.strerror}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return {"damaged": True}
    return doc if isinstance(doc, dict) else {"damaged": True}


def problems(session: Session, ring: audit_keys.KeyRing, doc: dict[str, Any], where: str) -> list[str]:
    """What the database contradicts in a checkpoint (empty: it extends it)."""
    if not is_signed(ring, doc):
        return [f"{where} is not signed with the audit key (forged, damaged, or the key file was replaced)"]
    found: list[str] = []
    stamp = doc["body"].get("written_at", "?")
    current = heads(session)
    for chain, mark in sorted(doc["body"].get("heads", {}).items(), key=lambda kv: int(kv[0])):
        head = current.get(chain)
        if head is None:
            found.append(f"chain {chain}: in the {where} of {stamp} but missing now (chain deleted)")
            continue
        if head["keyed_from"] != mark["keyed_from"]:
            found.append(f"chain {chain}: keyed_from is {head['keyed_from']}, the {where} says {mark['keyed_from']}")
        if mark["seq"] == 0:
            continue
        stored = session.scalar(
            sa.select(AuditLog.hash).where(AuditLog.chain == int(chain), AuditLog.seq == mark["seq"])
        )
        if stored is None or head["seq"] < mark["seq"]:
            found.append(
                f"chain {chain}: the {where} of {stamp} holds seq {mark['seq']} but the log ends at "
                f"{head['seq']}: newest entries deleted and the head moved back (truncation)"
            )
        elif stored != mark["hash"]:
            found.append(f"chain {chain}: entry {mark['seq']} differs from the {where} of {stamp} (log rewritten)")
    return found


_write_lock = threading.Lock()


def write(session: Session, database_url: str, *, force: bool = False) -> Path:
    """Write a fresh checkpoint unless the database contradicts the current one.

    ``force`` (``filiform audit checkpoint --force``, after an operator has looked at the
    problem) replaces it anyway.
    """
    ring = audit_keys.ring(database_url)
    path = path_for(database_url)
    with _write_lock:
        previous = load(database_url)
        if previous is not None and not force:
            found = problems(session, ring, previous, "checkpoint")
            if found:
                raise CheckpointError(
                    f"not replacing audit checkpoint {path}: the database contradicts it ({found[0]}); "
                    "run `filiform audit verify`"
                )
        doc = sign(ring, heads(session))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out, sort_keys=True, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    return path


def replace_after_restore(session: Session, database_url: str) -> Path:
    """After a verified restore the old checkpoint describes a database that is gone."""
    return write(session, database_url, force=True)


def interval() -> float:
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL_S
    except ValueError:
        value = DEFAULT_INTERVAL_S
    return max(value, 1.0)


def write_now(engine: Engine) -> Path | None:
    """Write this engine's checkpoint; log (never raise) a problem, which verify reports."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        with transaction(session_factory(engine)) as session:
            return write(session, url)
    except (CheckpointError, SecretKeyError) as exc:
        log.error("audit checkpoint not written: %s", exc.message)
    except Exception:
        log.exception("audit checkpoint not written")
    return None


_scheduled: weakref.WeakSet[Engine] = weakref.WeakSet()
_scheduler: threading.Thread | None = None


def _loop() -> None:
    while True:
        time.sleep(interval())
        for engine in list(_scheduled):
            write_now(engine)


def schedule(engine: Engine) -> None:
    """Write checkpoints for ``engine`` every :func:`interval` seconds while it is alive."""
    global _scheduler
    with _write_lock:
        _scheduled.add(engine)
        if _scheduler is None:
            _scheduler = threading.Thread(target=_loop, name="filiform-audit-checkpoint", daemon=True)
            _scheduler.start()
