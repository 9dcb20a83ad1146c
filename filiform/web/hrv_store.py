"""RR recordings attached to a session, kept as files beside the database.

The records schema has no attachment table yet, so the upload is stored as
``<dir>/<clinic>/<session><suffix>`` with the phase spec in a ``.phases`` sidecar, and
analysed again when the session page or the PDF note is shown (analysis is deterministic).
The directory is ``app.state.hrv_dir``, else ``FILIFORM_HRV_DIR``, else ``var/hrv``.
"""

from __future__ import annotations

import os
from pathlib import Path

from filiform.core.hrv.phases import parse_phase_spec
from filiform.core.hrv.session import SessionAnalysis, analyse_session
from filiform.errors import ValidationFailed
from filiform.services.hrv_files import EDF_SUFFIXES, TEXT_SUFFIXES, load_rr_file

MAX_BYTES = 20_000_000
ALLOWED = TEXT_SUFFIXES | EDF_SUFFIXES


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


def save(base: Path, clinic_id: int, session_id: int, suffix: str, data: bytes, phases: str) -> Path:
    folder = base / str(clinic_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session_id}{suffix}"
    path.write_bytes(data)
    (folder / f"{session_id}.phases").write_text(phases.strip(), encoding="utf-8")
    return path


def analysis(base: Path, clinic_id: int, session_id: int) -> SessionAnalysis | None:
    """The stored recording analysed, or None when the session has none."""
    folder = base / str(clinic_id)
    files = [p for p in folder.glob(f"{session_id}.*") if p.suffix.lower() in ALLOWED] if folder.is_dir() else []
    if not files:
        return None
    series = load_rr_file(files[0])
    sidecar = folder / f"{session_id}.phases"
    spec = sidecar.read_text(encoding="utf-8").strip() if sidecar.exists() else ""
    if not spec:
        spec = f"session=0-{max(1.0, series.duration_s):.0f}"
    return analyse_session(series, spec, n_boot=200)
