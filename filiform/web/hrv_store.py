"""RR recordings attached to a session, stored through ``filiform.services.records.attachments``.

The upload is kept in the database (kind ``rr``), so it shares the records' backup,
clinic isolation and audit trail; the phase spec goes beside it as a small text
attachment named :data:`PHASES_NAME`. The recording is analysed again when the session
page or the PDF note is shown (analysis is deterministic). Sessions recorded before the
attachments table existed kept their file in ``<hrv_dir>/<clinic>/<session>.<ext>``
(``app.state.hrv_dir``, else ``FILIFORM_HRV_DIR``, else ``var/hrv``); those are still read.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from filiform.core.hrv.phases import parse_phase_spec
from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.session import SessionAnalysis, analyse_session
from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor
from filiform.services.records import attachments
from filiform.services.records.hrv_files import EDF_SUFFIXES, TEXT_SUFFIXES, load_rr_file

MAX_BYTES = 20_000_000
ALLOWED = TEXT_SUFFIXES | EDF_SUFFIXES
PHASES_NAME = "rr-phases.txt"


def hrv_dir(configured: str | os.PathLike[str] | None) -> Path:
    return Path(configured or os.environ.get("FILIFORM_HRV_DIR") or Path("var") / "hrv")


def check_upload(filename: str, data: bytes, phases: str) -> str:
    """The file's suffix, after checking type, size and the phase spec."""
    suffix = Path(filename).suffix.lower()
    if suffix not in ALLOWED:
        raise ValidationFailed(f"RR file must be one of {', '.join(sorted(ALLOWED))}")
    if not data or len(data) > MAX_BYTES:
        raise ValidationFailed("RR file is empty or larger than 20 MB")
    if phases.strip():
        parse_phase_spec(phases)
    return suffix


def save(s: Session, actor: Actor, session_id: int, filename: str, suffix: str, data: bytes, phases: str) -> None:
    """Store the recording (and its phase spec) as attachments of the session, in this transaction."""
    media = "text/plain" if suffix in TEXT_SUFFIXES else "application/octet-stream"
    attachments.add(
        s,
        actor=actor,
        session_id=session_id,
        kind="rr",
        filename=Path(filename).name or f"rr{suffix}",
        media_type=media,
        data=data,
    )
    if phases.strip():
        attachments.add(
            s,
            actor=actor,
            session_id=session_id,
            kind="other",
            filename=PHASES_NAME,
            media_type="text/plain",
            data=phases.strip().encode("utf-8"),
        )


def _series(name: str, data: bytes) -> RRSeries:
    """Parse stored bytes with the file loader (it reads paths: EDF needs a real file)."""
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="filiform-rr-") as tmp:
        path = Path(tmp) / f"recording{suffix}"
        path.write_bytes(data)
        return load_rr_file(path)


def _analyse(series: RRSeries, spec: str) -> SessionAnalysis:
    return analyse_session(series, spec or f"session=0-{max(1.0, series.duration_s):.0f}", n_boot=200)


def analysis(s: Session, actor: Actor, session_id: int, legacy_dir: Path) -> SessionAnalysis | None:
    """The session's recording analysed, or None when it has none."""
    metas = attachments.list_for_session(s, actor=actor, session_id=session_id)
    rr = next((m for m in metas if m.kind == "rr"), None)
    if rr is not None:
        _, data = attachments.read(s, actor=actor, attachment_id=rr.id)
        spec_meta = next((m for m in metas if m.kind == "other" and m.filename == PHASES_NAME), None)
        spec = attachments.read(s, actor=actor, attachment_id=spec_meta.id)[1].decode("utf-8") if spec_meta else ""
        return _analyse(_series(rr.filename, data), spec.strip())
    return _legacy(legacy_dir, actor.clinic_id, session_id)


def _legacy(base: Path, clinic_id: int, session_id: int) -> SessionAnalysis | None:
    folder = base / str(clinic_id)
    files = [p for p in folder.glob(f"{session_id}.*") if p.suffix.lower() in ALLOWED] if folder.is_dir() else []
    if not files:
        return None
    sidecar = folder / f"{session_id}.phases"
    spec = sidecar.read_text(encoding="utf-8").strip() if sidecar.exists() else ""
    return _analyse(load_rr_file(files[0]), spec)
