"""Human words for stable ids, shared by the page modules.

Technique names come from ``techniques.yaml`` (the planning data), the one place they are
written; decisions are the screening engine's three outcomes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from filiform.core.planning.loader import load_techniques


class _TechniqueNames(Mapping[str, str]):
    """Technique id -> its name in the planning data, read when first shown."""

    def _names(self) -> dict[str, str]:
        return {tid: spec.name for tid, spec in load_techniques().items()}

    def __getitem__(self, key: str) -> str:
        return self._names()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


TECHNIQUE_NAMES: Mapping[str, str] = _TechniqueNames()
DECISION_NAMES = {"go": "Go", "caution": "Caution", "do_not_needle": "Do not needle"}
