"""The session form: one card per needle, the patient's needling status, safety at saving.

Built for the minute between two patients on a tablet: the patient's current decision is
at the top in colour and words; targets chosen on the chart or plan arrive as cards (and
only those; the plan's other targets are one tap away); beside each depth the planned
range and the safe cap. Saving re-runs the safety engine on what was actually needled: a
refused problem is shown in red, every other problem gets its own reason box, and the form
keeps every value. A heart-rate recording is checked and analysed before the database is
touched, so no upload holds the clinic's write lock. A second click on save returns the
session the first click saved (the form's key).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from filiform.core.concepts import Laterality
from filiform.core.concepts.adverse_event import ActionTaken, Causality, EventType, Onset, Severity
from filiform.core.concepts.clock import show
from filiform.core.planning.plan import Plan
from filiform.core.safety.intake import Intake
from filiform.errors import FiliformError, ValidationFailed
from filiform.services.access.context import Actor
from filiform.services.records import patients, reads, recordings, sessions
from filiform.services.records.clinic_settings import zone_of
from filiform.services.records.hrv_files import EDF_LIMIT
from filiform.services.records.needling_status import needling_status
from filiform.services.records.plans import latest_intake, patient_body, plan_from_query
from filiform.services.records.session_safety import SessionRefused, problem_key, shown
from filiform.web.plan_view import parse_ticked

from . import drafts, session_cards, session_page
from .common import actor_or_none, form_int, login_redirect, render, run_page
from .labels import TECHNIQUE_NAMES
from .session_form import MAX_PAIRS, REASON_PREFIX, adverse_events_from_form, rows, session_from_form, soap_parts

router = APIRouter()
NEW_SIDES = tuple(s.value for s in Laterality if s is not Laterality.BILATERAL)
VOCAB = {
    "sides": NEW_SIDES,
    "ae_types": tuple(t.value for t in EventType),
    "severities": tuple(s.value for s in Severity),
    "onsets": tuple(o.value for o in Onset),
    "actions": tuple(a.value for a in ActionTaken),
    "causality": tuple(c.value for c in Causality),
    "techniques": TECHNIQUE_NAMES,
    "pairs": tuple(range(1, MAX_PAIRS + 1)),
}


def _plan_fields(condition: str, side: str, drawing: int | None, findings: list[str]) -> dict[str, Any]:
    return {"plan_condition": condition, "plan_side": side, "plan_drawing": drawing or "", "plan_findings": findings}


def _context(
    s: Session,
    actor: Actor,
    patient: Any,
    form: dict[str, Any],
    *,
    plan: Plan | None,
    intake: Intake,
    cards: list[dict[str, str]],
    **extra: Any,
) -> dict[str, Any]:
    zone = zone_of(s, actor.clinic_id)
    body = patient_body(patient, datetime.now(UTC).date()).with_intake(intake)
    table = session_cards.guides(body, plan)
    return {
        "tz": zone,
        "title": "Record session",
        "patient": patient,
        "needling": needling_status(s, actor=actor, patient_id=patient.id),
        "episodes": reads.episodes(s, actor=actor, patient_id=patient.id),
        "vocab": VOCAB,
        "zone": zone,
        "groups": session_cards.target_groups(),
        "guides": table,
        "hint": lambda card: session_cards.hint(
            table.get(f"{card.get('target')}:{card.get('side')}") or table.get(card.get("target", ""))
        ),
        "plan": plan,
        "chips": session_cards.plan_chips(plan),
        "now": show(datetime.now(UTC), zone, "%Y-%m-%dT%H:%M"),
        "form": form,
        "form_key": form.get("form_key") or secrets.token_urlsafe(18),
        "cards": cards or [{}],
        "soap": soap_parts(None) | {k: form.get(k, "") for k in ("soap_s", "soap_o", "soap_a", "soap_p")},
        "problems": [],
        "reason_prefix": REASON_PREFIX,
        **extra,
    }


def _plan_and_intake(
    s: Session, actor: Actor, patient: Any, condition: str, side: str, drawing: int | None, findings: list[str]
) -> tuple[Plan | None, Intake]:
    """The plan of the page's query (None without a condition) and the screening's answers."""
    if condition:
        built = plan_from_query(s, actor, patient, condition=condition, side=side, drawing_id=drawing, ticks=findings)
        return built.plan, built.intake
    return None, latest_intake(s, actor, patient.id)[0]


_DRAFT_KEY = re.compile(r"session(_[0-9a-f]{10})?")


def draft_key(query: list[tuple[str, str]]) -> str:
    """The draft's name: ``session`` for the plain form, one per plan/targets query otherwise,
    so a form opened from a plan is never filled with the draft of another visit's form
    (and signing in again, which returns to the same address, finds its own draft)."""
    if not query:
        return "session"
    digest = hashlib.sha256(json.dumps(query).encode()).hexdigest()[:10]
    return f"session_{digest}"


def posted_draft_key(value: str | None) -> str:
    return value if value and _DRAFT_KEY.fullmatch(value) else "session"


@router.get("/patients/{patient_id}/sessions/new", include_in_schema=False)
def session_form(
    request: Request, patient_id: int, condition: str = "", side: str = "", drawing: int | None = None
) -> Any:
    """The form; with the plan page's query it knows the plan, with ``target=id:side`` the
    targets chosen (only those become cards)."""
    findings = request.query_params.getlist("finding")
    chosen_raw = request.query_params.getlist("target")

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        chosen = parse_ticked(chosen_raw)
        plan, intake = _plan_and_intake(s, actor, patient, condition, side, drawing, findings)
        form = _plan_fields(condition, side, drawing, findings) if condition else {}
        ctx = _context(s, actor, patient, form, plan=plan, intake=intake, cards=[])
        ctx["cards"] = session_cards.chosen_cards(chosen, ctx["guides"]) or [{}]
        ctx["draft_key"] = draft_key(sorted(request.query_params.multi_items()))
        return render(request, "session_new.html", ctx)

    return run_page(request, body)


async def _read_form(request: Request) -> tuple[dict[str, str], list[str], tuple[str, bytes] | None]:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}
    findings = [str(v) for v in form.getlist("plan_finding")]
    upload = form.get("rr_file")
    data = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = (upload.filename, await upload.read(EDF_LIMIT.max_bytes + 1))
    return fields, findings, data


@router.post("/patients/{patient_id}/sessions/new", include_in_schema=False)
async def session_submit(request: Request, patient_id: int) -> Any:
    if actor_or_none(request) is None:
        return login_redirect(request)
    form, findings, upload = await _read_form(request)
    prepared, upload_error = None, None
    if upload is not None:  # checked and analysed here, before any transaction
        try:
            prepared = await run_in_threadpool(recordings.prepare, upload[0], upload[1], form.get("phases", ""))
        except FiliformError as exc:
            upload_error = f"Heart-rate recording: {exc.message} (choose the file again)"

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        saved = sessions.saved_form(s, actor, patient_id, form.get("form_key") or None)
        if saved is not None:  # a second click on save
            return RedirectResponse(f"/patients/{patient_id}/sessions/{saved.id}", status_code=303)
        errors: list[str] = [upload_error] if upload_error else []
        problems: list[dict[str, Any]] = []
        row = None if upload_error else _record(s, actor, patient_id, form, findings, prepared, errors, problems)
        if row is not None:
            drafts.discard(s, actor, patient_id, posted_draft_key(form.get("draft_key")))
            return RedirectResponse(f"/patients/{patient_id}/sessions/{row.id}", status_code=303)
        drawing = form_int(form.get("plan_drawing"))
        plan, intake = _plan_and_intake(
            s, actor, patient, form.get("plan_condition", ""), form.get("plan_side", ""), drawing, findings
        )
        ctx = _context(
            s, actor, patient, {**form, "plan_findings": findings}, plan=plan, intake=intake, cards=rows(form, "ins")
        )
        ctx |= {"problems": problems, "errors": errors, "upload_lost": upload is not None, "posted": True}
        ctx["draft_key"] = posted_draft_key(form.get("draft_key"))
        return render(request, "session_new.html", ctx, status_code=409 if problems else 422)

    return run_page(request, body)


def _record(
    s: Session,
    actor: Actor,
    patient_id: int,
    form: dict[str, str],
    findings: list[str],
    prepared: recordings.Prepared | None,
    errors: list[str],
    problems: list[dict[str, Any]],
) -> Any:
    """Session, adverse events and recording in one savepoint: all stored or none."""

    def write() -> Any:
        documented = session_from_form(form, zone_of(s, actor.clinic_id), findings)
        row = sessions.record_session(s, actor=actor, patient_id=patient_id, documented=documented)
        day = show(documented.started_at, zone_of(s, actor.clinic_id), "%Y-%m-%d")
        for event in adverse_events_from_form(form, row.id, datetime.fromisoformat(day).date()):
            sessions.report_adverse_event(s, actor=actor, patient_id=patient_id, details=event)
        if prepared is not None:
            recordings.store(s, actor=actor, session_id=row.id, prepared=prepared)
        return row

    try:
        with s.begin_nested():
            return write()
    except SessionRefused as exc:
        errors.append(exc.message)
        problems.extend(
            {
                "key": problem_key(p),
                "kind": p.kind,
                "text": shown(p),
                "reason": form.get(REASON_PREFIX + problem_key(p), ""),
            }
            for p in exc.problems
        )
    except ValidationFailed as exc:
        errors.append(exc.message)
        errors.extend(exc.details)
    except FiliformError as exc:
        errors.append(exc.message)
        errors.extend(exc.details)
    return None


# After the form's routes: "/sessions/new" must not be read as a session id.
router.include_router(session_page.router)
