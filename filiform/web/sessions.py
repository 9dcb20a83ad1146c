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

from filiform.core.concepts import Laterality, Technique
from filiform.core.concepts.adverse_event import ActionTaken, Causality, EventType, Onset, Severity
from filiform.core.concepts.clock import local_date, show
from filiform.core.kb.loader import load_kb
from filiform.core.planning.plan import Plan
from filiform.errors import FiliformError, SafetyBlock
from filiform.reports import pdf
from filiform.services.access.context import Actor
from filiform.services.records import patients, reads, sessions
from filiform.services.records.plans import plan_from_query
from filiform.services.records.views import EpisodeView

from . import hrv_store
from .common import clinic_zone, instant_from_form, render, run_page
from .labels import TECHNIQUE_NAMES
from .session_form import CIRCUIT_FIELDS, adverse_events_from_form, rows, session_from_form

router = APIRouter()
VOCAB = {
    "sides": tuple(s.value for s in Laterality),
    "ae_types": tuple(t.value for t in EventType),
    "severities": tuple(s.value for s in Severity),
    "onsets": tuple(o.value for o in Onset),
    "actions": tuple(a.value for a in ActionTaken),
    "causality": tuple(c.value for c in Causality),
    "techniques": TECHNIQUE_NAMES,
    "circuit_fields": CIRCUIT_FIELDS,
}


def prefill(plan: Plan | None) -> list[dict[str, Any]]:
    """Form rows for the plan's targets: its technique, needle and shallowest insertion depth.

    A target whose side the plan left to confirm gets no side, so the clinician must pick one.
    """
    out = []
    for t in plan.targets if plan is not None else ():
        n = t.needle
        hint = f"{n.insertion_mm[0]:g}-{n.insertion_mm[1]:g} mm"
        if n.max_safe_depth_mm is not None:
            hint += f", max {n.max_safe_depth_mm:g}"
        out.append(
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
    return out or [{"side": "right", "technique": Technique.TRIGGER_POINT.value}]


def _form_context(
    patient: Any, episodes: tuple[EpisodeView, ...], form: dict[str, str], tz: str, **extra: Any
) -> dict[str, Any]:
    return {
        "tz": tz,
        "title": "Record session",
        "patient": patient,
        "episodes": episodes,
        "vocab": VOCAB,
        "kb_targets": sorted((t.id, t.name) for t in load_kb().targets.values()),
        "now": show(datetime.now(UTC), tz, "%Y-%m-%dT%H:%M"),  # the clinic's wall clock
        "form": form,
        "circuits": rows(form, "circ") or [{}],
        "blocked": [],
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
            plan = plan_from_query(
                s, actor, patient, condition=condition, side=side, drawing_id=drawing, ticks=raw_findings
            ).plan
        episodes = reads.episodes(s, actor=actor, patient_id=patient_id)
        context = _form_context(patient, episodes, {}, clinic_zone(s, actor), rows=prefill(plan), plan=plan)
        return render(request, "session_new.html", context)

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
        row = _record(s, actor, patient_id, form, errors, blocked, upload)
        if row is None:
            episodes = reads.episodes(s, actor=actor, patient_id=patient_id)
            return render(
                request,
                "session_new.html",
                _form_context(
                    patient,
                    episodes,
                    form,
                    clinic_zone(s, actor),
                    rows=rows(form, "ins") or [{}],
                    blocked=blocked,
                    errors=errors,
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
    errors: list[str],
    blocked: list[str],
    upload: tuple[str, bytes] | None,
) -> Any:
    """Session, adverse events and RR attachment in one savepoint: all stored or none."""

    def write() -> Any:
        tz = clinic_zone(s, actor)  # the start is typed on the clinic's clock
        documented = session_from_form({**form, "started_at": instant_from_form(form.get("started_at", ""), tz)})
        phases = form.get("phases", "")
        suffix = hrv_store.check_upload(upload[0], upload[1], phases) if upload is not None else None
        row = sessions.record_session(s, actor=actor, patient_id=patient_id, documented=documented)
        for event in adverse_events_from_form(form, row.id, local_date(documented.started_at, tz)):
            sessions.report_adverse_event(s, actor=actor, patient_id=patient_id, details=event)
        if upload is not None and suffix is not None:
            hrv_store.save(s, actor, row.id, upload[0], suffix, upload[1], phases)
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
    page = reads.session_page(s, actor=actor, patient_id=patient_id, session_id=session_id)
    try:
        analysis = hrv_store.analysis(s, actor, session_id, hrv_store.hrv_dir(hrv_base))
        hrv_error = None
    except FiliformError as exc:
        analysis, hrv_error = None, str(exc)
    drawing = page.drawing
    tz = clinic_zone(s, actor)
    return {
        "tz": tz,
        "started_local": show(page.session.started_at, tz, "%d %b %Y, %H:%M"),
        "patient": patient,
        "session": page.session,
        "clinician": page.clinician,
        "events": page.events,
        # the PDF note reads the drawing as stored (region/intensity mappings)
        "drawing": {"drawn_on": drawing.drawn_on, "regions": [r.model_dump() for r in drawing.regions]}
        if drawing
        else None,
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
