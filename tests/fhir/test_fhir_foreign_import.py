"""Records from another system: imported, or refused with a list, never silently dropped.

The Bundle in ``tests/fixtures/fhir/foreign_transaction.json`` is the one issue 18 describes:
a transaction Bundle with ``urn:uuid`` references and non-numeric ids, an SSN as the first
identifier, a second given name, a maiden name, a home and a mobile phone, an address, a
latex and a nickel allergy, warfarin, and an Observation Filiform cannot store (its id
starts with "d", like Filiform's pain drawings).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fhir_world import Clinic
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from filiform.cli.main import app
from filiform.errors import ValidationFailed
from filiform.fhir import exporter, foreign, sources
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.models import IntakeProposal, Patient

BUNDLE = Path(__file__).parent.parent / "fixtures" / "fhir" / "foreign_transaction.json"
runner = CliRunner()


@pytest.fixture
def clinic_copy(demo_clinic: Clinic, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    src, dst = sqlite3.connect(demo_clinic.url.removeprefix("sqlite:///")), sqlite3.connect(tmp_path / "c.db")
    src.backup(dst)
    src.close()
    dst.close()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def _patients(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text("SELECT COUNT(*) FROM patient")).scalar_one())


def test_unsupported_resources_refuse_the_import_with_a_list(
    clinic_copy: tuple[str, Engine], demo_clinic: Clinic
) -> None:
    _url, engine = clinic_copy
    before = _patients(engine)
    with pytest.raises(ValidationFailed) as err, transaction(session_factory(engine)) as s:
        foreign.import_foreign(s, actor=demo_clinic.clinician, items=sources.resources(BUNDLE))
    assert "1 resource(s) Filiform cannot store" in err.value.message
    assert err.value.details == ["Observation/d1 (foreign_transaction.json entry 5): type not stored by Filiform"]
    assert _patients(engine) == before  # nothing written


def test_with_skip_unsupported_everything_else_is_kept(clinic_copy: tuple[str, Engine], demo_clinic: Clinic) -> None:
    _url, engine = clinic_copy
    with transaction(session_factory(engine)) as s:
        report = foreign.import_foreign(
            s, actor=demo_clinic.clinician, items=sources.resources(BUNDLE), skip_unsupported=True
        )
    assert report.counts == {"patient": 1, "intake_proposal": 1}
    assert [line.split(" ")[0] for line in report.left_out] == ["Observation/d1"]
    with transaction(session_factory(engine)) as s:
        patient = s.execute(sa.select(Patient).where(Patient.mrn == "H-778201")).scalar_one()
        assert (patient.given_name, patient.family_name) == ("Anna", "Schmidt")
        assert patient.phone == "555-0100" and patient.email == "anna@example.org"  # not the mobile
        assert [n["given"] for n in patient.contact["name"]] == [["Anna", "Maria"], ["Anna"]]
        assert patient.contact["name"][0]["prefix"] == ["Dr."] and patient.contact["name"][1]["use"] == "maiden"
        assert [t["value"] for t in patient.contact["telecom"]] == ["555-0100", "555-0101", "anna@example.org"]
        assert patient.contact["address"][0]["line"] == ["12 Lindenweg", "Apt 3"]
        assert patient.contact["identifier"] == [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "123-45-6789"}]
        proposal = s.execute(sa.select(IntakeProposal).where(IntakeProposal.patient_id == patient.id)).scalar_one()
        assert proposal.status == "proposed" and proposal.link_id is None  # a clinician confirms it
        assert proposal.answers["metal_allergy"] == "yes" and proposal.answers["anticoagulant"] == "vka"
        assert proposal.answers["antiplatelet"] == "unknown" and proposal.answers["pregnant"] == "unknown"
        assert "Latex" in (proposal.allergies or "") and "high" in (proposal.allergies or "")
        assert "Warfarin" in (proposal.medicines or "")
        exported = exporter.patient_bundle(s, actor=demo_clinic.clinician, patient_id=patient.id)
    res = next(e["resource"] for e in exported["entry"] if e["resource"]["resourceType"] == "Patient")
    assert res["name"][0] == {"use": "official", "family": "Schmidt", "given": ["Anna", "Maria"], "prefix": ["Dr."]}
    assert res["name"][1]["family"] == "Keller" and res["address"][0]["city"] == "Springfield"
    assert [t["use"] for t in res["telecom"] if t["system"] == "phone"] == ["home", "mobile"]
    assert [i["value"] for i in res["identifier"]] == ["H-778201", "123-45-6789"]  # the MRN first, the SSN kept


def test_an_ssn_is_never_the_mrn(demo_clinic: Clinic) -> None:
    only_ssn = {
        "resourceType": "Patient",
        "id": "x",
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "123-45-6789"}],
    }
    with pytest.raises(ValidationFailed, match="no medical record number"):
        foreign.mrn_of(only_ssn, None)
    typed_ss = {
        "resourceType": "Patient",
        "id": "y",
        "identifier": [
            {"type": {"coding": [{"system": foreign.V2_0203, "code": "SS"}]}, "system": "urn:x", "value": "1"}
        ],
    }
    with pytest.raises(ValidationFailed):
        foreign.mrn_of(typed_ss, "urn:x")  # even when named as the MRN system
    assert (
        foreign.mrn_of(
            {"id": "z", "identifier": [{"system": "urn:a", "value": "1"}, {"system": "urn:b", "value": "2"}]}, "urn:b"
        )["value"]
        == "2"
    )


def test_cli_refuses_then_imports_with_the_flag(clinic_copy: tuple[str, Engine], demo_clinic: Clinic) -> None:
    url, engine = clinic_copy
    with engine.connect() as c:
        doc = c.execute(
            sa.text("SELECT username FROM app_user WHERE id = :i"), {"i": demo_clinic.clinician.user_id}
        ).scalar_one()
    refused = runner.invoke(app, ["import", "fhir", str(BUNDLE), "--user", doc, "--db", url])
    assert refused.exit_code == 2 and "Observation/d1" in refused.output and "Traceback" not in refused.output
    done = runner.invoke(app, ["import", "fhir", str(BUNDLE), "--user", doc, "--db", url, "--skip-unsupported"])
    assert done.exit_code == 0, done.output
    assert "left out: Observation/d1" in done.output and "1 patient" in done.output


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[" * 5000 + "]" * 5000, "nested deeper than 64"),
        ('{"resourceType": "Patient", "id": "' + "a" * 5000 + '"}', "is not a FHIR id"),
        ('{"resourceType": "Patient", "id": "not a valid id!"}', "is not a FHIR id"),
        ('{"resourceType": "Patient"', "not valid JSON"),
        ('"just a string"', "not a FHIR resource"),
    ],
)
def test_ndjson_limits_are_clear_errors(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "Patient.ndjson"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        list(sources.resources(path))
    assert needle in err.value.message and "Patient.ndjson line 1" in err.value.message


def test_a_deeply_nested_bundle_is_a_clear_error(tmp_path: Path) -> None:
    deep = (
        '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": '
        + '{"a": ' * 3000
        + "1"
        + "}" * 3000
        + "}]}"
    )
    path = tmp_path / "deep.json"
    path.write_text(deep, encoding="utf-8")
    with pytest.raises(ValidationFailed, match="nested deeper than 64"):
        list(sources.resources(path))


def test_fixture_is_untouched(tmp_path: Path) -> None:
    copy = tmp_path / "b.json"
    shutil.copy(BUNDLE, copy)
    assert [r["resourceType"] for _w, r in sources.resources(copy)] == [
        "Patient",
        "AllergyIntolerance",
        "AllergyIntolerance",
        "MedicationStatement",
        "Observation",
    ]
