"""Parse RR-interval text already read into memory: generic CSV/TXT and Polar exports.

Supported shapes (documented in docs/hrv.md):

* one number per line (Polar Flow "RR" text export, Kubios/EliteHRV style lists);
* delimited tables (``,``, ``;``, tab or spaces) with or without a header; the RR column is
  found by its header (``RR``, ``RRI``, ``IBI``, ``NN``, ``interval``) or given by the caller;
  a unit in the header (``[ms]``, ``(s)``, ``_ms``) is honoured;
* Polar Sensor Logger files (``Phone timestamp;RR-interval [ms]``), which are such a table;
* Polar HRM files (``[Params]`` ... ``[HRData]``), whose ``[HRData]`` rows hold RR in ms when
  the device recorded R-R data.

Beat times are always the running sum of the intervals: device wall-clock stamps are not
beat-accurate, and phases are given relative to the start of the recording.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np

from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.units import Unit
from filiform.errors import ValidationFailed

TextFormat = Literal["auto", "csv", "hrm"]

_RR_HEADER = re.compile(r"(^|[^a-z])(rr|rri|ibi|nn|interval|r-r)([^a-z]|$)", re.IGNORECASE)
_MS_HEADER = re.compile(r"(\[ms\]|\(ms\)|_ms\b|\bms\b|msec)", re.IGNORECASE)
_S_HEADER = re.compile(r"(\[s\]|\(s\)|_s\b|\bsec\b|seconds)", re.IGNORECASE)


def parse_rr_text(
    text: str,
    *,
    fmt: TextFormat = "auto",
    unit: Unit = "auto",
    column: str | int | None = None,
) -> RRSeries:
    """Turn RR text into an :class:`RRSeries`, or raise ``ValidationFailed`` saying why not."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ValidationFailed("the RR file is empty")
    header_unit: Unit
    if fmt == "hrm" or (fmt == "auto" and "[HRData]" in text):
        values, header_unit = _parse_hrm(text), "ms"
    else:
        values, header_unit = _parse_table(text, column)
    chosen: Unit = unit if unit != "auto" else header_unit
    return RRSeries.from_intervals(np.asarray(values, dtype=np.float64), unit=chosen)


def _parse_hrm(text: str) -> list[float]:
    """Read the ``[HRData]`` section of a Polar HRM file (first number of each row, ms)."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "[HRData]")
    except StopIteration as exc:
        raise ValidationFailed("Polar HRM file has no [HRData] section") from exc
    values: list[float] = []
    for offset, raw in enumerate(lines[start + 1 :], start=start + 2):
        line = raw.strip()
        if line.startswith("["):
            break
        if not line:
            continue
        values.append(_number(line.split()[0], offset))
    if not values:
        raise ValidationFailed("Polar HRM [HRData] section is empty")
    return values


def _split(line: str) -> list[str]:
    for sep in (";", "\t", ","):
        if sep in line:
            return [cell.strip().strip('"') for cell in line.split(sep)]
    return line.split()


def _number(cell: str, line_no: int) -> float:
    try:
        return float(cell)
    except ValueError as exc:
        raise ValidationFailed(f"line {line_no}: {cell!r} is not a number") from exc


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_table(text: str, column: str | int | None) -> tuple[list[float], Unit]:
    rows = [
        (no, _split(line))
        for no, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise ValidationFailed("the RR file has no data rows")
    header: list[str] | None = None
    if not all(_is_number(c) for c in rows[0][1] if c):
        header = rows[0][1]
        rows = rows[1:]
    if not rows:
        raise ValidationFailed("the RR file has a header but no data rows")
    width = len(rows[0][1])
    index = _choose_column(header, width, column, rows)
    unit: Unit = "auto"
    if header is not None:
        name = header[index]
        unit = "ms" if _MS_HEADER.search(name) else "s" if _S_HEADER.search(name) else "auto"
    values: list[float] = []
    for no, cells in rows:
        if len(cells) <= index or cells[index] == "":
            raise ValidationFailed(f"line {no}: missing RR value in column {index + 1}")
        values.append(_number(cells[index], no))
    return values, unit


def _choose_column(
    header: list[str] | None,
    width: int,
    column: str | int | None,
    rows: list[tuple[int, list[str]]],
) -> int:
    if isinstance(column, int):
        if not 0 <= column < width:
            raise ValidationFailed(f"column {column + 1} does not exist (the file has {width})")
        return column
    if isinstance(column, str):
        if header is None or column not in header:
            raise ValidationFailed(f"no column named {column!r} in the header")
        return header.index(column)
    if width == 1:
        return 0
    if header is not None:
        matches = [i for i, name in enumerate(header) if _RR_HEADER.search(name)]
        if len(matches) == 1:
            return matches[0]
    if width == 2 and header is None and _first_column_is_time(rows):
        return 1
    raise ValidationFailed(
        f"cannot tell which of the {width} columns holds RR intervals; name it "
        "(a header such as 'RR [ms]') or pass the column explicitly"
    )


def _first_column_is_time(rows: list[tuple[int, list[str]]]) -> bool:
    try:
        first = np.array([float(cells[0]) for _, cells in rows])
    except ValueError:
        return False
    return bool(first.size > 1 and np.all(np.diff(first) > 0))
