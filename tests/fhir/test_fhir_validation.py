"""Every exported resource is valid R4 for two independent validators, and closed.

Validators: the official R4 JSON schema (jsonschema) and fhirclient's generated R4 4.0.1
models in strict mode; references are checked to resolve inside the same export.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from fhir_world import Clinic
from fhirclient.models.fhirelementfactory import FHIRElementFactory

from filiform.errors import PermissionDenied
from filiform.fhir import exporter
from filiform.fhir.validate import dangling_references, schema_errors
from filiform.services.access.context import Actor, Role
from filiform.storage.engine import session_factory, transaction


def _fhirclient_errors(res: dict[str, Any]) -> list[str]:
    try:
        FHIRElementFactory.instantiate(res["resourceType"], res)
    except Exception as exc:  # FHIRValidationError and friends
        return [f"{res['resourceType']}/{res['id']}: {exc}"]
    return []


def _clinic_resources(clinic: Clinic) -> list[dict[str, Any]]:
    with transaction(session_factory(clinic.engine)) as s:
        bundle = exporter.clinic_bundle(s, actor=clinic.admin)
    return [e["resource"] for e in bundle["entry"]]


def test_every_resource_validates_against_r4_schema_and_fhirclient(demo_clinic: Clinic) -> None:
    resources = _clinic_resources(demo_clinic)
    kinds = Counter(r["resourceType"] for r in resources)
    for kind in (
        "Patient",
        "Practitioner",
        "Organization",
        "Encounter",
        "Condition",
        "Procedure",
        "Observation",
        "Questionnaire",
        "QuestionnaireResponse",
        "AdverseEvent",
        "Consent",
        "CarePlan",
        "DocumentReference",
        "Provenance",
        "PractitionerRole",
    ):
        assert kinds[kind] > 0, kind
    problems = [p for r in resources for p in schema_errors(r) + _fhirclient_errors(r)]
    assert problems == []
    assert dangling_references(resources) == []


def test_bulk_ndjson_validates_and_matches_manifest(demo_clinic: Clinic, tmp_path: Path) -> None:
    manifest = exporter.bulk_export(demo_clinic.engine, actor=demo_clinic.admin, out_dir=tmp_path)
    resources = []
    for out in manifest["output"]:
        assert out["url"].startswith("file:///")  # absolute, as Bulk Data asks
        lines = Path(urlparse(out["url"]).path).read_text().splitlines()
        assert len(lines) == out["count"]
        parsed = [json.loads(line) for line in lines]
        assert {r["resourceType"] for r in parsed} == {out["type"]}
        resources += parsed
    assert [p for r in resources for p in schema_errors(r)] == []
    assert dangling_references(resources) == []
    assert json.loads((tmp_path / "manifest.json").read_text())["output"] == manifest["output"]


def test_validators_are_not_rubber_stamps() -> None:
    bad = {
        "resourceType": "Procedure",
        "id": "x",
        "status": "bogus",
        "subject": {"reference": "Patient/1"},
        "method": {"text": "R4 Procedure has no method"},
    }
    assert any("'method' was unexpected" in e for e in schema_errors(bad))
    assert schema_errors({"resourceType": "Patient", "id": "1", "gender": "x"})
    assert _fhirclient_errors(bad)
    assert dangling_references([bad]) == ["Procedure/x -> Patient/1"]


def test_patient_bundle_holds_one_patient_and_is_audited(demo_clinic: Clinic) -> None:
    with transaction(session_factory(demo_clinic.engine)) as s:
        bundle = exporter.patient_bundle(s, actor=demo_clinic.clinician, patient_id=demo_clinic.patient_id)
    resources = [e["resource"] for e in bundle["entry"]]
    assert [r["id"] for r in resources if r["resourceType"] == "Patient"] == [str(demo_clinic.patient_id)]
    subjects = {r.get("subject", {}).get("reference") for r in resources} - {None}
    assert subjects == {f"Patient/{demo_clinic.patient_id}"}
    assert dangling_references(resources) == []
    assert all(
        e["fullUrl"].endswith(f"/{e['resource']['resourceType']}/{e['resource']['id']}") for e in bundle["entry"]
    )
    with demo_clinic.engine.connect() as c:
        import sqlalchemy as sa

        last = c.execute(sa.text("SELECT action, entity, patient_id FROM audit_log ORDER BY id DESC LIMIT 1")).one()
    assert tuple(last) == ("export", "fhir_bundle", demo_clinic.patient_id)


def test_front_desk_may_not_export(demo_clinic: Clinic) -> None:
    desk = Actor(user_id=demo_clinic.admin.user_id, clinic_id=demo_clinic.admin.clinic_id, role=Role.FRONT_DESK)
    with pytest.raises(PermissionDenied), transaction(session_factory(demo_clinic.engine)) as s:
        exporter.patient_bundle(s, actor=desk, patient_id=demo_clinic.patient_id)


def test_codes_used(demo_clinic: Clinic) -> None:
    resources = _clinic_resources(demo_clinic)
    systems = {
        c["system"]: c["code"]
        for r in resources
        if r["resourceType"] in ("Condition", "AdverseEvent")
        for c in r.get("code", r.get("event", {})).get("coding", [])
    }
    assert "http://hl7.org/fhir/sid/icd-10-cm" in systems
    sessions = [r for r in resources if r["resourceType"] == "Procedure" and r["id"].startswith("s")]
    cpts = {c["code"] for r in sessions for c in r["code"]["coding"] if c["system"].endswith("/cpt")}
    assert cpts <= {"20560", "20561"} and cpts
    assert all("display" not in c for r in sessions for c in r["code"]["coding"] if c["system"].endswith("/cpt")), (
        "no CPT descriptor text"
    )
    sides = {
        c["code"]
        for r in resources
        if r["resourceType"] == "Procedure" and "bodySite" in r
        for c in r["bodySite"][0]["extension"][0]["valueCodeableConcept"]["coding"]
        if c["system"] == "http://snomed.info/sct"
    }
    assert sides >= {"419161000", "419465000", "51440002"}  # R4 laterality value set (round2.md)
    pain = [r for r in resources if r["resourceType"] == "Observation" and r["id"].startswith("pre")]
    assert pain and all(r["code"]["coding"][0]["code"] == "72514-3" for r in pain)
