"""The loaded knowledge base: every record by id, and where each came from.

Its own module so that the loader and the cross-reference checks both depend on it and
not on each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from filiform.core.concepts.citation import Citation
from filiform.errors import NotFound

from .models import DangerStructure, DepthStudy, Muscle, Target, TriggerPoint
from .yaml_source import SourceDoc


@dataclass
class KnowledgeBase:
    """Every record by id, plus where each came from (for located error messages)."""

    citations: dict[str, Citation] = field(default_factory=dict)
    danger: dict[str, DangerStructure] = field(default_factory=dict)
    depth: dict[str, DepthStudy] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)
    docs: list[SourceDoc] = field(default_factory=list)

    @property
    def muscles(self) -> dict[str, Muscle]:
        return {k: v for k, v in self.targets.items() if isinstance(v, Muscle)}

    def trigger_points(self) -> Iterator[tuple[Muscle, TriggerPoint]]:
        for muscle in self.muscles.values():
            for tp in muscle.trigger_points:
                yield muscle, tp

    def trigger_points_for(self, ident: str) -> list[TriggerPoint]:
        """Trigger points of a muscle id, or the one trigger point with that id."""
        muscle = self.muscles.get(ident)
        if muscle is not None:
            return list(muscle.trigger_points)
        for _, tp in self.trigger_points():
            if tp.id == ident:
                return [tp]
        raise NotFound(f"no muscle or trigger point '{ident}' in the knowledge base")

    def target(self, ident: str) -> Target:
        try:
            return self.targets[ident]
        except KeyError:
            raise NotFound(f"no target '{ident}' in the knowledge base") from None
