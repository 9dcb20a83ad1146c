"""The pre-visit story through the real app: book, send a link, the patient answers, draws
and signs; nothing they said is a screening answer until a clinician confirms it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from portal_world import open_as_patient, post, send_link, token_in

from filiform.core.concepts.clock import FixedClock
from filiform.storage.models import AuditLog, Consent, EConsent, IntakeProposal, Patient, Screening

STROKES = [[[20, 100], [80, 60], [140, 120], [220, 70], [300, 110]], [[320, 90], [420, 95]]]


def _patient(app: FastAPI) -> Patient:
    with app.state.sessions() as s:
        return s.execute(sa.select(Patient).order_by(Patient.id)).scalars().first()


def _count(app: FastAPI, model: type, **where: object) -> int:
    with app.state.sessions() as s:
        stmt = sa.select(sa.func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int(s.scalar(stmt) or 0)


@pytest.fixture(scope="module")
def story(app: FastAPI, staff: Callable[[str], TestClient], clock: FixedClock) -> dict[str, object]:
    patient = _patient(app)
    desk = staff("front_desk")
    booked = post(
        desk,
        "/appointments",
        {
            "patient_id": patient.id,
            "clinician_id": _clinician_id(app),
            "date": "2026-03-04",
            "time": "10:00",
            "minutes": 45,
        },
        page="/appointments?day=2026-03-04",
    )
    assert booked.status_code == 303, booked.text[:1500]
    path = send_link(desk, patient.id, ["intake", "drawing", "consent"], dob_check="yes")
    screenings_before = _count(app, Screening, patient_id=patient.id)
    phone = open_as_patient(app, path, birth_date=patient.birth_date.isoformat())
    home = phone.get("/p/home")
    intake_page = phone.get("/p/intake")
    answers = {name: "no" for name in ("acute_illness", "red_flags", "needle_phobia", "vasovagal_history", "pregnant")}
    answers.update({"anticoagulant": "vka", "inr": "2,4", "lung_disease": "no", "height_cm": "170", "weight_kg": "68"})
    answers.update({"lymphoedema": "yes", "where_lymphoedema": "my left arm, after breast surgery"})
    sent = phone.post(
        "/p/intake",
        data={**answers, "medicines": "warfarin 5 mg", "csrf_token": token_in(intake_page.text)},
        follow_redirects=False,
    )
    drawing = phone.get("/p/drawing")
    regions = [{"region": "right-posterolateral-neck-lower", "intensity": 7}]
    drawn = phone.post(
        "/p/drawing",
        data={"regions_json": json.dumps(regions), "csrf_token": token_in(drawing.text)},
        follow_redirects=False,
    )
    consent = phone.get("/p/consent")
    signed = phone.post(
        "/p/consent",
        data={
            "typed_name": f"{patient.given_name} {patient.family_name}",
            "agree": "yes",
            "signature_json": json.dumps(STROKES),
            "csrf_token": token_in(consent.text),
        },
        follow_redirects=False,
    )
    # Snapshots of the moment after the patient's steps: later tests (the clinician's
    # confirmation, the withdrawal) change these rows, and tests run in random order.
    with app.state.sessions() as s:
        signed_consent = s.execute(sa.select(EConsent).where(EConsent.patient_id == patient.id)).scalar_one_or_none()
        withdrawn = s.get(Consent, signed_consent.consent_id).withdrawn_on if signed_consent else "no consent"
    return {
        "screenings_after_patient": _count(app, Screening, patient_id=patient.id),
        "proposal_after_patient": _proposal(app, patient.id),
        "withdrawn_at_signing": withdrawn,
        "patient": patient,
        "path": path,
        "phone": phone,
        "home": home,
        "sent": sent,
        "drawn": drawn,
        "consent": consent,
        "signed": signed,
        "screenings_before": screenings_before,
    }


def _clinician_id(app: FastAPI) -> int:
    with app.state.sessions() as s:
        from filiform.storage.models import User

        return int(s.scalar(sa.select(User.id).where(User.role == "clinician").order_by(User.id)))


def test_the_patient_answers_draws_and_signs(story: dict[str, object]) -> None:
    assert story["home"].status_code == 200 and "Health questions" in story["home"].text
    assert story["sent"].status_code == 303 and story["sent"].headers["location"] == "/p/drawing"
    assert story["drawn"].status_code == 303, story["drawn"].text[:500]
    assert "1 in 1,000" in story["consent"].text and "Brady et al. 2014" in story["consent"].text
    assert story["signed"].status_code == 303, story["signed"].text[:1500]


def _proposal(app: FastAPI, patient_id: int) -> IntakeProposal:
    with app.state.sessions() as s:
        row = s.execute(sa.select(IntakeProposal).where(IntakeProposal.patient_id == patient_id)).scalar_one()
        s.expunge(row)
        return row


def test_nothing_the_patient_says_is_a_screening_answer_yet(app: FastAPI, story: dict[str, object]) -> None:
    assert story["screenings_after_patient"] == story["screenings_before"]
    row: IntakeProposal = story["proposal_after_patient"]  # type: ignore[assignment]
    assert row.status == "proposed"
    assert row.answers["anticoagulant"] == "vka" and row.answers["inr"] == 2.4
    assert row.answers["bmi"] == 23.5  # 68 kg / 1.70 m squared, rounded as PatientBody does
    assert row.answers["capacity_to_consent"] == "unknown"  # not answered stays unknown, never "no"
    assert row.notes["lymphoedema"] == "my left arm, after breast surgery"
    assert row.answers["lymphoedema_sites"] == []  # the patient writes where; the clinician names sites
    assert row.drawing == [{"region": "right-posterolateral-neck-lower", "intensity": 7}]
    assert row.medicines == "warfarin 5 mg"


def _clinician_form(answers: dict[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in answers.items():
        if isinstance(value, list):
            out[key] = ", ".join(str(v) for v in value)
        elif value is not None:
            out[key] = str(value)
    return out


def test_the_clinician_corrects_and_confirms(
    app: FastAPI, staff: Callable[[str], TestClient], story: dict[str, object]
) -> None:
    patient = story["patient"]
    row = _proposal(app, patient.id)
    doc = staff("clinician")
    page = doc.get(f"/patients/{patient.id}/portal/intake/{row.id}")
    assert page.status_code == 200 and "my left arm, after breast surgery" in page.text
    form = _clinician_form(row.answers)
    form.update({"vasovagal_history": "yes", "lymphoedema_sites": "left:upper_arm", "capacity_to_consent": "yes"})
    form.update({"consents_to_needling": "yes", "save_drawing": "yes", "action": "confirm"})
    r = doc.post(page.url.path, data={**form, "csrf_token": token_in(page.text)})
    assert r.status_code == 200, r.text[:3000]
    assert "Confirmed: screening saved" in r.text
    assert _count(app, Screening, patient_id=patient.id) == story["screenings_before"] + 1
    done = _proposal(app, patient.id)
    assert done.status == "confirmed" and done.screening_id is not None and done.drawing_id is not None
    changed = {d["question"]: d for d in done.differences}
    assert set(changed) == {"vasovagal_history", "lymphoedema_sites", "capacity_to_consent", "consents_to_needling"}
    assert changed["vasovagal_history"] == {"question": "vasovagal_history", "patient": "no", "clinician": "yes"}
    with app.state.sessions() as s:
        screening = s.get(Screening, done.screening_id)
        assert screening.answers["lymphoedema_sites"] == ["left:upper_arm"] and screening.answers["inr"] == 2.4
        confirm = s.execute(
            sa.select(AuditLog).where(AuditLog.action == "confirm", AuditLog.entity_id == done.id)
        ).scalar_one()
        assert confirm.role == "clinician" and "vasovagal_history" in confirm.detail
    again = doc.post(page.url.path, data={**form, "csrf_token": token_in(page.text)})
    assert again.status_code == 422 and "already confirmed" in again.text  # a proposal is confirmed once


def test_every_patient_step_is_audited_as_the_patient(app: FastAPI, story: dict[str, object]) -> None:
    patient = story["patient"]
    with app.state.sessions() as s:
        rows = (
            s.execute(
                sa.select(AuditLog)
                .where(AuditLog.patient_id == patient.id, AuditLog.action.like("patient_%"))
                .order_by(AuditLog.id)
            )
            .scalars()
            .all()
        )
    actions = [(r.action, r.entity) for r in rows]
    for expected in (
        ("patient_open", "portal_link"),
        ("patient_view", "intake_proposal"),
        ("patient_submit", "intake_proposal"),
        ("patient_view", "e_consent"),
        ("patient_sign", "e_consent"),
    ):
        assert expected in actions
    assert all(r.user_id is None and r.role is None and '"by":"patient"' in r.detail for r in rows)


def test_the_signed_consent_is_a_record_and_a_pdf(
    app: FastAPI, staff: Callable[[str], TestClient], story: dict[str, object]
) -> None:
    patient = story["patient"]
    with app.state.sessions() as s:
        e = s.execute(sa.select(EConsent).where(EConsent.patient_id == patient.id)).scalar_one()
        consent = s.get(Consent, e.consent_id)
        assert consent.form_version == "dn-econsent-2026.1" and story["withdrawn_at_signing"] is None
        assert e.pdf.startswith(b"%PDF") and len(e.text_sha256) == 64 and e.techniques == ["trigger_point_dn"]
        econsent_id = e.id
    pdf = staff("clinician").get(f"/patients/{patient.id}/portal/consents/{econsent_id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert staff("front_desk").get(f"/patients/{patient.id}/portal/consents/{econsent_id}.pdf").status_code == 403


def test_a_used_link_is_refused(app: FastAPI, story: dict[str, object]) -> None:
    again = TestClient(app).get(str(story["path"]))
    assert again.status_code == 404 and "cannot be used" in again.text


def test_the_patient_withdraws_consent_from_the_link(app: FastAPI, story: dict[str, object], clock: FixedClock) -> None:
    phone: TestClient = story["phone"]  # type: ignore[assignment]
    page = phone.get("/p/withdraw")
    r = phone.post("/p/withdraw", data={"csrf_token": token_in(page.text)})
    assert r.status_code == 200 and "withdrawn" in r.text
    with app.state.sessions() as s:
        consents = s.execute(sa.select(Consent).where(Consent.patient_id == story["patient"].id)).scalars().all()
        assert consents and all(c.withdrawn_on is not None for c in consents)
    start = clock.at
    clock.advance(timedelta(hours=2))  # the portal session ends after an hour without activity
    try:
        assert phone.get("/p/home").status_code == 403
    finally:
        clock.at = start  # staff sessions of the other tests live on the same clock


def test_patient_pages_write_as_writes_not_as_reads(
    app: FastAPI, staff: Callable[[str], TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    """Every patient page counts its tries and audits its view, so its GET opens a write
    transaction from the start; a read upgraded to a write mid-way fails under SQLite when
    another process committed in between (and logs a warning)."""
    patient = _patient(app)
    path = send_link(staff("front_desk"), patient.id, ["intake"], dob_check="yes")

    def views() -> tuple[int, int]:  # the module's other tests view pages too: count this test's
        link = _count(app, AuditLog, action="patient_view", entity="portal_link")
        return link, _count(app, AuditLog, action="patient_view", entity="intake_proposal")

    before = views()
    with caplog.at_level("WARNING", logger="filiform.storage"):
        phone = open_as_patient(app, path, birth_date=patient.birth_date.isoformat())
        assert phone.get("/p/home").status_code == 200
        assert phone.get("/p/intake").status_code == 200
    assert [r.getMessage() for r in caplog.records if "read request wrote" in r.getMessage()] == []
    after = views()
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)  # start and home; the intake form
