"""SMART Backend Services: registered clients, their access tokens and used assertion ids.

* ``smart_client``: a system an administrator allowed to read the clinic's records; it
  proves itself with a JWT signed by a key of its registered public JWKS (never a
  shared secret) and acts with the permissions of ``user_id`` (a named account, so every
  audit entry names a person responsible), narrowed by ``scope``;
* ``smart_token``: short-lived bearer tokens; only the SHA-256 of a token is stored, so
  the database (or a backup) is not enough to call the API;
* ``smart_jti``: the ``jti`` of every accepted assertion until it expires, so a captured
  assertion cannot be replayed (shared by every process on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from filiform.storage.base import Base, utcnow


class SmartClient(Base):
    __tablename__ = "smart_client"
    __table_args__ = (sa.Index("ix_smart_client_clinic_id", "clinic_id"),)

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # the OAuth client_id
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    scope: Mapped[str] = mapped_column(sa.String(1000))
    jwks: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmartToken(Base):
    __tablename__ = "smart_token"
    __table_args__ = (sa.Index("ix_smart_token_expires_at", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("smart_client.id"))
    scope: Mapped[str] = mapped_column(sa.String(1000))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmartJti(Base):
    __tablename__ = "smart_jti"

    client_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    expires_at: Mapped[datetime]
