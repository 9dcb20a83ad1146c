"""Who acts when a command runs: a named active user, or the only clinic's administrator.

The command line has no login; commands that read or write records name a user
(``--user``), and every action is audited as theirs. Resolving the name lives here, with
the other rules about actors, so no command queries the user table itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import NotFound, ValidationFailed
from filiform.services.access.context import Actor, Role
from filiform.storage.models import Clinic, User


def actor_for(session: Session, username: str | None, *, client: str) -> Actor:
    """The active user ``username``; without one, the admin of the database's only clinic."""
    if username:
        row = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    else:
        clinics = session.scalars(sa.select(Clinic.id).limit(2)).all()
        if len(clinics) != 1:
            raise ValidationFailed("the database holds several clinics (or none): pass --user")
        row = session.scalar(
            sa.select(User).where(User.clinic_id == clinics[0], User.role == "admin", User.active).order_by(User.id)
        )
    if row is None or not row.active:
        raise NotFound(f"no active user '{username or 'admin'}'")
    return Actor(user_id=row.id, clinic_id=row.clinic_id, role=Role(row.role), client=client)
