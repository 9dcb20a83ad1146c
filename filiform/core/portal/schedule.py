"""When a home questionnaire is due: on each re-evaluation date and after every Nth session.

Occasions have stable keys (``date:2026-05-01``, ``session:6``) so a schedule remembers
what it already sent and a tick run twice never sends twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def due_occasions(
    *,
    due_dates: Iterable[date],
    every_n_sessions: int | None,
    sessions_done: int,
    served: Iterable[str],
    today: date,
) -> list[str]:
    """Occasions due by ``today`` (the clinic's date) and not yet served, oldest first."""
    done = set(served)
    keys = [f"date:{d.isoformat()}" for d in sorted(set(due_dates)) if d <= today]
    if every_n_sessions:
        keys += [f"session:{k}" for k in range(every_n_sessions, sessions_done + 1, every_n_sessions)]
    return [k for k in keys if k not in done]
