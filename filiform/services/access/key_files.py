"""Files that hold the server's keys: where they live, how they are made, how they are read.

Two kinds of key live outside the database so that the database (or a backup of it) is
not enough to forge anything: the master key that seals TOTP secrets and binds CSRF
tokens (:mod:`filiform.services.access.secrets`) and the audit key ring
(:mod:`filiform.services.operations.audit_keys`). Both follow one discipline, kept here:

* an environment variable names the file; when it is set the file must exist (silently
  creating a new key would make everything sealed or signed with the old one unusable);
* otherwise the file sits in the data directory (the SQLite database's folder, ``var/``
  for PostgreSQL) and is created on first use;
* a file is written whole or not at all: a temporary file with mode 0600, flushed to disk,
  then hard-linked into place (a new key: never overwrites one another process just made)
  or renamed over the old one (a rotation);
* a file that exists is read once per process; a malformed one is an error naming the
  path, never a reason to start over. A key readable by other users is logged as a
  warning, since the fix (``chmod 600``) is the administrator's to make.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy.engine import make_url

from filiform.errors import FiliformError
from filiform.storage.settings import DEFAULT_SQLITE_PATH, normalise_url

T = TypeVar("T")
KEY_BYTES = 32
log = logging.getLogger(__name__)


class SecretKeyError(FiliformError):
    """A key file is missing (when named explicitly), unreadable or malformed.

    A server configuration fault, not the user's: a 500 with this message in the log.
    """

    status = 500
    code = "secret_key_error"


@functools.lru_cache(maxsize=64)
def data_dir(database_url: str) -> Path:
    """The folder of a SQLite database file; ``var/`` for PostgreSQL or in-memory SQLite.

    Cached: a pure function of the URL's text, asked for by every audit append (parsing
    the URL each time cost more than signing the entries).
    """
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent
    return DEFAULT_SQLITE_PATH.parent


def locate(env: str, name: str, database_url: str) -> Path:
    """The file ``env`` names, else ``name`` in the database's data directory."""
    explicit = os.environ.get(env, "").strip()
    return Path(explicit) if explicit else data_dir(database_url) / name


def write_private(path: Path, content: bytes, *, replace: bool) -> None:
    """Write ``content`` atomically with mode 0600.

    ``replace=False`` links the new file into place and leaves an existing one alone (two
    processes starting at once end up with the same key); ``replace=True`` renames over it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):  # another process won: use its file
                os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_or_create(env: str, path: Path, first: Callable[[], bytes], what: str) -> bytes:
    """The bytes of the key file at ``path``, creating it with ``first()`` if it may be created."""
    if not path.exists():
        if os.environ.get(env, "").strip():
            raise SecretKeyError(f"{env} names {path}, which does not exist")
        write_private(path, first(), replace=False)
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except OSError as exc:
        raise SecretKeyError(f"{what} {path} cannot be read: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s %s can be read by other users (mode %o): run chmod 600 on it", what, path, mode & 0o777)
    return raw


class KeyCache(Generic[T]):
    """Parsed keys by file, read once per process (a lock keeps first use single)."""

    def __init__(self) -> None:
        self._items: dict[Path, T] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, load: Callable[[], T]) -> T:
        with self._lock:
            if path not in self._items:
                self._items[path] = load()
            return self._items[path]

    def clear(self) -> None:
        """Forget every key (tests that swap files, and after a rotation)."""
        with self._lock:
            self._items.clear()
