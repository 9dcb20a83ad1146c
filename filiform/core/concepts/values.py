"""Scalar value types every concept shares, and the one way to turn input into a concept.

A concept model is :class:`Strict`: unknown keys are errors and types are not coerced
(``"7"`` is not 7, ``5.5`` is not a pain score, ``inf`` is not a needle length). Faces that
receive only text (web forms, command-line options) parse with ``lax=True``, which reads
``"7"`` as 7 but still refuses ``"7.5"`` for a whole number and ``"nan"`` for a measure, so
every face applies the same rules and refuses the same values.

>>> from typing import Annotated
>>> class Dose(Strict):
...     pain: PainScore
>>> Dose.parse({"pain": "7"}, lax=True).pain
7
>>> Dose.parse({"pain": 5.5})
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid dose
  - pain: must be a whole number
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from filiform.errors import ValidationFailed

E = TypeVar("E", bound=StrEnum)

MAX_ID = 2_147_483_647  # a 32-bit INTEGER primary key, the same on SQLite and PostgreSQL
NOTE_CHARS = 4000


class Strict(BaseModel):
    """Base of every concept: frozen, no unknown keys, no type coercion."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @classmethod
    def parse(cls, data: Any, *, lax: bool = False) -> Self:
        """Validate ``data`` (a mapping) or raise :class:`ValidationFailed` naming every problem.

        ``lax`` is for faces that only have text (forms, options): numbers may be written
        as text; nothing else is relaxed.
        """
        try:
            return cls.model_validate(data, strict=False) if lax else cls.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed(f"invalid {_label(cls.__name__)}", details=problems(exc)) from None


def _label(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


_TYPE_TAGS = frozenset({"float", "int", "str", "bool", "constrained-str", "list", "dict", "none", "function-after"})

_WORDS: dict[str, str] = {
    "missing": "is required",
    "string_too_long": "is too long (at most {max_length} characters)",
    "too_long": "has too many entries (at most {max_length})",
    "too_short": "needs at least {min_length} entries",
    "less_than_equal": "must be {le} or less",
    "less_than": "must be less than {lt}",
    "greater_than_equal": "must be {ge} or more",
    "greater_than": "must be more than {gt}",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be yes or no",
    "bool_parsing": "must be yes or no",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "must be a date without a time",
    "datetime_type": "must be a date and time (YYYY-MM-DD HH:MM)",
    "datetime_parsing": "must be a date and time (YYYY-MM-DD HH:MM)",
    "string_type": "must be text",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be answers by item",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "extra_forbidden": "is not a field of this record",
    "string_pattern_mismatch": "is not written in the expected form",
}


def plain_message(err: Mapping[str, Any]) -> str:
    """One pydantic error in words a clinician reads ("must be 120 or less", not "Input should
    be less than or equal to 120"); a validator's own sentence is kept as written."""
    kind = str(err.get("type", ""))
    ctx = dict(err.get("ctx") or {})
    if kind == "string_too_short":
        return "is required" if ctx.get("min_length") == 1 else f"needs at least {ctx.get('min_length')} characters"
    if kind in ("value_error", "assertion_error"):
        return str(err.get("msg", "")).replace("Value error, ", "").replace("Assertion failed, ", "")
    template = _WORDS.get(kind)
    if template is None:
        return str(err.get("msg", "is not valid"))
    try:
        return template.format(**{k: (f"{v:g}" if isinstance(v, float) else v) for k, v in ctx.items()})
    except (KeyError, ValueError):
        return str(err.get("msg", "is not valid"))


def field_words(loc: tuple[Any, ...] | list[Any]) -> str:
    """Where the problem is, in words: ``("insertions", 0, "depth_mm")`` -> "insertions 1 depth mm"."""
    parts = [p for p in loc if not (isinstance(p, str) and (p in _TYPE_TAGS or "[" in p))]
    words = [str(p + 1) if isinstance(p, int) else str(p).replace("_", " ") for p in parts]
    return " ".join(words) or "record"


def problems(exc: ValidationError, prefix: str = "") -> list[str]:
    """One readable line per problem (``field: what is wrong``), never echoing the value.

    A value that fits no member of a union is reported once, at its field, with the first
    member's complaint (the type tags pydantic adds to the location are dropped).
    """
    out: dict[str, str] = {}
    for err in exc.errors():
        where = field_words(err["loc"])
        out.setdefault(where, f"{prefix}{where}: {plain_message(err)}")
    return list(out.values())


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()) if len(value.strip()) == 10 else value
        except ValueError:
            raise ValueError("expected a date as YYYY-MM-DD") from None
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("expected an ISO 8601 date-time") from None
    return value


def _aware(value: datetime) -> datetime:
    """Every stored moment is UTC; a time without a zone is read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def enum_of(kind: type[E]) -> Callable[[Any], Any]:
    """A before-validator that reads an enum member from its value (strict mode wants members)."""
    allowed = ", ".join(m.value for m in kind)

    def read(value: Any) -> Any:
        if isinstance(value, kind) or not isinstance(value, str):
            return value
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"must be one of {allowed}") from None

    return read


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_aware)]
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
PainScore = Annotated[int, Field(ge=0, le=10)]  # 0-10 numeric rating: pain before/after, drawn intensity
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_CHARS)]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,79}$")]  # knowledge-base and data ids


def as_tuple(value: Any) -> Any:
    """A JSON array for a tuple field (strict mode takes only tuples from Python callers)."""
    return tuple(value) if isinstance(value, list) else value


LATEST_OFFSET = timedelta(hours=14)  # the zone furthest ahead (Pacific/Kiritimati, UTC+14)


def latest_today() -> date:
    """The latest calendar date anywhere on earth now.

    Why not ``date.today()``: that is the server's date, and a clinic east of the server is
    already on the next day. Core knows no clinic, so it refuses only dates that are in the
    future everywhere; services then check against the clinic's own calendar
    (``filiform.core.concepts.clock.local_date``).
    """
    return (datetime.now(UTC) + LATEST_OFFSET).date()


def not_after_today(value: date) -> date:
    if value > latest_today():
        raise ValueError("is in the future")
    return value


PastDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(not_after_today)]


def column_values(model: BaseModel, **dump: Any) -> dict[str, Any]:
    """A concept's fields as storage columns take them: enum members as their stored text.

    (A database driver may write an enum member by its *name*; the records hold values.)
    """
    return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in model.model_dump(**dump).items()}


def filled(data: Mapping[str, Any]) -> dict[str, Any]:
    """Form fields left empty mean "not given" (the field's default), not an empty value."""
    return {
        k: v.strip() if isinstance(v, str) else v for k, v in data.items() if not (isinstance(v, str) and not v.strip())
    }
