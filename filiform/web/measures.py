"""Outcome measures: pick an instrument, tap the answers, see the score; corrections; trends.

Saving redirects to the saved score (so a reload or a second click never stores it twice;
an identical response sent again within moments is recognised as the same one). A score
is corrected by an amendment that keeps the old answers. The form keeps a draft as it is
filled in. Dates are the clinic's; a date after the clinic's today is refused.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from filiform.core.concepts import OutcomeDetails
from filiform.core.concepts.values import filled
from filiform.core.outcomes import DatedScore, get_instrument, list_instruments
from filiform.errors import FiliformError
from filiform.reports.outcome_plot import render_outcome_plot
from filiform.services.access.context import Actor
from filiform.services.records import amendments, outcomes, patients, reads
from filiform.services.records.views import OutcomeView

from . import drafts
from .common import attempt, clinic_today, form_int, render, run_page
from .measures_form import answers_from, item_inputs, score_words

router = APIRouter()


def draft_key(instrument_id: str) -> str:
    return f"outcome:{instrument_id}"


def trends(found: tuple[OutcomeView, ...]) -> list[dict[str, Any]]:
    """Instruments with at least one scored total, for the trend plots."""
    seen: dict[str, int] = {}
    for o in found:
        if o.total is not None:
            seen[o.instrument_id] = seen.get(o.instrument_id, 0) + 1
    out = []
    for iid, count in sorted(seen.items()):
        try:
            out.append({"id": iid, "name": get_instrument(iid).name, "count": count})
        except FiliformError:
            continue
    return out


def _names() -> dict[str, str]:
    return {i.id: i.short_name for i in list_instruments()}


def _saved(s: Session, actor: Actor, patient_id: int, outcome_id: int) -> dict[str, Any]:
    row = outcomes.get_outcome(s, actor=actor, patient_id=patient_id, outcome_id=outcome_id)
    details = OutcomeDetails.parse(
        {"instrument_id": row.instrument_id, "answers": row.answers, "completed_on": row.completed_on}
    )
    _answers, result = outcomes.scored(details)
    named = outcomes.activities_of(s, [row.id]).get(row.id, {})
    return {"row": row, "result": result, "activities": named, "inst": get_instrument(row.instrument_id)}


def _page(request: Request, s: Session, actor: Actor, patient_id: int, instrument: str, **extra: Any) -> Any:
    patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
    found = reads.measures(s, actor=actor, patient_id=patient_id)
    inst = get_instrument(instrument) if instrument else None
    carried = outcomes.latest_activities(s, actor=actor, patient_id=patient_id, instrument_id=inst.id) if inst else {}
    saved_id = form_int(request.query_params.get("saved"))
    context = {
        "title": "Outcome measures",
        "patient": patient,
        "instruments": list_instruments(),
        "inst": inst,
        "items": item_inputs(inst, extra.pop("activities", None) or carried) if inst else [],
        "carried": bool(carried),
        "outcomes": found.outcomes,
        "names": _names(),
        "trends": trends(found.outcomes),
        "today": clinic_today(s, actor).isoformat(),
        "answers": {},
        "saved": _saved(s, actor, patient_id, saved_id) if saved_id and not extra.get("errors") else None,
        "score_words": score_words,
        "draft": draft_key(inst.id) if inst else "",
        **extra,
    }
    return render(request, "measures.html", context, status_code=422 if extra.get("errors") else 200)


@router.get("/patients/{patient_id}/measures", include_in_schema=False)
def measures_page(request: Request, patient_id: int, instrument: str = "") -> Any:
    return run_page(request, lambda s, a: _page(request, s, a, patient_id, instrument))


@router.post("/patients/{patient_id}/measures", include_in_schema=False)
async def measures_submit(request: Request, patient_id: int) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}
    iid = form.get("instrument", "")

    def body(s: Session, actor: Actor) -> Any:
        answers, named = answers_from(form)
        entered = {"instrument_id": iid, "answers": answers, **filled({"completed_on": form.get("completed_on", "")})}
        if named:
            entered["activities"] = named
        errors: list[str] = []
        details = attempt(s, errors, lambda: OutcomeDetails.parse(entered, lax=True))

        def save(given: OutcomeDetails) -> Any:
            same = outcomes.recent_duplicate(s, actor=actor, patient_id=patient_id, details=given)
            return same or outcomes.record_outcome(s, actor=actor, patient_id=patient_id, details=given)[0]

        saved = attempt(s, errors, lambda: save(details)) if details is not None else None
        shown = iid if iid in _names() else ""
        if saved is None:
            return _page(
                request, s, actor, patient_id, shown, answers=answers, activities=named, errors=errors, posted=True,
                completed_on=form.get("completed_on", ""),
            )  # fmt: skip
        drafts.discard(s, actor, patient_id, draft_key(iid))
        return RedirectResponse(f"/patients/{patient_id}/measures?instrument={iid}&saved={saved.id}", status_code=303)

    return run_page(request, body)


@router.get("/patients/{patient_id}/measures/{outcome_id}/correct", include_in_schema=False)
def correction_form(request: Request, patient_id: int, outcome_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        saved = _saved(s, actor, patient_id, outcome_id)
        answers = {k: str(v) for k, v in saved["row"].answers.items() if v is not None}
        context = {"title": "Correct a score", "patient": patient, **saved, "answers": answers}
        return render(request, "measure_correct.html", {**context, "items": item_inputs(saved["inst"])})

    return run_page(request, body)


@router.post("/patients/{patient_id}/measures/{outcome_id}/correct", include_in_schema=False)
async def correction_submit(request: Request, patient_id: int, outcome_id: int) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        saved = _saved(s, actor, patient_id, outcome_id)
        answers, _named = answers_from(form)
        errors: list[str] = []
        done = attempt(
            s,
            errors,
            lambda: amendments.amend(
                s,
                actor=actor,
                entity="outcome_response",
                entity_id=outcome_id,
                changes={"answers": answers},
                reason=form.get("reason", ""),
                expected_version=form_int(form.get("version"), 0) or 0,
            ),
        )
        if done is None:
            context = {"title": "Correct a score", "patient": patient, **saved, "answers": answers, "errors": errors}
            context["reason"] = form.get("reason", "")
            return render(
                request, "measure_correct.html", {**context, "items": item_inputs(saved["inst"])}, status_code=422
            )
        iid = saved["row"].instrument_id
        return RedirectResponse(f"/patients/{patient_id}/measures?instrument={iid}&saved={outcome_id}", status_code=303)

    return run_page(request, body)


@router.get("/patients/{patient_id}/measures/{instrument}/plot.svg", include_in_schema=False)
def measure_plot(request: Request, patient_id: int, instrument: str) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        found = reads.measures(s, actor=actor, patient_id=patient_id)
        points = [
            DatedScore(when=o.completed_on, value=o.total, source=o.source)
            for o in found.outcomes
            if o.instrument_id == instrument and o.total is not None
        ]
        if not points:
            return Response("no scores", status_code=404, media_type="text/plain")
        svg = render_outcome_plot(instrument, points, fmt="svg")
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    return run_page(request, body)
