"""Where the database is: ``FILIFORM_DATABASE_URL`` or a SQLite file in ``./var``.

SQLite needs no set-up and suits one clinic served by one writer process; PostgreSQL is
for several clinics or several application processes (see docs/records.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from filiform.errors import ValidationFailed

DEFAULT_SQLITE_PATH = Path("var") / "filiform.db"
ENV_VAR = "FILIFORM_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    """Resolve the URL: an explicit value, then the environment, then ./var/filiform.db.

    An explicit but blank value (``--db ""``) is refused rather than read as "not given":
    quietly falling back to the default database would put records somewhere the user
    did not ask for.
    """
    if explicit is not None and not explicit.strip():
        raise ValidationFailed("the database URL is empty: pass --db URL or leave the option out")
    raw = explicit or os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    return normalise_url(raw)


def normalise_url(raw: str) -> str:
    """Accept ``postgres://``/``postgresql://`` and plain file paths; pin the psycopg 3 driver."""
    if "://" not in raw:
        return f"sqlite:///{raw}"
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        raise ValidationFailed(f"not a database URL: {raw!r}") from exc
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValidationFailed(f"unsupported database {raw!r}: use sqlite:///path or postgresql://user@host/name")
    return url.render_as_string(hide_password=False)


def parse(url: str) -> URL:
    return make_url(normalise_url(url))


def is_sqlite(url: str) -> bool:
    return parse(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL (in-memory databases are refused: nothing durable)."""
    database = parse(url).database
    if not database or database == ":memory:":
        raise ValidationFailed("an in-memory SQLite database cannot be used for records")
    return Path(database)
