"""A pain drawing: painted body-atlas regions with an intensity, and the one rule set for them.

:func:`validate_regions` is the only region validator. The web chart, the API, the command
line, the record services and the matcher all call it, so a drawing one face accepts is
accepted by every face, and a stored drawing reads back through the same
:class:`DrawnRegion` type it was written from (:func:`stored_regions`, :func:`read_regions`).

The rules: every region is a body-atlas id; an intensity is a whole number 0-10; a region
is drawn at most once; intensity 0 means "not painted" and is dropped; a drawing with
nothing painted is empty, which is refused unless the caller asks for a live preview.

>>> atlas = {"right-temple-middle", "right-jaw-angle"}
>>> painted = [{"region": "right-temple-middle", "intensity": 6, "kind": "burning"},
...            {"region": "right-jaw-angle", "intensity": 0}]
>>> validate_regions(painted, atlas)
(DrawnRegion(region='right-temple-middle', intensity=6, kind='burning', depth=None, coverage=1.0),)
>>> validate_regions([{"region": "right-temple-middle", "intensity": 5.5}], atlas)
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid pain drawing
  - region 1: intensity: must be a whole number
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError

from filiform.core.concepts.finding import Finding
from filiform.core.concepts.values import PainScore, PastDate, RecordId, Strict, as_tuple, problems
from filiform.errors import ValidationFailed

# The symptom kinds of the classic pain drawing, each with its drawing symbol (Ransford,
# Cairns and Mooney 1976): ache ^^^, stabbing ///, burning xxx, numbness ===, pins and needles ooo.
SymptomKind = Literal["ache", "stabbing", "burning", "numbness", "pins_and_needles"]
SYMPTOM_KINDS: tuple[SymptomKind, ...] = ("ache", "stabbing", "burning", "numbness", "pins_and_needles")
Depth = Literal["surface", "deep"]
DEPTHS: tuple[Depth, ...] = ("surface", "deep")
RegionId = Annotated[str, Field(min_length=3, max_length=80)]
MAX_REGIONS = 400  # the atlas has 320 regions; more entries can only be repeats


class DrawnRegion(Strict):
    """One painted atlas region (patient's own side, e.g. ``right-temple-middle``).

    ``kind`` is the symptom drawn, ``depth`` is None when the patient did not say, and
    ``coverage`` is the share of the region the brush covered (1 when a whole region was
    picked by name or key).
    """

    region: RegionId
    intensity: PainScore
    kind: SymptomKind = "ache"
    depth: Depth | None = None
    coverage: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0


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
            found.append(f"unknown region '{region.region}': not a body-atlas region id (like 'right-temple-middle')")
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
    """The JSON a drawing is stored as: ``region`` and ``intensity``, and ``kind``,
    ``depth``, ``coverage`` only where they differ from the defaults."""
    return [r.model_dump(exclude_defaults=True) | {"region": r.region, "intensity": r.intensity} for r in regions]


def read_regions(stored: Sequence[Any]) -> tuple[DrawnRegion, ...]:
    """A stored drawing back as the type it was written from (shape only: ids are not re-checked).

    Migrations ``bodychart`` (atlas-2 ids) and ``concepts`` (whole intensities, one entry
    per region) brought every older row to this shape.
    """
    return tuple(DrawnRegion.model_validate(item) for item in stored)
