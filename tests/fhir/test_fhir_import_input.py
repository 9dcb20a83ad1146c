"""The importer checks its input: anything but a well-formed Filiform Bundle is a
``ValidationFailed`` naming the problem, and a refused Bundle writes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fhir_world import Clinic
from sqlalchemy.engine import Engine

from filiform.errors import ValidationFailed
from filiform.fhir import exporter, importer
from filiform.fhir.staging import GROUP_QUERY, Stage
from filiform.storage.engine import session_factory, transaction


@pytest.fixture(scope="module")
def bundle(demo_clinic: Clinic) -> dict[str, Any]:
    with transaction(session_factory(demo_clinic.engine)) as s:
        return exporter.patient_bundle(s, actor=demo_clinic.admin, patient_id=demo_clinic.patient_id)


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ([], "JSON array"),
        (3, "JSON number"),
        ("Bundle", "JSON string"),
        (None, "JSON null"),
        ({"resourceType": "Bundle"}, "no entries"),
        ({"resourceType": "Bundle", "entry": {}}, "no entries"),
        ({"resourceType": "Bundle", "entry": [1]}, "entry 1 has no resource"),
        (
            {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": 7}}]},
            "needs a resourceType and an id",
        ),
    ],
)
def test_shapes_that_are_not_a_bundle_are_refused(value: Any, needle: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        importer.index(value)
    assert needle in str(err.value)


def test_a_repeated_entry_is_refused(bundle: dict[str, Any], db_engine: Engine) -> None:
    doubled = copy.deepcopy(bundle)
    doubled["entry"].append(doubled["entry"][1])
    with pytest.raises(ValidationFailed) as err, transaction(session_factory(db_engine)) as s:
        importer.import_bundle(s, doubled)
    res = doubled["entry"][1]["resource"]
    assert f"{res['resourceType']}/{res['id']} appears more than once" in str(err.value)


def test_a_resource_missing_a_field_names_the_resource(bundle: dict[str, Any], db_engine: Engine) -> None:
    broken = copy.deepcopy(bundle)
    proc = next(e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "Procedure")
    del proc["subject" if proc["id"].startswith("s") else "partOf"]
    with pytest.raises(ValidationFailed) as err, transaction(session_factory(db_engine)) as s:
        importer.import_bundle(s, broken)
    assert f"Procedure/{proc['id']}: missing" in str(err.value)


def test_a_refused_import_writes_nothing(bundle: dict[str, Any], db_engine: Engine) -> None:
    orphans = copy.deepcopy(bundle)
    orphans["entry"] = [e for e in orphans["entry"] if e["resource"]["resourceType"] != "Patient"]
    with pytest.raises(ValidationFailed, match="do not fit"), transaction(session_factory(db_engine)) as s:
        importer.import_bundle(s, orphans)
    with db_engine.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM clinic")).scalar_one() == 0
        assert c.execute(sa.text("SELECT COUNT(*) FROM app_user")).scalar_one() == 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
        (b'{"a": 1,\n  }', "is not valid JSON: line 2 column 3"),
        (b"[1, 2]", "is not a FHIR Bundle (a JSON array)"),
    ],
)
def test_read_bundle_explains_unreadable_files(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(content)
    with pytest.raises(ValidationFailed) as err:
        importer.read_bundle(path)
    assert needle in str(err.value) and "Error" not in str(err.value)


def test_read_bundle_on_a_missing_file_or_a_folder(tmp_path: Path, bundle: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed, match="no such file"):
        importer.read_bundle(tmp_path / "nope.json")
    with pytest.raises(ValidationFailed, match="is a folder"):
        importer.read_bundle(tmp_path)
    good = tmp_path / "ok.json"
    good.write_text(json.dumps(bundle), encoding="utf-8")
    assert importer.read_bundle(good) == bundle


def test_an_override_without_its_written_reason_is_refused(bundle: dict[str, Any], db_engine: Engine) -> None:
    broken = copy.deepcopy(bundle)
    found = [
        part
        for e in broken["entry"]
        if e["resource"]["resourceType"] == "Procedure"
        for item in e["resource"].get("extension", ())
        for sub in item.get("extension", ())
        if sub["url"] == "override"
        for part in sub["extension"]
        if part["url"] == "reason"
    ]
    assert len(found) == 1  # the world's one overridden problem
    found[0]["valueString"] = "ok"
    with pytest.raises(ValidationFailed) as err, transaction(session_factory(db_engine)) as s:
        importer.import_bundle(s, broken)
    assert any("written reason" in d for d in err.value.details), (err.value, err.value.details)


@pytest.fixture(scope="module")
def clinic_bundle(demo_clinic: Clinic) -> dict[str, Any]:
    with transaction(session_factory(demo_clinic.engine)) as s:
        return exporter.clinic_bundle(s, actor=demo_clinic.admin)


def _first(bundle: dict[str, Any], kind: str, code: str) -> dict[str, Any]:
    return next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == kind
        and any(c.get("code") == code for c in e["resource"].get("code", {}).get("coding", ()))
    )


def test_a_session_with_another_patients_consent_is_refused(clinic_bundle: dict[str, Any], db_engine: Engine) -> None:
    """Issue 18: a session whose consent and screening belong to another patient was accepted."""
    bundle = copy.deepcopy(clinic_bundle)
    session = _first(bundle, "Procedure", "dry-needling-session")
    mine = session["subject"]["reference"]
    other = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Consent" and e["resource"]["patient"]["reference"] != mine
    )
    basis = next(x for x in session["extension"] if x["url"].endswith("session-basis"))
    next(x for x in basis["extension"] if x["url"] == "consent")["valueReference"] = {
        "reference": f"Consent/{other['id']}"
    }
    with pytest.raises(ValidationFailed) as err, transaction(session_factory(db_engine)) as s:
        importer.import_bundle(s, bundle)
    assert f"consent {other['id']} belongs to another patient" in " ".join(err.value.details)
    with db_engine.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM patient")).scalar_one() == 0


def test_resources_are_told_apart_by_code_not_by_id(clinic_bundle: dict[str, Any], db_engine: Engine) -> None:
    """A pain score whose id starts with "d" is still a pain score (ids are not dispatch keys)."""
    bundle = copy.deepcopy(clinic_bundle)
    pain = _first(bundle, "Observation", "pain-before-needling")
    session_ref = pain["partOf"][0]["reference"]
    pain["id"] = "d999999"
    with transaction(session_factory(db_engine)) as s:
        importer.import_bundle(s, bundle)
    sid = int(session_ref.split("/s")[1])
    with db_engine.connect() as c:
        got = c.execute(sa.text("SELECT pain_pre FROM treatment_session WHERE id = :i"), {"i": sid}).scalar_one()
        drawings = c.execute(sa.text("SELECT COUNT(*) FROM pain_drawing WHERE id = 999999")).scalar_one()
    assert got == pain["valueQuantity"]["value"] and drawings == 0


def test_a_foreign_resource_in_a_restore_is_listed(clinic_bundle: dict[str, Any], db_engine: Engine) -> None:
    bundle = copy.deepcopy(clinic_bundle)
    n = len(bundle["entry"])
    bundle["entry"].append(
        {"resource": {"resourceType": "Observation", "id": "d77777", "status": "final", "code": {"text": "BP"}}}
    )
    bundle["entry"].append({"resource": {"resourceType": "Immunization", "id": "imm-1"}})
    with pytest.raises(ValidationFailed) as err, transaction(session_factory(db_engine)) as s:
        importer.import_bundle(s, bundle)
    assert err.value.details == [
        f"Observation/d77777 (entry {n + 1}): not a Filiform record",
        f"Immunization/imm-1 (entry {n + 2}): type not stored by Filiform",
    ]
    with transaction(session_factory(db_engine)) as s:
        counts = importer.import_bundle(s, bundle, skip_unsupported=True)
    assert counts["patient"] == 12


def test_a_group_is_fetched_by_its_index_not_by_scanning_its_kind() -> None:
    """The staged import read each session's needles by scanning every needle: quadratic."""
    with Stage() as stage:
        for n in range(50):
            stage.add("needle", f"Procedure/i{n}", f"Procedure/s{n % 5}", n, {"id": f"i{n}"})
        rows = stage.db.execute("EXPLAIN QUERY PLAN " + GROUP_QUERY, ("Procedure/s1", "needle"))
        plan = " ".join(str(r) for r in rows)
        assert "ix_staged_grp (grp=? AND kind=?)" in plan, plan
        assert [r["id"] for r in stage.group("Procedure/s1", "needle")] == [f"i{n}" for n in range(1, 50, 5)]
