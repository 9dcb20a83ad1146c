"""Coverage counts of the knowledge base, per body area and per target kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .loader import KnowledgeBase
from .models import Muscle


@dataclass(frozen=True)
class KbStats:
    targets: int
    muscles: int
    trigger_points: int
    citations: int
    danger_structures: int
    depth_studies: int
    by_area: dict[str, int]
    by_kind: dict[str, int]
    lung_adjacent: int


def kb_stats(kb: KnowledgeBase) -> KbStats:
    muscles = [t for t in kb.targets.values() if isinstance(t, Muscle)]
    return KbStats(
        targets=len(kb.targets),
        muscles=len(muscles),
        trigger_points=sum(len(m.trigger_points) for m in muscles),
        citations=len(kb.citations),
        danger_structures=len(kb.danger),
        depth_studies=len(kb.depth),
        by_area=dict(sorted(Counter(t.body_area.value for t in kb.targets.values()).items())),
        by_kind=dict(sorted(Counter(t.kind for t in kb.targets.values()).items())),
        lung_adjacent=sum(1 for t in kb.targets.values() if t.lung_adjacent),
    )
