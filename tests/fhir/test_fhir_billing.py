"""CPT 20560/20561 from distinct muscles, ICD-10-CM leaf checks, and the CSV."""

from __future__ import annotations

import csv
import io

from fhir_world import Clinic

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
