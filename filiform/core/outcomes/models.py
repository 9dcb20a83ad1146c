"""Frozen models for outcome instruments, their metadata and their scores.

Everything here is data: the instrument definitions are loaded from
``filiform/data/instruments/*.yaml`` (see :mod:`filiform.core.outcomes.registry`) and the
scoring functions return :class:`ScoreResult`. The models are strict (unknown keys are an
error) so that a typo in the YAML fails loudly instead of silently dropping a rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from filiform.core.concepts.citation import Citation

__all__ = ["Citation"]  # the shared citation model, re-exported for the outcomes API

_STRICT = ConfigDict(frozen=True, extra="forbid")


class ScaleKind(StrEnum):
    """How one item is answered."""

    INTEGER = "integer"  # whole numbers from min to max
    CHOICE = "choice"  # one of an explicit list of values (HIT-6 6/8/10/11/13)
    YES_NO = "yes_no"  # scored 1 for yes, 0 for no (RMDQ)
    BRANCH = "branch"  # a branch letter plus a value allowed in that branch (VISA-A item 8)


class ResponseScale(BaseModel):
    """The answers one item accepts, with optional text aliases and anchor labels."""

    model_config = _STRICT

    kind: ScaleKind
    min: int | None = None
    max: int | None = None
    values: tuple[int, ...] = ()
    branches: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    aliases: dict[str, int] = Field(default_factory=dict)
    not_applicable: bool = False
    higher_is_better: bool | None = None  # direction of a single answer on this scale
    anchors: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ResponseScale:
        if self.kind is ScaleKind.INTEGER and (self.min is None or self.max is None):
            raise ValueError("an integer scale needs min and max")
        if self.kind is ScaleKind.CHOICE and not self.values:
            raise ValueError("a choice scale needs values")
        if self.kind is ScaleKind.BRANCH and not self.branches:
            raise ValueError("a branch scale needs branches")
        return self

    def describe(self) -> str:
        """The allowed values in words, for error messages and ``measure show``."""
        if self.kind is ScaleKind.INTEGER:
            text = f"whole numbers {self.min}–{self.max}"
        elif self.kind is ScaleKind.CHOICE:
            text = "one of " + ", ".join(str(v) for v in self.values)
        elif self.kind is ScaleKind.YES_NO:
            text = "yes or no (1 or 0)"
        else:
            parts = [f"{letter} = {'/'.join(str(v) for v in values)}" for letter, values in self.branches.items()]
            text = "a branch letter and a value such as B:10 (" + "; ".join(parts) + ")"
        if self.aliases:
            text += " (or " + ", ".join(self.aliases) + ")"
        if self.not_applicable:
            text += "; 'na' if not applicable"
        return text

    def best_worst(self, higher_is_better: bool) -> tuple[int, int]:
        """(best, worst) item values for this scale given the item's direction."""
        if self.kind is ScaleKind.INTEGER:
            assert self.min is not None and self.max is not None
            lo, hi = self.min, self.max
        elif self.kind is ScaleKind.CHOICE:
            lo, hi = min(self.values), max(self.values)
        elif self.kind is ScaleKind.YES_NO:
            lo, hi = 0, 1
        else:
            every = [v for vs in self.branches.values() for v in vs]
            lo, hi = min(every), max(every)
        return (hi, lo) if higher_is_better else (lo, hi)


class Item(BaseModel):
    """One question. ``label`` is Filiform's own short summary, never the licensed wording.

    ``text`` is the instrument's wording; it is only present where the licence lets
    Filiform ship it, or after a clinic added the wording it holds a licence for.
    """

    model_config = _STRICT

    id: str
    label: str
    scale: str
    subscale: str | None = None
    scored: bool = True
    text: str | None = None
    named_by_patient: bool = False  # the patient names what the item is about (PSFS activities)


class Subscale(BaseModel):
    """A separately reported scale inside an instrument (KOOS Pain, PRTEE Function...)."""

    model_config = _STRICT

    id: str
    name: str
    min: float
    max: float
    min_items: int | None = None


class Band(BaseModel):
    """A published interpretation band: scores up to and including ``upto`` get ``label``."""

    model_config = _STRICT

    upto: float
    label: str


class Threshold(BaseModel):
    """A minimal clinically important difference or a minimal detectable change.

    ``kind`` is ``absolute`` (points on the score's own scale) or ``percent`` (relative
    improvement, see :func:`filiform.core.outcomes.interpret.interpret_change`).
    """

    model_config = _STRICT

    value: float
    kind: Literal["absolute", "percent"] = "absolute"
    scale: str = "total"
    primary: bool = False
    population: str = ""
    note: str = ""
    citation: str


class TransitionRule(BaseModel):
    """For global-change anchors (PGIC, GROC): which answers count as a responder."""

    model_config = _STRICT

    responder_if: Literal["<=", ">="]
    value: int
    note: str = ""
    citation: str


class Licence(BaseModel):
    """Who owns the instrument, what use is allowed and whether wording may be shipped."""

    model_config = _STRICT

    holder: str
    terms: str
    commercial_use: Literal["free", "permission_required", "licence_fee", "unclear"]
    wording_may_be_shipped: bool
    citation: str | None = None


class Loinc(BaseModel):
    """LOINC codes confirmed for this instrument (panel, total score)."""

    model_config = _STRICT

    panel: str | None = None
    total: str | None = None


class ScoringMethod(StrEnum):
    """The arithmetic an instrument uses; :mod:`filiform.core.outcomes.scoring` implements each."""

    IDENTITY = "identity"  # a single item is the score (NPRS)
    TRANSITION = "transition"  # a single global-change anchor (PGIC, GROC)
    SUM = "sum"  # sum of the scored items (LEFS, RMDQ, VISA-A, HIT-6, POSAS)
    MEAN = "mean"  # mean of the answered items (PSFS, BCTQ, JFLS-8)
    PERCENT_OF_MAX = "percent_of_max"  # sum / (item max x answered) x 100 (NDI, ODI, FAAM)
    DASH = "dash"  # ((sum / n) - 1) x 25 (QuickDASH)
    PRTEE = "prtee"  # pain sum + function sum / 2
    KOOS = "koos"  # per subscale 100 - mean x 25, no total
    START_BACK = "start_back"  # total and psychosocial subscale give a risk group


class ScoringRule(BaseModel):
    """The rule in Filiform's words, with where it comes from.

    Missing answers: with neither ``max_missing`` nor ``min_answered`` set, every scored
    item must be answered. 'Not applicable' answers count as unanswered.
    """

    model_config = _STRICT

    method: ScoringMethod
    summary: str
    missing_rule: str
    missing_rule_source: str  # a citation id, or "filiform_policy"
    max_missing: int | None = None
    min_answered: int | None = None
    citations: tuple[str, ...] = ()


class Instrument(BaseModel):
    """Everything Filiform knows about one instrument, loaded from its YAML file."""

    model_config = _STRICT

    id: str
    name: str
    short_name: str
    developer: str
    measures: str  # the construct, in a few words
    kind: Literal["score", "transition"] = "score"
    scorable: bool = True
    unscorable_reason: str | None = None
    recall_period: str | None = None
    item_count: int
    optional_trailing_items: bool = False  # a shorter answer list is allowed (PSFS slots)
    scales: dict[str, ResponseScale] = Field(default_factory=dict)
    items: tuple[Item, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    total_reported: bool = True
    range_min: float
    range_max: float
    unit: str = "points"
    higher_is_better: bool
    scoring: ScoringRule
    bands: tuple[Band, ...] = ()
    band_scale: str = "total"
    mcid: tuple[Threshold, ...] = ()
    mdc: tuple[Threshold, ...] = ()
    transition: TransitionRule | None = None
    loinc: Loinc = Field(default_factory=Loinc)
    licence: Licence
    citations: tuple[str, ...] = ()
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        if not self.scorable:
            if not self.unscorable_reason:
                raise ValueError(f"{self.id}: an unscorable instrument needs a reason")
            return self
        if len(self.items) != self.item_count:
            raise ValueError(f"{self.id}: item_count is {self.item_count} but {len(self.items)} items listed")
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.id}: duplicate item ids")
        subscale_ids = {s.id for s in self.subscales}
        for item in self.items:
            if item.scale not in self.scales:
                raise ValueError(f"{self.id}: item {item.id} uses unknown scale {item.scale!r}")
            if item.subscale is not None and item.subscale not in subscale_ids:
                raise ValueError(f"{self.id}: item {item.id} has unknown subscale")
        known_scales = subscale_ids | {"total"}
        for threshold in (*self.mcid, *self.mdc):
            if threshold.scale not in known_scales:
                raise ValueError(f"{self.id}: threshold for unknown scale {threshold.scale!r}")
        return self

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale_of(self, item: Item) -> ResponseScale:
        return self.scales[item.scale]

    def scale_ids(self) -> tuple[str, ...]:
        """The score names a result can carry: ``total`` (if reported) and the subscales."""
        names = [s.id for s in self.subscales]
        return ("total", *names) if self.total_reported else tuple(names)

    def scale_range(self, scale: str = "total") -> tuple[float, float]:
        if scale == "total":
            return (self.range_min, self.range_max)
        for sub in self.subscales:
            if sub.id == scale:
                return (sub.min, sub.max)
        raise KeyError(scale)

    def primary_mcid(self, scale: str = "total") -> Threshold | None:
        """The MCID used by default for responder analysis on ``scale``."""
        candidates = [t for t in self.mcid if t.scale == scale]
        for threshold in candidates:
            if threshold.primary:
                return threshold
        absolute = [t for t in candidates if t.kind == "absolute"]
        return absolute[0] if absolute else (candidates[0] if candidates else None)

    def percent_mcid(self, scale: str = "total") -> Threshold | None:
        for threshold in self.mcid:
            if threshold.scale == scale and threshold.kind == "percent":
                return threshold
        return None

    def primary_mdc(self, scale: str = "total") -> Threshold | None:
        for threshold in self.mdc:
            if threshold.scale == scale and threshold.kind == "absolute":
                return threshold
        return None

    def band_for(self, value: float) -> str | None:
        for band in self.bands:
            if value <= band.upto + 1e-9:
                return band.label
        return None


class SubscaleScore(BaseModel):
    """One subscale's value in a result."""

    model_config = _STRICT

    id: str
    name: str
    value: float
    min: float
    max: float
    items_answered: int
    items_total: int


class ScoreResult(BaseModel):
    """The scored answers of one administration of one instrument.

    ``total`` is ``None`` only for instruments whose developers report no total (KOOS
    reports five separate subscales). ``prorated`` is true when missing items were handled
    by the instrument's published rule; ``note`` then says how.
    """

    model_config = _STRICT

    instrument_id: str
    total: float | None
    subscales: tuple[SubscaleScore, ...] = ()
    range_min: float
    range_max: float
    unit: str
    higher_is_better: bool
    items_answered: int
    items_total: int
    prorated: bool = False
    note: str | None = None
    band: str | None = None
    responder: bool | None = None  # only for transition anchors (PGIC, GROC)

    def value(self, scale: str = "total") -> float:
        """The value of ``total`` or of one subscale; KeyError when it was not scored."""
        if scale == "total":
            if self.total is None:
                raise KeyError("total")
            return self.total
        for sub in self.subscales:
            if sub.id == scale:
                return sub.value
        raise KeyError(scale)

    @property
    def range(self) -> tuple[float, float]:
        return (self.range_min, self.range_max)
