"""The signed-in user's name, as pages show it in their header (not "clinician #2")."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.services.access.context import Actor
from filiform.storage.models import User

_NAME = sa.select(User.display_name).where(User.id == sa.bindparam("user_id"))


def display_name(session: Session, actor: Actor) -> str:
    """The user's display name (one primary-key read), or the role when none is stored."""
    # Core on the unit's connection, statement built once: every page asks, and the ORM
    # layer and statement construction cost more than the read
    name = session.connection().execute(_NAME, {"user_id": actor.user_id}).scalar()
    return name or actor.role.value.replace("_", " ")
