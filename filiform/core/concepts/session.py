"""A needling session as documented: when, pain before and after, notes, needles and circuits.

:class:`NeedlingSession` is what every face builds and the session service stores; its
validator checks each needle (:class:`~filiform.core.concepts.insertion.Insertion`), each
circuit and that the circuits fit the needles. Consent, screening and the clinician are
checked by the service, which has the record at hand.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from filiform.core.concepts.circuit import ElectricalCircuit, circuit_problems
from filiform.core.concepts.insertion import Insertion
from filiform.core.concepts.values import IsoDateTime, Note, PainScore, RecordId, Strict, as_tuple

MAX_NEEDLES = 100
MAX_CIRCUITS = 50


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


class NeedlingSession(SessionDetails):
    """A session with its needles (numbered 1.. in order) and the lead pairs between them."""

    insertions: Annotated[tuple[Insertion, ...], BeforeValidator(as_tuple), Field(min_length=1, max_length=MAX_NEEDLES)]
    circuits: Annotated[tuple[ElectricalCircuit, ...], BeforeValidator(as_tuple), Field(max_length=MAX_CIRCUITS)] = ()

    @model_validator(mode="after")
    def _circuits_fit_needles(self) -> NeedlingSession:
        found = circuit_problems(self.circuits, self.insertions)
        if found:
            raise ValueError("; ".join(found))
        return self
