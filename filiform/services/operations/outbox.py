"""The outbox: e-mails queued in the request, delivered later by the worker.

A page never waits for a mail server: it queues a row and returns.  ``deliver_due`` (run
by ``filiform portal worker``) hands due rows to the SMTP server one by one, each in its
own short transaction, retries with a growing delay and gives up after
:data:`MAX_ATTEMPTS`.  The link inside a message lives in ``link_url`` only until the
message is sent or given up; the stored body keeps :data:`LINK_MARK` in its place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from filiform.core.concepts.clock import Clock
from filiform.core.portal.messages import CONTACT, PHONE, TEMPLATES
from filiform.errors import Conflict, NotFound, ValidationFailed
from filiform.locale import translator
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.storage.engine import transaction
from filiform.storage.models import OutboxMessage

log = logging.getLogger("filiform.outbox")
LINK_MARK = "[[link]]"
MAX_ATTEMPTS = 5
CLAIM_S = 600  # a claimed message is not offered to another worker for this long


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class Delivery:
    sent: int
    retried: int
    failed: int


def render(template: str, lang: str, *, clinic: str, phone: str | None, **values: str) -> tuple[str, str]:
    """(subject, body) of a template in ``lang``; the body keeps :data:`LINK_MARK` for the link."""
    if template not in TEMPLATES:
        raise ValidationFailed(f"unknown e-mail template '{template}'")
    _ = translator(lang)
    contact = _(CONTACT).format(clinic=clinic, phone=_(PHONE).format(phone=phone) if phone else "")
    fields = {"clinic": clinic, "contact": contact, "link": LINK_MARK, "time": "", "expires": "", **values}
    chosen = TEMPLATES[template]
    return _(chosen.subject).format(**fields), _(chosen.body).format(**fields)


def enqueue(
    session: Session,
    *,
    clinic_id: int,
    to: str,
    template: str,
    subject: str,
    body: str,
    lang: str,
    now: datetime,
    patient_id: int | None = None,
    link_url: str | None = None,
    link_id: int | None = None,
    appointment_id: int | None = None,
) -> OutboxMessage:
    address = to.strip()
    if "@" not in address or len(address) > 200 or any(c in address for c in "\r\n ,;"):
        raise ValidationFailed("the patient has no usable e-mail address")
    if (LINK_MARK in body) != (link_url is not None):
        raise ValidationFailed("a message with a link needs the link, and only then")
    row = OutboxMessage(
        clinic_id=clinic_id,
        patient_id=patient_id,
        to_address=address,
        template=template,
        lang=lang,
        subject=subject,
        body=body,
        link_url=link_url,
        link_id=link_id,
        appointment_id=appointment_id,
        status="queued",
        queued_at=now,
        send_after=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=None,
        chain=clinic_id,
        action="queue",
        entity="outbox_message",
        entity_id=row.id,
        patient_id=patient_id,
        detail={"template": template, "link": link_id},
    )
    return row


def _due(sessions: sessionmaker[Session], now: datetime, limit: int) -> list[int]:
    with transaction(sessions) as session:
        stmt = (
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "queued", OutboxMessage.send_after <= now)
            .order_by(OutboxMessage.send_after, OutboxMessage.id)
            .limit(limit)
        )
        return list(session.execute(stmt).scalars())


def _attempt(sessions: sessionmaker[Session], message_id: int, mailer: Mailer, now: datetime) -> str:
    with transaction(sessions) as session:
        # Claim the row first: a second worker (another process, or the one inside
        # ``filiform serve``) finds it not yet due and skips it.  A worker that dies while
        # sending leaves it to be retried after CLAIM_S (at least once, never lost).
        claim = (
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued", OutboxMessage.send_after <= now)
            .values(send_after=now + timedelta(seconds=CLAIM_S))
            .execution_options(synchronize_session=False)
        )
        if getattr(session.execute(claim), "rowcount", 0) != 1:
            return "skipped"
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        to, subject = row.to_address, row.subject
        body = row.body.replace(LINK_MARK, row.link_url or "")
    error: str | None = None
    try:
        mailer.send(to, subject, body)
    except Exception as exc:  # any failure is recorded on the row and retried, never lost
        error = str(exc)[:300] or type(exc).__name__
    with transaction(sessions) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        row.attempts += 1
        if error is None:
            row.status, row.sent_at, row.link_url, row.last_error = "sent", now, None, None
        elif row.attempts >= MAX_ATTEMPTS:
            row.status, row.link_url, row.last_error = "failed", None, error
        else:
            row.last_error, row.send_after = error, now + timedelta(minutes=2**row.attempts)
        audit.record(
            session,
            actor=None,
            chain=row.clinic_id,
            action="deliver" if error is None else "deliver_failed",
            entity="outbox_message",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"attempt": row.attempts, "status": row.status},
        )
        return row.status if error is None or row.status == "failed" else "retried"


def deliver_due(sessions: sessionmaker[Session], mailer: Mailer, clock: Clock, *, limit: int = 100) -> Delivery:
    """Send every due message once; returns how many were sent, put back, or given up."""
    now = clock.now().astimezone(UTC)
    counts = {"sent": 0, "retried": 0, "failed": 0, "skipped": 0}
    for message_id in _due(sessions, now, limit):
        counts[_attempt(sessions, message_id, mailer, now)] += 1
    if counts["failed"]:
        log.warning("outbox: %d message(s) given up", counts["failed"])
    return Delivery(counts["sent"], counts["retried"], counts["failed"])


def messages(session: Session, *, actor: Actor, limit: int = 200) -> list[OutboxMessage]:
    """The clinic's outbox, newest first (what was sent to whom and whether it arrived)."""
    require(actor, Perm.READ_DEMOGRAPHICS)
    stmt = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.clinic_id == actor.clinic_id)
        .order_by(OutboxMessage.queued_at.desc(), OutboxMessage.id.desc())
        .limit(max(1, min(limit, 1000)))
    )
    rows = list(session.execute(stmt).scalars())
    audit.record(session, actor=actor, action="read", entity="outbox", detail={"ids": [r.id for r in rows]})
    return rows


def cancel(session: Session, *, actor: Actor, message_id: int) -> OutboxMessage:
    """Stop a queued message (its link is wiped with it)."""
    require(actor, Perm.WRITE_DEMOGRAPHICS)
    try:
        row = owned(session, OutboxMessage, message_id, actor=actor)
    except NotFound:
        raise
    if row.status != "queued":
        raise Conflict(f"message {message_id} is already {row.status}")
    row.status, row.link_url = "cancelled", None
    session.flush()
    audit.record(
        session, actor=actor, action="cancel", entity="outbox_message", entity_id=row.id, patient_id=row.patient_id
    )
    return row
