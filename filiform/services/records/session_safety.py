"""The safety engine run on a session as it is saved: its own sites, depths and circuits.

Why here: the screening decided per planned site before the visit; what was actually
needled (a deeper insertion, a second side of the thorax, a needle at a site the screening
ruled out, a circuit across the chest) is known only at saving. ``core.safety.check_session``
decides; this module feeds it the session's needles, its lead pairs as paths between two
sites (``circuit_sites``), the ranges of the plan it was done under and the patient's body,
and pairs each problem with the clinician's written reason.

A problem is ``refused`` (no reason can set it aside) or ``needs_reason``; each has a stable
key (``depth_beyond_plan:2``: the rule and the needle, or the circuit) that faces use to
attach a reason to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from filiform.core.concepts import NeedlingSession, circuit_sites
from filiform.core.concepts.session import MIN_OVERRIDE_REASON, OverrideReason, PlanReference
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.core.planning.plan import Plan
from filiform.core.safety.circuits import CircuitPath
from filiform.core.safety.intake import Intake, PatientBody
from filiform.core.safety.rules import load_rules
from filiform.core.safety.session_check import InsertionFact, PlannedRange, SessionProblem, check_session
from filiform.core.safety.sites import planned_target
from filiform.errors import SafetyBlock

__all__ = [
    "MIN_OVERRIDE_REASON",
    "Overridden",
    "SessionRefused",
    "plan_snapshot",
    "problem_key",
    "resolve",
    "session_problems",
]


class SessionRefused(SafetyBlock):
    """The engine found problems: ``problems`` lists them (refused first) with their keys.

    ``details`` carries the same as text (``[key] where: what``), for the API and the CLI.
    """

    def __init__(self, message: str, problems: Sequence[SessionProblem]) -> None:
        super().__init__(message, details=[f"[{problem_key(p)}] {shown(p)}" for p in problems])
        self.problems = list(problems)


@dataclass(frozen=True)
class Overridden:
    """A problem and the reason the clinician wrote for it (stored as a ``session_override``)."""

    problem: SessionProblem
    reason: str


def problem_key(problem: SessionProblem) -> str:
    """``rule:needle`` for a needle's problem, ``rule:circuit-n`` for a circuit's, else ``rule``."""
    if problem.insertion is not None:
        return f"{problem.rule_id}:{problem.insertion}"
    found = re.match(r"circuit (\S+)", problem.site or "")
    return f"{problem.rule_id}:circuit-{found.group(1)}" if found else problem.rule_id


def shown(problem: SessionProblem) -> str:
    """The problem as a clinician reads it: which needle and site, then what."""
    where = f"Needle {problem.insertion}" if problem.insertion is not None else ""
    if problem.site:
        where = f"{where} ({problem.site})" if where else problem.site
    return f"{where}: {problem.text}" if where else problem.text


def plan_snapshot(plan: Plan | None, reference: PlanReference | None, drawing_id: int | None) -> dict[str, Any]:
    """What the session keeps of the plan it was done under: its reference and, per target,
    the planned insertion range, the safe depth cap and its basis (JSON for ``plan``)."""
    if plan is None or reference is None:
        return {"condition": None, "drawing_id": drawing_id, "targets": []}
    return {
        "condition": plan.condition,
        "condition_name": plan.condition_name,
        "side": reference.side,
        "drawing_id": drawing_id,
        "findings": list(reference.findings),
        "targets": [
            {
                "target": t.target,
                "name": t.name,
                "side": t.side,
                "technique": t.technique.value,
                "min_mm": t.needle.insertion_mm[0],
                "max_mm": t.needle.insertion_mm[1],
                "cap_mm": t.needle.max_safe_depth_mm,
                "basis": t.needle.depth_basis,
                "ultrasound_only": t.ultrasound_only,
            }
            for t in plan.targets
        ],
    }


def planned_ranges(snapshot: Mapping[str, Any] | None) -> dict[str, PlannedRange]:
    """The plan's ranges by planned site key (``target:side``, or the target for no side)."""
    out: dict[str, PlannedRange] = {}
    for t in (snapshot or {}).get("targets", ()):
        key = f"{t['target']}:{t['side']}" if t.get("side") else t["target"]
        out[key] = PlannedRange(min_mm=t["min_mm"], max_mm=t["max_mm"])
    return out


def _paths(documented: NeedlingSession, kb: KnowledgeBase) -> list[CircuitPath]:
    """Each lead pair as the path between the two needles' sites (the first site a target names).

    A midline needle has no side: the engine then assumes the path crosses the midline.
    """
    rules = load_rules()
    out = []
    for label, a, b in circuit_sites(documented.circuits, documented.insertions):
        ends = [
            planned_target(
                kb.target(n.target_id), n.side.value if n.side.side else None, rules.noncompressible_targets
            ).sites[0]
            for n in (a, b)
        ]
        out.append(CircuitPath(label=label.removeprefix("circuit "), a=ends[0], b=ends[1]))
    return out


def session_problems(
    intake: Intake | None,
    documented: NeedlingSession,
    *,
    on: date,
    body: PatientBody,
    snapshot: Mapping[str, Any] | None,
    kb: KnowledgeBase | None = None,
) -> list[SessionProblem]:
    """Every problem the engine finds with this session (refused first; empty: none)."""
    kb = kb or load_kb()
    facts = [
        InsertionFact(
            target=n.target_id,
            side=n.side.value,
            technique=n.technique,
            depth_mm=n.depth_mm,
            needle_length_mm=n.needle_length_mm,
        )
        for n in documented.insertions
    ]
    return check_session(
        intake,
        facts,
        on=on,
        circuits=_paths(documented, kb),
        planned=planned_ranges(snapshot),
        body=body,
        ultrasound_guided=documented.ultrasound_guided,
        kb=kb,
    )


def resolve(problems: Sequence[SessionProblem], reasons: Sequence[OverrideReason]) -> list[Overridden]:
    """Pair each problem with its written reason, or refuse the session.

    Raises :class:`SessionRefused` when any problem is ``refused`` (every problem is listed,
    refused first, so all can be fixed at once) or when a ``needs_reason`` problem has no
    reason (those are listed). A reason for a problem
    that no longer exists (the depth was corrected) is not stored.
    """
    refused = [p for p in problems if p.kind == "refused"]
    if refused:
        raise SessionRefused(
            "The session cannot be saved: a safety rule refuses it (no written reason can)", list(problems)
        )
    given = {r.problem: r.reason.strip() for r in reasons}
    missing = [p for p in problems if len(given.get(problem_key(p), "")) < MIN_OVERRIDE_REASON]
    if missing:
        raise SessionRefused(
            "The safety engine found problems with this session: write a reason for each "
            f"(at least {MIN_OVERRIDE_REASON} characters; stored, audited and printed on the note)",
            missing,
        )
    return [Overridden(p, given[problem_key(p)]) for p in problems]
