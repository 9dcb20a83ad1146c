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
from filiform.services.records import bulk
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
        importer.bundle_rows(value)
    assert needle in str(err.value)


def test_a_repeated_entry_is_refused(bundle: dict[str, Any]) -> None:
    doubled = copy.deepcopy(bundle)
    doubled["entry"].append(doubled["entry"][1])
    with pytest.raises(ValidationFailed) as err:
        importer.bundle_rows(doubled)
    res = doubled["entry"][1]["resource"]
    assert f"{res['resourceType']}/{res['id']} appears more than once" in str(err.value)


def test_a_resource_missing_a_field_names_the_resource(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    proc = next(e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "Procedure")
    del proc["subject" if proc["id"].startswith("s") else "partOf"]
    with pytest.raises(ValidationFailed) as err:
        importer.bundle_rows(broken)
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


def test_an_override_without_its_written_reason_is_refused(bundle: dict[str, Any]) -> None:
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
    assert len(importer.bundle_rows(broken)["session_override"]) == 1
    found[0]["valueString"] = "ok"
    with pytest.raises(ValidationFailed) as err:
        bulk.validate_rows(importer.bundle_rows(broken))
    assert any("written reason" in d for d in err.value.details), err.value.details
