"""electrical circuits as lead pairs; pain drawings in the one drawing shape

Revision ID: concepts
Revises: portal
Create Date: 2026-12-01 10:00:00

Electrical settings were stored per needle (``insertion.electrical``), which cannot say
which two needles the current joined. They move to ``electrical_circuit`` (one row per
lead pair). An older row never recorded the partner needle, so each migrated circuit has
``lead_b_id`` NULL, keeps the original settings text in ``migrated_from``, and carries a
setting only when it was finite and within the recording bounds (nothing is invented).

Pain drawings (on atlas-2 ids since ``bodychart``) are brought to the shape of
``filiform.core.concepts.DrawnRegion``: whole intensities 0-10 (a fractional one rounds half
up, the stricter reading of pain), regions painted at 0 dropped, a region drawn twice kept
once (the higher intensity); symptom kind, depth and brush coverage kept where valid, any
other key dropped. A changed drawing gets an amendment row with its old regions, so
nothing is lost.
"""

import json
import math
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

revision = "concepts"
down_revision = "portal"  # chained after 0004_safety_sites, 0005_security, 0006_bodychart, 0007_portal
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# Recording bounds as of this revision (filiform.core.concepts.circuit), frozen here.
BOUNDS = {
    "frequency_hz": (0.5, 250.0, False),
    "pulse_width_us": (20.0, 1000.0, False),
    "intensity_ma": (0.0, 100.0, True),  # open lower bound
    "duration_s": (1.0, 3600.0, False),
}
KINDS = {"ache", "stabbing", "burning", "numbness", "pins_and_needles"}
DEPTHS = {"surface", "deep"}
REASON = "revision 0008_concepts: drawing brought to whole intensities 0-10, one entry per region"

insertion = sa.table(
    "insertion",
    sa.column("id", sa.Integer),
    sa.column("session_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("electrical", JSON),
)
circuit = sa.table(
    "electrical_circuit",
    sa.column("id", sa.Integer),
    sa.column("session_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("lead_a_id", sa.Integer),
    sa.column("lead_b_id", sa.Integer),
    sa.column("frequency_hz", sa.Double),
    sa.column("pulse_width_us", sa.Double),
    sa.column("intensity_ma", sa.Double),
    sa.column("duration_s", sa.Double),
    sa.column("migrated_from", sa.Text),
)
drawing = sa.table(
    "pain_drawing",
    sa.column("id", sa.Integer),
    sa.column("clinic_id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("created_by", sa.Integer),
    sa.column("regions", JSON),
)
amendment = sa.table(
    "amendment",
    sa.column("clinic_id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("from_version", sa.Integer),
    sa.column("changes", JSON),
    sa.column("reason", sa.Text),
    sa.column("amended_by", sa.Integer),
    sa.column("amended_at", sa.DateTime(timezone=True)),
)


def _setting(name: str, value: Any) -> float | None:
    low, high, open_low = BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    above = value > low if open_low else value >= low
    return float(value) if above and value <= high else None


def _check(name: str) -> sa.CheckConstraint:
    low, high, open_low = BOUNDS[name]
    lower = f"{name} > {low}" if open_low else f"{name} >= {low}"
    return sa.CheckConstraint(f"{name} IS NULL OR ({lower} AND {name} <= {high})", name=op.f(f"ck_electrical_circuit_{name}"))


def _create_circuit_table() -> None:
    op.create_table(
        "electrical_circuit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("lead_a_id", sa.Integer(), nullable=False),
        sa.Column("lead_b_id", sa.Integer(), nullable=True),
        sa.Column("frequency_hz", sa.Double(), nullable=True),
        sa.Column("pulse_width_us", sa.Double(), nullable=True),
        sa.Column("intensity_ma", sa.Double(), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column("migrated_from", sa.Text(), nullable=True),
        sa.CheckConstraint("lead_b_id IS NOT NULL OR migrated_from IS NOT NULL", name=op.f("ck_electrical_circuit_pair")),
        sa.CheckConstraint(
            "migrated_from IS NOT NULL OR (frequency_hz IS NOT NULL AND pulse_width_us IS NOT NULL "
            "AND intensity_ma IS NOT NULL AND duration_s IS NOT NULL)",
            name=op.f("ck_electrical_circuit_settings"),
        ),
        *(_check(name) for name in BOUNDS),
        sa.ForeignKeyConstraint(["session_id"], ["treatment_session.id"], name=op.f("fk_electrical_circuit_session_id_treatment_session")),
        sa.ForeignKeyConstraint(["lead_a_id"], ["insertion.id"], name=op.f("fk_electrical_circuit_lead_a_id_insertion")),
        sa.ForeignKeyConstraint(["lead_b_id"], ["insertion.id"], name=op.f("fk_electrical_circuit_lead_b_id_insertion")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_electrical_circuit")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_electrical_circuit_session_id_seq")),
    )


def _circuits_from_needles(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(insertion.c.id, insertion.c.session_id, insertion.c.electrical)
        .where(insertion.c.electrical.is_not(None))
        .order_by(insertion.c.session_id, insertion.c.seq)
    ).all()
    out: list[dict[str, Any]] = []
    per_session: dict[int, int] = {}
    for needle_id, session_id, settings in rows:
        if settings is None or settings == "null":
            continue
        settings = settings if isinstance(settings, dict) else {}
        per_session[session_id] = per_session.get(session_id, 0) + 1
        out.append(
            {
                "session_id": session_id,
                "seq": per_session[session_id],
                "lead_a_id": needle_id,
                "lead_b_id": None,
                **{name: _setting(name, settings.get(name)) for name in BOUNDS},
                "migrated_from": json.dumps(settings, sort_keys=True),  # NaN/Infinity kept as text
            }
        )
    return out


def _normalised(regions: Any) -> list[dict[str, Any]]:
    best: dict[str, dict[str, Any]] = {}
    for item in regions if isinstance(regions, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("region"), str):
            continue
        value = item.get("intensity")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        level = min(10, max(0, math.floor(value + 0.5)))
        region = item["region"].strip()
        if level == 0 or not 3 <= len(region) <= 80:
            continue
        entry: dict[str, Any] = {"region": region, "intensity": level}
        if item.get("kind") in KINDS and item["kind"] != "ache":
            entry["kind"] = item["kind"]
        if item.get("depth") in DEPTHS:
            entry["depth"] = item["depth"]
        coverage = item.get("coverage")
        if isinstance(coverage, int | float) and not isinstance(coverage, bool) and 0 < coverage < 1:
            entry["coverage"] = float(coverage)
        if region not in best or best[region]["intensity"] < level:
            best[region] = entry
    order: list[dict[str, Any]] = []
    for item in regions if isinstance(regions, list) else []:
        region = item.get("region", "").strip() if isinstance(item, dict) and isinstance(item.get("region"), str) else None
        if region in best and best[region] not in order:
            order.append(best[region])
    return order


def _normalise_drawings(conn: Connection) -> None:
    now = datetime.now(UTC)
    for row in conn.execute(sa.select(drawing)).mappings().all():
        new = _normalised(row["regions"])
        if new == row["regions"]:
            continue
        conn.execute(drawing.update().where(drawing.c.id == row["id"]).values(regions=new, version=row["version"] + 1))
        conn.execute(
            amendment.insert().values(
                clinic_id=row["clinic_id"],
                patient_id=row["patient_id"],
                entity="pain_drawing",
                entity_id=row["id"],
                from_version=row["version"],
                changes={"regions": {"old": row["regions"], "new": new}},
                reason=REASON,
                amended_by=row["created_by"],
                amended_at=now,
            )
        )


def upgrade() -> None:
    conn = op.get_bind()
    circuits = _circuits_from_needles(conn)  # read before the column goes
    with op.batch_alter_table("insertion") as batch:
        batch.drop_column("electrical")
    _create_circuit_table()
    if circuits:
        conn.execute(circuit.insert(), circuits)
    _normalise_drawings(conn)


def downgrade() -> None:
    """Circuits back to per-needle settings (both needles of a pair get the circuit's settings)."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(circuit)).mappings().all()
    op.drop_table("electrical_circuit")
    with op.batch_alter_table("insertion") as batch:
        batch.add_column(sa.Column("electrical", JSON, nullable=True))
    for row in rows:
        settings = {name: row[name] for name in BOUNDS if row[name] is not None}
        if row["migrated_from"] is not None:
            try:
                settings = json.loads(row["migrated_from"])
            except ValueError:
                pass
        for needle in (row["lead_a_id"], row["lead_b_id"]):
            if needle is not None:
                conn.execute(insertion.update().where(insertion.c.id == needle).values(electrical=settings))
