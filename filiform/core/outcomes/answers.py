"""Turn raw answers (a list, a mapping, strings from a form or the CLI) into item values.

Every answer is checked against the item's response scale. All problems are collected
and raised together as one :class:`filiform.errors.ValidationFailed` whose details name
each item and the values it allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from filiform.core.outcomes.models import Instrument, Item, ResponseScale, ScaleKind
from filiform.errors import ValidationFailed

MISSING_TOKENS = frozenset({"", "-", "none", "null", "missing"})
NA_TOKENS = frozenset({"na", "n/a", "not applicable"})
YES_TOKENS = frozenset({"yes", "y", "true", "1"})
NO_TOKENS = frozenset({"no", "n", "false", "0"})


class NotApplicable:
    """Marker for an answer the instrument lets the patient mark as not applicable."""

    _instance: NotApplicable | None = None

    def __new__(cls) -> NotApplicable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NA"


NA = NotApplicable()


@dataclass(frozen=True)
class Branched:
    """A VISA-A item-8 style answer: the branch the patient chose and the value in it."""

    branch: str
    value: int


Value = int | Branched | NotApplicable | None


def normalise(instrument: Instrument, answers: Any) -> dict[str, Value]:
    """Map every item id to its checked value (``None`` = missing, ``NA`` = not applicable).

    ``answers`` may be a sequence in item order (missing answers as ``None`` or ``""``) or a
    mapping from item id to answer. Raises ValidationFailed listing every bad answer.
    """
    raw = _by_item(instrument, answers)
    result: dict[str, Value] = {}
    problems: list[str] = []
    for item in instrument.items:
        try:
            result[item.id] = _check(instrument, item, raw.get(item.id))
        except ValueError as exc:
            problems.append(f"item {item.id} ({item.label}): {exc}")
    if problems:
        raise ValidationFailed(f"{instrument.short_name}: {len(problems)} answer(s) not accepted", details=problems)
    return result


def _by_item(instrument: Instrument, answers: Any) -> dict[str, Any]:
    ids = [item.id for item in instrument.items]
    if isinstance(answers, Mapping):
        unknown = [str(key) for key in answers if key not in ids]
        if unknown:
            raise ValidationFailed(
                f"{instrument.short_name}: unknown item id(s) {', '.join(unknown)}",
                details=[f"known items: {', '.join(ids)}"],
            )
        return dict(answers)
    if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
        raise ValidationFailed(
            f"{instrument.short_name}: answers must be a list in item order or a mapping "
            f"from item id to answer, not {type(answers).__name__}"
        )
    if len(answers) > len(ids):
        raise ValidationFailed(
            f"{instrument.short_name}: {len(answers)} answers given but the instrument has "
            f"{len(ids)} items ({', '.join(ids)})"
        )
    if len(answers) < len(ids) and not instrument.optional_trailing_items:
        raise ValidationFailed(
            f"{instrument.short_name}: {len(answers)} answers given but the instrument has "
            f"{len(ids)} items; mark a missing answer as empty (e.g. '1,,3') or None",
        )
    return dict(zip(ids, answers, strict=False))


def _check(instrument: Instrument, item: Item, raw: Any) -> Value:
    scale = instrument.scale_of(item)
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in MISSING_TOKENS):
        return None
    if isinstance(raw, NotApplicable) or (isinstance(raw, str) and raw.strip().lower() in NA_TOKENS):
        if scale.not_applicable:
            return NA
        raise ValueError(f"'not applicable' is not allowed; allowed: {scale.describe()}")
    if scale.kind is ScaleKind.BRANCH:
        return _check_branch(scale, raw)
    if scale.kind is ScaleKind.YES_NO:
        return _check_yes_no(scale, raw)
    value = _as_int(scale, raw)
    if scale.kind is ScaleKind.INTEGER:
        assert scale.min is not None and scale.max is not None
        if not scale.min <= value <= scale.max:
            raise ValueError(f"{value} is out of range; allowed: {scale.describe()}")
    elif value not in scale.values:
        raise ValueError(f"{value} is not an allowed value; allowed: {scale.describe()}")
    return value


def _as_int(scale: ResponseScale, raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number; allowed: {scale.describe()}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueError(f"{raw!r} is not a whole number; allowed: {scale.describe()}")
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in scale.aliases:
            return scale.aliases[text]
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number; allowed: {scale.describe()}") from None
        if number.is_integer():
            return int(number)
        raise ValueError(f"{raw!r} is not a whole number; allowed: {scale.describe()}")
    raise ValueError(f"{raw!r} ({type(raw).__name__}) is not accepted; allowed: {scale.describe()}")


def _check_yes_no(scale: ResponseScale, raw: Any) -> int:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int) and raw in (0, 1):
        return raw
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in YES_TOKENS:
            return 1
        if text in NO_TOKENS:
            return 0
    raise ValueError(f"{raw!r} is not accepted; allowed: {scale.describe()}")


def _check_branch(scale: ResponseScale, raw: Any) -> Branched:
    branch: str
    value_raw: Any
    if isinstance(raw, Branched):
        branch, value_raw = raw.branch, raw.value
    elif isinstance(raw, Mapping):
        branch, value_raw = str(raw.get("branch", "")), raw.get("value")
    elif isinstance(raw, str) and ":" in raw:
        branch, _, value_raw = raw.partition(":")
    else:
        raise ValueError(f"{raw!r} is not accepted; allowed: {scale.describe()}")
    branch = branch.strip().upper()
    if branch not in scale.branches:
        raise ValueError(f"branch {branch!r} is unknown; allowed: {scale.describe()}")
    allowed = scale.branches[branch]
    try:
        value = int(str(value_raw).strip())
    except ValueError:
        raise ValueError(f"{value_raw!r} is not a number; allowed: {scale.describe()}") from None
    if value not in allowed:
        raise ValueError(f"{value} is not allowed in branch {branch}; allowed: {scale.describe()}")
    return Branched(branch, value)


def parse_answer_list(text: str) -> list[str] | dict[str, str]:
    """Parse the CLI form: ``"1,2,,4"`` (positional) or ``"q1=1,q2=3"`` (by item id)."""
    parts = [part.strip() for part in text.split(",")]
    if any("=" in part for part in parts if part):
        mapping: dict[str, str] = {}
        for part in parts:
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep:
                raise ValidationFailed(f"cannot mix positional answers and item=value answers ({part!r})")
            if key.strip() in mapping:
                raise ValidationFailed(f"item {key.strip()!r} is answered twice")
            mapping[key.strip()] = value.strip()
        return mapping
    return parts
