"""The records commands end to end on a temporary SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from filiform.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    return url


def test_demo_verify_report_backup_restore(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["demo", "--patients", "20", "--db", db])
    assert result.exit_code == 0, result.output
    assert "treatment_session" in result.output
    result = runner.invoke(app, ["audit", "verify", "--db", db])
    assert result.exit_code == 0 and "audit ok" in result.output
    monkeypatch.setenv("FILIFORM_BACKUP_PASSPHRASE", "cli passphrase 123")
    out = tmp_path / "b.bk"
    result = runner.invoke(app, ["backup", str(out), "--encrypt", "--db", db])
    assert result.exit_code == 0, result.output
    target = f"sqlite:///{tmp_path / 'r.db'}"
    result = runner.invoke(app, ["restore", str(out), "--db", target])
    assert result.exit_code == 0 and "audit ok" in result.output, result.output


def test_audit_report_needs_a_known_admin_and_valid_dates(db: str) -> None:
    runner.invoke(app, ["demo", "--patients", "2", "--db", db])
    bad = runner.invoke(
        app, ["audit", "report", "--from", "2026-13-01", "--to", "2026-01-02", "--user", "x", "--db", db]
    )
    assert bad.exit_code != 0 and "date" in bad.output
    bad = runner.invoke(
        app, ["audit", "report", "--from", "2020-01-01", "--to", "2030-01-02", "--user", "nobody", "--db", db]
    )
    assert bad.exit_code != 0 and "nobody" in bad.output


def test_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["restore", str(tmp_path / "missing.bk"), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["audit", "verify", "--db", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code != 0 and "db upgrade" in result.output
