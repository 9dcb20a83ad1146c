"""Server-side login sessions, idle log-off, login throttling and optional TOTP.

Both faces (the JSON API and the HTML login form) log in through :func:`login` and find
the acting user with :func:`actor_for`, so the rules are written once:

* the browser holds only an opaque random token (cookie :data:`COOKIE_NAME`); the
  database keeps its SHA-256, so a stolen database copy holds no live session;
* a session ends after ``idle`` without a request (default 15 minutes, HIPAA automatic
  log-off; ``FILIFORM_IDLE_MINUTES``) and after :data:`MAX_LIFETIME` in any case;
* repeated failures lock a username and a client address for a while
  (:class:`LoginThrottle`); failures are audited by ``users.authenticate``;
* a user who confirmed a TOTP secret must give a current code; a code is never accepted
  twice (replay);
* TOTP secrets are stored sealed (AES-GCM, key outside the database: :mod:`.secrets`), so
  a copy of the database cannot mint codes; rows written before sealing existed are still
  read and are sealed the next time a code from them is accepted;
* the session cookie carries the CSRF token it was opened with, signed with a key from
  :mod:`.secrets` over the session token's hash (:func:`bind_cookie`), so a CSRF token
  issued to one session is refused in another.

:func:`login` does not raise on bad credentials: it returns ``LoginResult.error`` so that
the caller commits the transaction and the audited failure is kept.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from filiform.errors import PermissionDenied, ValidationFailed
from filiform.services.access import secrets as keys
from filiform.services.access.auth_cookies import session_token, token_hash
from filiform.services.access.context import Actor, Role
from filiform.services.access.login_throttle import DEFAULT_THROTTLE, LoginThrottle
from filiform.services.access.users import authenticate
from filiform.services.operations import audit
from filiform.storage.engine import read_transaction, transaction
from filiform.storage.models import User
from filiform.storage.models_auth import AuthSession, UserTotp

COOKIE_NAME = "filiform_session"
IDLE_ENV = "FILIFORM_IDLE_MINUTES"
DEFAULT_IDLE = timedelta(minutes=15)
MAX_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)  # last-seen writes are coalesced to one a minute
ISSUER = "Filiform"
GENERIC_FAILURE = "unknown user or wrong password"

TOTP_COLUMN_LENGTH = 64  # user_totp.secret is VARCHAR(64)

log = logging.getLogger("filiform.auth")


def idle_timeout() -> timedelta:
    """The configured idle time-out (``FILIFORM_IDLE_MINUTES``, default 15)."""
    raw = os.environ.get(IDLE_ENV)
    if not raw:
        return DEFAULT_IDLE
    try:
        minutes = float(raw)
    except ValueError as exc:
        raise ValidationFailed(f"{IDLE_ENV} must be a number of minutes, not '{raw}'") from exc
    if not 0 < minutes <= 24 * 60:
        raise ValidationFailed(f"{IDLE_ENV} must be between 0 and 1440 minutes")
    return timedelta(minutes=minutes)


def _database_url(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=False)


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LoginResult:
    """``token`` and ``actor`` on success; ``needs_totp`` when a code must be supplied;
    ``error`` (a message safe to show) and ``retry_after`` (seconds) otherwise."""

    token: str | None
    actor: Actor | None
    needs_totp: bool = False
    error: str | None = None
    retry_after: float = 0.0

    @property
    def ok(self) -> bool:
        return self.token is not None


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


def login(
    session: Session,
    *,
    username: str,
    password: str,
    totp: str | None,
    client: str,
    throttle: LoginThrottle | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check credentials (and TOTP when enrolled) and open a server-side session."""
    throttle = throttle or DEFAULT_THROTTLE
    at = now or datetime.now(UTC)
    client = client[:80]
    key = username.strip().lower()
    wait = throttle.retry_after(key, client)
    if wait > 0:
        audit.record(session, actor=None, action="login_throttled", entity="user", detail={"client": client})
        return LoginResult(None, None, error="too many failed logins; try again later", retry_after=wait)
    try:
        actor = authenticate(session, username=username, password=password, client=client)
    except PermissionDenied:
        throttle.failed(key, client)
        return LoginResult(None, None, error=GENERIC_FAILURE)
    enrolled = session.get(UserTotp, actor.user_id)
    if enrolled is not None and enrolled.confirmed_at is not None:
        if not totp:
            return LoginResult(None, None, needs_totp=True, error="enter the code from your app")
        if not _check_totp(session, enrolled, totp, at):
            throttle.failed(key, client)
            audit.record(
                session,
                actor=actor,
                action="login_failed",
                entity="user",
                entity_id=actor.user_id,
                detail={"client": client, "factor": "totp"},
            )
            return LoginResult(None, None, needs_totp=True, error="wrong or reused code")
    throttle.succeeded(key)
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=actor.user_id,
            clinic_id=actor.clinic_id,
            client=client,
            created_at=at,
            last_seen_at=at,
        )
    )
    session.flush()
    return LoginResult(token, actor)


def _active(session: Session, token: str) -> AuthSession | None:
    """The open session of a token or of a whole (bound) session cookie value."""
    token = session_token(token)
    if not token or len(token) > 200:
        return None
    return session.scalar(
        sa.select(AuthSession).where(AuthSession.token_hash == token_hash(token), AuthSession.ended_at.is_(None))
    )


def logout(session: Session, *, token: str) -> None:
    """End the session (idempotent; an unknown token is ignored)."""
    row = _active(session, token)
    if row is None:
        return
    row.ended_at, row.ended_reason = datetime.now(UTC), "logout"
    user = session.get(User, row.user_id)
    actor = Actor(
        user_id=row.user_id,
        clinic_id=row.clinic_id,
        role=Role(user.role) if user else Role.FRONT_DESK,
        client=row.client,
    )
    audit.record(session, actor=actor, action="logout", entity="user", entity_id=row.user_id)


def _end_reason(row: AuthSession, user: User | None, at: datetime, idle: timedelta) -> str | None:
    """Why the session must end now, or None while it is live (idle is exact: > idle ends)."""
    if user is None or not user.active:
        return "deactivated"
    if at - _utc(row.last_seen_at) > idle:
        return "idle"
    if at - _utc(row.created_at) > MAX_LIFETIME:
        return "lifetime"
    return None


def _touch_due(row: AuthSession, at: datetime, idle: timedelta) -> bool:
    return at - _utc(row.last_seen_at) >= min(TOUCH_EVERY, idle / 4)


def actor_for(
    session: Session,
    *,
    token: str,
    client: str,
    idle: timedelta | None = None,
    now: datetime | None = None,
) -> Actor | None:
    """The actor of a live session, refreshing its last-seen time; None when it has ended.

    A session idle longer than ``idle``, older than MAX_LIFETIME, or whose user was
    deactivated is closed here (and audited as ``session_timeout``).  Call it inside a
    write transaction; :func:`lookup` decides first, in a plain read, whether one is needed.
    """
    row = _active(session, token)
    if row is None:
        return None
    at = now or datetime.now(UTC)
    idle = idle or idle_timeout()
    user = session.get(User, row.user_id)
    reason = _end_reason(row, user, at, idle)
    if reason is not None:
        row.ended_at, row.ended_reason = at, reason
        audit.record(
            session,
            actor=None,
            action="session_timeout",
            entity="user",
            entity_id=row.user_id,
            chain=row.clinic_id,
            detail={"reason": reason},
        )
        return None
    assert user is not None
    if _touch_due(row, at, idle):
        row.last_seen_at = at
    return Actor(user_id=user.id, clinic_id=user.clinic_id, role=Role(user.role), client=client[:80])


def lookup(
    factory: sessionmaker[Session],
    *,
    token: str,
    client: str,
    idle: timedelta | None = None,
    now: datetime | None = None,
) -> Actor | None:
    """:func:`actor_for` for one request, without SQLite's write lock on the common path.

    Why: every request looks its session up; on SQLite a write transaction per request
    serialises all requests behind the one writer.  So the session is read in a plain
    (DEFERRED) read, and a write transaction is opened only when the session must end or
    its last-seen time is older than :data:`TOUCH_EVERY` (there :func:`actor_for` decides
    again under the lock, so a concurrent log-off is respected).  The idle rule is the
    same comparison in both paths; because last-seen is refreshed at most once per
    ``TOUCH_EVERY``, a busy session can end up to that much before ``idle`` after its
    last request, never after.
    """
    token = session_token(token)
    if not token or len(token) > 200:
        return None
    at = now or datetime.now(UTC)
    idle = idle or idle_timeout()
    with read_transaction(factory) as session:
        row = _active(session, token)
        if row is None:
            return None
        user = session.get(User, row.user_id)
        if _end_reason(row, user, at, idle) is None and not _touch_due(row, at, idle):
            assert user is not None
            return Actor(user_id=user.id, clinic_id=user.clinic_id, role=Role(user.role), client=client[:80])
    with transaction(factory) as session:
        return actor_for(session, token=token, client=client, idle=idle, now=at)


def enable_totp(session: Session, *, actor: Actor) -> str:
    """Start (or restart) TOTP enrolment: a new secret, its provisioning URI to show as a
    QR code.  Login asks for codes only after :func:`confirm_totp`."""
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
