"""The body chart: paint a pain drawing, see ranked targets live, save, pick targets.

The page embeds one SVG per sheet of the atlas (whole body, sides, head, hands, feet), each
cell a ``<path data-region=id>``; chart*.js paints with a brush and posts the painted
regions (with symptom kind, depth and brush coverage) to ``/chart/match``, which answers
with an HTML fragment of ranked targets. Each row carries its referral pattern (region ids)
so the script can hatch it on the chart without another request.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.layout import SHEETS
from filiform.core.atlas.svg import render_sheet
from filiform.core.concepts import Side
from filiform.core.concepts.drawing import DrawingDetails, DrawnRegion, PainDrawing, stored_regions, validate_regions
from filiform.core.concepts.values import filled
from filiform.core.kb.loader import load_kb
from filiform.core.matching import match
from filiform.core.matching.index import neural_data
from filiform.core.matching.models import RankedMuscle
from filiform.errors import FiliformError
from filiform.reports.pdf import INTENSITY_COLOURS
from filiform.services.access.context import Actor
from filiform.services.records import drawings, patients, reads
from filiform.services.records.views import EpisodeView

from .common import actor_or_none, attempt, clinic_today, render, run_page

router = APIRouter()
MAX_ROWS = 12
PALETTE = json.dumps(INTENSITY_COLOURS)
KINDS = (
    ("ache", "Ache", "^"),
    ("stabbing", "Stabbing", "/"),
    ("burning", "Burning", "x"),
    ("numbness", "Numbness", "="),
    ("pins_and_needles", "Pins and needles", "o"),
)


@lru_cache(maxsize=1)
def chart_sheets() -> list[tuple[str, str, str]]:
    """(sheet id, title, interactive SVG) for every sheet, rendered once."""
    atlas = load_atlas()
    return [(sid, title, render_sheet(atlas, sid)) for sid, title, _ in SHEETS]


@lru_cache(maxsize=1)
def region_names() -> list[tuple[str, str]]:
    atlas = load_atlas()
    return sorted(((r.id, r.name) for r in atlas.regions.values()), key=lambda x: x[1])


def _pattern(m: RankedMuscle) -> tuple[list[str], list[str]]:
    """Essential and spillover region ids of a ranked target (its winning trigger points)."""
    atlas, kb = load_atlas(), load_kb()
    side = Side(m.side)
    if not m.tps:
        territory = neural_data()[0].get(m.muscle_id, ())
        return sorted({atlas.resolve(b, side) for b in territory}), []
    essential: set[str] = set()
    spillover: set[str] = set()
    for tp_id in m.tps:
        tp = kb.trigger_points_for(tp_id)[0]
        essential |= {atlas.resolve(r, side) for r in tp.referral.essential}
        spillover |= {atlas.resolve(r, side) for r in tp.referral.spillover}
    return sorted(essential), sorted(spillover - essential)


def parse_regions(raw: Any) -> list[dict[str, Any]]:
    """Painted regions from JSON, by the one region validator; zero-intensity ones dropped.

    An empty drawing is allowed here (the live preview says "paint something"); saving
    refuses it.
    """
    return stored_regions(validate_regions(raw, load_atlas().regions, allow_empty=True))


def match_rows(regions: list[dict[str, Any]]) -> dict[str, Any]:
    """The matcher's ranking as template rows (top MAX_ROWS), plus cover and notes."""
    drawing = PainDrawing(regions=tuple(DrawnRegion.model_validate(r) for r in regions))
    result = match(drawing, limit=MAX_ROWS)
    names = dict(region_names())
    kb = load_kb()

    def row(m: RankedMuscle) -> dict[str, Any]:
        essential, spill = _pattern(m)
        labels = [kb.trigger_points_for(t)[0].label for t in m.tps]
        return {
            "rank": m.rank,
            "target_id": m.muscle_id,
            "target": m.muscle_name,
            "kind": m.kind,
            "side": m.side.value,
            "score": m.score,
            "tps": labels,
            "coverage": round(100 * m.pattern_coverage),
            "explained": round(100 * m.drawing_explained),
            "hits": [names.get(x, x) for x in m.explained],
            "reasons": list(m.reasons),
            "essential": essential,
            "spillover": spill,
        }

    rows = [row(m) for m in result.muscles[:MAX_ROWS]]
    ranks = [r["rank"] for r in rows]
    for r in rows:
        r["tied"] = ranks.count(r["rank"]) > 1
    return {
        "rows": rows,
        "cover": [f"{m.muscle_name} ({m.side.value})" for m in result.cover],
        "unexplained": [names.get(x, x) for x in result.unexplained_by_any],
        "notes": list(result.notes),
        "nothing": result.nothing_explains,
        "total": len(result.muscles),
    }


@router.post("/chart/match", include_in_schema=False)
async def chart_match(request: Request) -> Any:
    """HTML fragment of ranked targets for the posted drawing (called by chart.js)."""
    if actor_or_none(request) is None:
        return HTMLResponse(
            '<p class="alert error" role="alert">Your session has ended: sign in again.</p>', status_code=401
        )
    try:
        body = await request.json()
        regions = parse_regions(body.get("regions") if isinstance(body, dict) else None)
        if not regions:
            return render(request, "_matches.html", {"empty": True})
        return render(request, "_matches.html", {"empty": False, **match_rows(regions)})
    except (ValueError, ValidationError) as exc:
        return HTMLResponse(
            f'<p class="error" role="alert">Not a valid drawing: {type(exc).__name__}</p>', status_code=422
        )
    except FiliformError as exc:
        errors = [exc.message, *getattr(exc, "details", [])]
        return render(request, "_matches.html", {"empty": True, "errors": errors}, status_code=422)


def _page(
    request: Request,
    patient: Any,
    episodes: tuple[EpisodeView, ...],
    initial: list[Any],
    today: date,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Any:
    return render(
        request,
        "chart.html",
        {
            "title": "Body chart",
            "patient": patient,
            "sheets": chart_sheets(),
            "kinds": KINDS,
            "regions": region_names(),
            "initial": json.dumps(initial),
            "palette": PALETTE,
            "episodes": episodes,
            "today": today.isoformat(),  # the clinic's calendar day
            "errors": errors or [],
        },
        status_code=status_code,
    )


@router.get("/patients/{patient_id}/chart", include_in_schema=False)
def chart_page(request: Request, patient_id: int, drawing: int | None = None) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        inputs = reads.chart_inputs(s, actor=actor, patient_id=patient_id, drawing_id=drawing)
        initial = stored_regions(inputs.drawing.regions) if inputs.drawing else []
        return _page(request, patient, inputs.episodes, initial, clinic_today(s, actor))

    return run_page(request, body)


@router.post("/patients/{patient_id}/chart", include_in_schema=False)
async def chart_save(request: Request, patient_id: int) -> Any:
    form = await request.form()
    raw_regions, targets = str(form.get("regions_json", "[]")), [str(t) for t in form.getlist("target")]

    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        errors: list[str] = []
        regions: list[dict[str, Any]] = []
        try:
            regions = parse_regions(json.loads(raw_regions))
        except (ValueError, FiliformError) as exc:
            errors.append(getattr(exc, "message", "the drawing could not be read"))
        fields = filled({"drawn_on": str(form.get("drawn_on", "")), "episode_id": str(form.get("episode_id", ""))})
        saved = None
        if not errors:
            saved = attempt(
                s,
                errors,
                lambda: drawings.record_drawing(
                    s,
                    actor=actor,
                    patient_id=patient_id,
                    details=DrawingDetails.parse({**fields, "regions": regions}, lax=True),
                ),
            )
        if saved is None:
            episodes = reads.episodes(s, actor=actor, patient_id=patient_id)
            return _page(request, patient, episodes, regions, clinic_today(s, actor), errors=errors, status_code=422)
        query = "&".join([f"drawing={saved.id}", *(f"target={t}" for t in targets)])
        return RedirectResponse(f"/patients/{patient_id}/plan?{query}", status_code=303)

    return run_page(request, body)
