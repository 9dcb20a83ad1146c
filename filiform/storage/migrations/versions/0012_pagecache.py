"""Record versions: a per-patient counter moved by triggers on every write to the record

Revision ID: pagecache
Revises: fhir
Create Date: 2026-11-28 15:40:00

``record_version`` holds one counter per patient; triggers on the patient, on every
table carrying ``patient_id`` (except the audit log, form drafts and the mail queue, which
are not part of what pages show and change constantly) and on the rows hanging off a
treatment session move it forward in the writing transaction.  A rename of a user moves
the counters of the user's clinic (saved plans show who saved them).  Pages cache what
they read by (patient, version); see ``filiform/services/records/page_cache.py``.

Data migration: every existing patient gets its row at version 1.
"""

import sqlalchemy as sa
from alembic import op

revision = "pagecache"
down_revision = "fhir"
branch_labels = None
depends_on = None

# rows carrying patient_id that belong to the record
PATIENT_ROWS = (
    "consent",
    "screening",
    "episode",
    "episode_plan",
    "pain_drawing",
    "treatment_session",
    "adverse_event",
    "outcome_response",
    "amendment",
    "amendment_proposal",
    "attachment",
    "attachment_analysis",
    "appointment",
    "outcome_activity",
    "portal_link",
    "intake_proposal",
    "e_consent",
    "patient_report",
    "measure_schedule",
)
# rows of a treatment session (no patient_id of their own)
SESSION_ROWS = ("insertion", "electrical_circuit", "session_override", "attachment_withdrawal")
BUMP = "UPDATE record_version SET version = version + 1 WHERE patient_id"
OF_SESSION = "(SELECT patient_id FROM treatment_session WHERE id = {}.session_id)"


def _sqlite_triggers() -> None:
    def trigger(name: str, when: str, table: str, body: str) -> None:
        op.execute(f"CREATE TRIGGER {name} AFTER {when} ON {table} BEGIN {body}; END")

    for table in PATIENT_ROWS:
        trigger(f"{table}_rv_insert", "INSERT", table, f"{BUMP} = NEW.patient_id")
        trigger(f"{table}_rv_update", "UPDATE", table, f"{BUMP} IN (OLD.patient_id, NEW.patient_id)")
        trigger(f"{table}_rv_delete", "DELETE", table, f"{BUMP} = OLD.patient_id")
    for table in SESSION_ROWS:
        old, new = OF_SESSION.format("OLD"), OF_SESSION.format("NEW")
        trigger(f"{table}_rv_insert", "INSERT", table, f"{BUMP} = {new}")
        trigger(f"{table}_rv_update", "UPDATE", table, f"{BUMP} IN ({old}, {new})")
        trigger(f"{table}_rv_delete", "DELETE", table, f"{BUMP} = {old}")
    trigger(
        "patient_rv_insert",
        "INSERT",
        "patient",
        f"INSERT OR IGNORE INTO record_version (patient_id, version) VALUES (NEW.id, 0); {BUMP} = NEW.id",
    )
    trigger("patient_rv_update", "UPDATE", "patient", f"{BUMP} IN (OLD.id, NEW.id)")
    trigger("patient_rv_delete", "DELETE", "patient", f"{BUMP} = OLD.id")
    op.execute(
        "CREATE TRIGGER app_user_rv_rename AFTER UPDATE OF display_name ON app_user "
        "WHEN NEW.display_name IS NOT OLD.display_name "
        f"BEGIN {BUMP} IN (SELECT id FROM patient WHERE clinic_id = NEW.clinic_id); END"
    )


def _function(name: str, body: str) -> None:
    op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$")


def _postgres_triggers() -> None:
    _function(
        "filiform_rv_rows",
        f"IF TG_OP <> 'INSERT' THEN {BUMP} = OLD.patient_id; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {BUMP} = NEW.patient_id; END IF;",
    )
    _function(
        "filiform_rv_session_rows",
        f"IF TG_OP <> 'INSERT' THEN {BUMP} = {OF_SESSION.format('OLD')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {BUMP} = {OF_SESSION.format('NEW')}; END IF;",
    )
    _function(
        "filiform_rv_patient",
        "IF TG_OP = 'INSERT' THEN INSERT INTO record_version (patient_id, version) VALUES (NEW.id, 0) "
        "ON CONFLICT (patient_id) DO NOTHING; END IF; "
        f"IF TG_OP <> 'INSERT' THEN {BUMP} = OLD.id; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {BUMP} = NEW.id; END IF;",
    )
    _function("filiform_rv_rename", f"{BUMP} IN (SELECT id FROM patient WHERE clinic_id = NEW.clinic_id);")
    every = "AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW EXECUTE FUNCTION {}()"
    for table in PATIENT_ROWS:
        op.execute(f"CREATE TRIGGER {table}_rv " + every.format(table, "filiform_rv_rows"))
    for table in SESSION_ROWS:
        op.execute(f"CREATE TRIGGER {table}_rv " + every.format(table, "filiform_rv_session_rows"))
    op.execute("CREATE TRIGGER patient_rv " + every.format("patient", "filiform_rv_patient"))
    op.execute(
        "CREATE TRIGGER app_user_rv_rename AFTER UPDATE OF display_name ON app_user FOR EACH ROW "
        "WHEN (NEW.display_name IS DISTINCT FROM OLD.display_name) EXECUTE FUNCTION filiform_rv_rename()"
    )


def upgrade() -> None:
    op.create_table(
        "record_version",
        sa.Column("patient_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("patient_id"),
    )
    op.execute("INSERT INTO record_version (patient_id, version) SELECT id, 1 FROM patient")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
    else:
        _postgres_triggers()


def downgrade() -> None:
    tables = (*PATIENT_ROWS, *SESSION_ROWS, "patient")
    if op.get_bind().dialect.name == "sqlite":
        for table in tables:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_rv_{verb}")
        op.execute("DROP TRIGGER IF EXISTS app_user_rv_rename")
    else:
        for table in tables:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_rv ON {table}")
        op.execute("DROP TRIGGER IF EXISTS app_user_rv_rename ON app_user")
        for name in ("filiform_rv_rows", "filiform_rv_session_rows", "filiform_rv_patient", "filiform_rv_rename"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("record_version")
