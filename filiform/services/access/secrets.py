"""The server's secret key, and what is sealed or signed with it.

Why a key at all: the database (and its backups) must not be enough to log in as someone.
TOTP secrets are therefore stored sealed with AES-GCM, and the CSRF token of a logged-in
browser is bound to its session with an HMAC; both use sub-keys derived (HKDF) from one
32-byte master key that lives outside the database.

Where the key is:

* ``FILIFORM_SECRET_KEY_FILE`` names a file holding 32 random bytes in base64 (one line);
  when that variable is set the file must exist: silently creating a new key would make
  every sealed TOTP secret unreadable;
* otherwise ``secret.key`` in the data directory (the folder of the SQLite database, or
  ``var/`` for PostgreSQL, the same default as ``storage.settings``), created on first use
  with mode 0600.

A file that exists but does not hold exactly 32 base64 bytes is an error with the path in
the message, never a reason to start over with a fresh key.  The key and anything sealed
with it are never logged.  Where the file is and how it is written (mode 0600, atomically)
is shared with the audit key ring in :mod:`filiform.services.access.key_files`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from filiform.services.access.key_files import KEY_BYTES, KeyCache, SecretKeyError, locate, read_or_create

__all__ = ["KEY_BYTES", "SecretKeyError", "clear_cache", "key_path", "mac", "master_key", "seal", "subkey", "unseal"]

KEY_FILE_ENV = "FILIFORM_SECRET_KEY_FILE"
KEY_FILE_NAME = "secret.key"
SEALED_PREFIX = "v1:"
NONCE_BYTES = 12

_keys: KeyCache[bytes] = KeyCache()


def key_path(database_url: str) -> Path:
    """Where the master key is read from (``FILIFORM_SECRET_KEY_FILE`` wins)."""
    return locate(KEY_FILE_ENV, KEY_FILE_NAME, database_url)


def _parse(path: Path, raw: bytes) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise SecretKeyError(
            f"secret key file {path} is malformed: it must hold {KEY_BYTES} random bytes in "
            'base64 (e.g. `python -c "import base64,os;print(base64.b64encode(os.urandom(32))'
            '.decode())"`). Do not replace a key that sealed existing TOTP secrets: '
            "restore the original file instead"
        )
    return key


def _fresh() -> bytes:
    return base64.b64encode(os.urandom(KEY_BYTES)) + b"\n"


def master_key(database_url: str) -> bytes:
    """The 32-byte master key for this database (read once per process, then cached)."""
    path = key_path(database_url)
    return _keys.get(path, lambda: _parse(path, read_or_create(KEY_FILE_ENV, path, _fresh, "secret key file")))


def clear_cache() -> None:
    """Forget cached keys (tests that swap key files)."""
    _keys.clear()


def subkey(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, so the TOTP cipher and the CSRF MAC never share one."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"filiform/{purpose}".encode()).derive(master)


def seal(key: bytes, plain: bytes, *, context: bytes) -> str:
    """``v1:`` + base85(nonce ‖ AES-GCM ciphertext ‖ tag); ``context`` is authenticated.

    Why base85 rather than base64: ``user_totp.secret`` is VARCHAR(64) and a sealed
    20-byte TOTP secret is 48 bytes, 64 characters in base64 but 60 in base85, so it fits
    with the version prefix and no migration is needed.
    """
    nonce = os.urandom(NONCE_BYTES)
    body = nonce + AESGCM(key).encrypt(nonce, plain, context)
    return SEALED_PREFIX + base64.b85encode(body).decode("ascii")


def is_sealed(value: str) -> bool:
    return value.startswith(SEALED_PREFIX)


def unseal(key: bytes, sealed: str, *, context: bytes) -> bytes:
    """The plain bytes of :func:`seal`; a wrong key, context or tampering is an error."""
    if not is_sealed(sealed):
        raise SecretKeyError("not a sealed value")
    try:
        body = base64.b85decode(sealed[len(SEALED_PREFIX) :])
        return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], context)
    except (InvalidTag, ValueError) as exc:
        raise SecretKeyError(
            f"a sealed secret cannot be opened with the current secret key (was {KEY_FILE_ENV} or secret.key replaced?)"
        ) from exc


def mac(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 over ``parts`` (length-prefixed, so no two tuples collide), base64url."""
    msg = b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)
    digest = hmac.new(key, msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
