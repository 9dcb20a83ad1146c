"""Login sessions and TOTP secrets (tables ``auth_session`` and ``user_totp``).

Sessions are server-side so that logging off, the idle time-out and deactivating a user
take effect at once; the browser only holds an opaque random token, and the database
stores its SHA-256, so a copy of the database does not hand out live sessions.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow


class AuthSession(Base):
    """One login; ``ended_at`` is set by log-off, idle time-out or the absolute lifetime."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    client: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(20), default=None)


class UserTotp(Base):
    """A user's TOTP secret; required at login only once ``confirmed_at`` is set.

    ``last_step`` is the last accepted 30-second time step: a code is never accepted twice.
    """

    __tablename__ = "user_totp"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(sa.String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_step: Mapped[int] = mapped_column(default=0)
