"""A clinic created before the anatomical chart opens with every drawing intact, region by region.

Two clinics: the demo clinic exactly as the previous release generated it (an SQLite file
made by that release, at revision 0003), and hand-made drawings on SQLite and PostgreSQL
whose expected atlas-2 regions are written out here by hand.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from filiform.core.atlas.build import load_atlas
from filiform.storage.engine import make_engine
from filiform.storage.migrate import current_revision, head_revision, upgrade

FIXTURE = Path(__file__).parents[1] / "fixtures" / "clinic_atlas1.sqlite.gz"


def _mapping() -> dict[str, list[str]]:
    """The mapping as data, read here independently of the code that applies it."""
    text = resources.files("filiform.data").joinpath("atlas/v1_regions.yaml").read_text("utf-8")
    return yaml.safe_load(text)["regions"]


def _expected(old: list[dict[str, Any]]) -> dict[str, int]:
    mapping, out = _mapping(), {}
    for item in old:
        side, base = item["region"].split("-", 1)
        for part in mapping[base]:
            rid = f"midline-{part[8:]}" if part.startswith("midline:") else f"{side}-{part}"
            out[rid] = max(out.get(rid, 0), item["intensity"])
    return out


def _regions(value: Any) -> list[dict[str, Any]]:
    return json.loads(value) if isinstance(value, str) else value


def _drawings(engine: Engine) -> dict[int, list[dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, regions FROM pain_drawing ORDER BY id")).all()
    return {row.id: _regions(row.regions) for row in rows}


def test_the_demo_clinic_of_the_previous_release_upgrades_with_every_drawing_intact(tmp_path: Path) -> None:
    db = tmp_path / "clinic.db"
    with gzip.open(FIXTURE) as src, db.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    engine = make_engine(f"sqlite:///{db}")
    assert current_revision(engine) == "0003"
    before = _drawings(engine)
    assert len(before) >= 20 and all(r["region"].startswith(("left-", "right-")) for d in before.values() for r in d)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    after = _drawings(engine)
    atlas = load_atlas()
    assert set(after) == set(before)
    for drawing_id, old in before.items():
        new = {r["region"]: r["intensity"] for r in after[drawing_id]}
        assert new == _expected(old), drawing_id
        assert set(new) <= set(atlas.regions)
    engine.dispose()


HAND_MADE = [
    # (old drawing, expected atlas-2 regions with intensities), written out by hand
    (
        [{"region": "right-temple", "intensity": 7}, {"region": "right-upper-teeth", "intensity": 4}],
        {
            "right-temple-anterior": 7,
            "right-temple-middle": 7,
            "right-temple-posterior": 7,
            "right-upper-teeth-front": 4,
            "right-upper-teeth-back": 4,
        },
    ),
    (
        [
            {"region": "left-sternum-upper", "intensity": 3},
            {"region": "right-sternum-lower", "intensity": 6},
            {"region": "left-vertex", "intensity": 2},
        ],
        {"midline-manubrium": 3, "midline-sternum": 6, "midline-vertex": 2},
    ),
    (
        [{"region": "left-anteromedial-arm", "intensity": 2}, {"region": "left-anterolateral-arm", "intensity": 9}],
        {
            "left-medial-arm-upper": 2,
            "left-medial-arm-middle": 2,
            "left-medial-arm-lower": 2,
            "left-biceps-upper": 9,
            "left-biceps-middle": 9,
            "left-biceps-lower": 9,
            "left-lateral-arm-upper": 9,
            "left-lateral-arm-middle": 9,
            "left-lateral-arm-lower": 9,
        },
    ),
    (
        [{"region": "right-lesser-toes-plantar", "intensity": 5}, {"region": "right-iliac-crest", "intensity": 8}],
        {
            "right-plantar-toe-2": 5,
            "right-plantar-toe-3": 5,
            "right-plantar-toe-4": 5,
            "right-plantar-toe-5": 5,
            "right-iliac-crest-posterior": 8,
            "right-iliac-crest-lateral": 8,
        },
    ),
]


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_hand_made_drawings_map_region_by_region_and_amendment_history_stays_as_written(
    db: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}" if db == "sqlite" else str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine, "0003")
    with engine.begin() as conn:  # rows written as the 0003 schema had them, not through today's models
        conn.execute(sa.text("INSERT INTO clinic (id, name, created_at) VALUES (1, 'Old clinic', CURRENT_TIMESTAMP)"))
        conn.execute(
            sa.text(
                "INSERT INTO app_user (id, clinic_id, username, display_name, role, password_hash, active, created_at)"
                " VALUES (1, 1, 'old-clinician', 'Old Clinician', 'clinician', 'x', TRUE, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO patient (id, clinic_id, mrn, given_name, family_name, birth_date, sex, version,"
                " created_by, created_at) VALUES (1, 1, 'MRN-1', 'Ada', 'Old', '1970-01-01', 'female', 1, 1,"
                " CURRENT_TIMESTAMP)"
            )
        )
        clinic, patient, user = 1, 1, 1
        drawing = sa.table(
            "pain_drawing", *(sa.column(c) for c in ("id", "clinic_id", "patient_id", "drawn_on", "version")),
            sa.column("regions", sa.JSON), sa.column("created_by"), sa.column("created_at"),
        )  # fmt: skip
        amendment = sa.table(
            "amendment", *(sa.column(c) for c in ("id", "clinic_id", "patient_id", "entity", "entity_id")),
            sa.column("from_version"), sa.column("changes", sa.JSON), sa.column("reason"), sa.column("amended_by"),
            sa.column("amended_at"),
        )  # fmt: skip
        for i, (old, _) in enumerate(HAND_MADE, 1):
            conn.execute(
                drawing.insert().values(
                    id=i, clinic_id=clinic, patient_id=patient, drawn_on=date(2025, 1, i), version=1,
                    regions=old, created_by=user, created_at=sa.func.now(),
                )
            )  # fmt: skip
        conn.execute(
            amendment.insert().values(
                id=1, clinic_id=clinic, patient_id=patient, entity="pain_drawing", entity_id=1, from_version=1,
                changes={"regions": {"old": HAND_MADE[1][0], "new": HAND_MADE[0][0]}}, reason="typo",
                amended_by=user, amended_at=sa.func.now(),
            )
        )  # fmt: skip
    upgrade(engine)
    after = _drawings(engine)
    for i, (_, expected) in enumerate(HAND_MADE, 1):
        assert {r["region"]: r["intensity"] for r in after[i]} == expected
    with engine.connect() as conn:
        changes = conn.execute(sa.text("SELECT changes FROM amendment WHERE id = 1")).scalar()
    changes = json.loads(changes) if isinstance(changes, str) else changes
    assert changes == {"regions": {"old": HAND_MADE[1][0], "new": HAND_MADE[0][0]}}  # append-only history
    engine.dispose()
