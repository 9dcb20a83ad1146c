"""Derived data of the shipped data files, built once and kept on disk between runs.

Why: building the knowledge base (194 YAML files, strict validation, cross-reference
checks) and the atlas (shapely geometry for 603 regions) takes seconds, and every CLI
command and every server start did it again. The result only changes when the data or
the code that builds it changes, so it is kept as a file keyed by a hash of both.

The rules that make the cache safe to forget about:

* **Never stale.** The key is a SHA-256 over the cache format, the Python, Filiform and
  library versions, the bytes of every file under the data root and of every source file
  of ``filiform.core`` (the code that parses, validates and builds). Any edit, even one
  that keeps a file's size and time, gives a new key, so an old entry is never read.
* **Only validated data is stored.** A builder stores what it returns, and builders raise
  on invalid data (``load_kb`` raises unless schema and cross-references are clean), so
  a cache entry is always the result of a full check of the same bytes.
* **Checked when read.** Each file starts with a header naming the key, the object's type
  and the SHA-256 of the payload; a truncated, corrupt or foreign file is deleted and
  rebuilt, never trusted.
* **Private and optional.** Entries are pickles, so they are read only from a directory
  and file owned by the current user and writable by no one else (mode 0700/0600). The
  directory is ``FILIFORM_CACHE_DIR``, else ``$XDG_CACHE_HOME/filiform``, else
  ``~/.cache/filiform``: a per-user place, so a read-only or shared installation works
  (nothing is written next to the package). When no such directory can be used, or
  ``FILIFORM_NO_CACHE=1``, the data is built in memory as before. Deleting the directory
  at any time is safe: the next run rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import platform
import stat
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

import filiform

T = TypeVar("T")

FORMAT = 1
MAGIC = b"FILIFORM-CACHE\n"
DIR_ENV = "FILIFORM_CACHE_DIR"
OFF_ENV = "FILIFORM_NO_CACHE"
KEEP = 4  # entries of one name kept (e.g. two checkouts with different data)
_lock = threading.RLock()  # a build may need another entry (the base checks against the atlas)


def cache_dir() -> Path | None:
    """Where entries live, or None when caching is switched off."""
    if os.environ.get(OFF_ENV, "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get(DIR_ENV, "").strip()
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "filiform"


def _walk(node: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for child in node.iterdir():
        name = f"{prefix}/{child.name}" if prefix else child.name
        if child.is_dir():
            if child.name != "__pycache__":
                found.extend(_walk(child, name))
        elif not child.name.endswith((".pyc", ".pyo")):
            found.append((name, child))
    return found


def _digest_tree(h: hashlib._Hash, label: str, root: Traversable | Path) -> None:
    for name, item in sorted(_walk(root, ""), key=lambda pair: pair[0]):
        data = item.read_bytes()
        h.update(f"{label}/{name}\0{len(data)}\0".encode())
        h.update(data)


@lru_cache(maxsize=1)
def _code_digest() -> str:
    h = hashlib.sha256()
    _digest_tree(h, "core", resources.files("filiform.core"))
    h.update(resources.files("filiform").joinpath("errors.py").read_bytes())
    return h.hexdigest()


def _versions(libraries: tuple[str, ...]) -> str:
    parts = [f"format={FORMAT}", f"filiform={filiform.__version__}", f"python={sys.version}", platform.machine()]
    for name in libraries:
        module = __import__(name)
        parts.append(f"{name}={getattr(module, '__version__', '?')}")
    return "\n".join(parts)


def _data_digest(root: Traversable | Path) -> str:
    h = hashlib.sha256()
    _digest_tree(h, "data", root)
    return h.hexdigest()


@lru_cache(maxsize=1)
def _shipped_digest() -> str:
    """The shipped data does not change under a running process: hashed once."""
    return _data_digest(shipped_root())


def shipped_root() -> Traversable:
    return resources.files("filiform.data")


def fingerprint(root: Traversable | Path, libraries: tuple[str, ...] = ()) -> str:
    """The key of everything built from ``root``: data bytes, core code and versions.

    Any other root (a data author's copy) is hashed again on every call.
    """
    h = hashlib.sha256(_versions(libraries).encode())
    h.update(_code_digest().encode())
    h.update((_shipped_digest() if root == shipped_root() else _data_digest(root)).encode())
    return h.hexdigest()


def _private(path: Path, *, is_dir: bool) -> bool:
    """Owned by us and writable by no one else: the only entries we will unpickle."""
    try:
        st = path.stat()
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(st.st_mode) if is_dir else stat.S_ISREG(st.st_mode)
    return kind_ok and st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _entry(folder: Path, name: str, key: str) -> Path:
    return folder / f"{name}-{key[:32]}.pickle"


def _read(path: Path, key: str, kind: type[T]) -> T | None:
    """The entry's object, or None (and the file removed) if it is not exactly ours."""
    if not path.exists() or not _private(path, is_dir=False):
        return None
    try:
        with path.open("rb") as f:
            if f.readline() != MAGIC:
                raise ValueError("not a cache file")
            header = json.loads(f.readline())
            payload = f.read()
        if (
            header.get("format") != FORMAT
            or header.get("key") != key
            or header.get("type") != f"{kind.__module__}.{kind.__qualname__}"
            or header.get("sha256") != hashlib.sha256(payload).hexdigest()
        ):
            raise ValueError("header does not match")
        value = pickle.loads(payload)
        if not isinstance(value, kind):
            raise ValueError("wrong type")
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
        path.unlink(missing_ok=True)
        return None
    return value


def _write(folder: Path, path: Path, key: str, value: object) -> None:
    """Write atomically (temporary 0600 file renamed into place); failures only cost speed."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    kind = type(value)
    header = {
        "format": FORMAT,
        "key": key,
        "type": f"{kind.__module__}.{kind.__qualname__}",
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder, is_dir=True):
            return
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + json.dumps(header).encode() + b"\n" + payload)
        os.replace(tmp, path)
        _prune(folder, path)
    except OSError:  # read-only or full: the next run builds again, nothing else changes
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _prune(folder: Path, kept: Path) -> None:
    """Keep the newest few entries of one name; older keys can never be read again anyway."""
    stem = kept.name.rsplit("-", 1)[0]
    others = sorted(
        (p for p in folder.glob(f"{stem}-*.pickle") if p != kept), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in others[KEEP - 1 :]:
        old.unlink(missing_ok=True)


def cached(
    name: str,
    build: Callable[[], T],
    kind: type[T],
    *,
    root: Traversable | Path,
    libraries: tuple[str, ...] = (),
    folder: Path | None = None,
) -> T:
    """``build()``'s result for the current data under ``root``, from disk when it is current.

    ``kind`` is the type the entry must have; ``libraries`` are the modules whose classes
    the object holds (their versions join the key, since pickles name classes).
    """
    where = folder if folder is not None else cache_dir()
    if where is None:
        return build()
    key = fingerprint(root, libraries)
    path = _entry(where, name, key)
    with _lock:
        if _private(where, is_dir=True):
            found = _read(path, key, kind)
            if found is not None:
                return found
        value = build()
        _write(where, path, key, value)
        return value
