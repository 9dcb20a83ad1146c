"""Issue 19 items 6, 7 and 9 at the command line: damaged and foreign files give a message
and exit 3 (never a traceback), ``audit verify`` reports the database's own check too,
restore refuses a non-empty database without --force, and account recovery from the console."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from filiform.app.factory import create_app
from filiform.cli.main import app
from filiform.services.operations.db_check import EXIT_UNUSABLE, DatabaseUnusable

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "clinic.db"
    url = f"sqlite:///{path}"
    result = runner.invoke(app, ["demo", "--patients", "12", "--db", url])
    assert result.exit_code == 0, result.output
    return url, path


def _damage_an_index(path: Path) -> None:
    con = sqlite3.connect(path)
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_patient_clinic_id_family_name'").fetchone()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(path.read_bytes())
    start = (root[0] - 1) * page
    data[start + 8 : start + 40] = b"\xff" * 32  # the cell pointer array of the index's root page
    path.write_bytes(bytes(data))


def test_a_damaged_header_is_a_message_and_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"\x00garbage that is not SQLite" * 200)
    url = f"sqlite:///{path}"
    for args in (["audit", "verify"], ["db", "check"], ["db", "upgrade"], ["serve"]):
        result = runner.invoke(app, [*args, "--db", url])
        assert result.exit_code == EXIT_UNUSABLE, (args, result.output)
        assert "not a SQLite database" in result.output and "Traceback" not in result.output
    with pytest.raises(DatabaseUnusable):
        create_app(url)


def test_btree_damage_stops_start_up_and_audit_verify_reports_it(demo_db: tuple[str, Path]) -> None:
    url, path = demo_db
    ok = runner.invoke(app, ["audit", "verify", "--db", url])
    assert ok.exit_code == 0 and "database integrity (sqlite integrity_check): ok" in ok.output
    _damage_an_index(path)
    with pytest.raises(DatabaseUnusable, match="damaged"):
        create_app(url)
    result = runner.invoke(app, ["audit", "verify", "--db", url])
    assert result.exit_code == 1 and "DAMAGED" in result.output, result.output
    assert runner.invoke(app, ["db", "check", "--db", url]).exit_code == 1


def test_a_foreign_sqlite_file_is_never_migrated(tmp_path: Path) -> None:
    path = tmp_path / "other-app.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    con.commit()
    con.close()
    result = runner.invoke(app, ["db", "upgrade", "--db", f"sqlite:///{path}"])
    assert result.exit_code == EXIT_UNUSABLE and "not a Filiform database" in result.output
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["invoices"]
    con.close()


def test_restore_asks_for_force_over_records(demo_db: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = demo_db
    out = tmp_path / "b.bk"
    made = runner.invoke(app, ["backup", str(out), "--db", url])
    assert made.exit_code == 0 and "audit chain" in made.output, made.output
    refused = runner.invoke(app, ["restore", str(out), "--db", url])
    assert refused.exit_code == 2 and "--force" in refused.output
    forced = runner.invoke(app, ["restore", str(out), "--force", "--db", url])
    assert forced.exit_code == 0 and "previous database was saved" in forced.output, forced.output


def test_console_reset_and_reactivate(demo_db: tuple[str, Path]) -> None:
    url, _ = demo_db
    import sqlalchemy as sa

    from filiform.storage.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        name = conn.scalar(sa.text("SELECT username FROM app_user WHERE role = 'clinician' LIMIT 1"))
    engine.dispose()
    result = runner.invoke(app, ["user", "reset-password", str(name), "--db", url])
    assert result.exit_code == 0 and "one-time reset token" in result.output
    assert runner.invoke(app, ["user", "reactivate", str(name), "--db", url]).exit_code == 0
    assert runner.invoke(app, ["user", "reset-password", "nobody", "--db", url]).exit_code == 2
