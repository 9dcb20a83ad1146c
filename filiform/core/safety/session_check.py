"""Check a recorded session against the safety engine before it is saved (pure).

Services call :func:`check_session` with the screening answers in force, the session's own
needles, circuits and planned depth ranges. Each problem is either ``refused`` (nothing
may override it: no screening, no consent, a prohibited site, the second side of the
thorax, a depth past the cap over the lung, an ultrasound-only target without ultrasound)
or ``needs_reason`` (a written override reason must be stored, audited and printed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from filiform.core.concepts import Technique
from filiform.core.kb.loader import KnowledgeBase, load_kb

from .circuits import CircuitPath
from .decision import Decision, Reason
from .intake import Intake, PatientBody
from .needle import needle_guidance
from .rules import load_rules
from .screening import evaluate
from .sites import PlannedSite, planned_target

ProblemKind = Literal["refused", "needs_reason"]


class InsertionFact(BaseModel):
    """One recorded needle, as the session form or API gives it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    side: Literal["left", "right", "midline", "bilateral"] | None = None
    technique: Technique
    depth_mm: Annotated[float, Field(ge=0, le=150)]
    needle_length_mm: Annotated[float, Field(gt=0, le=150)] | None = None


class PlannedRange(BaseModel):
    """The insertion range the plan gave for one target and side."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_mm: Annotated[float, Field(ge=0)]
    max_mm: Annotated[float, Field(gt=0)]


class SessionProblem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ProblemKind
    rule_id: str
    text: str
    citations: tuple[str, ...] = ()
    site: str | None = None
    insertion: int | None = None


def _from_reason(reason: Reason, insertion: int | None) -> SessionProblem:
    return SessionProblem(
        kind="needs_reason" if reason.overridable else "refused",
        rule_id=reason.rule_id,
        text=reason.text,
        citations=reason.citations,
        site=reason.site,
        insertion=insertion if reason.site_key is not None else None,
    )


def _sites(insertions: Sequence[InsertionFact], kb: KnowledgeBase) -> dict[tuple[str, str | None], PlannedSite]:
    rules = load_rules()
    out: dict[tuple[str, str | None], PlannedSite] = {}
    for ins in insertions:
        side = ins.side if ins.side in ("left", "right") else None
        if (ins.target, side) not in out:
            target = kb.target(ins.target)
            out[(ins.target, side)] = planned_target(
                target, side, rules.noncompressible_targets, rules.noncompressible_depth_mm
            )
    return out


def _depth_problems(
    n: int,
    ins: InsertionFact,
    site: PlannedSite,
    planned: Mapping[str, PlannedRange],
    body: PatientBody,
    kb: KnowledgeBase,
) -> list[SessionProblem]:
    guidance = needle_guidance(kb.target(ins.target), body, kb)
    out: list[SessionProblem] = []
    if guidance.max_safe_depth_mm is not None and ins.depth_mm > guidance.max_safe_depth_mm:
        out.append(
            SessionProblem(
                kind="refused",
                rule_id="depth_beyond_cap",
                text=(
                    f"Recorded depth {ins.depth_mm:g} mm is past the safe depth over the lung for this patient "
                    f"({guidance.max_safe_depth_mm:g} mm)."
                ),
                citations=guidance.citations,
                site=site.label,
                insertion=n,
            )
        )
    rng = planned.get(site.key) or planned.get(ins.target)
    low, high = (rng.min_mm, rng.max_mm) if rng is not None else guidance.insertion_mm
    if ins.depth_mm > high and not out:
        source = "the planned range" if rng is not None else "the target's usual range"
        out.append(
            SessionProblem(
                kind="needs_reason",
                rule_id="depth_beyond_plan",
                text=f"Recorded depth {ins.depth_mm:g} mm is beyond {source} ({low:g}-{high:g} mm).",
                site=site.label,
                insertion=n,
            )
        )
    return out


def check_session(
    intake: Intake | None,
    insertions: Sequence[InsertionFact],
    *,
    on: date,
    circuits: Sequence[CircuitPath] = (),
    planned: Mapping[str, PlannedRange] | None = None,
    body: PatientBody | None = None,
    ultrasound_guided: bool = False,
    kb: KnowledgeBase | None = None,
) -> list[SessionProblem]:
    """Every safety problem of a session; an empty list means it may be saved as it is.

    ``intake`` is the answers of the screening in force (None: no screening recorded).
    ``planned`` maps a planned site key (``target:side``) or a target id to its range.
    """
    if intake is None:
        return [
            SessionProblem(
                kind="refused", rule_id="screening_missing", text="No screening is recorded before this session."
            )
        ]
    kb = kb or load_kb()
    sites = _sites(insertions, kb)
    result = evaluate(intake, list(sites.values()), circuits, on=on, ultrasound=ultrasound_guided, kb=kb)
    body = (body or PatientBody()).with_intake(intake)
    problems: list[SessionProblem] = []
    for n, ins in enumerate(insertions, 1):
        site = sites[(ins.target, ins.side if ins.side in ("left", "right") else None)]
        decided = result.for_site(site.key, ins.technique)
        if decided.decision == Decision.DO_NOT_NEEDLE:
            problems += [_from_reason(r, n) for r in decided.reasons if r.decision == Decision.DO_NOT_NEEDLE]
        problems += _depth_problems(n, ins, site, planned or {}, body, kb)
    for cd in result.circuits:
        problems += [_from_reason(r, None) for r in cd.reasons if r.decision == Decision.DO_NOT_NEEDLE]
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.kind != "refused", p.insertion or 0))
