"""One diagnosis per episode: the codes a clinician may choose, and what a claim must not carry.

A condition lists several ICD-10-CM codes (right, left, bilateral, unspecified; intractable
or not). A claim carries one, chosen by the clinician, who knows the side and the
specificity. This module says which codes are on offer for an episode and checks a claim
line against the shipped FY2026 tabular (``data/codes/icd10cm_fy2026.yaml``): header
codes are not billable, Excludes1 notes forbid two codes together, and a one-sided code
must not contradict the side that was needled.

>>> [e.code for e in candidates("lateral_elbow_tendinopathy", [])]
['M77.11', 'M77.12', 'M77.10']
>>> [e.code for e in candidates("my own words", ["M17"])]
['M17.0', 'M17.10', 'M17.11', 'M17.12', 'M17.9']
>>> code_status("M79.1"), code_status("M79.12"), code_status("Z99.9")
('header', 'billable', 'unverified')
>>> excludes1_conflicts(["M54.31", "M54.41"])
[('M54.31', 'M54.41', 'sciatica with lumbago (M54.4-)')]
>>> laterality_conflict("M77.11", ["left"])
'M77.11 is a right-side code but the session needled the left side'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from filiform.core.planning.codes import IcdEntry, load_icd10cm
from filiform.core.planning.loader import load_conditions
from filiform.core.planning.models import Condition

_REF = re.compile(r"\(([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(?:\.?-)?\)")


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Condition]:
    out: dict[str, Condition] = {}
    for condition in load_conditions().values():
        out[condition.id.lower()] = condition
        out[condition.name.lower()] = condition
    return out


def find_condition(text: str) -> Condition | None:
    """The knowledge-base condition an episode names (by id or name, any case), if any."""
    return _by_name().get(text.strip().lower())


def _leaves_under(code: str) -> list[IcdEntry]:
    tab = load_icd10cm()
    entry = tab.entry(code)
    if entry is not None:
        return [entry] if entry.billable else []
    return [e for e in tab.codes if e.billable and e.code.startswith(code) and e.code != code]


def candidates(condition: str, listed: Iterable[str]) -> tuple[IcdEntry, ...]:
    """The billable codes a clinician may choose for an episode, in a stable order.

    The condition's own codes first (when the episode names a knowledge-base condition),
    then the episode's recorded codes, a header standing for its billable leaves. Codes
    the shipped tabular does not hold are never offered.
    """
    found = find_condition(condition)
    codes = [*(found.icd10cm if found else ()), *listed]
    out: dict[str, IcdEntry] = {}
    for code in codes:
        for entry in _leaves_under(code):
            out.setdefault(entry.code, entry)
    return tuple(out.values())


def code_status(code: str) -> str:
    """``billable`` (a leaf of the tabular), ``header`` (has children) or ``unverified``."""
    tab = load_icd10cm()
    entry = tab.entry(code)
    if entry is not None:
        return "billable" if entry.billable else "header"
    if tab.header(code) is not None or any(e.code.startswith(code) for e in tab.codes):
        return "header"
    return "unverified"


def _notes(code: str) -> list[str]:
    """Excludes1 notes that apply to ``code``: its own and every ancestor's in the tabular."""
    tab = load_icd10cm()
    notes: list[str] = []
    entry = tab.entry(code)
    if entry is not None:
        notes.extend(entry.excludes1)
    for header in tab.headers:
        if code.startswith(header.code) and code != header.code:
            notes.extend(header.excludes1)
    return notes


def excludes1_conflicts(codes: Sequence[str]) -> list[tuple[str, str, str]]:
    """(code, other code, the Excludes1 note) for every pair the tabular forbids together."""
    out: list[tuple[str, str, str]] = []
    for code in codes:
        for note in _notes(code):
            for ref in _REF.findall(note):
                out.extend((code, other, note) for other in codes if other != code and other.startswith(ref))
    return out


def laterality_conflict(code: str, sides: Iterable[str]) -> str | None:
    """Why a one-sided code contradicts the needled sides (midline ignored), or None."""
    entry = load_icd10cm().entry(code)
    needled = {s for side in sides for s in (("left", "right") if side == "bilateral" else (side,))}
    needled &= {"left", "right"}
    if entry is None or entry.laterality not in ("left", "right") or not needled:
        return None
    other = "left" if entry.laterality == "right" else "right"
    if other in needled:
        return f"{code} is a {entry.laterality}-side code but the session needled the {other} side"
    return None


def unspecified_side(code: str, sides: Iterable[str]) -> str | None:
    """A code of unspecified side although the session's side is known (a payer may refuse it)."""
    entry = load_icd10cm().entry(code)
    if entry is None or entry.laterality != "unspecified":
        return None
    known = sorted({s for s in sides if s in ("left", "right", "bilateral")})
    return f"{code} does not say the side; the session needled {'/'.join(known)}" if known else None
