"""sessions fixed to what they were done under; overrides per problem; stored RR analyses

Revision ID: pointofcare
Revises: clinicflow
Create Date: 2026-12-05 10:00:00

A session now names the drawing and the plan it was done under (``drawing_id``, ``plan``:
the plan's reference and the ranges and caps it gave), whether ultrasound guided the
needles, the clinic's time zone when it was signed, a void mark and the form key that
makes a second click on save harmless. Each safety problem overridden at saving is a
``session_override`` row with its own written reason. An uploaded recording is analysed
once, at upload, into ``attachment_analysis``; ``attachment_withdrawal`` takes a file out of
the record by amendment, keeping the bytes. An amendment by someone other than the
record's author names the author who co-signed it (``amendment.cosigned_by``).

Rows written before this revision keep NULL in every new column: that is their meaning
("recorded before the session kept these references"), which the read models show as such
(the drawing of a legacy session is the latest one drawn on or before its day and stored
before it was); their single ``override_justification`` stays where it is. No stored value
changes, so the audit trail's row hashes of older rows still verify. The new tables are
append-only, as ``amendment`` and ``attachment`` are. Columns are added with plain
``ALTER TABLE`` (no batch copy), which keeps the append-only triggers of ``amendment``.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "pointofcare"
down_revision = "clinicflow"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NEW_TABLES = ("session_override", "attachment_analysis", "attachment_withdrawal")
SESSION_COLUMNS = ("drawing_id", "plan", "ultrasound_guided", "recorded_zone", "voided_at", "form_key")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable foreign-key column added in place (SQLite cannot ALTER a constraint in,
    but it takes a named REFERENCES clause in ADD COLUMN; a batch copy would drop triggers)."""
    name = op.f(f"fk_{table}_{column}_{target}")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {target} (id)")
        return
    op.add_column(table, sa.Column(column, sa.Integer(), sa.ForeignKey(f"{target}.id", name=name), nullable=True))


def _session_columns() -> None:
    _add_reference("treatment_session", "drawing_id", "pain_drawing")
    op.add_column("treatment_session", sa.Column("plan", JSON, nullable=True))
    op.add_column("treatment_session", sa.Column("ultrasound_guided", sa.Boolean(), nullable=True))
    op.add_column("treatment_session", sa.Column("recorded_zone", sa.String(length=64), nullable=True))
    op.add_column("treatment_session", sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("treatment_session", sa.Column("form_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_treatment_session_clinic_id_form_key", "treatment_session", ["clinic_id", "form_key"], unique=True
    )
    _add_reference("amendment", "cosigned_by", "app_user")


def _tables() -> None:
    op.create_table(
        "session_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=120), nullable=False),
        sa.Column("insertion_seq", sa.Integer(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _fk("session_override", "session_id", "treatment_session"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_override")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_session_override_session_id_seq")),
    )
    op.create_table(
        "attachment_analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("phases", sa.String(length=400), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'failed')", name=op.f("ck_attachment_analysis_status")),
        _fk("attachment_analysis", "clinic_id", "clinic"),
        _fk("attachment_analysis", "patient_id", "patient"),
        _fk("attachment_analysis", "session_id", "treatment_session"),
        _fk("attachment_analysis", "attachment_id", "attachment"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_attachment_analysis_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment_analysis")),
        sa.UniqueConstraint("attachment_id", name=op.f("uq_attachment_analysis_attachment_id")),
    )
    op.create_index("ix_attachment_analysis_session_id", "attachment_analysis", ["session_id"], unique=False)
    op.create_table(
        "amendment_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("amendment_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('cosigned', 'declined')", name=op.f("ck_amendment_proposal_outcome")
        ),
        _fk("amendment_proposal", "clinic_id", "clinic"),
        _fk("amendment_proposal", "patient_id", "patient"),
        _fk("amendment_proposal", "amendment_id", "amendment"),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["app_user.id"], name=op.f("fk_amendment_proposal_proposed_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_amendment_proposal_decided_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendment_proposal")),
    )
    op.create_index(
        "ix_amendment_proposal_entity_entity_id", "amendment_proposal", ["entity", "entity_id"], unique=False
    )
    op.create_table(
        "attachment_withdrawal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("amendment_id", sa.Integer(), nullable=False),
        sa.Column("withdrawn_by", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        _fk("attachment_withdrawal", "session_id", "treatment_session"),
        _fk("attachment_withdrawal", "attachment_id", "attachment"),
        _fk("attachment_withdrawal", "amendment_id", "amendment"),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["app_user.id"], name=op.f("fk_attachment_withdrawal_withdrawn_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment_withdrawal")),
        sa.UniqueConstraint("attachment_id", name=op.f("uq_attachment_withdrawal_attachment_id")),
    )


def _append_only() -> None:
    """The new tables refuse UPDATE and DELETE, on both databases (as ``attachment`` does)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in NEW_TABLES:
        if sqlite:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION filiform_append_only()"
            )


def upgrade() -> None:
    _session_columns()
    _tables()
    _append_only()


def downgrade() -> None:
    """Drops what this revision added (overrides, analyses and withdrawals are lost)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in NEW_TABLES:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_index("ix_amendment_proposal_entity_entity_id", table_name="amendment_proposal")
    op.drop_table("amendment_proposal")
    op.drop_table("attachment_withdrawal")
    op.drop_index("ix_attachment_analysis_session_id", table_name="attachment_analysis")
    op.drop_table("attachment_analysis")
    op.drop_table("session_override")
    op.drop_index("ix_treatment_session_clinic_id_form_key", table_name="treatment_session")
    # SQLite (3.35+) drops a column in place: a batch copy would drop ``treatment_session``
    # under its children's foreign keys, and ``amendment``'s append-only triggers with it.
    for table, name in [*(("treatment_session", c) for c in SESSION_COLUMNS), ("amendment", "cosigned_by")]:
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
        else:
            op.drop_column(table, name)
