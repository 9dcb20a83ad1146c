"""keyed audit chain, row hashes, account recovery, shared throttles and jobs

Revision ID: security
Revises: safety_sites
Create Date: 2026-11-27 09:00:00

Data migration: every existing audit chain keeps its plain SHA-256 entries; its head
records ``keyed_from = seq + 1``, so entries written from now on are HMACs under the audit
key and the old ones still verify as they were written (the first keyed entry links to the
last plain hash, which anchors the old part too).  Columns are added with ALTER TABLE
(no table rebuild), so the append-only triggers on ``audit_log`` stay in place.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'security'
down_revision = 'safety_sites'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_log', sa.Column('key_id', sa.String(length=16), nullable=True))
    op.add_column('audit_log', sa.Column('rows', sa.Text(), nullable=True))
    op.add_column('audit_head', sa.Column('keyed_from', sa.Integer(), server_default=sa.text('1'), nullable=False))
    op.execute("UPDATE audit_head SET keyed_from = seq + 1")
    op.add_column('app_user', sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                        nullable=False))
    op.add_column('app_user', sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'auth_throttle',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_auth_throttle')),
    )
    op.create_table(
        'auth_state',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('epoch', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_state')),
    )
    op.execute("INSERT INTO auth_state (id, epoch) VALUES (1, 0)")
    op.create_table(
        'password_reset',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_password_reset_created_by_app_user')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_password_reset_user_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_hash')),
    )
    op.create_index(op.f('ix_password_reset_user_id'), 'password_reset', ['user_id'], unique=False)
    op.create_table(
        'background_job',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('clinic_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('owner', sa.String(length=120), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_background_job_clinic_id_clinic')),
        sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_background_job_created_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job')),
    )
    op.create_index('ix_background_job_clinic_id_created_at', 'background_job', ['clinic_id', 'created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_background_job_clinic_id_created_at', table_name='background_job')
    op.drop_table('background_job')
    op.drop_index(op.f('ix_password_reset_user_id'), table_name='password_reset')
    op.drop_table('password_reset')
    op.drop_table('auth_state')
    op.drop_table('auth_throttle')
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch rebuild: rebuilding app_user
    # would drop a table other tables' foreign keys point at.
    for table, column in (
        ('app_user', 'password_changed_at'),
        ('app_user', 'must_change_password'),
        ('audit_head', 'keyed_from'),
    ):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    # audit_log keeps its append-only triggers: dropping columns would rebuild the table
    # on SQLite, so keyed entries stay (a downgraded build ignores the two columns).
