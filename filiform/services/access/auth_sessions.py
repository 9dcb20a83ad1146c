"""Server-side login sessions, idle log-off, login throttling and optional TOTP.

Both faces (the JSON API and the HTML login form) log in through :func:`login` and find
the acting user with :func:`actor_for`, so the rules are written once:

* the browser holds only an opaque random token (cookie :data:`COOKIE_NAME`); the
  database keeps its SHA-256, so a stolen database copy holds no live session;
* a session ends after ``idle`` without a request (default 15 minutes, HIPAA automatic
  log-off; ``FILIFORM_IDLE_MINUTES``) and after :data:`MAX_LIFETIME` in any case;
* repeated failures slow a username and a client address down with exponential back-off
  (:class:`LoginThrottle`, counted in the database so every process shares it); failures
  are audited by ``users.authenticate``;
* a user who confirmed a TOTP secret must give a current code (:mod:`.totp`);
* live sessions are cached per process (:mod:`.session_cache`), exact about revocation
  and idle time;
* the session cookie carries the CSRF token it was opened with, signed with a key from
  :mod:`.secrets` over the session token's hash (:func:`bind_cookie`), so a CSRF token
  issued to one session is refused in another.

:func:`login` does not raise on bad credentials: it returns ``LoginResult.error`` so that
the caller commits the transaction and the audited failure is kept.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from filiform.errors import ValidationFailed
from filiform.services.access.auth_cookies import session_token, token_hash
from filiform.services.access.context import Actor, Role
from filiform.services.access.login import GENERIC_FAILURE, LoginResult, login
from filiform.services.access.session_cache import Cached, SessionCache, current_epoch
from filiform.services.access.totp import _totp_secret, confirm_totp, enable_totp, totp_enabled
from filiform.services.access.users import bump_epoch
from filiform.services.operations import audit
from filiform.storage.engine import read_transaction, transaction
from filiform.storage.models import User
from filiform.storage.models_auth import AuthSession

__all__ = ["GENERIC_FAILURE", "LoginResult", "_totp_secret", "confirm_totp", "enable_totp", "login", "totp_enabled"]

COOKIE_NAME = "filiform_session"
IDLE_ENV = "FILIFORM_IDLE_MINUTES"
DEFAULT_IDLE = timedelta(minutes=15)
MAX_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)  # last-seen writes are coalesced to one a minute

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


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    bump_epoch(session)
    CACHE.drop(row.token_hash)
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
        bump_epoch(session)
        CACHE.drop(row.token_hash)
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


CACHE = SessionCache()


def _from_cache(hit: Cached, at: datetime, idle: timedelta, client: str) -> Actor | None:
    """The actor when the cached entry alone proves the session live and not due a touch."""
    seen = at - hit.last_seen_at
    if seen > idle or at - hit.created_at > MAX_LIFETIME or seen >= min(TOUCH_EVERY, idle / 4):
        return None
    return Actor(user_id=hit.user_id, clinic_id=hit.clinic_id, role=Role(hit.role), client=client[:80])


def _remember(cache: SessionCache, key: str, row: AuthSession, user: User, epoch: int) -> None:
    cache.put(
        key,
        Cached(
            user_id=user.id,
            clinic_id=user.clinic_id,
            role=user.role,
            created_at=_utc(row.created_at),
            last_seen_at=_utc(row.last_seen_at),
            epoch=epoch,
        ),
    )


def cached_actor(
    factory: sessionmaker[Session],
    *,
    token: str,
    client: str,
    idle: timedelta | None = None,
    now: datetime | None = None,
    cache: SessionCache | None = None,
) -> Actor | None:
    """The actor when the cache alone (plus the epoch read) proves the session live; None
    means "not known here", not "no session": call :func:`lookup` then."""
    token = session_token(token)
    if not token or len(token) > 200:
        return None
    hit = (cache if cache is not None else CACHE).get(token_hash(token))
    bind = factory.kw.get("bind")
    if hit is None or bind is None or hit.epoch != current_epoch(bind):
        return None
    return _from_cache(hit, now or datetime.now(UTC), idle or idle_timeout(), client)


def lookup(
    factory: sessionmaker[Session],
    *,
    token: str,
    client: str,
    idle: timedelta | None = None,
    now: datetime | None = None,
    cache: SessionCache | None = None,
) -> Actor | None:
    """:func:`actor_for` for one request: from the cache, else a plain read, else a write.

    Why: every request looks its session up.  A cached session whose epoch is current
    costs one tiny read (:mod:`.session_cache` says why that is exact).  Otherwise the
    session is read in a plain (DEFERRED) read, and a write transaction is opened only
    when the session must end or its last-seen time is older than :data:`TOUCH_EVERY`
    (there :func:`actor_for` decides again under the lock, so a concurrent log-off is
    respected).  Because last-seen is refreshed at most once per ``TOUCH_EVERY``, a busy
    session can end up to that much before ``idle`` after its last request, never after.
    """
    token = session_token(token)
    if not token or len(token) > 200:
        return None
    cache = cache if cache is not None else CACHE
    at = now or datetime.now(UTC)
    idle = idle or idle_timeout()
    key = token_hash(token)
    bind = factory.kw.get("bind")
    epoch = current_epoch(bind) if bind is not None else -1
    hit = cache.get(key)
    if hit is not None and hit.epoch == epoch:
        found = _from_cache(hit, at, idle, client)
        if found is not None:
            return found
    with read_transaction(factory) as session:
        row = _active(session, token)
        if row is None:
            cache.drop(key)
            return None
        user = session.get(User, row.user_id)
        if _end_reason(row, user, at, idle) is None and not _touch_due(row, at, idle):
            assert user is not None
            _remember(cache, key, row, user, epoch)
            return Actor(user_id=user.id, clinic_id=user.clinic_id, role=Role(user.role), client=client[:80])
    with transaction(factory) as session:
        actor = actor_for(session, token=token, client=client, idle=idle, now=at)
        row = _active(session, token) if actor is not None else None
        user = session.get(User, actor.user_id) if actor is not None else None
        if row is not None and user is not None:
            _remember(cache, key, row, user, epoch)
        else:
            cache.drop(key)
        return actor


def end_sessions(session: Session, *, user_id: int, reason: str, keep: str | None = None) -> int:
    """End every open session of a user (but the one whose token hash is ``keep``)."""
    stmt = sa.select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
    ended = 0
    for row in session.scalars(stmt):
        if keep is not None and row.token_hash == keep:
            continue
        row.ended_at, row.ended_reason = datetime.now(UTC), reason[:20]
        CACHE.drop(row.token_hash)
        ended += 1
    bump_epoch(session)
    return ended
