"""Clinic time: stored in UTC, shown and entered in the clinic's IANA time zone.

Why one module: an appointment typed as "09:00" means 09:00 on the clinic's wall clock,
whatever the server's zone, and the same instant must come back as "09:00" on every page,
feed, e-mail and PDF.  Every face converts through these functions, never by hand.

Rules (the stricter reading wins):

* a stored instant is UTC (``filiform.storage.base``); SQLite hands timestamps back
  without their zone, so a naive *stored* value is read as UTC (:func:`utc`) and never as
  local time; a wall-clock time to convert goes through :func:`to_utc` with its zone;
* a local time that does not exist (the hour skipped when clocks go forward) is refused
  with both the time and the zone named;
* a local time that happens twice (clocks go back) is read as the first occurrence, the
  way a diary reads it, and :func:`is_ambiguous` lets a face say so;
* a zone name must be an IANA key known to the zone database (``Europe/Dublin``), not
  an abbreviation (``CET``, ``EST``) whose meaning depends on who reads it.

``Clock`` lets services and workers take "now" as a parameter, so tests move time
forward without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from filiform.errors import ValidationFailed

__all__ = [
    "Clock",
    "FixedClock",
    "SystemClock",
    "check_zone",
    "day_bounds",
    "is_ambiguous",
    "local_date",
    "parse_local",
    "show",
    "to_local",
    "to_utc",
    "utc",
    "week_days",
    "zone",
]


class Clock(Protocol):
    """Where "now" comes from (always timezone-aware UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that moves only when told to (tests, replays)."""

    at: datetime

    def __post_init__(self) -> None:
        self.at = _aware(self.at, "FixedClock")

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta


AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    """Geographic Area/City keys, and UTC: not the legacy aliases (``CET``, ``EST5EDT``,
    ``US/Eastern``) nor ``Etc/GMT+3``, whose sign is the reverse of what it reads as."""
    return frozenset(z for z in available_timezones() if z.split("/", 1)[0] in AREAS and "/" in z) | {"UTC"}


def check_zone(name: str) -> str:
    """``name`` if it is an IANA zone key (``Europe/Dublin``, ``UTC``), else ValidationFailed."""
    text = name.strip() if isinstance(name, str) else ""
    if text not in _known_zones():
        raise ValidationFailed(
            f"time zone: '{str(name)[:60]}' is not an IANA time zone name",
            details=["write Area/City as in the tz database, e.g. Europe/Dublin, America/New_York or UTC"],
        )
    return text


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone for a checked name (ValidationFailed for anything else)."""
    try:
        return ZoneInfo(check_zone(name))
    except ZoneInfoNotFoundError:  # listed but unreadable: treat as unknown
        raise ValidationFailed(f"time zone: '{name[:60]}' cannot be loaded") from None


def utc(moment: datetime) -> datetime:
    """A stored instant as aware UTC (a naive value is a UTC timestamp read back from SQLite)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationFailed(f"{what}: the time must carry its zone; got a naive time")
    return moment.astimezone(UTC)


def to_local(moment: datetime, tz: str) -> datetime:
    """A stored instant on the clinic's wall clock (aware, in ``tz``)."""
    return utc(moment).astimezone(zone(tz))


def local_date(moment: datetime, tz: str) -> date:
    """The clinic's calendar date at ``moment`` (what "today" means to the clinic)."""
    return to_local(moment, tz).date()


def to_utc(local: datetime, tz: str) -> datetime:
    """A wall-clock time in the clinic's zone as a UTC instant.

    A nonexistent local time is refused; an ambiguous one is the first occurrence.
    """
    if local.tzinfo is not None:
        return _aware(local, "time")
    where = zone(tz)
    first = local.replace(tzinfo=where, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(where).replace(tzinfo=None) != local:
        raise ValidationFailed(
            f"{local:%Y-%m-%d %H:%M} does not exist in {tz}: the clocks skip that hour; choose another time"
        )
    return instant


def is_ambiguous(local: datetime, tz: str) -> bool:
    """Whether a wall-clock time happens twice in ``tz`` (the hour repeated when clocks go back)."""
    where = zone(tz)
    naive = local.replace(tzinfo=None)
    return naive.replace(tzinfo=where, fold=0).utcoffset() != naive.replace(tzinfo=where, fold=1).utcoffset()


def parse_local(day: str, clock_time: str, tz: str) -> datetime:
    """Form fields ``YYYY-MM-DD`` and ``HH:MM`` on the clinic's clock to a UTC instant."""
    try:
        when = datetime.combine(date.fromisoformat(day.strip()), time.fromisoformat(clock_time.strip()))
    except ValueError:
        raise ValidationFailed("enter the date as YYYY-MM-DD and the time as HH:MM") from None
    return to_utc(when.replace(second=0, microsecond=0), tz)


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the clinic's calendar day (23 or 25 hours on change days)."""
    start = to_utc(datetime.combine(day, time.min), tz)
    end = to_utc(datetime.combine(day + timedelta(days=1), time.min), tz)
    return start, end


def week_days(day: date) -> list[date]:
    """Monday to Sunday of the week holding ``day`` (ISO weeks)."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def show(moment: datetime, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored instant as the clinic reads it."""
    return to_local(moment, tz).strftime(fmt)
