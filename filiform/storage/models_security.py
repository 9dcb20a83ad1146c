"""Tables that let several application processes act as one, and account recovery.

* ``auth_throttle``: failed-login counters per username, per (username, address) and per
  address, so every process sees the same back-off (an in-process dict would let N
  workers multiply the allowed guesses by N);
* ``auth_state``: one row whose ``epoch`` grows whenever a session may have been revoked
  (log-off, time-out, deactivation, password or MFA change); processes cache session
  look-ups only while the epoch they saw is current, so revocation stays exact;
* ``password_reset``: one-time reset tokens (only their SHA-256 is stored);
* ``background_job``: bookkeeping of long jobs (state, progress, owner process) that any
  process can read, so a status request may land on another worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow


class AuthThrottle(Base):
    """``key`` is ``u:<username>``, ``p:<username>|<address>`` or ``a:<address>``."""

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthState(Base):
    """A single row (id 1): the revocation epoch."""

    __tablename__ = "auth_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(sa.BigInteger(), default=0)


class PasswordReset(Base):
    """A one-time token an administrator issued; the user chooses a new password with it."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class BackgroundJob(Base):
    """One long job; ``state`` is queued, running, done, failed or cancelled."""

    __tablename__ = "background_job"
    __table_args__ = (sa.Index("ix_background_job_clinic_id_created_at", "clinic_id", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(20))
    owner: Mapped[str] = mapped_column(sa.String(120))
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
