"""How one audit entry is sealed: its fields, their canonical JSON, plain SHA-256 and HMAC.

Its own module so that writing entries (:mod:`.audit`) and checking them
(:mod:`.audit_verify`) share one definition without importing each other: the verifier
must compute exactly what the writer signed, and a second copy of the field list would
let them drift apart unnoticed.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from filiform.services.operations import audit_keys

GENESIS = "0" * 64
SYSTEM_CHAIN = 0
ENTRY_PURPOSE = "audit-entry"
HASHED_FIELDS = (
    "chain",
    "seq",
    "at",
    "user_id",
    "clinic_id",
    "role",
    "client",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "detail",
    "prev_hash",
)
KEYED_FIELDS = (*HASHED_FIELDS, "key_id", "rows")

_URLS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(fields: dict[str, Any]) -> str:
    """The plain SHA-256 of an entry written before the chain was keyed."""
    payload = canonical({name: fields[name] for name in HASHED_FIELDS})
    return hashlib.sha256(payload.encode()).hexdigest()


def entry_mac(ring: audit_keys.KeyRing, fields: dict[str, Any]) -> str:
    """The HMAC of a keyed entry (raises KeyError for a key the ring does not hold)."""
    payload = canonical({name: fields[name] for name in KEYED_FIELDS})
    return ring.sign(ENTRY_PURPOSE, payload.encode(), fields["key_id"])


def database_url(session: Session) -> str:
    return _engine_url(session.get_bind().engine)


def _engine_url(engine: Engine) -> str:
    url = _URLS.get(engine)
    if url is None:
        url = _URLS[engine] = engine.url.render_as_string(hide_password=False)
    return url


def ring_for(session: Session) -> audit_keys.KeyRing:
    return audit_keys.ring(database_url(session))


def engine_ring(engine: Engine) -> audit_keys.KeyRing:
    """The key ring of ``engine``'s database (for a writer that holds no ORM session)."""
    return audit_keys.ring(_engine_url(engine))
