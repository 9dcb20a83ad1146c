"""The patient's current needling decision, as the header and the session form show it.

Why one function: the header of every patient page, the session form and the API must say
the same thing in the same words, and a patient who must not be needled must never look
"ready" (a green "Screened" pill above a "Record session" button). The decision is the
latest screening's frozen result (the most restrictive over every technique and screened
site) together with a valid consent today; no screening, or no consent, is do not needle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import local_date
from filiform.core.planning.loader import load_techniques
from filiform.core.safety.decision import Decision, ScreeningResult
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records.clinic_settings import zone_of
from filiform.services.records.clinical import valid_consent
from filiform.storage.models import Screening

Level = Literal["go", "caution", "do_not_needle"]
HEADLINE = {"go": "Go", "caution": "Caution", "do_not_needle": "Do not needle"}


@dataclass(frozen=True)
class NeedlingStatus:
    """``level`` picks the colour (go green, caution amber, do not needle red); ``words`` and
    ``detail`` say it, so colour is never the only signal."""

    level: Level
    words: str
    detail: tuple[str, ...] = ()
    screened_on: date | None = None
    blocked: tuple[str, ...] = ()  # techniques the screening does not allow

    @property
    def headline(self) -> str:
        return HEADLINE[self.level]

    @property
    def may_needle(self) -> bool:
        return self.level != "do_not_needle"


def status_from(decision: dict[str, Any] | None, screened_on: date | None, consent: bool) -> NeedlingStatus:
    """The status from a screening's frozen decision (None: no screening) and the consent."""
    if decision is None:
        return NeedlingStatus("do_not_needle", "Not screened: do not needle until the patient is screened")
    try:
        result = ScreeningResult.model_validate(decision)
    except ValidationError:
        return NeedlingStatus(
            "do_not_needle", "Screening out of date: screen again before needling", screened_on=screened_on
        )
    blocked = tuple(t.technique.value for t in result.techniques if t.decision == Decision.DO_NOT_NEEDLE)
    reasons = tuple(r.shown for r in result.blocking_reasons())
    since = f" (screened {screened_on:%d %b %Y})" if screened_on else ""
    if not consent:
        return NeedlingStatus("do_not_needle", f"No valid consent: do not needle{since}", reasons, screened_on, blocked)
    if blocked and len(blocked) == len(result.techniques):
        return NeedlingStatus("do_not_needle", f"Do not needle{since}", reasons, screened_on, blocked)
    if blocked:
        known = load_techniques()
        names = ", ".join(known[t].name if t in known else t for t in blocked)
        rest = "caution" if result.decision != Decision.GO and _others_caution(result) else "go"
        words = f"Do not needle: {names}; {rest} for other techniques{since}"
        return NeedlingStatus("do_not_needle", words, reasons, screened_on, blocked)
    if result.decision == Decision.CAUTION:
        cautions = tuple(dict.fromkeys(r.shown for t in result.techniques for r in t.reasons))
        return NeedlingStatus("caution", f"Caution: precautions apply{since}", cautions[:8], screened_on)
    return NeedlingStatus("go", f"Go{since}", (), screened_on)


def _others_caution(result: ScreeningResult) -> bool:
    return any(t.decision == Decision.CAUTION for t in result.techniques)


def needling_status(session: Session, *, actor: Actor, patient_id: int, now: datetime | None = None) -> NeedlingStatus:
    """The patient's current status (one indexed query for the screening; one audited read)."""
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    zone = zone_of(session, actor.clinic_id)
    today = local_date(now or datetime.now(UTC), zone)
    latest = session.execute(
        sa.select(Screening.decision, Screening.screened_at)
        .where(Screening.patient_id == patient_id)
        .order_by(Screening.screened_at.desc(), Screening.id.desc())
        .limit(1)
    ).first()
    consent = valid_consent(session, patient_id, today) is not None
    audit.record(
        session, actor=actor, action="read", entity="needling_status", entity_id=patient_id, patient_id=patient_id
    )
    if latest is None:
        return status_from(None, None, consent)
    return status_from(latest.decision, local_date(latest.screened_at, zone), consent)
