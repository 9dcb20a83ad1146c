"""Pages of a patient's record cached by the record's version, audited as if read anew.

Why: the patient page read about ten tables through the ORM and rendered them for every
request (about 20 ms of CPU), so with one process and its GIL eight clients got less
than one.  A record changes far less often than it is looked at: here what a page built
is kept under a key that changes whenever anything the page shows may have changed, and
a request with the same key reuses it.

Why it is never stale: the key holds the patient's ``record_version`` (moved by database
triggers in the writing transaction, by every writer in every process; see
:class:`filiform.storage.models.RecordVersion`), the clinic's time zone and today's date
on its clock (consent validity and the needling decision depend on the day), the
clinic, and the reader's role (what a page shows depends on permissions, which come from
the role alone).  The version is read in the same transaction as the data on a miss, so a
value is never filed under a newer version than the data it was built from.  A patient
without a counter row is never cached.

Why it stays exact about audit: :func:`cached_read` records on a hit the same read
entries (action, entity, ids, detail) that building the value recorded, for the current
reader and time, through :func:`filiform.services.operations.audit.record`, so the trail
cannot tell a hit from a miss.  Only values whose building wrote nothing but read
entries are kept.  Clinic isolation is checked by :func:`stamp` before any look-up (a
patient of another clinic is NotFound, as everywhere), and the key holds the clinic too.

The cache lives in the process (per database engine, least recently used dropped first);
a restore cannot run under a serving process (``server_lock``), so numbers never go back
while a cache holds them.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import local_date
from filiform.errors import NotFound
from filiform.services.access.context import Actor
from filiform.services.operations import audit
from filiform.services.records.clinic_settings import server_timezone
from filiform.storage.engine import DEFERRED_AUDIT
from filiform.storage.models import ClinicSettings, Patient, RecordVersion

MAX_ENTRIES = 1_000  # a clinic day's records many times over; pages are tens of kB each
T = TypeVar("T")


@dataclass(frozen=True)
class Stamp:
    """What a cached page of one patient depends on besides the reader's role."""

    patient_id: int
    clinic_id: int
    version: int | None  # None: no counter row, never cached
    zone: str
    today: date
    now: datetime

    def key(self, page: str, actor: Actor) -> tuple[Hashable, ...] | None:
        if self.version is None:
            return None
        return (page, self.clinic_id, self.patient_id, self.version, actor.role.value, self.zone, self.today)


# Built once: constructing the statement cost more than running it (this runs on every view).
_STAMP = (
    sa.select(Patient.clinic_id, RecordVersion.version, ClinicSettings.timezone)
    .select_from(Patient)
    .outerjoin(RecordVersion, RecordVersion.patient_id == Patient.id)
    .outerjoin(ClinicSettings, ClinicSettings.clinic_id == Patient.clinic_id)
    .where(Patient.id == sa.bindparam("patient_id"))
)


def stamp(session: Session, *, actor: Actor, patient_id: int, now: datetime | None = None) -> Stamp:
    """One indexed read: the patient's clinic, record version and clinic zone (NotFound
    for a patient of another clinic, with the same words as every other look-up)."""
    row = session.connection().execute(_STAMP, {"patient_id": patient_id}).first()
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFound(f"patient {patient_id} not found")
    moment = now or datetime.now(UTC)
    zone = row.timezone or server_timezone()
    return Stamp(patient_id, int(row.clinic_id), row.version, zone, local_date(moment, zone), moment)


@dataclass(frozen=True)
class _Read:
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    detail: str


@dataclass(frozen=True)
class _Entry:
    value: Any
    reads: tuple[_Read, ...]


class PageCache:
    """key -> a built value and the read entries building it wrote (LRU, thread-safe)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> _Entry | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return found

    def put(self, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CACHES: weakref.WeakKeyDictionary[Engine, PageCache] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def cache_for(session: Session) -> PageCache:
    """The one cache of this session's engine (created on first use)."""
    engine = session.get_bind().engine
    with _GUARD:
        found = _CACHES.get(engine)
        if found is None:
            found = _CACHES[engine] = PageCache()
        return found


class NotCached(Exception):
    """Raised by :func:`cached_read` with ``only_cached=True`` when the value must be built.

    Not a :class:`filiform.errors.FiliformError`: it is a signal to the caller (try again
    where building is allowed), never an answer to a user.
    """


def cached_read(
    session: Session,
    *,
    actor: Actor,
    key: tuple[Hashable, ...] | None,
    build: Callable[[], T],
    only_cached: bool = False,
) -> T:
    """``build()``'s value, reused while ``key`` holds, with the read entries it wrote
    recorded again for ``actor`` on every reuse (see the module doc).

    ``only_cached=True`` never builds: without a usable cached value it raises
    :class:`NotCached` before recording anything (a caller on the event loop tries the
    cheap path there and builds in a worker thread otherwise).
    """
    queued = session.info.get(DEFERRED_AUDIT)
    if key is None or queued is None:  # not a read request: nothing to capture, build as always
        if only_cached:
            raise NotCached
        return build()
    cache = cache_for(session)
    found = cache.get(key)
    if found is None and only_cached:
        raise NotCached
    if found is not None:
        for r in found.reads:
            audit.record(
                session,
                actor=actor,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                patient_id=r.patient_id,
                detail=json.loads(r.detail),
            )
        return found.value  # type: ignore[no-any-return]
    start = len(queued)
    value = build()
    written: list[audit.Pending] = queued[start:]
    if all(e.action == "read" and e.chain == actor.clinic_id and e.rows is None for e in written):
        reads = tuple(_Read(e.action, e.entity, e.entity_id, e.patient_id, e.detail) for e in written)
        cache.put(key, _Entry(value, reads))
    return value
