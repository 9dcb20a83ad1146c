"""Read-only knowledge: atlas regions and chart, targets, conditions (handouts: plans.py).

No patient data here, but a login is still required (the clinic's tool, not a public
site), and every id not in the knowledge base is a 404.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field

from filiform.api.deps import actor, ok
from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.svg import render_svg
from filiform.core.kb.loader import load_kb
from filiform.core.kb.search import search_targets
from filiform.core.planning.loader import get_condition, load_conditions

router = APIRouter(tags=["knowledge"])

KbId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]


@lru_cache(maxsize=1)
def _svg() -> str:
    return render_svg(load_atlas())


@router.get("/atlas/regions")
def regions(request: Request) -> dict[str, Any]:
    actor(request)
    return ok(
        [{"id": r.id, "name": r.name, "side": r.side_label, "view": r.view} for r in load_atlas().regions.values()]
    )


@router.get("/atlas/chart.svg", response_class=Response)
def chart(request: Request) -> Response:
    actor(request)
    return Response(_svg(), media_type="image/svg+xml")


@router.get("/kb/targets")
def targets(
    request: Request, q: Annotated[str, Query(max_length=80)] = "", limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> dict[str, Any]:
    actor(request)
    kb = load_kb()
    if q.strip():
        found = [t for t, _ in search_targets(kb, q, limit=limit)]
    else:
        found = sorted(kb.targets.values(), key=lambda t: t.id)[:limit]
    return ok([{"id": t.id, "name": t.name} for t in found])


@router.get("/kb/targets/{target_id}")
def target(target_id: KbId, request: Request) -> dict[str, Any]:
    actor(request)
    return ok(load_kb().target(target_id).model_dump(mode="json"))


@router.get("/conditions")
def conditions(request: Request) -> dict[str, Any]:
    actor(request)
    return ok([{"id": c.id, "name": c.name, "icd10cm": list(c.icd10cm)} for c in load_conditions().values()])


@router.get("/conditions/{condition_id}")
def condition(condition_id: KbId, request: Request) -> dict[str, Any]:
    actor(request)
    return ok(get_condition(condition_id).model_dump(mode="json"))
