"""A pain drawing: painted body-atlas regions with an intensity, and the one rule set for them.

:func:`validate_regions` is the only region validator. The web chart, the API, the command
line, the record services and the matcher all call it, so a drawing one face accepts is
accepted by every face, and a stored drawing reads back through the same
:class:`DrawnRegion` type it was written from (:func:`stored_regions`, :func:`read_regions`).

The rules: every region is a body-atlas id; an intensity is a whole number 0-10; a region
is drawn at most once; intensity 0 means "not painted" and is dropped; a drawing with
nothing painted is empty, which is refused unless the caller asks for a live preview.

>>> atlas = {"right-temple", "right-jaw-angle"}
>>> validate_regions([{"region": "right-temple", "intensity": 6}, {"region": "right-jaw-angle", "intensity": 0}], atlas)
(DrawnRegion(region='right-temple', intensity=6, quality=None),)
>>> validate_regions([{"region": "right-temple", "intensity": 5.5}], atlas)
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid pain drawing
  - region 1: intensity: Input should be a valid integer
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError

from filiform.core.concepts.finding import Finding
from filiform.core.concepts.values import PainScore, PastDate, RecordId, Strict, as_tuple, problems
from filiform.errors import ValidationFailed

Quality = Literal["ache", "sharp", "burning", "numbness_tingling", "throbbing", "stiffness"]
RegionId = Annotated[str, Field(min_length=3, max_length=80)]
MAX_REGIONS = 400  # the atlas has 320 regions; more entries can only be repeats


class DrawnRegion(Strict):
    """One painted atlas region (patient's own side, e.g. ``right-temple``)."""

    region: RegionId
    intensity: PainScore
    quality: Quality | None = None


class PainDrawing(Strict):
    """What the matcher ranks against: painted regions, exam findings, the condition if known."""

    regions: Annotated[tuple[DrawnRegion, ...], BeforeValidator(as_tuple)]
    findings: Annotated[tuple[Finding, ...], BeforeValidator(as_tuple)] = ()
    condition: Annotated[str, Field(max_length=80)] | None = None


class DrawingDetails(Strict):
    """A drawing as recorded: when, the regions (each checked by :func:`validate_regions`
    against the atlas when stored), and the episode it belongs to."""

    drawn_on: PastDate
    regions: Annotated[tuple[DrawnRegion, ...], BeforeValidator(as_tuple), Field(max_length=MAX_REGIONS)]
    episode_id: RecordId | None = None


def validate_regions(
    raw: Any, known: Collection[str], *, allow_empty: bool = False, lax: bool = False
) -> tuple[DrawnRegion, ...]:
    """Painted regions of ``raw`` (mappings or :class:`DrawnRegion`), checked against ``known`` ids.

    Returns the regions painted above 0, in the order given. Raises ValidationFailed with
    every problem at once; ``allow_empty`` lets a live preview show "paint something".
    """
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValidationFailed("invalid pain drawing", details=["regions: a list of {region, intensity}"])
    if len(raw) > MAX_REGIONS:
        raise ValidationFailed("invalid pain drawing", details=[f"regions: at most {MAX_REGIONS}"])
    found: list[str] = []
    seen: set[str] = set()
    painted: list[DrawnRegion] = []
    for n, item in enumerate(raw, 1):
        try:
            region = item if isinstance(item, DrawnRegion) else _region(item, lax)
        except ValidationError as exc:
            found += problems(exc, prefix=f"region {n}: ")
            continue
        if region.region not in known:
            found.append(f"unknown region '{region.region}': not a body-atlas region id (like 'right-temple')")
        elif region.region in seen:
            found.append(f"region '{region.region}' is drawn twice")
        seen.add(region.region)
        if region.intensity > 0:
            painted.append(region)
    if found:
        raise ValidationFailed("invalid pain drawing", details=found[:20])
    if not painted and not allow_empty:
        raise ValidationFailed("the pain drawing is empty: paint at least one region with intensity above 0")
    return tuple(painted)


def _region(item: Any, lax: bool) -> DrawnRegion:
    return DrawnRegion.model_validate(item, strict=False) if lax else DrawnRegion.model_validate(item)


def stored_regions(regions: Sequence[DrawnRegion]) -> list[dict[str, Any]]:
    """The JSON a drawing is stored as: ``[{"region", "intensity"[, "quality"]}]``."""
    return [r.model_dump(exclude_none=True) for r in regions]


def read_regions(stored: Sequence[Any]) -> tuple[DrawnRegion, ...]:
    """A stored drawing back as the type it was written from (shape only: ids are not re-checked).

    Migration ``0004_concepts`` brought every older row to this shape.
    """
    return tuple(DrawnRegion.model_validate(item) for item in stored)
