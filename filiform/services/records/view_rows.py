"""A patient's rows read straight into their views: Core selects of the view's columns.

Why: the patient page after a change (a page-cache miss) spent about half its time in
:func:`filiform.services.records.reads.timeline`, most of it building ORM objects (about
sixty per patient: sessions, needles, circuits) and building the same statements again
on every call, only to copy their attributes into frozen views.  Every view field is a
column of its table (``tests/services/test_view_rows.py`` checks it), so a select of
exactly those columns, built once, gives rows the views validate directly
(``from_attributes`` reads a row's columns as attributes), with the column types'
conversions applied as the ORM applies them.

The session's pending ORM changes are flushed first, as the ORM's own queries would, so a
read after a write in the same unit of work sees the write.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.services.records.views import CircuitView, InsertionView, SessionView, View
from filiform.storage.models import TreatmentSession
from filiform.storage.models_clinical import ElectricalCircuitRecord, InsertionRecord

V = TypeVar("V", bound=View)

_SESSION = cast(sa.Table, TreatmentSession.__table__)
_NEEDLE = cast(sa.Table, InsertionRecord.__table__)
_CIRCUIT = cast(sa.Table, ElectricalCircuitRecord.__table__)
_SESSION_FIELDS = tuple(name for name in SessionView.model_fields if name not in ("insertions", "circuits"))


def _columns(view: type[View], table: sa.Table, *extra: str) -> list[sa.Column[Any]]:
    names = [*(n for n in view.model_fields if n in table.c), *(e for e in extra if e not in view.model_fields)]
    return [table.c[n] for n in names]


@cache
def _newest_first(view: type[View], table: sa.Table, order: str) -> sa.Select[Any]:
    """The view's columns of one patient's rows, newest first (built once per view)."""
    return (
        sa.select(*_columns(view, table))
        .where(table.c.patient_id == sa.bindparam("patient_id"))
        .order_by(table.c[order].desc(), table.c.id.desc())
    )


def _execute(s: Session, stmt: sa.Executable, params: dict[str, Any]) -> sa.CursorResult[Any]:
    s.flush()  # as the ORM's autoflush: this unit of work's own writes are read back
    return s.connection().execute(stmt, params)


def views_of(s: Session, view: type[V], model: type[Any], order: str, patient_id: int) -> tuple[V, ...]:
    """The patient's ``model`` rows as ``view``, newest ``order`` first (then newest id)."""
    table = cast(sa.Table, model.__table__)
    rows = _execute(s, _newest_first(view, table, order), {"patient_id": patient_id})
    return tuple(view.model_validate(row) for row in rows)


_SESSIONS = (
    sa.select(*_columns(SessionView, _SESSION))
    .where(_SESSION.c.patient_id == sa.bindparam("patient_id"))
    .order_by(_SESSION.c.started_at.desc(), _SESSION.c.id.desc())
)
_NEEDLES = (
    sa.select(*_columns(InsertionView, _NEEDLE, "id", "session_id"))
    .where(_NEEDLE.c.session_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_NEEDLE.c.session_id, _NEEDLE.c.seq)
)
_CIRCUITS = (
    sa.select(_CIRCUIT)
    .where(_CIRCUIT.c.session_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_CIRCUIT.c.session_id, _CIRCUIT.c.seq)
)


def session_views(s: Session, patient_id: int) -> tuple[SessionView, ...]:
    """The patient's sessions, newest first, each with its needles and circuits (three queries)."""
    sessions = list(_execute(s, _SESSIONS, {"patient_id": patient_id}))
    if not sessions:
        return ()
    ids = {"ids": [row.id for row in sessions]}
    needles: dict[int, list[Any]] = {}
    for row in _execute(s, _NEEDLES, ids):
        needles.setdefault(row.session_id, []).append(row)
    circuits: dict[int, list[Any]] = {}
    for row in _execute(s, _CIRCUITS, ids):
        circuits.setdefault(row.session_id, []).append(row)
    return tuple(assemble(row, needles.get(row.id, ()), circuits.get(row.id, ())) for row in sessions)


def assemble(row: Any, insertions: Sequence[Any], circuits: Sequence[Any]) -> SessionView:
    """A session's view from its row, its needles (by ``seq``) and its circuits (leads
    shown as needle numbers); rows may be ORM objects or Core rows."""
    seq_of = {i.id: i.seq for i in insertions}
    circuit_views = tuple(
        CircuitView(
            seq=c.seq,
            label=f"circuit {c.seq}",
            lead_a=seq_of[c.lead_a_id],
            lead_b=seq_of.get(c.lead_b_id) if c.lead_b_id is not None else None,
            frequency_hz=c.frequency_hz,
            pulse_width_us=c.pulse_width_us,
            intensity_ma=c.intensity_ma,
            duration_s=c.duration_s,
            migrated_from=c.migrated_from,
        )
        for c in circuits
    )
    return SessionView.model_validate(
        {
            **{name: getattr(row, name) for name in _SESSION_FIELDS},
            "insertions": tuple(InsertionView.model_validate(i) for i in insertions),
            "circuits": circuit_views,
        }
    )
