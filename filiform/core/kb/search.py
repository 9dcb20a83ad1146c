"""Find targets by name, synonym or id, forgiving typos (clinicians type fast)."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from .loader import KnowledgeBase
from .models import Target


def _keys(target: Target) -> list[str]:
    return [target.id.replace("_", " "), target.name.lower(), *(s.lower() for s in target.synonyms)]


def search_targets(kb: KnowledgeBase, text: str, limit: int = 10, cutoff: float = 60.0) -> list[tuple[Target, float]]:
    """Targets ranked by the best fuzzy match of any of their names (0-100)."""
    query = text.strip().lower()
    if not query:
        return []
    choices: dict[str, str] = {}
    for target in kb.targets.values():
        for i, key in enumerate(_keys(target)):
            choices[f"{target.id}\x00{i}"] = key
    best: dict[str, float] = {}
    for _, score, key in process.extract(query, choices, scorer=fuzz.WRatio, limit=limit * 4):
        tid = key.split("\x00", 1)[0]
        best[tid] = max(best.get(tid, 0.0), float(score))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(kb.targets[tid], score) for tid, score in ranked if score >= cutoff][:limit]
