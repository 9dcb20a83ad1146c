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
with it are never logged.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

from filiform.errors import FiliformError
from filiform.storage.settings import DEFAULT_SQLITE_PATH, normalise_url

KEY_FILE_ENV = "FILIFORM_SECRET_KEY_FILE"
KEY_FILE_NAME = "secret.key"
KEY_BYTES = 32
SEALED_PREFIX = "v1:"
NONCE_BYTES = 12

_cache: dict[Path, bytes] = {}
_lock = threading.Lock()


class SecretKeyError(FiliformError):
    """The key file is missing (when named explicitly), unreadable or malformed.

    A server configuration fault, not the user's: a 500 with this message in the log.
    """

    status = 500
    code = "secret_key_error"


def data_dir(database_url: str) -> Path:
    """The folder of a SQLite database file; ``var/`` for PostgreSQL or in-memory SQLite."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent
    return DEFAULT_SQLITE_PATH.parent


def key_path(database_url: str) -> Path:
    """Where the master key is read from (``FILIFORM_SECRET_KEY_FILE`` wins)."""
    explicit = os.environ.get(KEY_FILE_ENV, "").strip()
    return Path(explicit) if explicit else data_dir(database_url) / KEY_FILE_NAME


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


def _create(path: Path) -> None:
    """Write a fresh key atomically: a temporary 0600 file hard-linked into place, so a
    concurrent first use never reads a half-written key and never overwrites one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(base64.b64encode(os.urandom(KEY_BYTES)) + b"\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def master_key(database_url: str) -> bytes:
    """The 32-byte master key for this database (read once per process, then cached)."""
    path = key_path(database_url)
    with _lock:
        cached = _cache.get(path)
        if cached is not None:
            return cached
        if not path.exists():
            if os.environ.get(KEY_FILE_ENV, "").strip():
                raise SecretKeyError(f"{KEY_FILE_ENV} names {path}, which does not exist")
            _create(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SecretKeyError(f"secret key file {path} cannot be read: {exc.strerror}") from exc
        key = _parse(path, raw)
        _cache[path] = key
        return key


def clear_cache() -> None:
    """Forget cached keys (tests that swap key files)."""
    with _lock:
        _cache.clear()


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
