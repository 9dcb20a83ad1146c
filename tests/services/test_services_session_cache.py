"""The per-process session cache: least recently used dropped first, emptied on demand."""

from __future__ import annotations

from datetime import UTC, datetime

from filiform.services.access.session_cache import Cached, SessionCache

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _entry(user: int) -> Cached:
    return Cached(user_id=user, clinic_id=1, role="clinician", created_at=AT, last_seen_at=AT, epoch=3)


def test_the_least_recently_used_entry_goes_first_and_clear_empties_it() -> None:
    cache = SessionCache(max_entries=2)
    cache.put("a", _entry(1))
    cache.put("b", _entry(2))
    assert cache.get("a") == _entry(1)  # "a" is now the most recent
    cache.put("c", _entry(3))
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (_entry(1), None, _entry(3))
    cache.drop("a")
    assert cache.get("a") is None
    cache.clear()
    assert cache.get("c") is None
