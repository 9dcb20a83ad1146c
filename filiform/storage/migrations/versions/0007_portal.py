"""appointments, clinic time zone and contact details, patient portal, outbox; outcome source

Every existing clinic gets a ``clinic_settings`` row whose time zone is the server's
(``FILIFORM_TIMEZONE``, else ``TZ``, else the system zone, else UTC) so no stored time
changes meaning: the pages showed server time before this revision.  Every existing
outcome response is marked ``source = 'clinic'``: before this revision only staff could
enter one.

Revision ID: portal
Revises: bodychart
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import available_timezones

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "portal"
down_revision = "bodychart"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TS = sa.DateTime(timezone=True)


def server_zone() -> str:
    """The server's IANA zone as of this revision (frozen here, not imported)."""
    known = available_timezones()
    for name in (os.environ.get("FILIFORM_TIMEZONE", ""), os.environ.get("TZ", "").lstrip(":")):
        if name.strip() in known:
            return name.strip()
    etc = Path("/etc/timezone")
    if etc.is_file() and etc.read_text(encoding="utf-8").strip() in known:
        return etc.read_text(encoding="utf-8").strip()
    local = Path("/etc/localtime")
    if local.is_symlink():
        parts = str(local.resolve()).split("/zoneinfo/", 1)
        if len(parts) == 2 and parts[1] in known:
            return parts[1]
    return "UTC"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _clinic_settings() -> None:
    op.create_table(
        "clinic_settings",
        sa.Column("clinic_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("calendar_names", sa.Boolean(), nullable=False),
        sa.Column("link_hours", sa.Integer(), nullable=False),
        sa.Column("reminder_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("link_hours BETWEEN 1 AND 720", name=op.f("ck_clinic_settings_link_hours")),
        sa.CheckConstraint("reminder_hours BETWEEN 1 AND 168", name=op.f("ck_clinic_settings_reminder_hours")),
        _fk("clinic_settings", "clinic_id", "clinic"),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_clinic_settings")),
    )
    conn = op.get_bind()
    clinics = conn.execute(sa.text("SELECT id FROM clinic ORDER BY id")).scalars().all()
    table = sa.table(
        "clinic_settings",
        *(sa.column(n) for n in ("clinic_id", "timezone", "calendar_names", "link_hours", "reminder_hours")),
        sa.column("updated_at", TS),
    )
    zone = server_zone()
    now = datetime.now(UTC)
    for clinic_id in clinics:
        conn.execute(
            table.insert().values(
                clinic_id=clinic_id,
                timezone=zone,
                calendar_names=False,
                link_hours=72,
                reminder_hours=24,
                updated_at=now,
            )
        )


def _appointments() -> None:
    op.create_table(
        "appointment",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'no_show', 'attended')", name=op.f("ck_appointment_status")
        ),
        sa.CheckConstraint("minutes BETWEEN 5 AND 480", name=op.f("ck_appointment_minutes")),
        _fk("appointment", "clinic_id", "clinic"),
        _fk("appointment", "patient_id", "patient"),
        sa.ForeignKeyConstraint(["clinician_id"], ["app_user.id"], name=op.f("fk_appointment_clinician_id_app_user")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["treatment_session.id"], name=op.f("fk_appointment_session_id_treatment_session")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_appointment_created_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    op.create_index(
        "ix_appointment_clinic_id_clinician_id_starts_at", "appointment", ["clinic_id", "clinician_id", "starts_at"]
    )
    op.create_index("ix_appointment_patient_id", "appointment", ["patient_id"])
    op.create_table(
        "calendar_feed",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        _fk("calendar_feed", "clinic_id", "clinic"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_calendar_feed_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    op.create_index("ix_calendar_feed_user_id", "calendar_feed", ["user_id"])


def _links() -> None:
    op.create_table(
        "portal_link",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("forms", JSON, nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("done", JSON, nullable=False),
        sa.Column("dob_check", sa.Boolean(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=True),
        sa.Column("session_hash", sa.String(64), nullable=True),
        sa.Column("session_seen_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("failed_checks", sa.Integer(), nullable=False),
        _fk("portal_link", "clinic_id", "clinic"),
        _fk("portal_link", "patient_id", "patient"),
        _fk("portal_link", "appointment_id", "appointment"),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_portal_link_created_by_app_user")),
        sa.ForeignKeyConstraint(["revoked_by"], ["app_user.id"], name=op.f("fk_portal_link_revoked_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_link_token_hash")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_portal_link_session_hash")),
    )
    op.create_index("ix_portal_link_patient_id", "portal_link", ["patient_id"])


def _proposals() -> None:
    op.create_table(
        "intake_proposal",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("notes", JSON, nullable=False),
        sa.Column("medicines", sa.Text(), nullable=True),
        sa.Column("allergies", sa.Text(), nullable=True),
        sa.Column("drawing", JSON, nullable=True),
        sa.Column("drawn_at", TS, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.Column("screening_id", sa.Integer(), nullable=True),
        sa.Column("drawing_id", sa.Integer(), nullable=True),
        sa.Column("differences", JSON, nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'confirmed', 'set_aside')", name=op.f("ck_intake_proposal_status")
        ),
        _fk("intake_proposal", "clinic_id", "clinic"),
        _fk("intake_proposal", "patient_id", "patient"),
        sa.ForeignKeyConstraint(["link_id"], ["portal_link.id"], name=op.f("fk_intake_proposal_link_id_portal_link")),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["app_user.id"], name=op.f("fk_intake_proposal_reviewed_by_app_user")
        ),
        _fk("intake_proposal", "screening_id", "screening"),
        sa.ForeignKeyConstraint(
            ["drawing_id"], ["pain_drawing.id"], name=op.f("fk_intake_proposal_drawing_id_pain_drawing")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_proposal")),
    )
    op.create_index("ix_intake_proposal_clinic_id_status", "intake_proposal", ["clinic_id", "status"])
    op.create_index("ix_intake_proposal_patient_id", "intake_proposal", ["patient_id"])


def _consents_and_reports() -> None:
    op.create_table(
        "e_consent",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("text_version", sa.String(40), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("techniques", JSON, nullable=False),
        sa.Column("typed_name", sa.String(200), nullable=False),
        sa.Column("signature", JSON, nullable=False),
        sa.Column("signed_at", TS, nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("withdrawn_at", TS, nullable=True),
        _fk("e_consent", "clinic_id", "clinic"),
        _fk("e_consent", "patient_id", "patient"),
        sa.ForeignKeyConstraint(["link_id"], ["portal_link.id"], name=op.f("fk_e_consent_link_id_portal_link")),
        _fk("e_consent", "consent_id", "consent"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_e_consent")),
    )
    op.create_index("ix_e_consent_patient_id", "e_consent", ["patient_id"])
    kinds = (
        "soreness_beyond_48h",
        "bruising",
        "dizziness_or_fainting",
        "chest_or_breathing",
        "numbness_or_weakness",
        "redness_swelling_fever",
        "other",
    )
    op.create_table(
        "patient_report",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.Column("adverse_event_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")", name=op.f("ck_patient_report_kind")
        ),
        _fk("patient_report", "clinic_id", "clinic"),
        _fk("patient_report", "patient_id", "patient"),
        sa.ForeignKeyConstraint(["link_id"], ["portal_link.id"], name=op.f("fk_patient_report_link_id_portal_link")),
        sa.ForeignKeyConstraint(["reviewed_by"], ["app_user.id"], name=op.f("fk_patient_report_reviewed_by_app_user")),
        _fk("patient_report", "adverse_event_id", "adverse_event"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_report")),
    )
    op.create_index("ix_patient_report_clinic_id_reported_at", "patient_report", ["clinic_id", "reported_at"])
    op.create_index("ix_patient_report_patient_id", "patient_report", ["patient_id"])


def _schedule_and_outbox() -> None:
    op.create_table(
        "measure_schedule",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("instruments", JSON, nullable=False),
        sa.Column("due_dates", JSON, nullable=False),
        sa.Column("every_n_sessions", sa.Integer(), nullable=True),
        sa.Column("served", JSON, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.CheckConstraint(
            "every_n_sessions IS NULL OR every_n_sessions BETWEEN 1 AND 50", name=op.f("ck_measure_schedule_every_n")
        ),
        _fk("measure_schedule", "clinic_id", "clinic"),
        _fk("measure_schedule", "patient_id", "patient"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_measure_schedule_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_schedule")),
    )
    op.create_index("ix_measure_schedule_clinic_id", "measure_schedule", ["clinic_id"])
    op.create_table(
        "outbox_message",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(200), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link_url", sa.Text(), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("queued_at", TS, nullable=False),
        sa.Column("send_after", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'cancelled')", name=op.f("ck_outbox_message_status")
        ),
        _fk("outbox_message", "clinic_id", "clinic"),
        _fk("outbox_message", "patient_id", "patient"),
        sa.ForeignKeyConstraint(["link_id"], ["portal_link.id"], name=op.f("fk_outbox_message_link_id_portal_link")),
        _fk("outbox_message", "appointment_id", "appointment"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    op.create_index("ix_outbox_message_status_send_after", "outbox_message", ["status", "send_after"])
    op.create_index("ix_outbox_message_clinic_id_queued_at", "outbox_message", ["clinic_id", "queued_at"])


def _outcome_source() -> None:
    with op.batch_alter_table("outcome_response") as batch:
        batch.add_column(sa.Column("source", sa.String(10), server_default="clinic", nullable=True))
    op.execute("UPDATE outcome_response SET source = 'clinic' WHERE source IS NULL")
    with op.batch_alter_table("outcome_response") as batch:
        batch.alter_column("source", existing_type=sa.String(10), nullable=False, existing_server_default="clinic")
        batch.create_check_constraint(op.f("ck_outcome_response_source"), "source IN ('clinic', 'home')")


def upgrade() -> None:
    _clinic_settings()
    _appointments()
    _links()
    _proposals()
    _consents_and_reports()
    _schedule_and_outbox()
    _outcome_source()


def downgrade() -> None:
    with op.batch_alter_table("outcome_response") as batch:
        batch.drop_constraint(op.f("ck_outcome_response_source"), type_="check")
        batch.drop_column("source")
    for table in (
        "outbox_message",
        "measure_schedule",
        "patient_report",
        "e_consent",
        "intake_proposal",
        "portal_link",
        "calendar_feed",
        "appointment",
        "clinic_settings",
    ):
        op.drop_table(table)
