"""A temporary on-disk index of the resources being imported, so an import runs in bounded memory.

Why: a session's Procedure, its needles, its circuits and its pain scores may sit anywhere
in a file (or in four different NDJSON files), and an import must put them together
without holding the file in memory. Each resource is written once to a throw-away SQLite
file with what it is (:func:`filiform.fhir.importer.kind_of`), its own reference and the
reference that groups it (a needle's session, an outcome total's response); the import
then reads kind by kind in id order and fetches each group by index.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE staged (kind TEXT NOT NULL, ref TEXT NOT NULL, grp TEXT, num INTEGER, body TEXT NOT NULL);
CREATE UNIQUE INDEX ix_staged_ref ON staged (ref);
CREATE INDEX ix_staged_kind_num ON staged (kind, num, ref);
CREATE INDEX ix_staged_grp ON staged (grp, kind, num, ref);
"""
GROUP_QUERY = "SELECT body FROM staged INDEXED BY ix_staged_grp WHERE grp = ? AND kind = ? ORDER BY num, ref"


class Stage:
    """The staged resources of one import (deleted when closed)."""

    def __init__(self, folder: Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="filiform-import-", dir=folder)
        self.db = sqlite3.connect(Path(self._dir.name) / "stage.db")
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        self.counts: dict[str, int] = {}

    def add(self, kind: str, ref: str, grp: str | None, num: int | None, res: dict[str, Any]) -> bool:
        """Stage one resource; False when the same reference was staged already."""
        try:
            self.db.execute("INSERT INTO staged VALUES (?, ?, ?, ?, ?)", (kind, ref, grp, num, json.dumps(res)))
        except sqlite3.IntegrityError:
            return False
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return True

    def of_kind(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every staged resource of a kind, in id order (one at a time)."""
        cursor = self.db.execute("SELECT body FROM staged WHERE kind = ? ORDER BY num, ref", (kind,))
        for (body,) in cursor:
            yield json.loads(body)

    def group(self, grp: str, kind: str) -> list[dict[str, Any]]:
        """The resources of one group (a session's needles...), by index.

        ``INDEXED BY``: left to itself SQLite picks the kind index to avoid the sort and
        scans every resource of the kind for each group, which made an import quadratic.
        """
        rows = self.db.execute(GROUP_QUERY, (grp, kind))
        return [json.loads(body) for (body,) in rows]

    def get(self, ref: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT body FROM staged WHERE ref = ?", (ref,)).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
