"""Heart-rate recordings of a session: checked and analysed once at upload, read as stored.

Why this shape: analysing a recording takes seconds. Done on every page view and PDF,
inside the request's transaction, one large file stalled every user of the clinic. Now:

1. :func:`prepare` runs before any database transaction: size and content against the
   file type's limit (``hrv_files.UPLOAD_LIMITS``), parsing within bounds, the analysis
   (one at a time, within :data:`ANALYSIS_SECONDS`). Nothing here touches the database.
2. :func:`store` writes the file, its phase spec and the analysis in the caller's short
   transaction (three inserts, audited).
3. :func:`stored_analysis` is what pages and the PDF read: the stored result, never a
   new computation.

A recording that parses but cannot be analysed (a phase outside it, too few clean beats)
is kept with its reason (``status`` "failed"), so the page says why; a file that is not
a recording, or is too large or too long, is refused and nothing is stored.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.hrv.phases import parse_phase_spec
from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.session import SessionAnalysis, analyse_session
from filiform.errors import FiliformError, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned
from filiform.services.records import attachments
from filiform.services.records.hrv_files import TEXT_SUFFIXES, load_rr_upload
from filiform.services.records.writes import add_record
from filiform.storage.models import Attachment, AttachmentAnalysis, AttachmentWithdrawal

ANALYSIS_SECONDS = 30.0
"""The most one analysis may take before the upload is refused (bounded input takes 1-3 s)."""
BOOTSTRAP_REPLICATES = 200
PHASES_NAME = "rr-phases.txt"
MAX_PHASES_CHARS = 400
# One analysis at a time: a second upload waits rather than take the other core.
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="filiform-rr")


@dataclass(frozen=True)
class Prepared:
    """An upload ready to store: the bytes, its phases and the analysis (or why it failed)."""

    filename: str
    data: bytes
    phases: str
    beats: int
    duration_s: float
    analysis: SessionAnalysis | None
    error: str | None

    @property
    def media_type(self) -> str:
        return "text/plain" if Path(self.filename).suffix.lower() in TEXT_SUFFIXES else "application/octet-stream"


def _analyse(series: RRSeries, phases: str) -> SessionAnalysis:
    spec = phases or f"session=0-{max(1.0, series.duration_s):.0f}"
    return analyse_session(series, spec, n_boot=BOOTSTRAP_REPLICATES)


def prepare(filename: str, data: bytes, phases: str = "", *, seconds: float = ANALYSIS_SECONDS) -> Prepared:
    """Check, parse and analyse an upload, outside any transaction (raises ValidationFailed
    for a file that is not an acceptable recording; an analysis problem is kept as ``error``)."""
    phases = phases.strip()
    if len(phases) > MAX_PHASES_CHARS:
        raise ValidationFailed(f"phases: at most {MAX_PHASES_CHARS} characters")
    if phases:
        parse_phase_spec(phases)
    series = load_rr_upload(filename, data)
    future = _EXECUTOR.submit(_analyse, series, phases)
    try:
        analysis, error = future.result(timeout=seconds), None
    except FutureTimeout:
        future.cancel()
        raise ValidationFailed(
            f"the recording could not be analysed within {seconds:g} s; shorten it or try again later"
        ) from None
    except FiliformError as exc:
        analysis, error = None, exc.message
    name = Path(filename.replace("\\", "/")).name or f"recording{Path(filename).suffix}"
    return Prepared(name, data, phases, len(series.rr_ms), series.duration_s, analysis, error)


def store(session: Session, *, actor: Actor, session_id: int, prepared: Prepared) -> AttachmentAnalysis:
    """The file, its phase spec and its analysis as rows of the session (short; audited)."""
    require(actor, Perm.WRITE_CLINICAL)
    stored = attachments.add(
        session,
        actor=actor,
        session_id=session_id,
        kind="rr",
        filename=prepared.filename,
        media_type=prepared.media_type,
        data=prepared.data,
    )
    if prepared.phases:
        attachments.add(
            session,
            actor=actor,
            session_id=session_id,
            kind="other",
            filename=PHASES_NAME,
            media_type="text/plain",
            data=prepared.phases.encode("utf-8"),
        )
    return _keep(session, actor, stored, prepared)


def _keep(session: Session, actor: Actor, stored: Attachment, prepared: Prepared) -> AttachmentAnalysis:
    row = AttachmentAnalysis(
        clinic_id=actor.clinic_id,
        patient_id=stored.patient_id,
        session_id=stored.session_id,
        attachment_id=stored.id,
        phases=prepared.phases or None,
        status="ok" if prepared.analysis is not None else "failed",
        beats=prepared.beats,
        duration_s=prepared.duration_s,
        result=prepared.analysis.model_dump_json() if prepared.analysis is not None else None,
        error=prepared.error,
        created_by=actor.user_id,
    )
    return add_record(session, actor, row, "attachment_analysis", {"attachment_id": stored.id, "status": row.status})


@dataclass(frozen=True)
class RecordingView:
    """An attached file as the session page lists it (no bytes)."""

    id: int
    kind: str
    filename: str
    size_bytes: int
    withdrawn: bool
    status: str | None  # analysis: ok / failed / None (not analysed: uploaded before analyses were stored)
    error: str | None
    beats: int | None
    duration_s: float | None


def listed(session: Session, session_id: int) -> list[RecordingView]:
    """The session's files with their analysis status (the caller scoped and audits the read)."""
    rows = session.execute(
        sa.select(Attachment, AttachmentAnalysis, AttachmentWithdrawal.id)
        .outerjoin(AttachmentAnalysis, AttachmentAnalysis.attachment_id == Attachment.id)
        .outerjoin(AttachmentWithdrawal, AttachmentWithdrawal.attachment_id == Attachment.id)
        .where(Attachment.session_id == session_id)
        .order_by(Attachment.id)
    ).all()
    return [
        RecordingView(
            a.id,
            a.kind,
            a.filename,
            a.size_bytes,
            gone is not None,
            an.status if an else None,
            an.error if an else None,
            an.beats if an else None,
            an.duration_s if an else None,
        )
        for a, an, gone in rows
    ]


def stored_analysis(session: Session, session_id: int) -> SessionAnalysis | None:
    """The newest analysed recording of the session that is not withdrawn (the caller audits)."""
    text = session.scalar(
        sa.select(AttachmentAnalysis.result)
        .outerjoin(AttachmentWithdrawal, AttachmentWithdrawal.attachment_id == AttachmentAnalysis.attachment_id)
        .where(
            AttachmentAnalysis.session_id == session_id,
            AttachmentAnalysis.status == "ok",
            AttachmentWithdrawal.id.is_(None),
        )
        .order_by(AttachmentAnalysis.id.desc())
        .limit(1)
    )
    return SessionAnalysis.model_validate_json(text) if text else None


def read_for_analysis(session: Session, *, actor: Actor, attachment_id: int) -> tuple[str, bytes, str]:
    """A recording stored before analyses were, with its phases, ready for :func:`prepare`
    (run it outside the transaction; keep the result with :func:`store_analysis`)."""
    meta, data = attachments.read(session, actor=actor, attachment_id=attachment_id)
    if meta.kind != "rr":
        raise ValidationFailed(f"file {attachment_id} is not a heart-rate recording")
    spec_row = session.scalar(
        sa.select(Attachment).where(
            Attachment.session_id == meta.session_id, Attachment.kind == "other", Attachment.filename == PHASES_NAME
        )
    )
    phases = bytes(spec_row.data).decode("utf-8") if spec_row is not None else ""
    return meta.filename, data, phases


def store_analysis(session: Session, *, actor: Actor, attachment_id: int, prepared: Prepared) -> AttachmentAnalysis:
    """Keep the analysis of an already stored recording (once: a second one is refused)."""
    require(actor, Perm.WRITE_CLINICAL)
    stored = owned(session, Attachment, attachment_id, actor=actor)
    return _keep(session, actor, stored, prepared)
