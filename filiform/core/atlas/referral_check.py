"""Check referral patterns against the atlas's anatomy: no stray cells, no silent crossings.

A zone cell (essential or spillover) must touch another cell of the same pattern or of the
muscle itself, unless the pattern lists it under ``separate`` (the source draws it as a
spot of its own); a ``contralateral:`` zone needs ``crosses_midline: true`` (the source
draws pain on the other side). Both catch drawing slips and conversion artefacts.
"""

from __future__ import annotations

from dataclasses import dataclass

from filiform.core.concepts import Side
from filiform.core.kb.loader import KnowledgeBase

from .model import Atlas


@dataclass(frozen=True)
class PatternIssue:
    target: str
    trigger_point: str
    message: str


def check_referrals(kb: KnowledgeBase, atlas: Atlas) -> list[PatternIssue]:
    issues: list[PatternIssue] = []
    side = Side.RIGHT  # patterns are drawn relative to the trigger point's side; right stands for both
    for muscle, tp in kb.trigger_points():
        ref = tp.referral
        zones = [*ref.essential, *ref.spillover]
        crossing = sorted(z for z in zones if z.startswith("contralateral:"))
        if crossing and not ref.crosses_midline:
            issues.append(
                PatternIssue(muscle.id, tp.id, f"crosses the midline ({', '.join(crossing)}) without crosses_midline")
            )
        unknown = [z for z in ref.separate if z not in zones]
        if unknown:
            issues.append(PatternIssue(muscle.id, tp.id, f"separate names zones not in the pattern: {unknown}"))
        cells = {atlas.resolve(z, side) for z in zones}
        local = {atlas.resolve(z, side) for z in muscle.regions}
        allowed = {atlas.resolve(z, side) for z in ref.separate}
        for zone in zones:
            cell = atlas.resolve(zone, side)
            if cell in allowed or cell in local:
                continue
            near = atlas.adjacency.get(cell, frozenset())
            if not near & ((cells | local) - {cell}):
                issues.append(PatternIssue(muscle.id, tp.id, f"'{zone}' is an isolated cell (touches nothing else)"))
    return issues
