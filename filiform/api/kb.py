"""Read-only knowledge: atlas regions and body chart, targets, conditions (handouts: plans.py).

No patient data here, but a login is still required (the clinic's tool, not a public
site), and every id not in the knowledge base is a 404.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from filiform.api.deps import CurrentActor, Envelope
from filiform.api.schemas.knowledge import Condition, ConditionSummary, KbId, RegionOut, Target, TargetSummary
from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.svg import render_svg
from filiform.core.kb.loader import load_kb
from filiform.core.kb.search import search_targets
from filiform.core.planning.loader import get_condition, load_conditions

router = APIRouter(tags=["knowledge"])


@lru_cache(maxsize=1)
def _svg() -> str:
    return render_svg(load_atlas())


@router.get("/atlas/regions", response_model=Envelope[list[RegionOut]])
def regions(who: CurrentActor) -> Envelope[list[RegionOut]]:
    return Envelope(
        data=[RegionOut(id=r.id, name=r.name, side=r.side_label, view=r.view) for r in load_atlas().regions.values()]
    )


@router.get("/atlas/chart.svg", response_class=Response, response_model=None)
def chart(who: CurrentActor) -> Response:
    return Response(_svg(), media_type="image/svg+xml")


@router.get("/kb/targets", response_model=Envelope[list[TargetSummary]])
def targets(
    who: CurrentActor,
    q: Annotated[str, Query(max_length=80)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Envelope[list[TargetSummary]]:
    kb = load_kb()
    if q.strip():
        found = [t for t, _ in search_targets(kb, q, limit=limit)]
    else:
        found = sorted(kb.targets.values(), key=lambda t: t.id)[:limit]
    return Envelope(data=[TargetSummary(id=t.id, name=t.name) for t in found])


@router.get("/kb/targets/{target_id}", response_model=Envelope[Target])
def target(target_id: KbId, who: CurrentActor) -> Envelope[Target]:
    return Envelope(data=load_kb().target(target_id))


@router.get("/conditions", response_model=Envelope[list[ConditionSummary]])
def conditions(who: CurrentActor) -> Envelope[list[ConditionSummary]]:
    return Envelope(
        data=[ConditionSummary(id=c.id, name=c.name, icd10cm=list(c.icd10cm)) for c in load_conditions().values()]
    )


@router.get("/conditions/{condition_id}", response_model=Envelope[Condition])
def condition(condition_id: KbId, who: CurrentActor) -> Envelope[Condition]:
    return Envelope(data=get_condition(condition_id))
