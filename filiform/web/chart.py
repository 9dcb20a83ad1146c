"""The body chart: paint a pain drawing, see ranked trigger points live, save, pick targets.

The page embeds the atlas SVG (one ``<path id=region>`` per region). ``/chart/match``
takes the painted regions as JSON and returns an HTML fragment of ranked trigger points;
each row carries its whole referral pattern (essential and spillover region ids) so the
script can hatch it on the chart on hover or selection without another request.
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
from filiform.core.atlas.svg import render_svg
from filiform.core.concepts import Side
from filiform.core.concepts.drawing import DrawingDetails, DrawnRegion, PainDrawing, stored_regions, validate_regions
from filiform.core.concepts.values import filled
from filiform.core.kb.loader import load_kb
from filiform.core.matching import match
from filiform.errors import FiliformError
from filiform.reports.pdf import INTENSITY_COLOURS
from filiform.services.access.context import Actor
from filiform.services.records import drawings, patients, reads

from .common import actor_or_none, attempt, render, run_page

router = APIRouter()
MAX_ROWS = 12
PALETTE = json.dumps(INTENSITY_COLOURS)


@lru_cache(maxsize=1)
def chart_svg() -> str:
    return render_svg(load_atlas(), title="Pain drawing (patient's own left and right)")


@lru_cache(maxsize=1)
def region_names() -> list[tuple[str, str]]:
    atlas = load_atlas()
    return sorted(((r.id, r.name) for r in atlas.regions.values()), key=lambda x: x[1])


@lru_cache(maxsize=1)
def _patterns() -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    """(trigger point id, side) -> (essential region ids, spillover region ids)."""
    atlas, out = load_atlas(), {}
    for _muscle, tp in load_kb().trigger_points():
        for side in Side:
            out[(tp.id, side.value)] = (
                sorted({atlas.resolve(r, side) for r in tp.referral.essential}),
                sorted({atlas.resolve(r, side) for r in tp.referral.spillover}),
            )
    return out


def parse_regions(raw: Any) -> list[dict[str, Any]]:
    """Painted regions from JSON (list of {region, intensity}), by the one region validator.

    Zero-intensity regions are dropped; an empty drawing is allowed here (the live preview
    says "paint something"); saving refuses it.
    """
    return stored_regions(validate_regions(raw, load_atlas().regions, allow_empty=True))


def match_rows(regions: list[dict[str, Any]]) -> dict[str, Any]:
    """The matcher's ranking as template rows (top MAX_ROWS), plus cover and notes."""
    drawing = PainDrawing(regions=tuple(DrawnRegion(region=r["region"], intensity=r["intensity"]) for r in regions))
    result = match(drawing)
    patterns = _patterns()
    names = dict(region_names())

    def row(r: Any) -> dict[str, Any]:
        essential, spill = patterns.get((r.tp_id, r.side.value), ([], []))
        return {
            "tp_id": r.tp_id,
            "muscle_id": r.muscle_id,
            "muscle": r.muscle_name,
            "label": r.label,
            "side": r.side.value,
            "score": r.score,
            "coverage": round(100 * r.pattern_coverage),
            "explained": round(100 * r.drawing_explained),
            "hits": [names.get(x, x) for x in r.explained],
            "essential": essential,
            "spillover": spill,
        }

    return {
        "rows": [row(r) for r in result.ranked[:MAX_ROWS]],
        "cover": [f"{r.muscle_name} ({r.side.value})" for r in result.cover],
        "unexplained": [names.get(x, x) for x in result.unexplained_by_any],
        "notes": list(result.notes),
        "total": len(result.ranked),
    }


@router.post("/chart/match", include_in_schema=False)
async def chart_match(request: Request) -> Any:
    """HTML fragment of ranked trigger points for the posted drawing (called by chart.js)."""
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
        return render(request, "_matches.html", {"empty": True, "errors": [exc.message]}, status_code=422)


@router.get("/patients/{patient_id}/chart", include_in_schema=False)
def chart_page(request: Request, patient_id: int, drawing: int | None = None) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        patient = patients.get_patient(s, actor=actor, patient_id=patient_id)
        inputs = reads.chart_inputs(s, actor=actor, patient_id=patient_id, drawing_id=drawing)
        initial = stored_regions(inputs.drawing.regions) if inputs.drawing else []
        return render(
            request,
            "chart.html",
            {
                "title": "Body chart",
                "patient": patient,
                "svg": chart_svg(),
                "regions": region_names(),
                "initial": json.dumps(initial),
                "palette": PALETTE,
                "episodes": inputs.episodes,
                "today": date.today().isoformat(),
            },
        )

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
            return render(
                request,
                "chart.html",
                {
                    "title": "Body chart",
                    "patient": patient,
                    "svg": chart_svg(),
                    "errors": errors,
                    "regions": region_names(),
                    "initial": json.dumps(regions),
                    "palette": PALETTE,
                    "episodes": episodes,
                    "today": date.today().isoformat(),
                },
                status_code=422,
            )
        query = "&".join([f"drawing={saved.id}", *(f"target={t}" for t in targets)])
        return RedirectResponse(f"/patients/{patient_id}/plan?{query}", status_code=303)

    return run_page(request, body)
