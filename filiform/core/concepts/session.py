"""A needling session as documented: when, pain before and after, notes, needles and circuits.

:class:`NeedlingSession` is what every face builds and the session service stores; its
validator checks each needle (:class:`~filiform.core.concepts.insertion.Insertion`), each
circuit and that the circuits fit the needles. Consent, screening, the plan and the safety
engine are checked by the service, which has the record at hand.

A new session says a little more than the records it may have been imported from:
:func:`new_session_problems` is what a session recorded now must also satisfy (each needle
on one side or the midline; every needle that carries a current on a lead pair), while
older records that lack it still read and import.

>>> needle = {"target_id": "extensor_digitorum", "side": "bilateral", "technique": "pens",
...           "needle_length_mm": 30, "needle_gauge_mm": 0.3, "depth_mm": 10}
>>> session = NeedlingSession.parse({"started_at": "2026-03-02T10:00:00+00:00", "insertions": [needle]})
>>> for problem in new_session_problems(session):
...     print(problem)
Needle 1: name one side or the midline (a needle is on one side; 'bilateral' is kept only for older records)
Needle 1: pens carries a current: give its lead pair (the two needles the current joins)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from filiform.core.concepts.circuit import ElectricalCircuit, circuit_problems
from filiform.core.concepts.insertion import Insertion
from filiform.core.concepts.side import Laterality
from filiform.core.concepts.values import Code, IsoDateTime, Note, PainScore, RecordId, Strict, as_tuple

MAX_NEEDLES = 100
MAX_CIRCUITS = 50
MAX_FINDINGS = 200
MIN_OVERRIDE_REASON = 20


class SessionDetails(Strict):
    """The session's own fields (amendable ones: pain, response, notes)."""

    started_at: IsoDateTime
    pain_pre: PainScore | None = None
    pain_post: PainScore | None = None
    patient_response: Note | None = None
    notes: Note | None = None
    episode_id: RecordId | None = None
    screening_id: RecordId | None = None
    override_justification: Note | None = None
    clinician_id: RecordId | None = None


AMENDABLE = frozenset({"pain_pre", "pain_post", "patient_response", "notes"})


class PlanReference(Strict):
    """The plan a session was done under, as the plan page names it (it is rebuilt from this).

    ``findings`` are the plan page's ``muscle:side:kind`` ticks.
    """

    condition: Code
    side: Annotated[str, Field(pattern=r"^(left|right)$")] | None = None
    drawing_id: RecordId | None = None
    findings: Annotated[
        tuple[Annotated[str, Field(max_length=120)], ...], BeforeValidator(as_tuple), Field(max_length=MAX_FINDINGS)
    ] = ()


class OverrideReason(Strict):
    """The clinician's written reason for one safety problem the engine found at saving.

    ``problem`` is the problem's key as the service reported it (``depth_beyond_plan:2``).
    """

    problem: Annotated[str, Field(min_length=1, max_length=200)]
    reason: Annotated[Note, Field(min_length=MIN_OVERRIDE_REASON)]


class NeedlingSession(SessionDetails):
    """A session with its needles (numbered 1.. in order) and the lead pairs between them.

    ``plan`` names the plan it was done under (None: not from a plan; the targets' usual
    ranges apply); ``ultrasound_guided`` records that ultrasound guided the needles (an
    ultrasound-only target needs it); ``override_reasons`` answer the problems the safety
    engine reported, one reason each; ``form_key`` is the form's own id, so a second click
    on save returns the first session.
    """

    insertions: Annotated[tuple[Insertion, ...], BeforeValidator(as_tuple), Field(min_length=1, max_length=MAX_NEEDLES)]
    circuits: Annotated[tuple[ElectricalCircuit, ...], BeforeValidator(as_tuple), Field(max_length=MAX_CIRCUITS)] = ()
    plan: PlanReference | None = None
    ultrasound_guided: bool = False
    override_reasons: Annotated[
        tuple[OverrideReason, ...], BeforeValidator(as_tuple), Field(max_length=MAX_NEEDLES * 4)
    ] = ()
    form_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")] | None = None

    @model_validator(mode="after")
    def _circuits_fit_needles(self) -> NeedlingSession:
        found = circuit_problems(self.circuits, self.insertions)
        if found:
            raise ValueError("; ".join(found))
        return self


def new_session_problems(session: NeedlingSession) -> list[str]:
    """What a session recorded now must satisfy beyond what older records held.

    A needle is on one side or the midline (``bilateral`` rows exist only from before one
    needle per row); every needle that carries a current (electrical dry needling, PENS,
    percutaneous electrolysis) is on a lead pair, so the record says where each current
    flowed and the safety rules can check its path.
    """
    out: list[str] = []
    paired = {lead for c in session.circuits for lead in (c.lead_a, c.lead_b)}
    for n, needle in enumerate(session.insertions, 1):
        if needle.side is Laterality.BILATERAL:
            out.append(
                f"Needle {n}: name one side or the midline "
                "(a needle is on one side; 'bilateral' is kept only for older records)"
            )
        if needle.technique.is_electrical and n not in paired:
            out.append(
                f"Needle {n}: {needle.technique.value} carries a current: "
                "give its lead pair (the two needles the current joins)"
            )
    return out
