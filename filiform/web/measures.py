"""Outcome measures: pick an instrument, enter answers, see the score; trends with MCID bands."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from filiform.core.concepts import OutcomeDetails
from filiform.core.concepts.values import filled
from filiform.core.outcomes import DatedScore, Instrument, get_instrument, list_instruments
from filiform.core.outcomes.models import ScaleKind
from filiform.errors import FiliformError
from filiform.reports.outcome_plot import render_outcome_plot
from filiform.services.access.context import Actor
from filiform.services.records import outcomes, patients, reads
from filiform.services.records.views import OutcomeView

from .common import attempt, render, run_page

router = APIRouter()


def item_inputs(inst: Instrument) -> list[dict[str, Any]]:
    """Each item with its input: a select for short closed scales, else a text box."""
    out = []
    for item in inst.items:
        scale = inst.scale_of(item)
        options: list[tuple[str, str]] = []
        if (
            scale.kind is ScaleKind.INTEGER
            and scale.min is not None
            and scale.max is not None
            and scale.max - scale.min <= 10
        ):
            options = [
                (str(v), f"{v} – {scale.anchors[v]}" if v in scale.anchors else str(v))
                for v in range(scale.min, scale.max + 1)
            ]
        elif scale.kind is ScaleKind.CHOICE:
            options = [(str(v), scale.anchors.get(v, str(v))) for v in scale.values]
        elif scale.kind is ScaleKind.YES_NO:
            options = [("1", "yes"), ("0", "no")]
        if options and scale.not_applicable:
            options.append(("na", "not applicable"))
        out.append({"id": item.id, "label": item.text or item.label, "options": options, "hint": scale.describe()})
    return out


def trends(outcomes: tuple[OutcomeView, ...]) -> list[dict[str, Any]]:
    """Instruments with at least one scored total, for the trend plots."""
    seen: dict[str, int] = {}
    for o in outcomes:
        if o.total is not None:
            seen[o.instrument_id] = seen.get(o.instrument_id, 0) + 1
    out = []
    for iid, count in sorted(seen.items()):
        try:
            out.append({"id": iid, "name": get_instrument(iid).name, "count": count})
        except FiliformError:
            continue
    return out


def _page(request: Request, s: Session, actor: Actor, patient_id: int, instrument: str, **extra: Any) -> Any:
    patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
    found = reads.measures(s, actor=actor, patient_id=patient_id)
    inst = get_instrument(instrument) if instrument else None
    return render(
        request,
        "measures.html",
        {
            "title": "Outcome measures",
            "patient": patient,
            "instruments": list_instruments(),
            "inst": inst,
            "items": item_inputs(inst) if inst else [],
            "outcomes": found.outcomes,
            "trends": trends(found.outcomes),
            "episodes": found.episodes,
            "today": date.today().isoformat(),
            "answers": {},
            **extra,
        },
        status_code=422 if extra.get("errors") else 200,
    )


@router.get("/patients/{patient_id}/measures", include_in_schema=False)
def measures_page(request: Request, patient_id: int, instrument: str = "") -> Any:
    return run_page(request, lambda s, a: _page(request, s, a, patient_id, instrument))


@router.post("/patients/{patient_id}/measures", include_in_schema=False)
async def measures_submit(request: Request, patient_id: int) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}
    iid = form.get("instrument", "")

    def body(s: Session, actor: Actor) -> Any:
        items = [key.removeprefix("item-") for key in form if key.startswith("item-")]
        answers = {item: form[f"item-{item}"].strip() for item in items if form[f"item-{item}"].strip()}
        entered = {"instrument_id": iid, "answers": answers, **filled({"completed_on": form.get("completed_on", "")})}
        errors: list[str] = []
        saved = attempt(
            s,
            errors,
            lambda: outcomes.record_outcome(
                s, actor=actor, patient_id=patient_id, details=OutcomeDetails.parse(entered, lax=True)
            ),
        )
        result = saved[1] if saved is not None else None
        shown = iid if iid in {i.id for i in list_instruments()} else ""
        return _page(request, s, actor, patient_id, shown, result=result, answers=answers, errors=errors)

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
