"""Read heart-beat recordings from disk into an :class:`RRSeries`.

Formats: RR text (``.csv``, ``.txt``, Polar Sensor Logger), Polar ``.hrm``, and raw ECG or PPG
in EDF/EDF+/BDF (pyedflib) or WFDB (``.hea`` + ``.dat``, wfdb). Raw signals become RR
intervals through NeuroKit2 peak detection in :mod:`filiform.core.hrv.signal`. Every failure
is a ``ValidationFailed`` naming the file and what is wrong with it.
"""

from __future__ import annotations

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
