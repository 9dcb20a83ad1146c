"""Reading RR and raw-signal files from disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from filiform.errors import ValidationFailed
from filiform.services.records.hrv_files import load_rr_file

FIX = Path(__file__).parents[1] / "fixtures" / "hrv"
RR = [800, 812, 790, 805, 798, 820, 801, 795, 810, 803, 799, 808]


@pytest.mark.parametrize("name", ["rr_plain_ms.txt", "rr_seconds.csv", "rr_polar_sensor_logger.txt", "rr_polar.hrm"])
def test_text_formats_give_the_written_intervals(name: str) -> None:
    assert load_rr_file(FIX / name).rr_ms == pytest.approx(RR)


@pytest.mark.parametrize("name", ["synthetic_ecg.edf", "synthetic_ecg.hea", "synthetic_ecg.dat"])
def test_simulated_ecg_at_70_per_minute_gives_70_per_minute(name: str) -> None:
    series = load_rr_file(FIX / name)
    assert 60000 / np.median(series.rr_ms) == pytest.approx(70, abs=2)
    assert series.rr_ms.size == pytest.approx(69, abs=2)  # 60 s at 70/min


def test_edf_and_wfdb_agree_beat_for_beat() -> None:
    edf = load_rr_file(FIX / "synthetic_ecg.edf").rr_ms
    wfdb = load_rr_file(FIX / "synthetic_ecg.hea").rr_ms
    assert edf.size == wfdb.size
    assert np.max(np.abs(edf - wfdb)) <= 4.0  # one sample at 250 Hz


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("rr_bpm.csv", "heart rate in beats/min"),
        ("rr_malformed.csv", "line 4: 'abc'"),
        ("missing.csv", "no such file"),
    ],
)
def test_bad_files_say_what_is_wrong(name: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        load_rr_file(FIX / name)


def test_unsupported_binary_and_unlabelled_inputs(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(ValidationFailed, match="unsupported file type"):
        load_rr_file(tmp_path / "x.xlsx")
    (tmp_path / "x.txt").write_bytes(b"\x00\x01\x02")
    with pytest.raises(ValidationFailed, match="binary"):
        load_rr_file(tmp_path / "x.txt")
    (tmp_path / "broken.edf").write_bytes(b"0       not an edf")
    with pytest.raises(ValidationFailed, match="EDF"):
        load_rr_file(tmp_path / "broken.edf")
    with pytest.raises(ValidationFailed, match="no channel 'resp'"):
        load_rr_file(FIX / "synthetic_ecg.edf", channel="resp")
    (tmp_path / "orphan.dat").write_bytes(b"\x00" * 10)
    with pytest.raises(ValidationFailed, match=r"\.hea header"):
        load_rr_file(tmp_path / "orphan.dat")
