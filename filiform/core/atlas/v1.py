"""Atlas 1 -> atlas 2: the one mapping every stored drawing and old file goes through.

The mapping is data (``filiform/data/atlas/v1_regions.yaml``): atlas-1 base -> the atlas-2
bases covering the same skin, midline ones written ``midline:<base>``. It depends on nothing
else, so the database migration that uses it keeps giving the same answer whatever later
atlases look like.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from filiform.core.kb.yaml_source import load_data
from filiform.errors import ValidationFailed

MIDLINE_REF = "midline:"
CONTRA = "contralateral:"


@lru_cache(maxsize=1)
def v1_map() -> dict[str, tuple[str, ...]]:
    """Atlas-1 base -> atlas-2 parts (``midline:<base>`` for a midline part)."""
    data = load_data(resources.files("filiform.data").joinpath("atlas/v1_regions.yaml"), "atlas/v1_regions.yaml")
    return {str(k): tuple(str(v) for v in vs) for k, vs in data["regions"].items()}


def is_v1_id(region_id: str) -> bool:
    side, _, base = region_id.partition("-")
    return side in ("left", "right") and base in v1_map()


def convert_region_id(region_id: str) -> tuple[str, ...]:
    """``right-temple`` -> ``(right-temple-anterior, right-temple-middle, right-temple-posterior)``."""
    side, _, base = region_id.partition("-")
    parts = v1_map().get(base) if side in ("left", "right") else None
    if parts is None:
        raise ValidationFailed(f"'{region_id}' is not a region of the first body atlas")
    return tuple(f"midline-{p[len(MIDLINE_REF) :]}" if p.startswith(MIDLINE_REF) else f"{side}-{p}" for p in parts)


def convert_drawing(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A stored drawing (``[{"region", "intensity", ...}]``) on atlas-2 ids.

    Each old region becomes all its parts with the same intensity (and any other keys it
    carried); where two old regions share a part, the part keeps the higher intensity, so
    no painted skin is lost and nothing is painted that was not.
    """
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        for rid in convert_region_id(str(item["region"])):
            new = {**item, "region": rid}
            old = out.get(rid)
            if old is None or new["intensity"] > old["intensity"]:
                out[rid] = new
    return list(out.values())


def convert_ref(ref: str) -> tuple[str, ...]:
    """A knowledge-base reference (``temple``, ``contralateral:temple``) on atlas-2 bases.

    A midline part keeps no ``contralateral:`` prefix: the midline is the same from both sides.
    """
    contra = ref.startswith(CONTRA)
    base = ref[len(CONTRA) :] if contra else ref
    parts = v1_map().get(base)
    if parts is None:
        raise ValidationFailed(f"'{ref}' is not a region of the first body atlas")
    out = []
    for part in parts:
        if part.startswith(MIDLINE_REF):
            out.append(part[len(MIDLINE_REF) :])
        else:
            out.append(f"{CONTRA}{part}" if contra else part)
    return tuple(out)


def convert_refs(refs: Iterable[str]) -> list[str]:
    """Convert a list of references, keeping the first occurrence of each."""
    seen: dict[str, None] = {}
    for ref in refs:
        for new in convert_ref(ref):
            seen.setdefault(new, None)
    return list(seen)


def regenerate_region_map(
    old: Mapping[str, str], region_ids: Iterable[str], adjacency: Mapping[str, Iterable[str]]
) -> dict[str, str]:
    """A file keyed by atlas-1 region ids (region -> value, e.g. an anatomical site) on atlas 2.

    Each atlas-2 region takes the value of the atlas-1 region it came from (the first, where
    two old regions share it); a region no old region covers (the new lateral leg, say)
    takes the value most of its neighbours have, ties broken by name. Raises if a region is
    left with no value (an island no neighbour reaches).
    """
    wanted = sorted(region_ids)
    out: dict[str, str] = {}
    for old_id in sorted(old):
        if not is_v1_id(old_id):
            raise ValidationFailed(f"'{old_id}' is not a region of the first body atlas")
        for new_id in convert_region_id(old_id):
            out.setdefault(new_id, old[old_id])
    missing = [r for r in wanted if r not in out]
    while missing:
        progressed = False
        for rid in missing:
            votes: dict[str, int] = {}
            for near in adjacency.get(rid, ()):
                if near in out:
                    votes[out[near]] = votes.get(out[near], 0) + 1
            if votes:
                out[rid] = min(votes, key=lambda v: (-votes[v], v))
                progressed = True
        missing = [r for r in missing if r not in out]
        if missing and not progressed:
            raise ValidationFailed("regions with no value and no neighbour that has one", details=missing[:20])
    return {r: out[r] for r in wanted}
