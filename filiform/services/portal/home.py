"""Questionnaires completed at home: the same scoring code, stored with ``source = 'home'``.

The total comes from :func:`filiform.core.outcomes.score` (exactly as for a clinic entry);
the row's ``created_by`` is the staff member behind the link (who asked for it), and the
audit trail says the patient answered it.  Trend plots mark these points as home.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from filiform.core.concepts import OutcomeDetails
from filiform.core.concepts.clock import local_date
from filiform.errors import Conflict, PermissionDenied
from filiform.services.portal.links import MEASURE_PREFIX, audit_patient, mark_done
from filiform.services.records.clinic_settings import zone_of
from filiform.services.records.outcomes import scored
from filiform.storage.models import OutcomeResponse, PortalLink


def instruments_of(link: PortalLink) -> list[str]:
    return [f[len(MEASURE_PREFIX) :] for f in link.forms if f.startswith(MEASURE_PREFIX)]


def submit_measure(
    session: Session, *, link: PortalLink, instrument_id: str, answers: dict[str, Any], now: datetime
) -> OutcomeResponse:
    """Score and store one questionnaire the link was sent for (once)."""
    form = f"{MEASURE_PREFIX}{instrument_id}"
    if form not in link.forms:
        raise PermissionDenied("this link was not sent for that questionnaire")
    if form in link.done:
        raise Conflict("this questionnaire has already been answered")
    entered = OutcomeDetails.parse(
        {
            "instrument_id": instrument_id,
            "answers": answers,
            "completed_on": local_date(now, zone_of(session, link.clinic_id)),
        }
    )
    stored, result = scored(entered)  # the same concept and scorer as an outcome entered in the clinic
    row = OutcomeResponse(
        clinic_id=link.clinic_id,
        patient_id=link.patient_id,
        episode_id=None,
        instrument_id=entered.instrument_id,
        answers=stored,
        total=result.total,
        completed_on=entered.completed_on,
        created_by=link.created_by,
        source="home",
    )
    session.add(row)
    session.flush()
    mark_done(session, link, form, now)
    audit_patient(session, link, "submit", "outcome_response", row.id, {"instrument": instrument_id})
    return row
