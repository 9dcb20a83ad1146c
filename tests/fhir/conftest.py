"""A small synthetic clinic for the FHIR tests, built through migrations, demo and services.

The demo generator gives volume; the services add what the demo never writes (a
withdrawn consent via an amendment, a closed episode, e-stim, an older bilateral needle,
clinician notes, an NDI response, an adverse event without a session), so that the round trip covers every column.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fhir_world import Clinic
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from filiform.services.access.context import Actor, Role
from filiform.services.operations import demo
from filiform.services.records import amendments, bulk, clinical, drawings, outcomes, sessions
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade


def _actor(engine: Engine, role: str) -> Actor:
    with engine.connect() as c:
        uid, cid = c.execute(
            sa.text("SELECT id, clinic_id FROM app_user WHERE role = :r ORDER BY id LIMIT 1"), {"r": role}
        ).one()
    return Actor(user_id=uid, clinic_id=cid, role=Role(role), client="test")


def _older_bilateral_session(s: Session, doc: Actor, pid: int, when: datetime) -> None:
    """A session as older records hold it (one 'bilateral' needle), written the way an import
    writes rows: new sessions name one side per needle, but the export still carries these."""
    consent, screening = s.execute(
        sa.text("SELECT c.id, r.id FROM consent c, screening r WHERE c.patient_id = :p AND r.patient_id = :p"),
        {"p": pid},
    ).first()  # type: ignore[misc]
    sid = (s.scalar(sa.text("SELECT max(id) FROM treatment_session")) or 0) + 1
    nid = (s.scalar(sa.text("SELECT max(id) FROM insertion")) or 0) + 1
    record = {"clinic_id": doc.clinic_id, "patient_id": pid, "version": 1, "created_by": doc.user_id}
    bulk.insert_rows(
        s,
        {
            "treatment_session": [
                {**record, "id": sid, "created_at": when, "clinician_id": doc.user_id, "consent_id": consent,
                 "screening_id": screening, "started_at": when, "pain_pre": 5}
            ],
            "insertion": [
                {"id": nid, "session_id": sid, "seq": 1, "target_id": "upper_trapezius", "side": "bilateral",
                 "technique": "trigger_point_dn", "needle_length_mm": 30, "needle_gauge_mm": 0.25, "depth_mm": 10,
                 "twitch_responses": 1, "retention_s": 0}
            ],
        },
    )  # fmt: skip


def _enrich(engine: Engine, doc: Actor, pid: int) -> None:
    now = datetime.now(UTC)
    today = now.date()
    with transaction(session_factory(engine)) as s:
        ep = clinical.open_episode(
            s,
            actor=doc,
            patient_id=pid,
            details={"condition": "Lateral elbow pain", "icd10_codes": ["M77.11", "M79.1"], "opened_on": today},
        )
        outcomes.record_outcome(
            s,
            actor=doc,
            patient_id=pid,
            details={
                "instrument_id": "ndi",
                "answers": {f"s{i}": i % 4 for i in range(1, 11)},
                "completed_on": today,
                "episode_id": ep.id,
            },
        )
        drawings.record_drawing(
            s,
            actor=doc,
            patient_id=pid,
            details={
                "drawn_on": today,
                "regions": [{"region": "right-temple-middle", "intensity": 6}],
                "episode_id": ep.id,
            },
        )
        needle = {"needle_length_mm": 40, "needle_gauge_mm": 0.3, "depth_mm": 20, "retention_s": 600}
        documented = {
            "started_at": now - timedelta(hours=1),
            "pain_pre": 6,
            "notes": "Tolerated well",
            "episode_id": ep.id,
            "insertions": [
                {
                    **needle,
                    "target_id": "upper_trapezius",
                    "side": "right",  # a new session names one side ('bilateral' is kept only for older rows)
                    "technique": "trigger_point_dn",
                    "needle_length_mm": 30,
                    "needle_gauge_mm": 0.25,
                    "depth_mm": 12.5,
                    "twitch_responses": 2,
                    "retention_s": 0,
                },
                {**needle, "target_id": "gluteus_medius", "side": "right", "technique": "electrical_dn"},
                {
                    **needle,
                    "target_id": "gluteus_medius",
                    "side": "right",
                    "technique": "electrical_dn",
                    "needle_length_mm": 75,
                    "depth_mm": 60,
                },
                {
                    **needle,
                    "target_id": "piriformis",
                    "side": "right",
                    "technique": "trigger_point_dn",
                    "needle_length_mm": 75,
                    "depth_mm": 45,
                },
            ],
            "circuits": [
                {
                    "lead_a": 2,
                    "lead_b": 3,
                    "frequency_hz": 2.0,
                    "intensity_ma": 1.5,
                    "pulse_width_us": 250.0,
                    "duration_s": 600.0,
                }
            ],
        }
        reason = "Deep gluteal layer in this patient, confirmed by palpation before needling"
        documented["override_reasons"] = [{"problem": "depth_beyond_plan:3", "reason": reason}]  # kept on export
        row = sessions.record_session(s, actor=doc, patient_id=pid, documented=documented)
        _older_bilateral_session(s, doc, pid, now - timedelta(days=30))
        sessions.report_adverse_event(
            s,
            actor=doc,
            patient_id=pid,
            details={
                "occurred_on": today,
                "event_type": "syncope",
                "severity": "moderate",
                "onset": "during",
                "action_taken": "clinician",
                "causality": "possible",
                "significant": True,
                "description": "Fainted briefly, recovered",
            },
        )
        sessions.report_adverse_event(
            s,
            actor=doc,
            patient_id=pid,
            details={
                "occurred_on": today,
                "event_type": "bruising",
                "severity": "minor",
                "onset": "within_24h",
                "action_taken": "none",
                "causality": "probable",
                "session_id": row.id,
            },
        )
        consent = s.scalar(sa.text("SELECT id FROM consent WHERE patient_id = :p"), {"p": pid})
        amendments.amend(
            s,
            actor=doc,
            entity="consent",
            entity_id=consent,
            expected_version=1,
            changes={"withdrawn_on": today},
            reason="Patient withdrew consent",
        )
        amendments.amend(
            s,
            actor=doc,
            entity="episode",
            entity_id=ep.id,
            expected_version=1,
            changes={"closed_on": today},
            reason="Discharged, goals met",
        )


@pytest.fixture(scope="session")
def demo_clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    path: Path = tmp_path_factory.mktemp("fhir") / "demo.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    demo.generate(engine, patients=12, seed=3)
    doc = _actor(engine, "clinician")
    with engine.connect() as c:
        pid = c.execute(sa.text("SELECT MIN(id) FROM patient")).scalar_one()
    _enrich(engine, doc, pid)
    yield Clinic(engine, url, _actor(engine, "admin"), doc, pid)
    engine.dispose()
