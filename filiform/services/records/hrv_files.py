"""Read heart-beat recordings from disk into an :class:`RRSeries`.

Formats: RR text (``.csv``, ``.txt``, Polar Sensor Logger), Polar ``.hrm``, and raw ECG or PPG
in EDF/EDF+/BDF (pyedflib) or WFDB (``.hea`` + ``.dat``, wfdb). Raw signals become RR
intervals through NeuroKit2 peak detection in :mod:`filiform.core.hrv.signal`. Every failure
is a ``ValidationFailed`` naming the file and what is wrong with it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from filiform.core.hrv.parsing import parse_rr_text
from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.signal import SignalKind, rr_from_signal
from filiform.core.hrv.units import Unit
from filiform.errors import ValidationFailed

TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".rr", ".hrm"}
EDF_SUFFIXES = {".edf", ".bdf"}
WFDB_SUFFIXES = {".hea", ".dat"}
MAX_TEXT_BYTES = 50_000_000
_ECG_WORDS = ("ecg", "ekg", "lead", "mlii", "ii", "v5", "v1")
_PPG_WORDS = ("ppg", "pleth", "pulse", "bvp")

Kind = Literal["auto", "ecg", "ppg"]


def load_rr_file(
    path: str | Path,
    *,
    unit: Unit = "auto",
    column: str | int | None = None,
    channel: str | int | None = None,
    kind: Kind = "auto",
) -> RRSeries:
    """Load any supported file.

    ``channel``/``kind`` apply only to raw signals and ``column``/``unit`` only to RR
    lists; giving one that does not fit the file is refused rather than ignored, so the
    user never believes a channel or unit was used when it was not.
    """
    p = Path(path)
    if not p.exists():
        raise ValidationFailed(f"{p}: no such file")
    suffix = p.suffix.lower()
    if suffix in TEXT_SUFFIXES and (channel is not None or kind != "auto"):
        raise ValidationFailed(
            f"{p.name} is an RR list: a channel or signal kind applies only to ECG/PPG "
            "recordings (.edf/.bdf/.hea); leave those options out"
        )
    if suffix in EDF_SUFFIXES | WFDB_SUFFIXES and (column is not None or unit != "auto"):
        raise ValidationFailed(
            f"{p.name} is a raw signal recording: an RR column or unit applies only to RR "
            "lists (.csv/.txt/.hrm); leave those options out"
        )
    try:
        if suffix in TEXT_SUFFIXES:
            return _load_text(p, unit, column)
        if suffix in EDF_SUFFIXES:
            return _load_edf(p, channel, kind)
        if suffix in WFDB_SUFFIXES:
            return _load_wfdb(p, channel, kind)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{p.name}: {exc.message}", details=exc.details) from exc
    raise ValidationFailed(
        f"{p.name}: unsupported file type {suffix or '(none)'}; use .csv/.txt/.hrm RR files, "
        ".edf/.bdf or WFDB .hea/.dat recordings"
    )


def _load_text(p: Path, unit: Unit, column: str | int | None) -> RRSeries:
    data = p.read_bytes()
    if len(data) > MAX_TEXT_BYTES:
        raise ValidationFailed("file is too large for an RR list")
    if b"\x00" in data[:4096]:
        raise ValidationFailed("this is a binary file, not RR text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    fmt: Literal["auto", "hrm"] = "hrm" if p.suffix.lower() == ".hrm" else "auto"
    return parse_rr_text(text, fmt=fmt, unit=unit, column=column)


def _pick_channel(labels: list[str], channel: str | int | None, kind: Kind) -> tuple[int, SignalKind]:
    """Choose the channel and whether it is ECG or PPG, from the request or the labels."""
    if isinstance(channel, int):
        if not 0 <= channel < len(labels):
            raise ValidationFailed(f"channel {channel} does not exist ({len(labels)} channels)")
        index = channel
    elif isinstance(channel, str):
        lowered = [label.lower() for label in labels]
        if channel.lower() not in lowered:
            raise ValidationFailed(f"no channel {channel!r}; channels are {', '.join(labels)}")
        index = lowered.index(channel.lower())
    else:
        found = [i for i, lab in enumerate(labels) if _label_kind(lab) is not None]
        if kind != "auto":
            found = [i for i in found if _label_kind(labels[i]) == kind] or found
        if not found:
            raise ValidationFailed(f"no ECG or PPG channel recognised among {', '.join(labels)}; name one")
        index = found[0]
    chosen = kind if kind != "auto" else _label_kind(labels[index])
    if chosen is None:
        raise ValidationFailed(f"say whether channel {labels[index]!r} is ECG or PPG")
    return index, chosen


def _label_kind(label: str) -> SignalKind | None:
    words = label.lower().replace("-", " ").replace("_", " ").split()
    if any(w.startswith(_PPG_WORDS) for w in words):
        return "ppg"
    if any(w in _ECG_WORDS or w.startswith(("ecg", "ekg")) for w in words):
        return "ecg"
    return None


def _load_edf(p: Path, channel: str | int | None, kind: Kind) -> RRSeries:
    import pyedflib

    try:
        reader = pyedflib.EdfReader(str(p))
    except OSError as exc:
        raise ValidationFailed(f"not a readable EDF/EDF+ file ({exc})") from exc
    try:
        labels = [label.strip() for label in reader.getSignalLabels()]
        index, chosen = _pick_channel(labels, channel, kind)
        samples = np.asarray(reader.readSignal(index), dtype=np.float64)
        rate = float(reader.getSampleFrequency(index))
    finally:
        reader.close()
    return rr_from_signal(samples, rate, chosen)


def _load_wfdb(p: Path, channel: str | int | None, kind: Kind) -> RRSeries:
    import wfdb

    record_name = str(p.with_suffix(""))
    if not p.with_suffix(".hea").exists():
        raise ValidationFailed("WFDB record needs its .hea header next to the .dat file")
    try:
        record = wfdb.rdrecord(record_name)
    except Exception as exc:  # wfdb raises many types for broken headers
        raise ValidationFailed(f"not a readable WFDB record ({exc})") from exc
    labels = [str(name) for name in (record.sig_name or [])]
    index, chosen = _pick_channel(labels, channel, kind)
    if record.p_signal is None:
        raise ValidationFailed("WFDB record holds no physical signal")
    samples = np.asarray(record.p_signal[:, index], dtype=np.float64)
    return rr_from_signal(samples, float(record.fs), chosen)


@dataclass(frozen=True)
class UploadLimit:
    """What one kind of uploaded recording may hold (checked before and after parsing)."""

    max_bytes: int
    max_seconds: float
    max_beats: int | None = None


# Per file type (docs/hrv.md): a session's recording is minutes to an hour; these allow six
# hours of RR text and three hours of raw ECG/PPG, and refuse anything that would keep the
# analysis from finishing in a few seconds.
TEXT_LIMIT = UploadLimit(max_bytes=2 * 1024 * 1024, max_seconds=6 * 3600, max_beats=30_000)
EDF_LIMIT = UploadLimit(max_bytes=20 * 1024 * 1024, max_seconds=3 * 3600)
UPLOAD_SUFFIXES = TEXT_SUFFIXES | EDF_SUFFIXES
_EDF_MAGIC = (b"0       ", b"\xffBIOSEMI")


def upload_limit(suffix: str) -> UploadLimit:
    if suffix in TEXT_SUFFIXES:
        return TEXT_LIMIT
    if suffix in EDF_SUFFIXES:
        return EDF_LIMIT
    raise ValidationFailed(
        f"a recording must be one of {', '.join(sorted(UPLOAD_SUFFIXES))} (WFDB records have two files: convert to EDF)"
    )


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n / 1024:.0f} KiB"


def check_upload(filename: str, data: bytes) -> str:
    """The suffix, once type, size and content fit the type's limits (no parsing yet).

    Cheap checks first, so an oversized or mislabelled file is refused before any work:
    the size against the type's limit, then the content (RR text has no NUL bytes and
    at most one beat per line; EDF/BDF starts with its header's version field).
    """
    suffix = Path(filename).suffix.lower()
    limit = upload_limit(suffix)
    if not data:
        raise ValidationFailed("the recording is empty")
    if len(data) > limit.max_bytes:
        raise ValidationFailed(
            f"the recording is {_mib(len(data))}; {suffix} files are limited to {_mib(limit.max_bytes)}"
        )
    if suffix in TEXT_SUFFIXES:
        if b"\x00" in data[:65536]:
            raise ValidationFailed(f"this is a binary file, not an RR list ({suffix})")
        lines = data.count(b"\n") + 1
        if limit.max_beats is not None and lines > limit.max_beats + 200:
            raise ValidationFailed(f"the RR list has {lines:,} lines; at most {limit.max_beats:,} beats are accepted")
    elif not data.startswith(_EDF_MAGIC):
        raise ValidationFailed(f"this is not an EDF/BDF recording (its header does not start as one; {suffix})")
    return suffix


def _edf_duration(path: Path) -> float:
    import pyedflib

    try:
        reader = pyedflib.EdfReader(str(path))
    except OSError as exc:
        raise ValidationFailed(f"not a readable EDF/EDF+ file ({exc})") from exc
    try:
        return float(reader.getFileDuration())
    finally:
        reader.close()


def load_rr_upload(filename: str, data: bytes) -> RRSeries:
    """Parse an uploaded recording within its type's limits (``check_upload`` first).

    The duration of a raw signal is read from its header before any sample is, and the
    beats and span of an RR list are checked once parsed.
    """
    suffix = check_upload(filename, data)
    limit = upload_limit(suffix)
    with tempfile.TemporaryDirectory(prefix="filiform-rr-") as tmp:
        path = Path(tmp) / f"recording{suffix}"
        path.write_bytes(data)
        if suffix in EDF_SUFFIXES and _edf_duration(path) > limit.max_seconds:
            raise ValidationFailed(f"the recording lasts more than {limit.max_seconds / 3600:g} hours")
        series = load_rr_file(path)
    if limit.max_beats is not None and len(series.rr_ms) > limit.max_beats:
        raise ValidationFailed(f"the RR list has {len(series.rr_ms):,} beats; at most {limit.max_beats:,} are accepted")
    if series.duration_s > limit.max_seconds:
        raise ValidationFailed(
            f"the recording spans {series.duration_s / 3600:.1f} hours; "
            f"at most {limit.max_seconds / 3600:g} are accepted"
        )
    return series
