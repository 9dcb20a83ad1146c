"""TOTP second factor: enrolment, confirmation, checking a code, turning it off.

Secrets are stored sealed (AES-GCM, key outside the database: :mod:`.secrets`), so a copy
of the database cannot mint codes; rows written before sealing existed are still read and
are sealed the next time a code from them is accepted.  A code is never accepted twice.

Changing an enrolment that is in force (a new secret, or turning it off) needs the
password and a current code (:mod:`.accounts`): otherwise anyone holding a live session
could replace the second factor and log in later with the password alone.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from datetime import UTC, datetime

import pyotp
from sqlalchemy.orm import Session

from filiform.errors import PermissionDenied, ValidationFailed
from filiform.services.access import secrets as keys
from filiform.services.access.context import Actor
from filiform.services.operations import audit
from filiform.storage.models import User
from filiform.storage.models_auth import UserTotp

ISSUER = "Filiform"
TOTP_COLUMN_LENGTH = 64  # user_totp.secret is VARCHAR(64)

log = logging.getLogger("filiform.auth")


def _database_url(session: Session) -> str:
    return audit.database_url(session)


def _totp_key(session: Session) -> bytes:
    return keys.subkey(keys.master_key(_database_url(session)), "totp-secret")


def _totp_context(user_id: int) -> bytes:
    """Authenticated data: a sealed secret copied to another user's row does not open."""
    return f"user_totp:{user_id}".encode()


def _seal_totp(session: Session, user_id: int, secret: str) -> str | None:
    """The stored form of a base32 secret; None when it would not fit the column.

    Why the raw bytes and not the base32 text: 20 bytes sealed fit VARCHAR(64) (see
    :func:`filiform.services.access.secrets.seal`); the base32 text would not.
    """
    try:
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    except (binascii.Error, ValueError):
        return None
    sealed = keys.seal(_totp_key(session), raw, context=_totp_context(user_id))
    return sealed if len(sealed) <= TOTP_COLUMN_LENGTH else None


def _totp_secret(session: Session, row: UserTotp) -> str:
    """The base32 secret of a row, sealed (``v1:``) or legacy plain text."""
    if not keys.is_sealed(row.secret):
        return row.secret
    raw = keys.unseal(_totp_key(session), row.secret, context=_totp_context(row.user_id))
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _check_totp(session: Session, row: UserTotp, code: str, at: datetime) -> bool:
    """Accept a current, unused code; a legacy plain-text row is sealed on success.

    Sealing waits for a good code so that a row whose plain text is not a usable secret
    is never rewritten into something nobody can check any more.
    """
    secret = _totp_secret(session, row)
    totp = pyotp.TOTP(secret)
    code = code.strip().replace(" ", "")
    current = totp.timecode(at)
    for step in (current - 1, current, current + 1):
        if step > row.last_step and hmac.compare_digest(totp.generate_otp(step), code):
            row.last_step = step
            if not keys.is_sealed(row.secret):
                sealed = _seal_totp(session, row.user_id, secret)
                if sealed is None:
                    log.warning(
                        "TOTP secret of user %s left unsealed: longer than the column allows; re-enrol to seal it",
                        row.user_id,
                    )
                else:
                    row.secret = sealed
            return True
    return False


def enable_totp(session: Session, *, actor: Actor) -> str:
    """Start (or restart) TOTP enrolment: a new secret, its provisioning URI to show as a
    QR code.  Login asks for codes only after :func:`confirm_totp`.  Callers check first
    that the user may change the factor (:func:`filiform.services.access.accounts.start_totp`)."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise PermissionDenied("unknown user")
    secret = pyotp.random_base32()  # 32 characters = 20 bytes, which seal into the column
    stored = _seal_totp(session, actor.user_id, secret)
    assert stored is not None
    row = session.get(UserTotp, actor.user_id)
    if row is None:
        session.add(UserTotp(user_id=actor.user_id, secret=stored, confirmed_at=None, last_step=0))
    else:
        row.secret, row.confirmed_at, row.last_step = stored, None, 0
    session.flush()
    audit.record(session, actor=actor, action="totp_enrol", entity="user", entity_id=user.id)
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def confirm_totp(session: Session, *, actor: Actor, code: str, now: datetime | None = None) -> None:
    """Activate the pending secret once the user shows a code generated from it."""
    row = session.get(UserTotp, actor.user_id)
    if row is None:
        raise ValidationFailed("start TOTP enrolment first")
    if not _check_totp(session, row, code, now or datetime.now(UTC)):
        raise ValidationFailed("wrong or reused code")
    row.confirmed_at = now or datetime.now(UTC)
    audit.record(session, actor=actor, action="totp_confirm", entity="user", entity_id=actor.user_id)


def totp_enabled(session: Session, *, user_id: int) -> bool:
    row = session.get(UserTotp, user_id)
    return row is not None and row.confirmed_at is not None


def check_code(session: Session, *, user_id: int, code: str, now: datetime | None = None) -> bool:
    """Accept a current, unused code of the user's confirmed enrolment."""
    row = session.get(UserTotp, user_id)
    if row is None or row.confirmed_at is None:
        return False
    return _check_totp(session, row, code, now or datetime.now(UTC))


def disable_totp(session: Session, *, actor: Actor) -> None:
    """Remove the enrolment (callers have checked password and code)."""
    row = session.get(UserTotp, actor.user_id)
    if row is not None:
        session.delete(row)
        session.flush()
    audit.record(session, actor=actor, action="totp_disable", entity="user", entity_id=actor.user_id)
