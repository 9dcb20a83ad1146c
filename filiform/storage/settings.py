"""Where the database is: ``FILIFORM_DATABASE_URL`` or a SQLite file in ``./var``.

SQLite needs no set-up and suits one clinic served by one writer process; PostgreSQL is
for several clinics or several application processes (see docs/records.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url

DEFAULT_SQLITE_PATH = Path("var") / "filiform.db"
ENV_VAR = "FILIFORM_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    """Resolve the URL: an explicit value, then the environment, then ./var/filiform.db."""
    raw = explicit or os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    return normalise_url(raw)


def normalise_url(raw: str) -> str:
    """Accept ``postgres://``/``postgresql://`` and plain file paths; pin the psycopg 3 driver."""
    if "://" not in raw:
        return f"sqlite:///{raw}"
    url = make_url(raw)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def parse(url: str) -> URL:
    return make_url(normalise_url(url))


def is_sqlite(url: str) -> bool:
    return parse(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL (in-memory databases are refused: nothing durable)."""
    database = parse(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be used for records")
    return Path(database)
