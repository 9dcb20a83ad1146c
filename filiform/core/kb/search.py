"""Find targets by name, synonym, lay term or id, forgiving typos (clinicians type fast).

Lay terms ("tennis elbow", "heel spur", "jaw pain", "sciatica") live as synonyms in the
target files. A query that matches a name or synonym as a whole phrase always ranks above
a merely similar one, so "tennis elbow" finds the lateral elbow targets before the ulnar
nerve at the elbow, which only shares the word "elbow".
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from .loader import KnowledgeBase
from .models import Target

EXACT, PHRASE = 100.0, 99.0  # the query is a whole key / a whole phrase inside a key
FUZZY_CEILING = 95.0  # a fuzzy match never outranks either


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped, punctuation to spaces ("Golfer's elbow" = "golfers elbow")."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _keys(target: Target) -> list[str]:
    return [normalise(k) for k in (target.id.replace("_", " "), target.name, *target.synonyms)]


def _phrase_score(query: str, key: str) -> float:
    if query == key:
        return EXACT
    return PHRASE if f" {query} " in f" {key} " else 0.0


def search_targets(kb: KnowledgeBase, text: str, limit: int = 10, cutoff: float = 60.0) -> list[tuple[Target, float]]:
    """Targets ranked by the best match of any of their names (0-100); whole-key and whole-phrase hits first."""
    query = normalise(text)
    if not query:
        return []
    best: dict[str, float] = {}
    choices: dict[str, str] = {}
    for target in kb.targets.values():
        for i, key in enumerate(_keys(target)):
            hit = _phrase_score(query, key)
            if hit:
                best[target.id] = max(best.get(target.id, 0.0), hit)
            choices[f"{target.id}\x00{i}"] = key
    for _, score, key in process.extract(query, choices, scorer=fuzz.WRatio, limit=limit * 4):
        tid = key.split("\x00", 1)[0]
        best[tid] = max(best.get(tid, 0.0), min(float(score), FUZZY_CEILING))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(kb.targets[tid], score) for tid, score in ranked if score >= cutoff][:limit]
