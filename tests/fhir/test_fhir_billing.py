"""CPT 20560/20561 from distinct muscles, ICD-10-CM leaf checks, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from fhir_world import Clinic
from typer.testing import CliRunner

from filiform.cli.main import app
from filiform.core.planning import diagnosis
from filiform.fhir import billing


def _ins(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"target_id": t, "side": s} for t, s in pairs]


def test_one_code_per_session_by_distinct_muscles() -> None:
    assert billing.cpt_code(0) is None
    assert billing.cpt_code(1) == billing.cpt_code(2) == "20560"
    assert billing.cpt_code(3) == billing.cpt_code(12) == "20561"
    same_muscle_many_needles = _ins(*[("upper_trapezius", "right")] * 5)
    assert billing.count_muscles(same_muscle_many_needles).muscles == 1
    both = billing.count_muscles(_ins(("upper_trapezius", "bilateral"), ("infraspinatus", "left")))
    assert both.muscles == 3 and both.bilateral_counted_twice


def test_non_muscles_do_not_count() -> None:
    count = billing.count_muscles(_ins(("achilles_tendon", "left"), ("upper_trapezius", "left")))
    assert count.muscles == 1 and count.non_muscle_targets == ("achilles_tendon",)


def test_icd_headers_are_not_billable() -> None:
    assert diagnosis.code_status("M79.1") == "header"
    assert diagnosis.code_status("M54.5") == "header"
    assert diagnosis.code_status("M79.12") == "billable"
    assert diagnosis.code_status("M54.2") == "billable"
    assert diagnosis.code_status("Z99.9") == "unverified"


def test_csv_has_codes_only(demo_clinic: Clinic) -> None:
    out = io.StringIO()
    n = billing.billing_csv(demo_clinic.engine, actor=demo_clinic.admin, out=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert n == len(rows) > 0
    assert {r["cpt"] for r in rows} <= {"20560", "20561", ""}
    assert "Needle insertion" not in out.getvalue()
    elbow = [r for r in rows if r["icd10cm_billable"] == "M77.11" and r["icd10cm_not_billable"] == "M79.1"]
    assert len(elbow) == 1
    assert elbow[0]["distinct_muscles"] == "3" and elbow[0]["cpt"] == "20561"


def _line(condition: str, listed: list[str], chosen: str | None, sides: list[str], other: tuple[str, ...] = ()) -> str:
    session = {"id": 1, "patient_id": 1, "episode_id": 1, "started_at": datetime(2026, 3, 2, 9, tzinfo=UTC)}
    needles = _ins(*[("upper_trapezius", side) for side in sides])
    return str(billing.session_line(session, needles, (condition, listed, chosen), other)["flags"])


def test_claim_line_flags_header_codes_and_excludes1_pairs() -> None:
    flags = _line("my own words", ["M54.31", "M54.41"], None, ["right"])
    assert "no diagnosis chosen" in flags
    assert "Excludes1: M54.31 with M54.41" in flags  # sciatica excludes sciatica with lumbago
    flags = _line("my own words", ["M79.1"], None, ["right"])
    assert "header code (not billable): M79.1" in flags and "no billable ICD-10-CM code" in flags
    assert "Excludes1" not in _line("my own words", ["M54.31"], None, ["right"])


def test_claim_line_flags_a_side_the_session_contradicts() -> None:
    elbow = "lateral_elbow_tendinopathy"
    assert "M77.11 is a right-side code but the session needled the left side" in _line(elbow, [], "M77.11", ["left"])
    assert "side" not in _line(elbow, [], "M77.11", ["right"])
    assert "needled the left side" in _line(elbow, [], "M77.11", ["bilateral"])
    assert "M77.10 does not say the side" in _line(elbow, [], "M77.10", ["right"])
    assert "M54.2 is not among the condition's candidates" in _line(elbow, [], "M54.2", ["right"])


def test_claim_line_flags_acupuncture_in_the_same_encounter() -> None:
    elbow = "lateral_elbow_tendinopathy"
    flags = _line(elbow, [], "M77.11", ["right"], ("97813", "97140"))
    assert "20560 with acupuncture 97813 in the same encounter" in flags
    assert "acupuncture" not in _line(elbow, [], "M77.11", ["right"], ("97140",))  # manual therapy is not


def _elbow_session(demo_clinic: Clinic) -> int:
    with demo_clinic.engine.connect() as c:
        return int(
            c.execute(
                sa.text(
                    "SELECT s.id FROM treatment_session s JOIN episode e ON e.id = s.episode_id"
                    " WHERE e.condition = 'Lateral elbow pain'"
                )
            ).scalar_one()
        )


def test_cli_reads_the_encounters_other_codes(demo_clinic: Clinic, tmp_path: Path) -> None:
    sid = _elbow_session(demo_clinic)
    codes = tmp_path / "codes.csv"
    codes.write_text(f"session_id,cpt\n{sid},97810\n{sid},97140\n", encoding="utf-8")
    out = tmp_path / "b.csv"
    args = ["billing", "csv", "--out", str(out), "--db", demo_clinic.url, "--encounter-codes", str(codes)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = {r["session_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert "20561 with acupuncture 97810 in the same encounter" in rows[str(sid)]["flags"]
    assert sum("acupuncture" in r["flags"] for r in rows.values()) == 1
    codes.write_text(f"session_id,cpt\n{sid},97810\nseven,9781\n", encoding="utf-8")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "line 3" in result.output, result.output
    codes.write_text("session,code\n1,97810\n", encoding="utf-8")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "session_id and cpt" in result.output, result.output
