"""The audit key ring: HMAC keys for the audit chain, checkpoints and backups.

Why a key at all: with a plain hash chain anyone who can write to the database can edit
an entry and recompute every later hash.  Entries are HMAC-SHA256 under a key kept outside
the database, with the same file discipline as the TOTP sealing key
(:mod:`filiform.services.access.key_files`):

* ``FILIFORM_AUDIT_KEY_FILE`` names the file (it must then exist: a silently created new
  ring would make every keyed entry unverifiable); otherwise ``audit.key`` in the data
  directory (the folder of the SQLite database, ``var/`` for PostgreSQL), created on first
  use with mode 0600;
* one key per line, ``<id> <base64 of 32 random bytes>``; the last line signs new entries,
  earlier lines stay to verify older ones.  Rotation (``filiform audit rotate-key``)
  appends a line; never delete one while entries signed with it exist;
* a malformed file is an error naming the path, never a reason to start over.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from filiform.services.access.key_files import (
    KEY_BYTES,
    KeyCache,
    SecretKeyError,
    locate,
    read_or_create,
    write_private,
)

KEY_FILE_ENV = "FILIFORM_AUDIT_KEY_FILE"
KEY_FILE_NAME = "audit.key"
_LINE = re.compile(r"^(k[0-9]{1,6})\s+([A-Za-z0-9+/=]+)$")


@dataclass(frozen=True)
class KeyRing:
    """Keys by id, in file order; ``current`` signs new entries."""

    path: Path
    keys: dict[str, bytes]
    current: str

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)

    def sign(self, purpose: str, message: bytes, key_id: str | None = None) -> str:
        """HMAC-SHA256 (hex) of ``message`` under a per-purpose sub-key of ``key_id``."""
        return hmac.digest(_sub_key(self.keys[key_id or self.current], purpose), message, "sha256").hex()

    def check(self, purpose: str, message: bytes, key_id: str, tag: str) -> bool:
        if key_id not in self.keys:
            return False
        return hmac.compare_digest(self.sign(purpose, message, key_id), tag)


@lru_cache(maxsize=64)
def _sub_key(key: bytes, purpose: str) -> bytes:
    """The per-purpose sub-key of ``key``, derived once (every audit entry is signed with
    one: deriving it each time doubled the cost of signing)."""
    return hmac.new(key, f"filiform/{purpose}".encode(), hashlib.sha256).digest()


_rings: KeyCache[KeyRing] = KeyCache()


def key_path(database_url: str) -> Path:
    return locate(KEY_FILE_ENV, KEY_FILE_NAME, database_url)


def _parse(path: Path, text: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.match(line.strip())
        raw = b""
        if match:
            with contextlib.suppress(binascii.Error, ValueError):
                raw = base64.b64decode(match.group(2), validate=True)
        if not match or len(raw) != KEY_BYTES or match.group(1) in keys:
            raise SecretKeyError(
                f"audit key file {path} is malformed at line {number}: each line must be '<id> <base64 of "
                f"{KEY_BYTES} bytes>' with a unique id like k1. Restore the original file; never replace it"
            )
        keys[match.group(1)] = raw
    if not keys:
        raise SecretKeyError(f"audit key file {path} holds no key")
    return KeyRing(path=path, keys=keys, current=list(keys)[-1])


def _line(key_id: str) -> bytes:
    return f"{key_id} {base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}\n".encode()


def ring(database_url: str) -> KeyRing:
    """The key ring for this database (read once per process, then cached)."""
    path = key_path(database_url)

    def load() -> KeyRing:
        raw = read_or_create(KEY_FILE_ENV, path, lambda: _line("k1"), "audit key file")
        try:
            return _parse(path, raw.decode("ascii"))
        except UnicodeDecodeError as exc:
            raise SecretKeyError(f"audit key file {path} cannot be read: {exc}") from exc

    return _rings.get(path, load)


def rotate(database_url: str) -> KeyRing:
    """Append a new key (it signs from now on); the old ones stay for verification."""
    current = ring(database_url)
    number = max(int(k[1:]) for k in current.keys) + 1
    content = current.path.read_bytes()
    if content and not content.endswith(b"\n"):
        content += b"\n"
    write_private(current.path, content + _line(f"k{number}"), replace=True)
    clear_cache()
    return ring(database_url)


def clear_cache() -> None:
    _rings.clear()
