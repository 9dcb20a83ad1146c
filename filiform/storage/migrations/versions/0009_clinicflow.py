"""form drafts, per-clinic MRN sequences, plans saved to episodes, PSFS activities

Every existing clinic gets an ``mrn_sequence`` row whose next number follows the highest
all-digit MRN it already holds (``000041`` -> 42), so the first generated MRN never
collides with a typed one; a clinic whose MRNs are all typed with letters starts at 1
(registration still skips any number already taken).  No existing row changes: the new
tables sit beside the audited ones, so every row hash in the audit trail still verifies.

Revision ID: clinicflow
Revises: concepts
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "clinicflow"
down_revision = "concepts"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TS = sa.DateTime(timezone=True)
MAX_DIGITS = 9  # an all-digit MRN longer than this is not a sequence number (and would overflow)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _drafts() -> None:
    op.create_table(
        "form_draft",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(60), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("form_draft", "clinic_id", "clinic"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_form_draft_user_id_app_user")),
        _fk("form_draft", "patient_id", "patient"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_draft")),
        sa.UniqueConstraint("user_id", "patient_id", "form", name=op.f("uq_form_draft_user_id_patient_id_form")),
    )


def next_numbers(mrns: list[tuple[int, str]]) -> dict[int, int]:
    """Per clinic, one more than its highest all-digit MRN (1 when it has none)."""
    out: dict[int, int] = {}
    for clinic_id, mrn in mrns:
        text = (mrn or "").strip()
        value = int(text) if text.isdigit() and len(text) <= MAX_DIGITS else 0
        out[clinic_id] = max(out.get(clinic_id, 1), value + 1)
    return out


def _sequences() -> None:
    op.create_table(
        "mrn_sequence",
        sa.Column("clinic_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_value", sa.Integer(), nullable=False),
        _fk("mrn_sequence", "clinic_id", "clinic"),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_mrn_sequence")),
    )
    conn = op.get_bind()
    clinics = conn.execute(sa.text("SELECT id FROM clinic ORDER BY id")).scalars().all()
    mrns = [(int(r[0]), str(r[1])) for r in conn.execute(sa.text("SELECT clinic_id, mrn FROM patient"))]
    numbers = next_numbers(mrns)
    table = sa.table("mrn_sequence", sa.column("clinic_id", sa.Integer), sa.column("next_value", sa.Integer))
    rows = [{"clinic_id": c, "next_value": numbers.get(c, 1)} for c in clinics]
    if rows:
        conn.execute(table.insert(), rows)


def _plans() -> None:
    op.create_table(
        "episode_plan",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(80), nullable=False),
        sa.Column("inputs", JSON, nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        _fk("episode_plan", "clinic_id", "clinic"),
        _fk("episode_plan", "patient_id", "patient"),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_episode_plan_created_by_app_user")),
        _fk("episode_plan", "episode_id", "episode"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_plan")),
    )
    op.create_index("ix_episode_plan_episode_id", "episode_plan", ["episode_id"])


def _activities() -> None:
    op.create_table(
        "outcome_activity",
        _id(),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(40), nullable=False),
        sa.Column("text", sa.String(80), nullable=False),
        _fk("outcome_activity", "clinic_id", "clinic"),
        _fk("outcome_activity", "patient_id", "patient"),
        sa.ForeignKeyConstraint(
            ["outcome_id"], ["outcome_response.id"], name=op.f("fk_outcome_activity_outcome_id_outcome_response")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_activity")),
        sa.UniqueConstraint("outcome_id", "item_id", name=op.f("uq_outcome_activity_outcome_id_item_id")),
    )
    op.create_index("ix_outcome_activity_patient_id", "outcome_activity", ["patient_id"])


def upgrade() -> None:
    _drafts()
    _sequences()
    _plans()
    _activities()


def downgrade() -> None:
    """Drops the new tables: drafts, saved plans and activity names are lost (the MRNs stay)."""
    op.drop_index("ix_outcome_activity_patient_id", table_name="outcome_activity")
    op.drop_table("outcome_activity")
    op.drop_index("ix_episode_plan_episode_id", table_name="episode_plan")
    op.drop_table("episode_plan")
    op.drop_table("mrn_sequence")
    op.drop_table("form_draft")
