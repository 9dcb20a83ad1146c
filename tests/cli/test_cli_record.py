"""``filiform record``: the command line writes records through the same services and types."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from filiform.cli.main import app
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate
from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.records import clinical
from filiform.storage.engine import session_factory, transaction

PASSWORD = "correct horse battery staple"


@pytest.fixture
def clinic(db_engine: Engine, db_url: str) -> str:
    with transaction(session_factory(db_engine)) as s:
        clinic, admin = users.create_clinic(s, name="Cli", admin_username="cli-admin", admin_password=PASSWORD)
        boss = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN)
        users.create_user(s, actor=boss, username="cli-doc", display_name="Doc", role=Role.CLINICIAN, password=PASSWORD)
    return db_url


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def test_records_are_written_read_back_and_amended(clinic: str, db_engine: Engine, tmp_path: Path) -> None:
    base = ("--user", "cli-doc", "--db", clinic)
    person = {"mrn": "CLI-1", "given_name": "Ada", "family_name": "Typed", "birth_date": "1980-01-02", "sex": "female"}
    code, out = run("record", "patient", *base, "--json", json.dumps(person))
    assert code == 0, out
    pid = json.loads(out)["id"]
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    consent = {"form_version": "v1", "consented_on": yesterday}
    assert run("record", "consent", *base, "--patient", str(pid), "--json", json.dumps(consent))[0] == 0
    with transaction(session_factory(db_engine)) as s:
        doc = Actor(user_id=2, clinic_id=1, role=Role.CLINICIAN)
        intake = Intake.from_data({**CLEAR_ANSWERS, "age": 46, "bmi": 26.0})  # complete: the session check needs it
        clinical.record_screening(
            s, actor=doc, patient_id=pid, answers=intake.model_dump(mode="json"), result=evaluate(intake)
        )
    session = {
        "started_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
        "pain_pre": 7,
        "insertions": [
            {"target_id": "gluteus_medius", "side": "left", "technique": "electrical_dn", "needle_length_mm": 50,
             "needle_gauge_mm": 0.3, "depth_mm": 30},
            {"target_id": "piriformis", "side": "left", "technique": "electrical_dn", "needle_length_mm": 75,
             "needle_gauge_mm": 0.3, "depth_mm": 45},
        ],
        "circuits": [{"lead_a": 1, "lead_b": 2, "frequency_hz": 2, "pulse_width_us": 250, "intensity_ma": 4,
                      "duration_s": 900}],
    }  # fmt: skip
    file = tmp_path / "session.json"
    file.write_text(json.dumps(session), encoding="utf-8")
    code, out = run("record", "session", *base, "--patient", str(pid), "--json", f"@{file}")
    assert code == 0, out
    region = {"region": "left-upper-buttock", "intensity": 6, "kind": "stabbing", "depth": "deep"}
    drawing = {"drawn_on": date.today().isoformat(), "regions": [region]}
    code, out = run("record", "drawing", *base, "--patient", str(pid), "--json", "-", stdin=json.dumps(drawing))
    assert code == 0, out
    outcome = {"instrument_id": "nprs", "answers": [7], "completed_on": date.today().isoformat()}
    code, out = run("record", "outcome", *base, "--patient", str(pid), "--json", json.dumps(outcome))
    assert code == 0 and json.loads(out)["total"] == 7.0, out
    code, out = run(
        "record", "amend", "patient", str(pid), *base, "--version", "1", "--reason", "spelling",
        "--json", json.dumps({"family_name": "Typed-Again"}),
    )  # fmt: skip
    assert code == 0, out
    with db_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT family_name FROM patient WHERE id = :p"), {"p": pid}) == "Typed-Again"
        pairs = conn.execute(sa.text("SELECT lead_a_id, lead_b_id, duration_s FROM electrical_circuit")).all()
    assert len(pairs) == 1 and pairs[0][1] is not None and pairs[0][2] == 900.0


@pytest.mark.parametrize(
    ("json_text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"mrn": "X", "given_name": "A", "family_name": "B", "birth_date": "1980-01-02", "sex": "banana"}', "sex"),
        ('{"mrn": "X"}', "is required"),
    ],
)
def test_bad_input_is_exit_2_with_the_reason(clinic: str, json_text: str, message: str) -> None:
    code, out = run("record", "patient", "--user", "cli-doc", "--db", clinic, "--json", json_text)
    assert code == 2 and message in out, out


def test_an_unknown_user_is_refused(clinic: str) -> None:
    code, out = run("record", "patient", "--user", "nobody", "--db", clinic, "--json", "{}")
    assert code == 2 and "no active user" in out
