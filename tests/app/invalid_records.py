"""The invalid values every face must refuse, one per kind of record and class of value,
and the valid records they are put into (the data of test_every_face_refuses_invalid_values)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from filiform.core.concepts import Technique
from filiform.core.safety.decision import Decision, ScreeningResult, TechniqueDecision
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake

PASSWORD = "correct horse battery staple"
LONG = "x" * 100_000
INF, NAN = float("inf"), float("nan")
KINDS = ("patient", "session", "insertion", "drawing", "outcome")
CLASSES = ("wrong_type", "out_of_range", "non_finite", "overlong", "wrong_enum")
FACES = ("web", "api", "amendment", "import", "cli")
NOT_APPLICABLE = {
    ("session", "wrong_enum"): "a session's enumerated values are its needles' (see insertion)",
    ("insertion", "amendment"): "needles are never amended (asserted in test_needles_cannot_be_amended)",
}
TABLE = {
    "patient": "patient",
    "session": "treatment_session",
    "insertion": "insertion",
    "drawing": "pain_drawing",
    "outcome": "outcome_response",
}
# A complete intake: the session check at saving needs every answer (and the BMI for the caps).
INTAKE = Intake.from_data({**CLEAR_ANSWERS, "age": 46, "bmi": 26.0})
GO = ScreeningResult(techniques=tuple(TechniqueDecision(technique=t, decision=Decision.GO) for t in Technique))


@dataclass(frozen=True)
class Bad:
    field: str
    value: Any  # as JSON carries it (API, amendment, import, command line)
    text: str  # as a web form carries it

    @property
    def named(self) -> re.Pattern[str]:
        """What every face's refusal must name: the field (or the form's word for it)."""
        words = {
            "pain_pre": "pain_pre|Pain before",
            "depth_mm": "depth",
            "needle_length_mm": "length",
            "target_id": "target",
            "answers": "answers|item pain",
            "instrument_id": "instrument",
        }
        # messages name a field in words ("birth date"), codes keep the underscore ("birth_date")
        return re.compile(words.get(self.field, self.field).replace("_", "[_ ]"), re.IGNORECASE)


CASES: dict[tuple[str, str], Bad] = {
    ("patient", "wrong_type"): Bad("birth_date", 19800102, "2 January 1980"),
    ("patient", "out_of_range"): Bad("birth_date", "2999-01-01", "2999-01-01"),
    ("patient", "non_finite"): Bad("birth_date", INF, "inf"),
    ("patient", "overlong"): Bad("email", LONG + "@example.org", LONG + "@example.org"),
    ("patient", "wrong_enum"): Bad("sex", "banana", "banana"),
    ("session", "wrong_type"): Bad("pain_pre", 5.5, "5.5"),
    ("session", "out_of_range"): Bad("pain_pre", 11, "11"),
    ("session", "non_finite"): Bad("pain_pre", NAN, "nan"),
    ("session", "overlong"): Bad("notes", LONG, LONG),
    ("insertion", "wrong_type"): Bad("depth_mm", "deep", "deep"),
    ("insertion", "out_of_range"): Bad("needle_length_mm", 500, "500"),
    ("insertion", "non_finite"): Bad("depth_mm", INF, "inf"),
    ("insertion", "overlong"): Bad("target_id", LONG, LONG),
    ("insertion", "wrong_enum"): Bad("side", "banana", "banana"),
    ("drawing", "wrong_type"): Bad("intensity", "six", '"six"'),
    ("drawing", "out_of_range"): Bad("intensity", 11, "11"),
    ("drawing", "non_finite"): Bad("intensity", NAN, "NaN"),
    ("drawing", "overlong"): Bad("region", LONG, json.dumps(LONG)),
    ("drawing", "wrong_enum"): Bad("region", "left-neck", '"left-neck"'),
    ("outcome", "wrong_type"): Bad("answers", "seven", "seven"),
    ("outcome", "out_of_range"): Bad("answers", [11], "11"),
    ("outcome", "non_finite"): Bad("answers", [NAN], "nan"),
    ("outcome", "overlong"): Bad("answers", [LONG], LONG),
    ("outcome", "wrong_enum"): Bad("instrument_id", "banana", "banana"),
}
MATRIX = [
    pytest.param(kind, cls, face, id=f"{kind}-{cls}-{face}")
    for kind in KINDS
    for cls in CLASSES
    for face in FACES
    if (kind, cls) not in NOT_APPLICABLE and (kind, face) not in NOT_APPLICABLE
]


# ---------------------------------------------------------------- the valid records


def patient_json() -> dict[str, Any]:
    return {"mrn": "M-NEW", "given_name": "Ada", "family_name": "Valid", "birth_date": "1980-01-02", "sex": "female"}


def needle_json() -> dict[str, Any]:
    return {
        "target_id": "upper_trapezius",
        "side": "right",
        "technique": "trigger_point_dn",
        "needle_length_mm": 30,
        "needle_gauge_mm": 0.25,
        "depth_mm": 12,
    }


def session_json() -> dict[str, Any]:
    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return {"started_at": started, "pain_pre": 6, "notes": "ok", "insertions": [needle_json()]}


def drawing_region() -> dict[str, Any]:
    return {"region": "right-temple-middle", "intensity": 6}


def drawing_json() -> dict[str, Any]:
    return {"drawn_on": date.today().isoformat(), "regions": [drawing_region()]}


def outcome_json() -> dict[str, Any]:
    return {"instrument_id": "nprs", "answers": [5], "completed_on": date.today().isoformat()}


def spoiled(kind: str, bad: Bad) -> dict[str, Any]:
    """The valid JSON record of ``kind`` with ``bad`` put in."""
    if kind == "patient":
        return {**patient_json(), bad.field: bad.value}
    if kind == "session":
        return {**session_json(), bad.field: bad.value}
    if kind == "insertion":
        return {**session_json(), "insertions": [{**needle_json(), bad.field: bad.value}]}
    if kind == "drawing":
        return {**drawing_json(), "regions": [{**drawing_region(), bad.field: bad.value}]}
    return {**outcome_json(), bad.field: bad.value}
