"""Session documentation: needles per target, pain, adverse events, RR upload; view; PDF note.

Built for the minute between two patients: targets chosen on the plan arrive pre-filled
with the knowledge base's needle and depth, the form keeps every value when a rule
refuses it, and a safety block shows its reasons next to the override box.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from filiform.core.concepts import Technique
from filiform.core.kb.loader import load_kb
from filiform.core.planning.plan import Plan
from filiform.errors import FiliformError, NotFound, SafetyBlock, ValidationFailed
from filiform.reports import pdf
from filiform.services.access.context import Actor
from filiform.services.access.scope import owned
from filiform.services.records import patients, reads, sessions
from filiform.services.records.plans import parse_findings, plan_for_patient
from filiform.storage import vocab
from filiform.storage.models import User

from . import hrv_store
from .common import render, run_page
from .labels import TECHNIQUE_NAMES
from .session_form import adverse_events_from_form, insertions_from_form

router = APIRouter()
VOCAB = {
    "sides": vocab.SIDES,
    "ae_types": vocab.AE_TYPES,
    "severities": vocab.SEVERITIES,
    "onsets": vocab.AE_ONSETS,
    "actions": vocab.AE_ACTIONS,
    "causality": vocab.AE_CAUSALITY,
    "techniques": TECHNIQUE_NAMES,
}


def prefill(plan: Plan | None) -> list[dict[str, Any]]:
    """Form rows for the plan's targets: its technique, needle and shallowest insertion depth.

    A target whose side the plan left to confirm gets no side, so the clinician must pick one.
    """
    rows = []
    for t in plan.targets if plan is not None else ():
        n = t.needle
        hint = f"{n.insertion_mm[0]:g}-{n.insertion_mm[1]:g} mm"
        if n.max_safe_depth_mm is not None:
            hint += f", max {n.max_safe_depth_mm:g}"
        rows.append(
            {
                "target": t.target,
                "side": t.side or "",
                "technique": t.technique.value,
                "length": f"{n.length_mm:g}",
                "gauge": f"{n.gauge_mm:g}",
                "depth": f"{n.insertion_mm[0]:g}",
                "depth_hint": hint,
            }
        )
    return rows or [{"side": "right", "technique": Technique.TRIGGER_POINT.value}]


def _rows_from_form(form: dict[str, str]) -> list[dict[str, str]]:
    from .session_form import row_indexes

    return [
        {k.split("-", 2)[2]: v for k, v in form.items() if k.startswith(f"ins-{i}-")} for i in row_indexes(form, "ins")
    ] or [{}]


def _form_context(request: Request, patient: Any, tl: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "title": "Record session",
        "patient": patient,
        "episodes": tl["episodes"],
        "vocab": VOCAB,
        "kb_targets": sorted((t.id, t.name) for t in load_kb().targets.values()),
        "now": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
        **extra,
    }


@router.get("/patients/{patient_id}/sessions/new", include_in_schema=False)
def session_form(
    request: Request, patient_id: int, condition: str = "", side: str = "", drawing: int | None = None
) -> Any:
    """The form, filled in from the plan when the plan page's query (condition...) is given."""
    raw_findings = request.query_params.getlist("finding")

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        plan = None
        if condition:
            plan = plan_for_patient(
                s,
                actor,
                patient,
                condition=condition,
                side=side or None,
                drawing_id=drawing,
                findings=parse_findings(raw_findings),
            ).plan
        tl = reads.timeline(s, actor=actor, patient_id=patient_id)
        return render(
            request,
            "session_new.html",
            _form_context(request, patient, tl, rows=prefill(plan), form={}, blocked=[], plan=plan),
        )

    return run_page(request, body)


async def _upload(request: Request) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}
    upload = form.get("rr_file")
    data = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = (upload.filename, await upload.read(hrv_store.MAX_BYTES + 1))
    return fields, data


@router.post("/patients/{patient_id}/sessions/new", include_in_schema=False)
async def session_submit(request: Request, patient_id: int) -> Any:
    form, upload = await _upload(request)

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        errors: list[str] = []
        blocked: list[str] = []
        insertions, problems = insertions_from_form(form)
        errors.extend(problems)
        try:
            started = datetime.fromisoformat(form.get("started_at", "")).replace(tzinfo=UTC)
        except ValueError:
            errors.append("Start time: enter a date and time")
        if upload is not None:
            try:
                hrv_store.check_upload(upload[0], upload[1], form.get("phases", ""))
            except FiliformError as exc:
                errors.append(str(exc))
        row = None
        if not errors:
            row = _record(s, actor, patient_id, form, insertions, started, errors, blocked, upload)
        if row is None:
            tl = reads.timeline(s, actor=actor, patient_id=patient_id)
            return render(
                request,
                "session_new.html",
                _form_context(
                    request, patient, tl, rows=_rows_from_form(form), form=form, blocked=blocked, errors=errors
                ),
                status_code=409 if blocked else 422,
            )
        return RedirectResponse(f"/patients/{patient_id}/sessions/{row.id}", status_code=303)

    return run_page(request, body)


def _record(
    s: Session,
    actor: Actor,
    patient_id: int,
    form: dict[str, str],
    insertions: list[Any],
    started: datetime,
    errors: list[str],
    blocked: list[str],
    upload: tuple[str, bytes] | None,
) -> Any:
    """Session, adverse events and RR attachment in one savepoint: all stored or none."""

    def pain(key: str) -> int | None:
        raw = form.get(key, "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            raise ValidationFailed(f"{key.replace('_', ' ')} must be a whole number 0-10")
        return int(raw)

    def write() -> Any:
        episode = form.get("episode_id", "")
        row = sessions.record_session(
            s,
            actor=actor,
            patient_id=patient_id,
            started_at=started,
            insertions=insertions,
            pain_pre=pain("pain_pre"),
            pain_post=pain("pain_post"),
            patient_response=form.get("patient_response") or None,
            notes=form.get("notes") or None,
            episode_id=int(episode) if episode.isdigit() else None,
            override_justification=form.get("override_justification") or None,
        )
        for event in adverse_events_from_form(form):
            sessions.report_adverse_event(
                s, actor=actor, patient_id=patient_id, session_id=row.id, occurred_on=started.date(), **event
            )
        if upload is not None:
            suffix = hrv_store.check_upload(upload[0], upload[1], form.get("phases", ""))
            hrv_store.save(s, actor, row.id, upload[0], suffix, upload[1], form.get("phases", ""))
        return row

    try:
        with s.begin_nested():
            return write()
    except SafetyBlock as exc:
        errors.append(exc.message)
        blocked.extend(exc.details)
    except FiliformError as exc:
        errors.append(exc.message)
        errors.extend(exc.details)
    return None


def session_bundle(s: Session, actor: Actor, patient_id: int, session_id: int, hrv_base: Any) -> dict[str, Any]:
    """One session with its patient, clinician, adverse events, drawing and HRV analysis."""
    patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
    tl = reads.timeline(s, actor=actor, patient_id=patient_id)
    found = next((x for x in tl["sessions"] if x["id"] == session_id), None)
    if found is None:
        raise NotFound(f"session {session_id} not found for this patient")
    clinician = owned(s, User, found["clinician_id"], actor=actor)
    day = found["started_at"].date()
    drawing = next((d for d in tl["drawings"] if d["drawn_on"] <= day), None)
    events = [a for a in tl["adverse_events"] if a["session_id"] == session_id]
    try:
        analysis = hrv_store.analysis(s, actor, session_id, hrv_store.hrv_dir(hrv_base))
        hrv_error = None
    except FiliformError as exc:
        analysis, hrv_error = None, str(exc)
    return {
        "patient": patient,
        "session": found,
        "clinician": clinician.display_name,
        "events": events,
        "drawing": drawing,
        "hrv": analysis,
        "hrv_error": hrv_error,
        "technique_names": TECHNIQUE_NAMES,
    }


@router.get("/patients/{patient_id}/sessions/{session_id}", include_in_schema=False)
def session_view(request: Request, patient_id: int, session_id: int) -> Any:
    base = getattr(request.app.state, "hrv_dir", None)

    def body(s: Session, actor: Actor) -> Any:
        bundle = session_bundle(s, actor, patient_id, session_id, base)
        extra: dict[str, Any] = {}
        if bundle["hrv"] is not None:
            extra = {"tachogram": pdf.tachogram_markup(bundle["hrv"]), "hrv_rows": pdf.hrv_rows(bundle["hrv"])}
        return render(request, "session.html", {"title": "Session", **bundle, **extra})

    return run_page(request, body)


@router.get("/patients/{patient_id}/sessions/{session_id}/note.pdf", include_in_schema=False)
def session_note_pdf(request: Request, patient_id: int, session_id: int) -> Any:
    base = getattr(request.app.state, "hrv_dir", None)

    def body(s: Session, actor: Actor) -> Any:
        bundle = session_bundle(s, actor, patient_id, session_id, base)
        data = pdf.session_note_pdf(bundle)
        name = f"session-{session_id}-note.pdf"
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    return run_page(request, body)
