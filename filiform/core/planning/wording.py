"""A plan in a clinician's words: dose, how well a target fits the drawing, priorities.

Why here: the web page, the handout and the terminal printout say the same thing the same
way, so the words are written once, next to the plan they describe.

>>> frequency_words(1, 2)
'once or twice a week'
>>> dose_words_from(3, 6, 1, 1)
'3 to 6 sessions, once a week'
>>> fit_words(2.7)
'fits the pain drawing strongly'
"""

from __future__ import annotations

import math
from typing import Literal

from .models import Dosing

Fit = Literal["strong", "moderate", "weak"]
STRONG_RATIO = 10.0
MODERATE_RATIO = 3.0
"""Display bands of the matcher's likelihood ratio (how many times likelier the drawing is
under the target than by chance): a Filiform convention for wording, not evidence."""

_TIMES = {1: "once", 2: "twice"}
PRIORITY_WORDS = {1: "first-line", 2: "second-line", 3: "third-line"}


def _times(n: float) -> str:
    return _TIMES.get(int(n), f"{n:g} times") if n == int(n) else f"{n:g} times"


def _every(per_week: float) -> str:
    weeks = 1 / per_week
    return f"once every {weeks:g} weeks" if weeks == round(weeks) else f"about once every {weeks:.1f} weeks"


def frequency_words(low: float, high: float) -> str:
    """Sessions a week as a clinician says it (``1-1`` is "once a week", never "1–1 a week").

    >>> frequency_words(2, 3), frequency_words(0.5, 0.5), frequency_words(0.5, 1)
    ('2 to 3 times a week', 'once every 2 weeks', 'once every 2 weeks to once a week')
    """
    if low <= 0 and high <= 0:
        return "as needed"
    if low == high:
        return f"{_times(low)} a week" if low >= 1 else _every(low)
    if low >= 1:
        if (low, high) == (1, 2):
            return "once or twice a week"
        return f"{low:g} to {high:g} times a week"
    start = _every(low) if low > 0 else "as needed"
    return f"{start} to {_times(high)} a week"


def sessions_words(low: float, high: float) -> str:
    """The number of sessions in words.

    >>> sessions_words(1, 1), sessions_words(4, 8)
    ('1 session', '4 to 8 sessions')
    """
    if low == high:
        return f"{low:g} session" + ("" if low == 1 else "s")
    return f"{low:g} to {high:g} sessions"


def dose_words_from(sessions_low: float, sessions_high: float, week_low: float, week_high: float) -> str:
    return f"{sessions_words(sessions_low, sessions_high)}, {frequency_words(week_low, week_high)}"


def dose_words(dosing: Dosing) -> str:
    """The condition's dose in words ("3 to 6 sessions, once or twice a week")."""
    return dose_words_from(dosing.sessions.min, dosing.sessions.max, dosing.per_week.min, dosing.per_week.max)


def fit_of(score: float) -> Fit:
    """How well a target fits the drawing, from the matcher's log likelihood ratio (natural log)."""
    ratio = math.exp(min(score, 50.0))
    if ratio >= STRONG_RATIO:
        return "strong"
    if ratio >= MODERATE_RATIO:
        return "moderate"
    return "weak"


def fit_words(score: float) -> str:
    return {"strong": "fits the pain drawing strongly", "moderate": "fits the pain drawing moderately"}.get(
        fit_of(score), "fits the pain drawing weakly"
    )
