"""The scoring arithmetic, one function per :class:`ScoringMethod`.

Each function takes an instrument and its checked answers (see
:func:`filiform.core.outcomes.answers.normalise`) and returns a :class:`ScoreResult`.
The published missing-item rule of each instrument lives in its YAML file
(``scoring.max_missing`` / ``scoring.min_answered``) and is enforced here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from filiform.core.outcomes.answers import Branched, NotApplicable, Value
from filiform.core.outcomes.models import (
    Instrument,
    Item,
    ScaleKind,
    ScoreResult,
    ScoringMethod,
    SubscaleScore,
)
from filiform.errors import ValidationFailed

DECIMALS = 4


def _numeric(value: Value) -> int | None:
    if value is None or isinstance(value, NotApplicable):
        return None
    if isinstance(value, Branched):
        return value.value
    return value


def _split(items: Sequence[Item], values: dict[str, Value]) -> tuple[list[int], list[str]]:
    """(answered numeric values, ids of unanswered items) for ``items``."""
    answered: list[int] = []
    unanswered: list[str] = []
    for item in items:
        number = _numeric(values[item.id])
        if number is None:
            unanswered.append(item.id)
        else:
            answered.append(number)
    return answered, unanswered


def _enforce_missing_rule(instrument: Instrument, total_items: int, unanswered: list[str], *, label: str = "") -> None:
    rule = instrument.scoring
    answered = total_items - len(unanswered)
    where = f" {label}" if label else ""
    if rule.max_missing is None and rule.min_answered is None:
        if unanswered:
            raise ValidationFailed(
                f"{instrument.short_name}{where}: every item must be answered; missing {', '.join(unanswered)}",
                details=[rule.missing_rule],
            )
        return
    if rule.max_missing is not None and len(unanswered) > rule.max_missing:
        raise ValidationFailed(
            f"{instrument.short_name}{where}: {len(unanswered)} items unanswered "
            f"({', '.join(unanswered)}); at most {rule.max_missing} may be missing",
            details=[rule.missing_rule],
        )
    if rule.min_answered is not None and answered < rule.min_answered:
        raise ValidationFailed(
            f"{instrument.short_name}{where}: {answered} items answered; at least {rule.min_answered} are needed",
            details=[rule.missing_rule],
        )


def _scored_items(instrument: Instrument) -> list[Item]:
    return [item for item in instrument.items if item.scored]


def _item_max(instrument: Instrument, items: Sequence[Item]) -> int:
    maxima = {instrument.scale_of(item).best_worst(True)[0] for item in items}
    if len(maxima) != 1:
        raise ValueError(f"{instrument.id}: items do not share one maximum")
    return maxima.pop()


def _result(
    instrument: Instrument,
    total: float | None,
    *,
    answered: int,
    items_total: int,
    note: str | None = None,
    subscales: tuple[SubscaleScore, ...] = (),
    responder: bool | None = None,
    band: str | None = None,
) -> ScoreResult:
    rounded = None if total is None else round(total, DECIMALS)
    if band is None and rounded is not None and instrument.band_scale == "total":
        band = instrument.band_for(rounded)
    return ScoreResult(
        instrument_id=instrument.id,
        total=rounded,
        subscales=subscales,
        range_min=instrument.range_min,
        range_max=instrument.range_max,
        unit=instrument.unit,
        higher_is_better=instrument.higher_is_better,
        items_answered=answered,
        items_total=items_total,
        prorated=answered < items_total and total is not None,
        note=note,
        band=band,
        responder=responder,
    )


def _missing_note(instrument: Instrument, answered: int, items_total: int) -> str | None:
    if answered >= items_total:
        return None
    return (
        f"{items_total - answered} of {items_total} items unanswered; scored from the "
        f"{answered} answered items. {instrument.scoring.missing_rule}"
    )


def score_identity(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    items = _scored_items(instrument)
    answered, unanswered = _split(items, values)
    _enforce_missing_rule(instrument, len(items), unanswered)
    return _result(instrument, float(answered[0]), answered=1, items_total=1)


def score_transition(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    items = _scored_items(instrument)
    answered, unanswered = _split(items, values)
    _enforce_missing_rule(instrument, len(items), unanswered)
    value = answered[0]
    rule = instrument.transition
    responder = None
    if rule is not None:
        responder = value <= rule.value if rule.responder_if == "<=" else value >= rule.value
    anchor = instrument.scale_of(items[0]).anchors.get(value)
    return _result(instrument, float(value), answered=1, items_total=1, responder=responder, band=anchor)


def score_sum(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    items = _scored_items(instrument)
    answered, unanswered = _split(items, values)
    _enforce_missing_rule(instrument, len(items), unanswered)
    subscales = _unscored_extras(instrument, values)
    return _result(
        instrument,
        float(sum(answered)),
        answered=len(answered),
        items_total=len(items),
        subscales=subscales,
    )


def _unscored_extras(instrument: Instrument, values: dict[str, Value]) -> tuple[SubscaleScore, ...]:
    """Items reported beside the total but never added to it (POSAS overall opinion)."""
    extras: list[SubscaleScore] = []
    for item in instrument.items:
        if item.scored or item.subscale is None:
            continue
        number = _numeric(values[item.id])
        if number is None:
            continue
        sub = next(s for s in instrument.subscales if s.id == item.subscale)
        extras.append(
            SubscaleScore(
                id=sub.id,
                name=sub.name,
                value=float(number),
                min=sub.min,
                max=sub.max,
                items_answered=1,
                items_total=1,
            )
        )
    return tuple(extras)


def score_mean(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    items = _scored_items(instrument)
    answered, unanswered = _split(items, values)
    _enforce_missing_rule(instrument, len(items), unanswered)
    mean = sum(answered) / len(answered)
    if instrument.optional_trailing_items:
        # PSFS: the slots the patient did not use are not missing answers.
        noun = "activity" if len(answered) == 1 else "activities"
        return _result(
            instrument,
            mean,
            answered=len(answered),
            items_total=len(answered),
            note=f"mean of {len(answered)} rated {noun}",
        )
    note = _missing_note(instrument, len(answered), len(items))
    return _result(instrument, mean, answered=len(answered), items_total=len(items), note=note)


def score_percent_of_max(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    items = _scored_items(instrument)
    answered, unanswered = _split(items, values)
    _enforce_missing_rule(instrument, len(items), unanswered)
    item_max = _item_max(instrument, items)
    percent = sum(answered) / (item_max * len(answered)) * 100
    note = _missing_note(instrument, len(answered), len(items))
    return _result(instrument, percent, answered=len(answered), items_total=len(items), note=note)


def score_dash(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    items = _scored_items(instrument)
    answered, unanswered = _split(items, values)
    _enforce_missing_rule(instrument, len(items), unanswered)
    value = (sum(answered) / len(answered) - 1) * 25
    note = _missing_note(instrument, len(answered), len(items))
    return _result(instrument, value, answered=len(answered), items_total=len(items), note=note)


def score_prtee(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    items = _scored_items(instrument)
    _, unanswered = _split(items, values)
    _enforce_missing_rule(instrument, len(items), unanswered)
    pain_items = [i for i in items if i.subscale == "pain"]
    function_items = [i for i in items if i.subscale == "function"]
    pain = float(sum(_split(pain_items, values)[0]))
    function = sum(_split(function_items, values)[0]) / 2
    subs = []
    for sub, value, count in (
        ("pain", pain, len(pain_items)),
        ("function", function, len(function_items)),
    ):
        meta = next(s for s in instrument.subscales if s.id == sub)
        subs.append(
            SubscaleScore(
                id=sub,
                name=meta.name,
                value=round(value, DECIMALS),
                min=meta.min,
                max=meta.max,
                items_answered=count,
                items_total=count,
            )
        )
    return _result(
        instrument,
        pain + function,
        answered=len(items),
        items_total=len(items),
        subscales=tuple(subs),
    )


def score_koos(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    subs: list[SubscaleScore] = []
    skipped: list[str] = []
    answered_total = 0
    for meta in instrument.subscales:
        items = [i for i in instrument.items if i.subscale == meta.id]
        answered, _ = _split(items, values)
        answered_total += len(answered)
        needed = meta.min_items if meta.min_items is not None else len(items)
        if len(answered) < needed:
            skipped.append(f"{meta.name} ({len(answered)} of {len(items)} answered, {needed} needed)")
            continue
        value = 100 - (sum(answered) / len(answered)) * 25
        subs.append(
            SubscaleScore(
                id=meta.id,
                name=meta.name,
                value=round(value, DECIMALS),
                min=meta.min,
                max=meta.max,
                items_answered=len(answered),
                items_total=len(items),
            )
        )
    if not subs:
        raise ValidationFailed(
            f"{instrument.short_name}: no subscale has enough answers to be scored",
            details=[*skipped, instrument.scoring.missing_rule],
        )
    notes = []
    if skipped:
        notes.append("not scored (too many missing): " + "; ".join(skipped))
    partial = [s.name for s in subs if s.items_answered < s.items_total]
    if partial:
        notes.append("scored from the answered items: " + ", ".join(partial))
    result = _result(
        instrument,
        None,
        answered=answered_total,
        items_total=len(instrument.items),
        subscales=tuple(subs),
        note=". ".join(notes) or None,
    )
    return result.model_copy(update={"prorated": bool(partial)})


SCORERS: dict[ScoringMethod, Callable[[Instrument, dict[str, Value]], ScoreResult]] = {
    ScoringMethod.IDENTITY: score_identity,
    ScoringMethod.TRANSITION: score_transition,
    ScoringMethod.SUM: score_sum,
    ScoringMethod.MEAN: score_mean,
    ScoringMethod.PERCENT_OF_MAX: score_percent_of_max,
    ScoringMethod.DASH: score_dash,
    ScoringMethod.PRTEE: score_prtee,
    ScoringMethod.KOOS: score_koos,
}  # risk-stratification methods (STarT Back) are added by the registry from ``stratify``


def check_method_fits(instrument: Instrument) -> None:
    """Structural checks a scoring method needs from its instrument (run at load time)."""
    method = instrument.scoring.method
    items = _scored_items(instrument)
    if method in (ScoringMethod.IDENTITY, ScoringMethod.TRANSITION) and len(items) != 1:
        raise ValueError(f"{instrument.id}: {method} needs exactly one scored item")
    if method is ScoringMethod.PERCENT_OF_MAX:
        _item_max(instrument, items)
    if method is ScoringMethod.KOOS and any(i.subscale is None for i in items):
        raise ValueError(f"{instrument.id}: every KOOS item needs a subscale")
    if method is ScoringMethod.START_BACK and len(instrument.subscales) != 1:
        raise ValueError(f"{instrument.id}: STarT Back scoring needs exactly one (psychosocial) subscale")
    if method is ScoringMethod.PRTEE and {i.subscale for i in items} != {"pain", "function"}:
        raise ValueError(f"{instrument.id}: PRTEE items must be pain or function")
    for item in items:
        scale = instrument.scale_of(item)
        if scale.kind is ScaleKind.BRANCH and method is not ScoringMethod.SUM:
            raise ValueError(f"{instrument.id}: branch items are only summed")
        if scale.higher_is_better is None:
            raise ValueError(f"{instrument.id}: scale {item.scale!r} needs higher_is_better")
        # KOOS reverses its items (100 - mean x 25); every other method keeps their direction.
        expected = instrument.higher_is_better != (method is ScoringMethod.KOOS)
        if scale.higher_is_better != expected:
            raise ValueError(f"{instrument.id}: item scale {item.scale!r} direction contradicts the score's")
