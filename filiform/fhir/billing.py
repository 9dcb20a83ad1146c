"""Billing summary: one CPT code per session from distinct muscles, billable ICD-10-CM.

Counting rules (docs/fhir.md has the sources): 20560 for 1 or 2 muscles, 20561 for 3 or
more; the number of needles or insertions does not count; one code per session, never
both. A muscle needled on both sides counts as two (common advice, not confirmed by the
AMA: the CSV says which sessions depend on it). Tendons, nerves, periarticular tissue and
scars are not muscles. Only code numbers are shipped, never the AMA descriptor text.
ICD-10-CM: a claim line carries the episode's one chosen diagnosis, checked against the
shipped FY2026 tabular (header codes, Excludes1 pairs, a side contradicting the needles,
a code outside the condition's candidates); an episode without a choice is flagged. CPT
20560/20561 are not reported with acupuncture codes 97810-97814 in the same encounter.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from sqlalchemy.engine import Connection, Engine

from filiform.core.kb.loader import load_kb
from filiform.core.planning import diagnosis
from filiform.errors import ValidationFailed
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


ACUPUNCTURE_CPT = frozenset({"97810", "97811", "97813", "97814"})
CSV_FIELDS = (
    "session_id",
    "patient_id",
    "episode_id",
    "date",
    "distinct_muscles",
    "cpt",
    "cpt_units",
    "diagnosis",
    "icd10cm_billable",
    "icd10cm_not_billable",
    "icd10cm_unverified",
    "flags",
)


def _code_flags(condition: str, listed: list[str], chosen: str | None, sides: list[str]) -> tuple[list[str], list[str]]:
    """(codes on the line, flags): the chosen diagnosis, or the recorded codes flagged as not a claim."""
    flags: list[str] = []
    if chosen:
        codes = [chosen]
        if chosen not in {e.code for e in diagnosis.candidates(condition, listed)}:
            flags.append(f"diagnosis {chosen} is not among the condition's candidates")
        for problem in (diagnosis.laterality_conflict(chosen, sides), diagnosis.unspecified_side(chosen, sides)):
            if problem:
                flags.append(problem)
    else:
        codes = list(listed)
        flags.append("no diagnosis chosen for the episode: the codes listed are candidates, not a claim")
    seen: set[frozenset[str]] = set()
    for code, other, note in diagnosis.excludes1_conflicts(codes):
        if frozenset((code, other)) not in seen:
            seen.add(frozenset((code, other)))
            flags.append(f"Excludes1: {code} with {other} ({note})")
    headers = [c for c in codes if diagnosis.code_status(c) == "header"]
    if headers:
        flags.append("header code (not billable): " + " ".join(headers))
    return codes, flags


def session_line(
    session: Mapping[str, Any],
    insertions: list[Mapping[str, Any]],
    episode: tuple[str, list[str], str | None] | None,
    other_cpt: Iterable[str] = (),
) -> dict[str, Any]:
    """One claim line: CPT from distinct muscles, the episode's diagnosis, and every flag."""
    count = count_muscles(insertions)
    code = cpt_code(count.muscles)
    condition, listed, chosen = episode if episode is not None else ("", [], None)
    codes, flags = _code_flags(condition, listed, chosen, [i["side"] for i in insertions])
    status = {c: diagnosis.code_status(c) for c in codes}
    if count.bilateral_counted_twice:
        flags.append("bilateral muscle counted twice")
    if count.unknown_targets:
        flags.append("target not in KB: " + " ".join(count.unknown_targets))
    if count.non_muscle_targets:
        flags.append("not a muscle: " + " ".join(count.non_muscle_targets))
    if code is None:
        flags.append("no muscle needled: no CPT code")
    acupuncture = sorted(set(other_cpt) & ACUPUNCTURE_CPT)
    if code and acupuncture:
        flags.append(f"{code} with acupuncture {' '.join(acupuncture)} in the same encounter: not reported together")
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
        "diagnosis": chosen or "",
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


def lines(
    conn: Connection, clinic_id: int, encounter_codes: Mapping[int, Iterable[str]] | None = None
) -> Iterator[dict[str, Any]]:
    """One CSV line per session of the clinic, in session order.

    ``encounter_codes``: other CPT codes billed for a session's encounter (session id ->
    codes, from the practice's billing system), so an acupuncture code billed with dry
    needling is flagged on the line.
    """
    episodes = streams.episode_codes(conn, clinic_id)
    others = encounter_codes or {}
    for session, insertions, _circuits in streams.sessions(conn, clinic_id):
        yield session_line(session, insertions, episodes.get(session["episode_id"]), others.get(session["id"], ()))


_CPT = re.compile(r"[0-9]{4}[0-9A-Z]")
MAX_ENCOUNTER_LINES = 1_000_000


def read_encounter_codes(handle: IO[str]) -> dict[int, list[str]]:
    """Parse a CSV with columns ``session_id,cpt`` (one code a line): session id -> codes.

    Why a file: Filiform records dry needling, not the rest of the visit; the practice's
    billing system knows which other codes go on the same encounter. Bad lines refuse the
    whole file (with their line numbers) rather than be skipped.
    """
    try:
        return _encounter_codes(csv.DictReader(handle))
    except csv.Error as exc:
        raise ValidationFailed(f"encounter codes: not a readable CSV ({exc})") from None


def _encounter_codes(reader: csv.DictReader[str]) -> dict[int, list[str]]:
    if reader.fieldnames is None or not {"session_id", "cpt"} <= set(reader.fieldnames):
        raise ValidationFailed("encounter codes: the CSV needs the columns session_id and cpt")
    out: dict[int, list[str]] = {}
    problems: list[str] = []
    for n, row in enumerate(reader, start=2):
        if n > MAX_ENCOUNTER_LINES:
            raise ValidationFailed(f"encounter codes: more than {MAX_ENCOUNTER_LINES} lines")
        sid, code = (row.get("session_id") or "").strip(), (row.get("cpt") or "").strip()
        if not sid.isdigit() or len(sid) > 18 or not _CPT.fullmatch(code):
            problems.append(f"line {n}: expected a session id and a five-character CPT code, got {sid!r}, {code!r}")
            continue
        out.setdefault(int(sid), []).append(code)
    if problems:
        raise ValidationFailed(f"encounter codes: {len(problems)} bad line(s)", details=problems[:20])
    return out


def billing_csv(
    engine: Engine, *, actor: Actor, out: IO[str], encounter_codes: Mapping[int, Iterable[str]] | None = None
) -> int:
    """Write the clinic's billing summary (audited: it discloses who was treated when)."""
    streams.require_export(actor)
    with transaction(session_factory(engine)) as s:
        audit.record(s, actor=actor, action="export", entity="billing_csv")
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn, conn.begin():
        return write_csv(lines(conn, actor.clinic_id, encounter_codes), out)
