"""Drafts of clinical forms, saved as the clinician types, so an idle log-off loses nothing.

One draft per user, patient and form (``screening``, ``outcome:ndi``, ``session``...).
The fields are sealed with a sub-key of the server's master key (AES-GCM, see
:mod:`filiform.services.access.secrets`) bound to the clinic, user, patient and form, so
the database or a backup alone does not reveal what was typed, and a draft copied to
another row does not open.  A draft is the user's own unsaved work, not part of the
record: only its owner reads it, it is deleted when the form is saved, and its creation,
reads and deletion are audited (the many updates while typing are not, so the trail is
not flooded with one entry a second).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import ValidationFailed
from filiform.services.access import secrets as keys
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.storage.models import FormDraft, Patient

FORM = re.compile(r"^[a-z][a-z0-9_]{0,30}(:[a-z0-9_]{1,28})?$")
SKIPPED = frozenset({"csrf_token"})
MAX_FIELDS = 600
MAX_VALUE = 20_000
MAX_BYTES = 400_000
PURPOSE = "form-draft"

Value = str | list[str]


@dataclass(frozen=True)
class Draft:
    form: str
    path: str
    fields: dict[str, Value]
    updated_at: datetime


@dataclass(frozen=True)
class DraftSummary:
    """A draft as the list of unsaved work shows it (no field values)."""

    patient_id: int
    patient_name: str
    form: str
    path: str
    updated_at: datetime


def _key(session: Session) -> bytes:
    return keys.subkey(keys.master_key(audit.database_url(session)), PURPOSE)


def _context(actor: Actor, patient_id: int, form: str) -> bytes:
    return f"form_draft:{actor.clinic_id}:{actor.user_id}:{patient_id}:{form}".encode()


def _check_form(form: str) -> str:
    if not isinstance(form, str) or not FORM.match(form):
        raise ValidationFailed("this form cannot keep a draft", details=["form: letters, digits and _ only"])
    return form


def _check_path(path: str, patient_id: int) -> str:
    """Only a page of this patient: a draft never redirects anywhere else after sign-in."""
    prefix = f"/patients/{patient_id}/"
    if not isinstance(path, str) or not path.startswith(prefix) or "//" in path or "\\" in path or len(path) > 300:
        raise ValidationFailed("a draft belongs to one of the patient's pages", details=[f"path: start with {prefix}"])
    return path


def clean_fields(fields: Mapping[str, Any]) -> dict[str, Value]:
    """The form's named values as text (lists for repeated names), bounded, without the CSRF token."""
    if not isinstance(fields, Mapping) or len(fields) > MAX_FIELDS:
        raise ValidationFailed("the draft is too large to keep", details=[f"at most {MAX_FIELDS} fields"])
    out: dict[str, Value] = {}
    for name, value in fields.items():
        if not isinstance(name, str) or not name or len(name) > 80 or name in SKIPPED:
            continue
        values = value if isinstance(value, list) else [value]
        texts = [v for v in values if isinstance(v, str)]
        if len(texts) != len(values) or any(len(v) > MAX_VALUE for v in texts):
            raise ValidationFailed("the draft cannot be kept", details=[f"{name}: text of at most {MAX_VALUE} chars"])
        out[name] = texts if isinstance(value, list) else texts[0]
    return out


def _find(session: Session, actor: Actor, patient_id: int, form: str) -> FormDraft | None:
    stmt = sa.select(FormDraft).where(
        FormDraft.user_id == actor.user_id, FormDraft.patient_id == patient_id, FormDraft.form == form
    )
    return session.execute(stmt).scalar_one_or_none()


def _allowed(session: Session, actor: Actor, patient_id: int) -> None:
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)


def save_draft(
    session: Session, *, actor: Actor, patient_id: int, form: str, path: str, fields: Mapping[str, Any]
) -> FormDraft:
    """Create or replace the user's draft of ``form`` for this patient."""
    _allowed(session, actor, patient_id)
    form, path = _check_form(form), _check_path(path, patient_id)
    plain = json.dumps({"fields": clean_fields(fields)}, separators=(",", ":")).encode()
    if len(plain) > MAX_BYTES:
        raise ValidationFailed("the draft is too large to keep", details=[f"at most {MAX_BYTES // 1000} kB"])
    sealed = keys.seal(_key(session), plain, context=_context(actor, patient_id, form))
    now = datetime.now(UTC)
    row = _find(session, actor, patient_id, form)
    if row is not None:
        row.sealed, row.path, row.updated_at = sealed, path, now
        session.flush()
        return row
    row = FormDraft(
        clinic_id=actor.clinic_id,
        user_id=actor.user_id,
        patient_id=patient_id,
        form=form,
        path=path,
        sealed=sealed,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="form_draft", entity_id=row.id, patient_id=patient_id)
    return row


def get_draft(session: Session, *, actor: Actor, patient_id: int, form: str) -> Draft | None:
    """The user's draft of ``form`` for this patient, opened (audited when there is one)."""
    _allowed(session, actor, patient_id)
    row = _find(session, actor, patient_id, _check_form(form))
    if row is None:
        return None
    data = json.loads(keys.unseal(_key(session), row.sealed, context=_context(actor, patient_id, row.form)))
    audit.record(session, actor=actor, action="read", entity="form_draft", entity_id=row.id, patient_id=patient_id)
    return Draft(form=row.form, path=row.path, fields=dict(data.get("fields", {})), updated_at=row.updated_at)


def discard_draft(session: Session, *, actor: Actor, patient_id: int, form: str) -> bool:
    """Delete the user's draft (after the form was saved, or when the user discards it)."""
    row = _find(session, actor, patient_id, _check_form(form))
    if row is None:
        return False
    draft_id = row.id
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, action="delete", entity="form_draft", entity_id=draft_id, patient_id=patient_id)
    return True


def drafts_of(session: Session, *, actor: Actor) -> list[DraftSummary]:
    """The user's unsaved drafts, newest first, with the patient's name (for "unsaved work")."""
    stmt = (
        sa.select(FormDraft, Patient.given_name, Patient.family_name)
        .join(Patient, Patient.id == FormDraft.patient_id)
        .where(FormDraft.user_id == actor.user_id, FormDraft.clinic_id == actor.clinic_id)
        .order_by(FormDraft.updated_at.desc())
        .limit(50)
    )
    return [
        DraftSummary(
            patient_id=row.patient_id,
            patient_name=f"{family}, {given}",
            form=row.form,
            path=row.path,
            updated_at=row.updated_at,
        )
        for row, given, family in session.execute(stmt)
    ]
