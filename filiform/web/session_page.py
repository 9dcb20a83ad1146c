"""One session: its page and PDF note, and the ways it changes (amend, void, withdraw a file).

Every change is an amendment with a reason: the author's own goes straight in; another
clinician's becomes a proposal that the author co-signs or declines on this page. The page
and the note show the "amended"/"void" mark and the whole history. Pages and the PDF read
the stored analysis of a recording, never a new one; a recording stored before analyses
were kept is analysed on request, outside the write transaction.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from filiform.core.kb.loader import load_kb
from filiform.core.planning.handout import ClinicDetails, render_handout
from filiform.errors import FiliformError
from filiform.reports import pdf
from filiform.services.access.context import Actor
from filiform.services.records import amendments, patients, proposals, recordings, session_changes
from filiform.services.records.clinic_settings import letterhead
from filiform.services.records.needling_status import needling_status
from filiform.services.records.session_record import session_analysis, session_record
from filiform.services.records.session_views import SessionRecord

from .common import actor_or_none, attempt, form_int, login_redirect, render, run_page, unit_of_work
from .labels import TECHNIQUE_NAMES
from .session_form import soap_note, soap_parts

router = APIRouter()
NO_PLAN = "This session was not recorded from a plan: print the handout from the plan page."
BASE = "/patients/{patient_id}/sessions/{session_id}"


def _names() -> dict[str, str]:
    return {tid: t.name for tid, t in load_kb().targets.items()}


def bundle(s: Session, actor: Actor, patient_id: int, session_id: int) -> dict[str, Any]:
    """What the page and the PDF note show: the patient, the session record, its analysis."""
    patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
    record = session_record(s, actor=actor, patient_id=patient_id, session_id=session_id)
    return {
        "patient": patient,
        "record": record,
        "hrv": session_analysis(s, actor=actor, patient_id=patient_id, session_id=session_id),
        "technique_names": TECHNIQUE_NAMES,
        "target_names": _names(),
    }


def _page(request: Request, s: Session, actor: Actor, patient_id: int, session_id: int, **extra: Any) -> Any:
    found = bundle(s, actor, patient_id, session_id)
    record: SessionRecord = found["record"]
    analysis = found["hrv"]
    ctx = {
        "title": "Session",
        **found,
        "needling": needling_status(s, actor=actor, patient_id=patient_id),
        "is_author": record.clinician_id == actor.user_id,
        "soap": soap_parts(record.session.notes),
        "tachogram": pdf.tachogram_markup(analysis) if analysis is not None else None,
        "hrv_rows": pdf.hrv_rows(analysis) if analysis is not None else [],
        **extra,
    }
    return render(request, "session.html", ctx, status_code=422 if extra.get("errors") else 200)


@router.get(BASE, include_in_schema=False)
def session_view(request: Request, patient_id: int, session_id: int) -> Any:
    return run_page(request, lambda s, actor: _page(request, s, actor, patient_id, session_id))


def _pdf_response(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get(BASE + "/note.pdf", include_in_schema=False)
def session_note_pdf(request: Request, patient_id: int, session_id: int) -> Any:
    """The note, rendered after the read transaction has ended (the read is audited)."""
    found: dict[str, Any] = {}

    def body(s: Session, actor: Actor) -> Any:
        found.update(bundle(s, actor, patient_id, session_id))
        return None

    refused = run_page(request, body)
    if refused is not None:
        return refused
    return _pdf_response(pdf.session_note_pdf(found), f"session-{session_id}-note.pdf")


@router.get(BASE + "/handout.pdf", include_in_schema=False)
def session_handout_pdf(request: Request, patient_id: int, session_id: int) -> Any:
    """The handout for this session: its plan's condition and the techniques used, the
    session's date and clinician, the clinic's phone (from the clinic's settings)."""
    found: dict[str, Any] = {}

    def body(s: Session, actor: Actor) -> Any:
        found.update(bundle(s, actor, patient_id, session_id))
        found["clinic"] = letterhead(s, actor.clinic_id)
        return None

    refused = run_page(request, body)
    if refused is not None:
        return refused
    record: SessionRecord = found["record"]
    if record.plan is None or record.plan.condition is None:
        return run_page(request, lambda s, a: _page(request, s, a, patient_id, session_id, errors=[NO_PLAN]))
    kb, head, patient = load_kb(), found["clinic"], found["patient"]
    used = record.session.insertions
    markdown = render_handout(
        record.plan.condition,
        [i.technique for i in used],
        near_chest=any(kb.target(i.target_id).lung_adjacent for i in used if i.target_id in kb.targets),
        anticoagulated=bool(record.screening and record.screening.anticoagulated),
        clinic=ClinicDetails(name=head.name, phone=head.phone or "", address=head.address or ""),
    )
    data = pdf.handout_pdf(
        markdown,
        title="Your dry needling treatment",
        patient_name=f"{patient.given_name} {patient.family_name}",
        clinic=head.name,
        on=record.day,
        clinician=record.clinician,
    )
    return _pdf_response(data, f"handout-session-{session_id}.pdf")


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _change(request: Request, patient_id: int, session_id: int, action: Any) -> Any:
    """Run one change in a savepoint; back to the page, or the page with the errors."""

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []
        if attempt(s, errors, lambda: action(s, actor)) is None:
            return _page(request, s, actor, patient_id, session_id, errors=errors)
        return RedirectResponse(BASE.format(patient_id=patient_id, session_id=session_id), status_code=303)

    return run_page(request, body)


def _mine(s: Session, actor: Actor, session_id: int, version: int) -> bool:
    row = amendments.current(s, actor, "treatment_session", session_id, version)
    return bool(amendments.author_of("treatment_session", row) == actor.user_id)


@router.post(BASE + "/amend", include_in_schema=False)
async def amend_session(request: Request, patient_id: int, session_id: int) -> Any:
    """Correct pain, response or notes: the author amends, anyone else proposes."""
    form = await _form(request)
    fields = {"pain_pre": form.get("pain_pre", ""), "pain_post": form.get("pain_post", "")}
    changes: dict[str, Any] = {k: (int(v) if v.strip().isdigit() else (v.strip() or None)) for k, v in fields.items()}
    changes |= {"patient_response": form.get("patient_response", "").strip() or None, "notes": soap_note(form) or None}
    version, reason = form_int(form.get("version"), 0) or 0, form.get("reason", "")

    def action(s: Session, actor: Actor) -> Any:
        row = amendments.current(s, actor, "treatment_session", session_id, version)
        wanted = {k: v for k, v in changes.items() if getattr(row, k) != v}
        if not _mine(s, actor, session_id, version):
            return proposals.propose(
                s,
                actor=actor,
                session_id=session_id,
                change={"kind": "amend", "fields": wanted},
                reason=reason,
                expected_version=version,
            )
        return amendments.amend(
            s,
            actor=actor,
            entity="treatment_session",
            entity_id=session_id,
            changes=wanted,
            reason=reason,
            expected_version=version,
        )

    return _change(request, patient_id, session_id, action)


@router.post(BASE + "/void", include_in_schema=False)
async def void_session(request: Request, patient_id: int, session_id: int) -> Any:
    form = await _form(request)
    version, reason = form_int(form.get("version"), 0) or 0, form.get("reason", "")

    def action(s: Session, actor: Actor) -> Any:
        if not _mine(s, actor, session_id, version):
            return proposals.propose(
                s, actor=actor, session_id=session_id, change={"kind": "void"}, reason=reason, expected_version=version
            )
        return session_changes.void_session(
            s, actor=actor, session_id=session_id, reason=reason, expected_version=version
        )

    return _change(request, patient_id, session_id, action)


@router.post(BASE + "/files/{attachment_id}/withdraw", include_in_schema=False)
async def withdraw_file(request: Request, patient_id: int, session_id: int, attachment_id: int) -> Any:
    form = await _form(request)
    version, reason = form_int(form.get("version"), 0) or 0, form.get("reason", "")

    def action(s: Session, actor: Actor) -> Any:
        if not _mine(s, actor, session_id, version):
            change = {"kind": "withdraw", "attachment_id": attachment_id}
            return proposals.propose(
                s, actor=actor, session_id=session_id, change=change, reason=reason, expected_version=version
            )
        return session_changes.withdraw_attachment(
            s, actor=actor, attachment_id=attachment_id, reason=reason, expected_version=version
        )

    return _change(request, patient_id, session_id, action)


@router.post(BASE + "/proposals/{proposal_id}/{decision}", include_in_schema=False)
async def decide_proposal(request: Request, patient_id: int, session_id: int, proposal_id: int, decision: str) -> Any:
    await _form(request)

    def action(s: Session, actor: Actor) -> Any:
        if decision == "cosign":
            return proposals.cosign(s, actor=actor, proposal_id=proposal_id)
        if decision == "decline":
            return proposals.decline(s, actor=actor, proposal_id=proposal_id)
        raise FiliformError("a proposal is co-signed or declined")

    return _change(request, patient_id, session_id, action)


@router.post(BASE + "/files/{attachment_id}/analyse", include_in_schema=False)
async def analyse_file(request: Request, patient_id: int, session_id: int, attachment_id: int) -> Any:
    """Analyse a recording stored before analyses were kept: read, analyse outside any
    transaction, then store the result in a short one."""
    await _form(request)
    actor = actor_or_none(request)
    if actor is None:
        return login_redirect(request)
    try:
        with unit_of_work(request) as s:
            meta_data = recordings.read_for_analysis(s, actor=actor, attachment_id=attachment_id)
        prepared = await run_in_threadpool(recordings.prepare, *meta_data)
    except FiliformError as exc:
        failure = exc
        return run_page(request, lambda s, a: _page(request, s, a, patient_id, session_id, errors=[failure.message]))
    return _change(
        request,
        patient_id,
        session_id,
        lambda s, a: recordings.store_analysis(s, actor=a, attachment_id=attachment_id, prepared=prepared),
    )
