"""Another process holding a SQLite file: what a second server or a CLI import does to a
running app, made short (100 ms busy timeout) so a test sees the refusal at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from filiform.storage.settings import sqlite_path


@contextmanager
def held_elsewhere(app: FastAPI, url: str) -> Iterator[None]:
    """While inside, the app's writes wait 100 ms for the file and then are refused."""
    engine = app.state.engine

    @event.listens_for(engine, "connect")
    def _short(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=100")

    engine.dispose()  # pooled connections keep the 30 s default
    other = sqlite3.connect(sqlite_path(url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()
