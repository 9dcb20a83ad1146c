"""Who is acting, and what each role may do: the one place permissions are defined.

Every service takes ``actor=`` (an :class:`Actor`) and calls :func:`require`; faces
(CLI, API, web) build the actor from the login and never re-decide permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from filiform.errors import PermissionDenied


class Role(StrEnum):
    CLINICIAN = "clinician"
    ASSISTANT = "assistant"
    FRONT_DESK = "front_desk"
    ADMIN = "admin"


class Perm(StrEnum):
    READ_DEMOGRAPHICS = "read_demographics"
    WRITE_DEMOGRAPHICS = "write_demographics"
    READ_CLINICAL = "read_clinical"
    WRITE_CLINICAL = "write_clinical"  # consent, screening, drawings, outcomes, episodes
    RECORD_NEEDLING = "record_needling"
    REPORT_ADVERSE_EVENT = "report_adverse_event"
    AMEND_CLINICAL = "amend_clinical"
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"


PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.CLINICIAN: frozenset(
        {
            Perm.READ_DEMOGRAPHICS,
            Perm.WRITE_DEMOGRAPHICS,
            Perm.READ_CLINICAL,
            Perm.WRITE_CLINICAL,
            Perm.RECORD_NEEDLING,
            Perm.REPORT_ADVERSE_EVENT,
            Perm.AMEND_CLINICAL,
        }
    ),
    # Assistants help with intake and follow-up but never needle.
    Role.ASSISTANT: frozenset(
        {
            Perm.READ_DEMOGRAPHICS,
            Perm.READ_CLINICAL,
            Perm.WRITE_CLINICAL,
            Perm.REPORT_ADVERSE_EVENT,
        }
    ),
    # Front desk books and registers patients: demographics, never clinical notes.
    Role.FRONT_DESK: frozenset({Perm.READ_DEMOGRAPHICS, Perm.WRITE_DEMOGRAPHICS}),
    # Admins run the clinic's accounts and review the audit trail, not charts.
    Role.ADMIN: frozenset({Perm.READ_DEMOGRAPHICS, Perm.MANAGE_USERS, Perm.READ_AUDIT}),
}


@dataclass(frozen=True)
class Actor:
    """The acting user as the login established it; ``client`` is the remote address."""

    user_id: int
    clinic_id: int
    role: Role
    client: str = "local"

    def can(self, perm: Perm) -> bool:
        return perm in PERMISSIONS[self.role]


def require(actor: Actor, perm: Perm) -> None:
    """Raise PermissionDenied unless the actor's role grants ``perm``."""
    if not actor.can(perm):
        raise PermissionDenied(f"role '{actor.role.value}' may not {perm.value.replace('_', ' ')}")
