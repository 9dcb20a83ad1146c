"""Schema and durability settings, on SQLite and PostgreSQL from the same migrations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from filiform.storage.engine import make_engine
from filiform.storage.migrate import current_revision, head_revision, upgrade
from filiform.storage.models import Base
from filiform.storage.settings import database_url, normalise_url


def test_migrations_build_every_table_and_are_idempotent(db_engine: Engine) -> None:
    upgrade(db_engine)
    assert current_revision(db_engine) == head_revision()
    tables = set(sa.inspect(db_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_sqlite_pragmas_are_durable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        get = conn.exec_driver_sql
        assert get("PRAGMA journal_mode").scalar() == "wal"
        assert get("PRAGMA synchronous").scalar() == 2  # FULL
        assert get("PRAGMA foreign_keys").scalar() == 1


def test_postgres_cluster_has_data_checksums(pg_url: str) -> None:
    with make_engine(pg_url).connect() as conn:
        assert conn.exec_driver_sql("SHOW data_checksums").scalar() == "on"


def test_foreign_keys_are_enforced(db_engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), db_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO app_user (clinic_id, username, display_name, role, "
                "password_hash, active, created_at) VALUES (999, 'x', 'x', "
                "'admin', 'h', true, CURRENT_TIMESTAMP)"
            )
        )


def test_audit_log_refuses_update_and_delete(db_engine: Engine) -> None:
    with db_engine.begin() as conn:  # triggers fire per row: give them one
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (chain, seq, at, action, entity, detail, prev_hash, hash) "
                "VALUES (99, 1, 'x', 'a', 'e', '{}', 'p', 'h')"
            )
        )
    for statement in ("UPDATE audit_log SET action = 'b'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), db_engine.begin() as conn:
            conn.execute(sa.text(statement))


def test_urls_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FILIFORM_DATABASE_URL", raising=False)
    assert database_url() == "sqlite:///var/filiform.db"
    assert normalise_url("postgres://u@h/db").startswith("postgresql+psycopg://")
