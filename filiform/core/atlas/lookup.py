"""Find atlas regions from what a person types: exact ids, names, or near misses."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.fuzz import ratio

from filiform.errors import ValidationFailed

from .model import Atlas


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def resolve_region_name(text: str, atlas: Atlas) -> str:
    """Map ``right-temple-middle``, ``Right temple (middle)`` or ``right temple (middle)`` to a region id.

    Typos are not silently corrected: an unknown name is an error listing the nearest
    names, because a wrong region would change which muscles are suggested.
    """
    wanted = _norm(text)
    if not wanted:
        raise ValidationFailed("empty region name")
    for region in atlas.regions.values():
        if wanted in (_norm(region.id), _norm(region.name)):
            return region.id
    choices = {r.id: _norm(r.id) for r in atlas.regions.values()}
    near = process.extract(wanted, choices, scorer=ratio, limit=5)
    suggestions = [key for _, _, key in near]
    raise ValidationFailed(f"unknown region '{text}'", details=[f"did you mean: {', '.join(suggestions)}"])


def resolve_region_names(texts: Iterable[str], atlas: Atlas) -> list[str]:
    return [resolve_region_name(t.strip(), atlas) for t in texts]
