"""Core reads of a patient's rows give exactly the views the ORM objects gave."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from filiform.services.operations import demo
from filiform.services.records import view_rows
from filiform.services.records.reads import session_view
from filiform.services.records.views import (
    AdverseEventView,
    ConsentView,
    DrawingView,
    EpisodeView,
    InsertionView,
    OutcomeView,
    ScreeningView,
    SessionView,
    View,
)
from filiform.storage import models as m

LISTS: list[tuple[type[View], Any, str]] = [
    (EpisodeView, m.Episode, "opened_on"),
    (DrawingView, m.PainDrawingRecord, "drawn_on"),
    (OutcomeView, m.OutcomeResponse, "completed_on"),
    (AdverseEventView, m.AdverseEvent, "occurred_on"),
    (ConsentView, m.Consent, "consented_on"),
    (ScreeningView, m.Screening, "screened_at"),
]


@pytest.mark.parametrize(
    ("view", "model"),
    [(v, model) for v, model, _ in LISTS] + [(SessionView, m.TreatmentSession), (InsertionView, m.InsertionRecord)],
)
def test_every_view_field_is_a_column_of_its_table(view: type[View], model: Any) -> None:
    """What lets a select of the columns stand in for the ORM object."""
    columns = set(model.__table__.c.keys())
    assert set(view.model_fields) - {"insertions", "circuits"} <= columns


def _orm_sessions(s: Session, patient_id: int) -> tuple[SessionView, ...]:
    stmt = (
        sa.select(m.TreatmentSession)
        .where(m.TreatmentSession.patient_id == patient_id)
        .options(selectinload(m.TreatmentSession.insertions), selectinload(m.TreatmentSession.circuits))
        .order_by(m.TreatmentSession.started_at.desc(), m.TreatmentSession.id.desc())
    )
    return tuple(session_view(row) for row in s.execute(stmt).scalars())


def _orm_list(s: Session, view: type[View], model: Any, order: str, patient_id: int) -> tuple[View, ...]:
    column = getattr(model, order)
    stmt = sa.select(model).where(model.patient_id == patient_id).order_by(column.desc(), model.id.desc())
    return tuple(view.model_validate(row) for row in s.execute(stmt).scalars())


def _add_circuits(engine: Engine) -> None:
    """The demo clinic has no electrical circuits: add a current circuit and a migrated one
    (no partner needle, no settings) to every fifth session with two needles, seq 2 first."""
    with Session(engine) as s, s.begin():
        sessions = s.scalars(sa.select(m.TreatmentSession).options(selectinload(m.TreatmentSession.insertions))).all()
        for row in sessions[::5]:
            if len(row.insertions) < 2:
                continue
            a, b = row.insertions[0].id, row.insertions[1].id
            s.add(m.ElectricalCircuitRecord(session_id=row.id, seq=2, lead_a_id=b, lead_b_id=None,
                                            migrated_from="2 Hz on needle 2 (old free text)"))  # fmt: skip
            s.add(m.ElectricalCircuitRecord(session_id=row.id, seq=1, lead_a_id=a, lead_b_id=b, frequency_hz=2.0,
                                            pulse_width_us=250.0, intensity_ma=1.5, duration_s=600.0))  # fmt: skip


def test_core_views_equal_the_orm_views_for_every_demo_patient(db_engine: Engine) -> None:
    stats = demo.generate(db_engine, patients=40, seed=5)
    _add_circuits(db_engine)
    seen = {"sessions": 0, "needles": 0, "circuits": 0, **{model.__name__: 0 for _, model, _ in LISTS}}
    with Session(db_engine) as s:
        ids = s.scalars(sa.select(m.Patient.id).where(m.Patient.clinic_id == stats.clinic_id)).all()
        for pid in ids:
            core = view_rows.session_views(s, pid)
            assert core == _orm_sessions(s, pid)
            seen["sessions"] += len(core)
            seen["needles"] += sum(len(x.insertions) for x in core)
            seen["circuits"] += sum(len(x.circuits) for x in core)
            for view, model, order in LISTS:
                found = view_rows.views_of(s, view, model, order, pid)
                assert found == _orm_list(s, view, model, order, pid)
                seen[model.__name__] += len(found)
    assert all(seen.values()), f"the demo clinic must exercise every kind of row: {seen}"


def test_a_write_in_the_same_unit_is_read_back(db_engine: Engine) -> None:
    stats = demo.generate(db_engine, patients=3, seed=2)
    with Session(db_engine) as s:
        pid = s.scalars(sa.select(m.Patient.id).where(m.Patient.clinic_id == stats.clinic_id)).first()
        assert pid is not None
        before = view_rows.views_of(s, EpisodeView, m.Episode, "opened_on", pid)
        newest = max((e.opened_on for e in before), default=None)
        user = s.scalars(sa.select(m.User.id).where(m.User.clinic_id == stats.clinic_id)).first()
        s.add(
            m.Episode(
                clinic_id=stats.clinic_id,
                patient_id=pid,
                condition="myofascial_neck",
                icd10_codes=["M79.1"],
                opened_on=newest or date(2026, 1, 1),
                closed_on=None,
                created_by=user,
            )
        )  # not flushed: the read must flush it, as the ORM's autoflush would
        after = view_rows.views_of(s, EpisodeView, m.Episode, "opened_on", pid)
        assert len(after) == len(before) + 1
        s.rollback()
