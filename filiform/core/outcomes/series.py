"""A patient's dated scores as written in a file (``scores.yaml`` / ``.json``), validated.

The file reading is the caller's; this turns the parsed mapping into checked
:class:`DatedScore` points and names the entry and field of every mistake, so nothing is
guessed (no ``true`` as 1, no text value as a number, no silently ignored key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from filiform.core.outcomes.registry import score
from filiform.core.outcomes.trend import DatedScore
from filiform.errors import ValidationFailed

_TOP_KEYS = {"instrument", "title", "scale", "scores"}
_ENTRY_KEYS = {"date", "value", "answers", "label"}


@dataclass(frozen=True)
class ScoreSeries:
    instrument_id: str
    scale: str
    title: str | None
    points: list[DatedScore]


def parse_score_series(data: Any, source: str = "scores") -> ScoreSeries:
    """Validate ``{instrument, [title], [scale], scores: [{date, value | answers, [label]}]}``."""
    if not isinstance(data, dict) or "instrument" not in data or "scores" not in data:
        raise ValidationFailed(
            f"{source}: expected a mapping with 'instrument' and 'scores' (each score: date plus value or answers)"
        )
    unknown = sorted(str(k) for k in data if k not in _TOP_KEYS)
    if unknown:
        raise ValidationFailed(
            f"{source}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_TOP_KEYS))}"
        )
    instrument_id = _text(data["instrument"], f"{source}: instrument")
    scale = _text(data.get("scale", "total"), f"{source}: scale")
    title = None if data.get("title") is None else _text(data["title"], f"{source}: title")
    entries = data["scores"]
    if not isinstance(entries, list):
        raise ValidationFailed(f"{source}: 'scores' must be a list of dated scores")
    points = [_point(entry, n, instrument_id, scale, source) for n, entry in enumerate(entries, start=1)]
    return ScoreSeries(instrument_id, scale, title, points)


def _point(entry: Any, n: int, instrument_id: str, scale: str, source: str) -> DatedScore:
    where = f"{source}: score {n}"
    if not isinstance(entry, dict) or "date" not in entry:
        raise ValidationFailed(f"{where} needs a date")
    unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
    if unknown:
        raise ValidationFailed(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_ENTRY_KEYS))}"
        )
    when = _date(entry["date"], where)
    if "answers" in entry and "value" in entry:
        raise ValidationFailed(f"{where}: give either a value or answers, not both")
    if "answers" in entry:
        value = score(instrument_id, entry["answers"]).value(scale)
    elif "value" in entry:
        raw = entry["value"]
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ValidationFailed(f"{where}: value must be a number, got {raw!r}")
        value = float(raw)
    else:
        raise ValidationFailed(f"{where} needs a value or answers")
    label = entry.get("label")
    if label is not None:
        label = _text(label, f"{where}: label")
    return DatedScore(when=when, value=value, label=label)


def _date(raw: Any, where: str) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValidationFailed(f"{where}: bad date {raw!r}; write YYYY-MM-DD")


def _text(raw: Any, where: str) -> str:
    if isinstance(raw, str) or (isinstance(raw, (int, float)) and not isinstance(raw, bool)):
        return str(raw)
    raise ValidationFailed(f"{where} must be text, got {raw!r}")
