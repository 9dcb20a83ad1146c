"""session attachments (RR, ECG, PDF files), append-only

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

MAX_BYTES = 20 * 1024 * 1024


def upgrade() -> None:
    op.create_table(
        'attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('clinic_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('media_type', sa.String(length=127), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('rr', 'ecg', 'pdf', 'other')", name=op.f('ck_attachment_kind')),
        sa.CheckConstraint(f"size_bytes BETWEEN 0 AND {MAX_BYTES}", name=op.f('ck_attachment_size_bytes')),
        sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_attachment_clinic_id_clinic')),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_attachment_patient_id_patient')),
        sa.ForeignKeyConstraint(['session_id'], ['treatment_session.id'],
                                name=op.f('fk_attachment_session_id_treatment_session')),
        sa.ForeignKeyConstraint(['uploaded_by'], ['app_user.id'], name=op.f('fk_attachment_uploaded_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    )
    op.create_index('ix_attachment_session_id', 'attachment', ['session_id'], unique=False)
    op.create_index('ix_attachment_patient_id', 'attachment', ['patient_id'], unique=False)
    # append-only, like audit_log and amendment (0001 created filiform_append_only() on PostgreSQL)
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER attachment_no_{verb.lower()} BEFORE {verb} ON attachment "
                "BEGIN SELECT RAISE(ABORT, 'attachment is append-only'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER attachment_append_only BEFORE UPDATE OR DELETE ON attachment "
            "FOR EACH ROW EXECUTE FUNCTION filiform_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS attachment_no_update")
        op.execute("DROP TRIGGER IF EXISTS attachment_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS attachment_append_only ON attachment")
    op.drop_index('ix_attachment_patient_id', table_name='attachment')
    op.drop_index('ix_attachment_session_id', table_name='attachment')
    op.drop_table('attachment')
