"""Migration portal: a database at revision bodychart (clinics, outcome responses) opens
after the upgrade with a settings row per clinic in the server's zone and every outcome
marked as entered in the clinic; on SQLite and PostgreSQL, and back down again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from filiform.storage.engine import make_engine
from filiform.storage.migrate import alembic_config, upgrade

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _seed(engine: Engine) -> None:
    with engine.begin() as c:
        for clinic in (1, 2):
            c.execute(
                sa.text("INSERT INTO clinic (id, name, created_at) VALUES (:i, :n, :t)"),
                {"i": clinic, "n": f"C{clinic}", "t": NOW},
            )
        c.execute(
            sa.text(
                "INSERT INTO app_user (id, clinic_id, username, display_name, role, password_hash, active, created_at)"
                " VALUES (1, 1, 'u', 'U', 'clinician', 'h', true, :t)"
            ),
            {"t": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO patient (id, clinic_id, mrn, given_name, family_name, birth_date, sex, version,"
                " created_at)"
                " VALUES (1, 1, 'M1', 'A', 'B', :b, 'female', 1, :t)"
            ),
            {"b": date(1965, 1, 1), "t": NOW},
        )
        table = sa.table(
            "outcome_response",
            *(sa.column(n) for n in ("id", "clinic_id", "patient_id", "instrument_id", "total", "completed_on")),
            *(sa.column(n) for n in ("version", "created_by", "created_at")),
            sa.column("answers", sa.JSON),
        )
        for rid, total in ((1, 6.0), (2, None)):
            c.execute(
                table.insert().values(
                    id=rid,
                    clinic_id=1,
                    patient_id=1,
                    instrument_id="nprs",
                    total=total,
                    completed_on=date(2026, 1, rid),
                    version=1,
                    created_by=1,
                    created_at=NOW,
                    answers={"pain": int(total or 0)},
                )
            )


def test_old_clinics_and_outcomes_survive_the_upgrade(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILIFORM_TIMEZONE", "America/Chicago")
    engine = make_engine(db_url)
    upgrade(engine, "bodychart")
    _seed(engine)
    upgrade(engine)
    with engine.connect() as c:
        settings = c.execute(
            sa.text("SELECT clinic_id, timezone, link_hours, calendar_names FROM clinic_settings ORDER BY clinic_id")
        ).all()
        outcomes = c.execute(sa.text("SELECT id, source, total, instrument_id FROM outcome_response ORDER BY id")).all()
    assert [tuple(r) for r in settings] == [(1, "America/Chicago", 72, False), (2, "America/Chicago", 72, False)]
    assert [tuple(r) for r in outcomes] == [(1, "clinic", 6.0, "nprs"), (2, "clinic", None, "nprs")]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
        c.execute(sa.text("UPDATE outcome_response SET source = 'phone' WHERE id = 1"))
    command.downgrade(alembic_config(engine), "bodychart")
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM outcome_response")).scalar() == 2
    assert "clinic_settings" not in sa.inspect(engine).get_table_names()
    engine.dispose()
