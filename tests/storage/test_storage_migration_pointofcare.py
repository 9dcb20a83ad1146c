"""Revision ``pointofcare`` on a database written at the revision before it, on SQLite and PostgreSQL.

The database is built at the older revision with a session in the older format (one
override reason for the whole session, no drawing or plan reference), an amendment of it,
and two drawings (one before the session, one drawn later). After the upgrade every stored
value is unchanged, the new columns read as "recorded before sessions kept these", the
session page's read model shows the drawing of its day (never the later one), the single
old reason and the old amendment, and the append-only rules still hold.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from filiform.services.access.context import Actor, Role
from filiform.services.records.session_record import session_record
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import current_revision, head_revision, upgrade

PREVIOUS = "clinicflow"  # the revision before pointofcare
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
OLD_REASON = "Needled deeper than usual: thick tissue confirmed by palpation."
SESSION = {
    "pain_pre": 7,
    "pain_post": 3,
    "patient_response": "good",
    "notes": "S: neck pain",
    "override_justification": OLD_REASON,
}


def _insert(conn: sa.Connection, table: str, **values: Any) -> None:
    t = sa.Table(table, sa.MetaData(), autoload_with=conn)
    conn.execute(t.insert().values(**values))


def _old_database(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine, PREVIOUS)
    assert current_revision(engine) == PREVIOUS
    with engine.begin() as conn:
        _insert(conn, "clinic", id=1, name="Old clinic", created_at=NOW)
        _insert(
            conn, "app_user", id=1, clinic_id=1, username="doc", display_name="Dr Old", role="clinician",
            password_hash="x", active=True, created_at=NOW, must_change_password=False,
        )  # fmt: skip
        _insert(
            conn, "patient", id=1, clinic_id=1, mrn="OLD-1", given_name="Ada", family_name="Older",
            birth_date=date(1970, 1, 1), sex="female", version=1, created_at=NOW,
        )  # fmt: skip
        record = {"clinic_id": 1, "patient_id": 1, "version": 1, "created_by": 1, "created_at": NOW}
        _insert(conn, "consent", id=1, form_version="v0", consented_on=date(2026, 1, 1), obtained_by=1, **record)
        _insert(conn, "screening", id=1, screened_at=NOW, answers={}, decision={"techniques": []}, **record)
        _insert(
            conn, "pain_drawing", id=1, drawn_on=date(2026, 2, 20),
            regions=[{"region": "right-temple-middle", "intensity": 6}], **record,
        )  # fmt: skip
        later = {**record, "created_at": LATER}  # drawn after the session: never its drawing
        _insert(
            conn, "pain_drawing", id=2, drawn_on=date(2026, 3, 9),
            regions=[{"region": "left-temple-middle", "intensity": 9}], **later,
        )  # fmt: skip
        _insert(
            conn, "treatment_session", id=1, clinician_id=1, consent_id=1, screening_id=1, started_at=NOW,
            **{**record, "version": 2}, **SESSION,
        )  # fmt: skip
        _insert(
            conn, "insertion", id=1, session_id=1, seq=1, target_id="temporalis", side="right",
            technique="trigger_point_dn", needle_length_mm=30, needle_gauge_mm=0.25, depth_mm=8,
            twitch_responses=1, retention_s=300,
        )  # fmt: skip
        _insert(
            conn, "amendment", id=1, clinic_id=1, patient_id=1, entity="treatment_session", entity_id=1,
            from_version=1, changes={"pain_post": {"old": 4, "new": 3}}, reason="Typed 4 for 3",
            amended_by=1, amended_at=NOW,
        )  # fmt: skip
    return engine


def test_an_older_session_upgrades_unchanged_and_reads_as_recorded_before(db_url: str) -> None:
    engine = _old_database(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM treatment_session WHERE id = 1")).mappings().one()
        needles = conn.execute(sa.text("SELECT depth_mm, target_id FROM insertion")).all()
        cosigned = conn.execute(sa.text("SELECT cosigned_by FROM amendment")).scalars().all()
        counts = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("session_override", "attachment_analysis", "attachment_withdrawal", "amendment_proposal")
        }
    assert {k: row[k] for k in SESSION} == SESSION and row["version"] == 2
    for column in ("drawing_id", "plan", "ultrasound_guided", "recorded_zone", "voided_at", "form_key"):
        assert row[column] is None, column
    assert needles == [(8, "temporalis")] and cosigned == [None]
    assert counts == dict.fromkeys(counts, 0)

    doc = Actor(user_id=1, clinic_id=1, role=Role.CLINICIAN)
    with transaction(session_factory(engine)) as s:
        seen = session_record(s, actor=doc, patient_id=1, session_id=1)
    assert seen.drawing is not None and seen.drawing.id == 1 and seen.drawing_basis == "by_date"
    assert seen.legacy_override == OLD_REASON and seen.overrides == () and seen.plan is None
    assert not seen.voided and seen.amended and seen.clinician == "Dr Old"
    (entry,) = seen.history
    assert entry.reason == "Typed 4 for 3" and entry.cosigned_by is None
    assert [(c.field, c.old, c.new) for c in entry.changes] == [("Pain after", 4, 3)]

    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:  # amendments stay append-only
        conn.execute(sa.text("UPDATE amendment SET reason = 'rewritten' WHERE id = 1"))
    engine.dispose()


def test_downgrade_keeps_the_older_rows_and_the_append_only_amendments(db_url: str) -> None:
    from alembic import command

    from filiform.storage.migrate import alembic_config

    engine = _old_database(db_url)
    upgrade(engine)
    command.downgrade(alembic_config(engine), PREVIOUS)
    assert current_revision(engine) == PREVIOUS
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM treatment_session WHERE id = 1")).mappings().one()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("treatment_session")}
        amendment = {c["name"] for c in sa.inspect(conn).get_columns("amendment")}
    assert {k: row[k] for k in SESSION} == SESSION
    assert "form_key" not in columns and "drawing_id" not in columns and "cosigned_by" not in amendment
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM amendment WHERE id = 1"))
    engine.dispose()
