"""The demo clinic is clinically coherent: real atlas drawings the matcher recognises,
insertions into the drawn muscle, exactly scored outcome measures that improve."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
import sqlalchemy as sa
from services_world import World
from sqlalchemy.engine import Engine

from filiform.core.concepts import INSERTION_FIELDS, Insertion, PainDrawing
from filiform.core.concepts.drawing import read_regions
from filiform.core.matching import match
from filiform.core.outcomes import score
from filiform.errors import ValidationFailed
from filiform.services.operations import demo
from filiform.services.records import drawings as drawing_service
from filiform.services.records.drawings import checked_regions
from filiform.storage import models as m


def test_demo_drawings_validate_and_the_matcher_finds_the_needled_muscle(db_engine: Engine) -> None:
    stats = demo.generate(db_engine, patients=60, seed=11)
    with db_engine.connect() as conn:
        drawings = conn.execute(
            sa.select(m.PainDrawingRecord.patient_id, m.PainDrawingRecord.regions).where(
                m.PainDrawingRecord.clinic_id == stats.clinic_id
            )
        ).all()
        per_session: dict[tuple[int, int], set[tuple[str, str]]] = defaultdict(set)
        columns = [getattr(m.InsertionRecord, name) for name in INSERTION_FIELDS]
        for pid, sid, *needle in conn.execute(
            sa.select(m.TreatmentSession.patient_id, m.TreatmentSession.id, *columns).join(
                m.InsertionRecord, m.InsertionRecord.session_id == m.TreatmentSession.id
            )
        ):
            stored = Insertion.parse(dict(zip(INSERTION_FIELDS, needle, strict=True)))  # raises if invalid
            per_session[(pid, sid)].add((stored.target_id, stored.side.value))
        # the patient's muscle is needled in every session; some sessions add two more (CPT 20561)
        needled: dict[int, set[tuple[str, str]]] = {}
        for (pid, _sid), sites in per_session.items():
            needled[pid] = needled[pid] & sites if pid in needled else set(sites)
        assert any(len(sites) >= 3 for sites in per_session.values())
        outcomes = conn.execute(
            sa.select(
                m.OutcomeResponse.patient_id,
                m.OutcomeResponse.instrument_id,
                m.OutcomeResponse.answers,
                m.OutcomeResponse.total,
                m.OutcomeResponse.completed_on,
            )
        ).all()
    assert 60 < len(drawings) <= 120  # patients who started in the last 5 weeks have one
    top5 = 0
    for pid, regions in drawings:
        assert checked_regions(regions) == read_regions(regions)
        assert len(needled[pid]) == 1, "one muscle on one side in every session of a demo patient"
        ranked = match(PainDrawing(regions=read_regions(regions)))
        top5 += next(iter(needled[pid])) in {(r.muscle_id, r.side.value) for r in ranked.muscles[:5]}
    assert top5 >= 0.8 * len(drawings)

    series: dict[tuple[int, str], list[tuple[object, float]]] = defaultdict(list)
    for pid, instrument, answers, total, on in outcomes:
        assert score(instrument, answers).total == pytest.approx(total)
        series[(pid, instrument)].append((on, total))
    assert {i for _, i in series} >= {"nprs"} and len({i for _, i in series}) > 2
    nprs = [sorted(v) for (_, i), v in series.items() if i == "nprs" and len(v) > 1]
    assert all(s[-1][1] <= s[0][1] for s in nprs)
    assert sum(s[-1][1] < s[0][1] for s in nprs) >= 0.8 * len(nprs)
    today = date.today()
    assert all(on <= today for _, _, _, _, on in outcomes), "nothing is recorded in the future"


def test_drawings_outside_the_atlas_are_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        world.run(
            drawing_service.record_drawing,
            actor=world.clinician,
            patient_id=world.patient_id,
            details={
                "drawn_on": world.now.date(),
                "regions": [{"region": "left-neck", "intensity": 5}, {"region": "right-temple-middle", "intensity": 4}],
            },
        )
    assert exc.value.details == ["unknown region 'left-neck': not a body-atlas region id (like 'right-temple-middle')"]
    row = world.run(
        drawing_service.record_drawing,
        actor=world.clinician,
        patient_id=world.patient_id,
        details={"drawn_on": world.now.date(), "regions": [{"region": "right-temple-middle", "intensity": 4}]},
    )
    assert row.regions == [{"region": "right-temple-middle", "intensity": 4}]
