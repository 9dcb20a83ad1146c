"""Billing summary: one CPT code per session from distinct muscles, billable ICD-10-CM.

Counting rules (docs/fhir.md has the sources): 20560 for 1 or 2 muscles, 20561 for 3 or
more; the number of needles or insertions does not count; one code per session, never
both. A muscle needled on both sides counts as two (common advice, not confirmed by the
AMA: the CSV says which sessions depend on it). Tendons, nerves, periarticular tissue and
scars are not muscles. Only code numbers are shipped, never the AMA descriptor text.
ICD-10-CM header codes (M79.1, M54.5...) are not billable: a claim needs a leaf code.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from sqlalchemy.engine import Connection, Engine

from filiform.core.kb.loader import load_kb
from filiform.fhir.codes import tables
from filiform.services.access.context import Actor
from filiform.services.operations import audit
from filiform.services.records import streams
from filiform.storage.engine import session_factory, transaction


@lru_cache(maxsize=1)
def targets() -> dict[str, tuple[str, str]]:
    """Knowledge-base target id -> (name, kind)."""
    return {t.id: (t.name, t.kind) for t in load_kb().targets.values()}


def target_name(target_id: str) -> str:
    found = targets().get(target_id)
    return found[0] if found else target_id.replace("_", " ")


@dataclass(frozen=True)
class MuscleCount:
    muscles: int
    bilateral_counted_twice: bool
    unknown_targets: tuple[str, ...]
    non_muscle_targets: tuple[str, ...]


def count_muscles(insertions: Iterable[Mapping[str, Any]]) -> MuscleCount:
    """Distinct (muscle, side) pairs; 'bilateral' is left + right."""
    known = targets()
    sites: set[tuple[str, str]] = set()
    unknown: set[str] = set()
    other: set[str] = set()
    for ins in insertions:
        target, side = ins["target_id"], ins["side"]
        kind = known.get(target, ("", "muscle" if not known else "?"))[1]
        if kind == "?":
            unknown.add(target)
        elif kind != "muscle":
            other.add(target)
            continue
        for one in ("left", "right") if side == "bilateral" else (side,):
            sites.add((target, one))
    names = {t for t, _ in sites}
    return MuscleCount(len(sites), len(names) != len(sites), tuple(sorted(unknown)), tuple(sorted(other)))


def cpt_code(muscles: int) -> str | None:
    cpt = tables()["cpt"]
    if muscles <= 0:
        return None
    return str(cpt["one_or_two_muscles"] if muscles <= 2 else cpt["three_or_more_muscles"])


def icd_status(code: str) -> str:
    """'billable' (a confirmed leaf), 'header' (has children: not billable) or 'unverified'."""
    data = tables()
    if code in data["icd10cm_billable"]:
        return "billable"
    if code in data["icd10cm_headers"] or any(
        leaf.startswith(code) and leaf != code for leaf in data["icd10cm_billable"]
    ):
        return "header"
    return "unverified"


CSV_FIELDS = (
    "session_id",
    "patient_id",
    "episode_id",
    "date",
    "distinct_muscles",
    "cpt",
    "cpt_units",
    "icd10cm_billable",
    "icd10cm_not_billable",
    "icd10cm_unverified",
    "flags",
)


def session_line(
    session: Mapping[str, Any], insertions: list[Mapping[str, Any]], icd_codes: list[str]
) -> dict[str, Any]:
    count = count_muscles(insertions)
    code = cpt_code(count.muscles)
    status = {c: icd_status(c) for c in icd_codes}
    flags = []
    if count.bilateral_counted_twice:
        flags.append("bilateral muscle counted twice")
    if count.unknown_targets:
        flags.append("target not in KB: " + " ".join(count.unknown_targets))
    if count.non_muscle_targets:
        flags.append("not a muscle: " + " ".join(count.non_muscle_targets))
    if code is None:
        flags.append("no muscle needled: no CPT code")
    if not any(s == "billable" for s in status.values()):
        flags.append("no billable ICD-10-CM code")
    started = session["started_at"]
    return {
        "session_id": session["id"],
        "patient_id": session["patient_id"],
        "episode_id": session["episode_id"] or "",
        "date": started.date().isoformat(),
        "distinct_muscles": count.muscles,
        "cpt": code or "",
        "cpt_units": 1 if code else 0,
        "icd10cm_billable": " ".join(c for c, s in status.items() if s == "billable"),
        "icd10cm_not_billable": " ".join(c for c, s in status.items() if s == "header"),
        "icd10cm_unverified": " ".join(c for c, s in status.items() if s == "unverified"),
        "flags": "; ".join(flags),
    }


def write_csv(lines: Iterator[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    n = 0
    for line in lines:
        writer.writerow(line)
        n += 1
    return n


def lines(conn: Connection, clinic_id: int) -> Iterator[dict[str, Any]]:
    """One CSV line per session of the clinic, in session order."""
    codes = streams.episode_codes(conn, clinic_id)
    for session, insertions, _circuits in streams.sessions(conn, clinic_id):
        yield session_line(session, insertions, codes.get(session["episode_id"], []))


def billing_csv(engine: Engine, *, actor: Actor, out: IO[str]) -> int:
    """Write the clinic's billing summary (audited: it discloses who was treated when)."""
    streams.require_export(actor)
    with transaction(session_factory(engine)) as s:
        audit.record(s, actor=actor, action="export", entity="billing_csv")
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn, conn.begin():
        return write_csv(lines(conn, actor.clinic_id), out)
