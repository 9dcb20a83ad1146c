"""Electrical needling as circuits: which two needles a lead joins, and where the current runs.

The rules about electrical dry needling are rules about the current's path (never across
the chest or heart, over the front of the neck, across the spinal cord or across the
head), so a circuit is described by its two ends as anatomical sites. ``path_kinds`` names
what a path crosses; the rules file decides what each kind means. Where a side is missing
the path is assumed to cross the midline: the stricter reading.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from filiform.core.concepts.site import SiteAnswer, SiteRef, parse_site, site_label, vocabulary

PathKind = Literal[
    "across_chest",
    "through_trunk",
    "anterior_neck",
    "across_spinal_cord",
    "across_lumbar_midline",
    "across_head",
    "head_or_neck",
]
_UPPER_ZONES = {"neck_anterior", "neck_posterior", "spine_cervical", "spine_thoracic", "thorax_front", "thorax_back"}
_CORD_ZONES = {"neck_posterior", "neck_anterior", "spine_cervical", "spine_thoracic", "thorax_back"}


class CircuitPath(BaseModel):
    """One lead pair: the needles at ``a`` and ``b`` joined by a stimulator channel.

    The parameters are optional here (a plan may not have chosen them); where given they are
    checked against physical bounds, and the rules compare them with the taught range.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Annotated[str, Field(min_length=1, max_length=60)]
    a: SiteAnswer
    b: SiteAnswer
    frequency_hz: Annotated[float, Field(gt=0, le=250)] | None = None
    pulse_width_us: Annotated[float, Field(gt=0, le=1000)] | None = None
    minutes: Annotated[float, Field(gt=0, le=60)] | None = None

    def ends(self) -> tuple[SiteRef, SiteRef]:
        return parse_site(self.a), parse_site(self.b)

    @property
    def plain(self) -> str:
        a, b = self.ends()
        return f"circuit {self.label} ({site_label(a)} to {site_label(b)})"


def _upper(ref: SiteRef) -> bool:
    vocab = vocabulary()
    return "upper_body" in vocab.tags(ref.site) or vocab.zone(ref.site) in _UPPER_ZONES


def _lower(ref: SiteRef) -> bool:
    vocab = vocabulary()
    return vocab.contains("lower_limb", ref.site) or vocab.contains("pelvis", ref.site)


def _crosses_midline(a: SiteRef, b: SiteRef) -> bool:
    """Ends on opposite sides, or a sided end without a side (it may be on the other side)."""
    specs = vocabulary().specs
    unknown = any(r.side is None and specs[r.site].sided for r in (a, b))
    return unknown or (a.side is not None and b.side is not None and a.side != b.side)


def path_kinds(circuit: CircuitPath) -> frozenset[str]:
    """What the current between the two ends crosses (see the module docstring)."""
    vocab = vocabulary()
    a, b = circuit.ends()
    za, zb = vocab.zone(a.site), vocab.zone(b.site)
    zones = {za, zb}
    crosses = _crosses_midline(a, b)
    kinds: set[str] = set()
    if "neck_anterior" in zones:
        kinds.add("anterior_neck")
    if zones & {"head", "neck_anterior", "neck_posterior", "spine_cervical"}:
        kinds.add("head_or_neck")
    if za == zb == "head" and crosses:
        kinds.add("across_head")
    midline_cord_end = zones & {"spine_cervical", "spine_thoracic"}
    if midline_cord_end or (crosses and (za in _CORD_ZONES or zb in _CORD_ZONES)):
        kinds.add("across_spinal_cord")
    if crosses and _upper(a) and _upper(b):
        kinds.add("across_chest")
    if {"thorax_front", "thorax_back"} <= zones:
        kinds.add("across_chest")
    if (_upper(a) and _lower(b)) or (_upper(b) and _lower(a)):
        kinds.add("across_chest" if crosses else "through_trunk")
    if "spine_lumbar" in zones or (crosses and zones <= {"trunk", "spine_lumbar"}):
        kinds.add("across_lumbar_midline")
    return frozenset(kinds)
