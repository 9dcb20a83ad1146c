"""Drafts as the clinician types (``static/drafts.js``), the list of unsaved work, keep-alive.

``/drafts/{patient}/{form}`` answers JSON for the script: GET the draft, PUT a new version,
DELETE it. They live outside ``/patients/...`` on purpose: the access log writes one row per
request there, and a draft is saved about once a second while typing; the drafts service
audits a draft's creation, reads and deletion instead. ``/session/alive`` lets the idle
warning's "Stay signed in" button reach the server (any request keeps a session alive).

To give a form drafts: add ``data-draft="<key>" data-draft-patient="{{ patient.id }}"`` to
its ``<form>`` and call :func:`discard` after it was saved; ``base.html`` loads the script.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import show
from filiform.errors import FiliformError
from filiform.services.access.context import Actor
from filiform.services.records import drafts

from .common import actor_or_none, clinic_zone, render, run_page, unit_of_work

router = APIRouter()
FORM_NAMES = {"screening": "Screening", "session": "Session", "consent": "Consent"}


def form_name(key: str) -> str:
    """A draft's form in words ("Outcome measure: NDI")."""
    kind, _, detail = key.partition(":")
    if kind.startswith("session_"):
        return "Session (opened from a plan)"
    if kind == "outcome":
        return f"Outcome measure: {detail.upper()}" if detail else "Outcome measure"
    return FORM_NAMES.get(kind, kind.replace("_", " ").capitalize())


def discard(session: Session, actor: Actor, patient_id: int, form: str) -> None:
    """After the form was saved: its draft is no longer needed (one line in a page handler)."""
    drafts.discard_draft(session, actor=actor, patient_id=patient_id, form=form)


def _signed_out() -> JSONResponse:
    return JSONResponse({"message": "signed out: sign in again to keep the draft"}, status_code=401)


def _json(request: Request, patient_id: int, form: str, work: Any) -> Any:
    actor = actor_or_none(request)
    if actor is None:
        return _signed_out()
    try:
        with unit_of_work(request) as s:
            return work(s, actor)
    except FiliformError as exc:
        return JSONResponse({"message": exc.message, "details": exc.details}, status_code=exc.status)


@router.get("/drafts/{patient_id}/{form}", include_in_schema=False)
def draft_read(request: Request, patient_id: int, form: str) -> Any:
    def work(s: Session, actor: Actor) -> Any:
        found = drafts.get_draft(s, actor=actor, patient_id=patient_id, form=form)
        if found is None:
            return JSONResponse({"draft": None}, headers={"Cache-Control": "no-store"})
        saved = found.updated_at
        draft = {"path": found.path, "fields": found.fields, "saved": show(saved, clinic_zone(s, actor), "%H:%M")}
        return JSONResponse({"draft": draft}, headers={"Cache-Control": "no-store"})

    return _json(request, patient_id, form, work)


@router.put("/drafts/{patient_id}/{form}", include_in_schema=False)
async def draft_save(request: Request, patient_id: int, form: str) -> Any:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JSONResponse({"message": "send the form's fields as JSON"}, status_code=422)

    fields = body.get("fields")
    typed: dict[str, Any] = fields if isinstance(fields, dict) else {}

    def work(s: Session, actor: Actor) -> Any:
        drafts.save_draft(
            s, actor=actor, patient_id=patient_id, form=form, path=str(body.get("path", "")), fields=typed
        )
        return Response(status_code=204)

    return _json(request, patient_id, form, work)


@router.delete("/drafts/{patient_id}/{form}", include_in_schema=False)
def draft_delete(request: Request, patient_id: int, form: str) -> Any:
    def work(s: Session, actor: Actor) -> Any:
        drafts.discard_draft(s, actor=actor, patient_id=patient_id, form=form)
        return Response(status_code=204)

    return _json(request, patient_id, form, work)


@router.get("/session/alive", include_in_schema=False)
def alive(request: Request) -> Any:
    """204 while signed in (the request itself keeps the session alive), else 401."""
    if actor_or_none(request) is None:
        return _signed_out()
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


@router.get("/drafts", include_in_schema=False)
def unsaved_work(request: Request) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        rows = drafts.drafts_of(s, actor=actor)
        listed = [{"row": d, "name": form_name(d.form)} for d in rows]
        return render(request, "drafts.html", {"title": "Unsaved drafts", "rows": listed, "tz": clinic_zone(s, actor)})

    return run_page(request, body)
