"""FHIR: last-updated times, one diagnosis per episode, every contact detail, SMART clients

Revision ID: fhir
Revises: pointofcare
Create Date: 2026-12-05 10:00:00

* ``updated_at`` on the clinic, users, patients and every clinical record: FHIR
  ``meta.lastUpdated`` and the Bulk Data ``_since`` filter need the time of the last
  change. Existing rows get the time of their newest amendment, else their creation
  time (a password change counts for a user), so nothing is reported as newer than it is.
* ``episode.diagnosis_code``: the one ICD-10-CM code a claim carries, chosen by the
  clinician; NULL for existing episodes (nobody chose yet; the billing summary says so).
* ``patient.contact``: names, telecoms, addresses and identifiers an import received
  beyond the columns; ``{}`` for existing patients (they have none).
* ``smart_client``, ``smart_token``, ``smart_jti``: SMART Backend Services.
* ``intake_proposal.link_id`` may be NULL: a proposed screening can also come from a FHIR
  import (allergies and medications another system sent), not only from a portal link.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "fhir"
down_revision = "pointofcare"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
EPOCH = "1970-01-01 00:00:00"
AMENDED = ("patient", "consent", "screening", "episode", "episode_plan", "pain_drawing", "outcome_response",
           "treatment_session", "adverse_event")


def _updated_at(table: str) -> None:
    op.add_column(table, sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                                   server_default=sa.text(f"'{EPOCH}'")))
    op.execute(f"UPDATE {table} SET updated_at = created_at")


def _latest_amendment(table: str) -> None:
    newest = (f"(SELECT MAX(a.amended_at) FROM amendment a "
              f"WHERE a.entity = '{table}' AND a.entity_id = {table}.id)")
    op.execute(f"UPDATE {table} SET updated_at = {newest} WHERE {newest} > created_at")


def upgrade() -> None:
    for table in ("clinic", "app_user", *AMENDED):
        _updated_at(table)
    for table in AMENDED:
        _latest_amendment(table)
    op.execute("UPDATE app_user SET updated_at = password_changed_at "
               "WHERE password_changed_at IS NOT NULL AND password_changed_at > created_at")
    op.add_column("episode", sa.Column("diagnosis_code", sa.String(length=10), nullable=True))
    empty = "'{}'::jsonb" if op.get_bind().dialect.name == "postgresql" else "'{}'"
    op.add_column("patient", sa.Column("contact", JSON, nullable=False, server_default=sa.text(empty)))
    with op.batch_alter_table("intake_proposal") as batch:
        batch.alter_column("link_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "smart_client",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("jwks", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"], name=op.f("fk_smart_client_clinic_id_clinic")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_smart_client_user_id_app_user")),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_smart_client_created_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_client")),
    )
    op.create_index("ix_smart_client_clinic_id", "smart_client", ["clinic_id"])
    op.create_table(
        "smart_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["smart_client.id"], name=op.f("fk_smart_token_client_id_smart_client")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_smart_token")),
    )
    op.create_index("ix_smart_token_expires_at", "smart_token", ["expires_at"])
    op.create_table(
        "smart_jti",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name=op.f("pk_smart_jti")),
    )


def downgrade() -> None:
    op.execute("DELETE FROM intake_proposal WHERE link_id IS NULL")
    with op.batch_alter_table("intake_proposal") as batch:
        batch.alter_column("link_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("smart_jti")
    op.drop_index("ix_smart_token_expires_at", table_name="smart_token")
    op.drop_table("smart_token")
    op.drop_index("ix_smart_client_clinic_id", table_name="smart_client")
    op.drop_table("smart_client")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of ``patient`` would
    # drop a table other tables reference, which SQLite refuses with foreign keys on.
    op.drop_column("patient", "contact")
    op.drop_column("episode", "diagnosis_code")
    for table in ("clinic", "app_user", *AMENDED):
        op.drop_column(table, "updated_at")
