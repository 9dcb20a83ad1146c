"""Every face refuses every class of invalid value the same way, and writes nothing.

For patients, sessions, needles (insertions), drawings and outcome responses, one value of
each class (wrong type, out of range, non-finite, overlong, wrong enum) is fed to each face:
the web form, the REST API, an amendment, the FHIR import and the command line, on SQLite
and on PostgreSQL. Each must answer with the one refusal of its kind (HTTP 422, the form
shown again with a message and status 422, ``ValidationFailed`` from the import, exit code
2 from the command line) and leave the database as it was.

Classes that a kind cannot hold are named in ``NOT_APPLICABLE`` with the reason (a
session's only enumerated values are its needles'; needles are never amended).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from invalid_records import (
    CASES,
    CLASSES,
    FACES,
    INTAKE,
    KINDS,
    MATRIX,
    NOT_APPLICABLE,
    PASSWORD,
    TABLE,
    Bad,
    drawing_json,
    drawing_region,
    outcome_json,
    patient_json,
    session_json,
    spoiled,
)
from typer.testing import CliRunner

from filiform.app.factory import create_app
from filiform.cli.main import app as cli
from filiform.core.safety.screening import evaluate
from filiform.errors import ValidationFailed
from filiform.fhir import exporter, importer
from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.records import bulk, clinical, drawings, outcomes, patients, sessions
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.pgcluster import TempCluster

# ---------------------------------------------------------------- the world


@dataclass
class Site:
    url: str
    empty_url: str  # an empty, migrated database for the import face
    client: TestClient
    patient_id: int
    record_ids: dict[str, int]  # kind -> an existing record to amend
    bundle: dict[str, Any]

    def count(self, table: str, url: str | None = None) -> int:
        engine = make_engine(url or self.url)
        try:
            with engine.connect() as conn:
                return int(conn.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) or 0)
        finally:
            engine.dispose()

    def snapshot(self) -> dict[str, int]:
        """Rows per record table plus the amendment count and the record versions."""
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                counts = {
                    t: int(conn.scalar(sa.select(sa.func.count()).select_from(sa.table(t))) or 0)
                    for t in (*TABLE.values(), "amendment")
                }
                for kind, rid in self.record_ids.items():
                    counts[f"{kind}.version"] = int(
                        conn.scalar(sa.text(f"SELECT version FROM {TABLE[kind]} WHERE id = :i"), {"i": rid})
                    )
                return counts
        finally:
            engine.dispose()


def _world(url: str) -> tuple[dict[str, int], int, dict[str, Any], Actor]:
    engine = make_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        clinic, admin = users.create_clinic(s, name="Faces", admin_username="faces-admin", admin_password=PASSWORD)
        boss = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN)
        u = users.create_user(
            s, actor=boss, username="faces-doc", display_name="Doc", role=Role.CLINICIAN, password=PASSWORD
        )
        doc = Actor(user_id=u.id, clinic_id=clinic.id, role=Role.CLINICIAN)
        p = patients.register_patient(s, actor=doc, details={**patient_json(), "mrn": "M-1"})
        yesterday = date.today() - timedelta(days=1)
        clinical.record_consent(
            s, actor=doc, patient_id=p.id, details={"form_version": "v1", "consented_on": yesterday}
        )
        clinical.record_screening(
            s,
            actor=doc,
            patient_id=p.id,
            answers=INTAKE.model_dump(mode="json"),
            result=evaluate(INTAKE, on=yesterday),
            screened_at=datetime.now(UTC) - timedelta(days=1),
        )
        session = sessions.record_session(s, actor=doc, patient_id=p.id, documented=session_json())
        drawing = drawings.record_drawing(s, actor=doc, patient_id=p.id, details=drawing_json())
        outcome, _ = outcomes.record_outcome(s, actor=doc, patient_id=p.id, details=outcome_json())
        ids = {"patient": p.id, "session": session.id, "drawing": drawing.id, "outcome": outcome.id}
        bundle = exporter.clinic_bundle(s, actor=boss)
    engine.dispose()
    return ids, p.id, bundle, doc


def _login(client: TestClient) -> TestClient:
    token = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    r = client.post("/api/auth/login", json={"username": "faces-doc", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if request.param == "sqlite":
        folder: Path = tmp_path_factory.mktemp("faces")
        url, empty = f"sqlite:///{folder / 'clinic.db'}", f"sqlite:///{folder / 'empty.db'}"
    else:
        cluster: TempCluster = request.getfixturevalue("pg_cluster")
        url, empty = cluster.create_database("faces_clinic"), cluster.create_database("faces_empty")
    ids, pid, bundle, _ = _world(url)
    target = make_engine(empty)
    upgrade(target)
    target.dispose()
    app = create_app(url)
    with TestClient(app) as client:
        yield Site(url, empty, _login(client), pid, ids, bundle)
    app.state.engine.dispose()
    if request.param == "postgres":
        cluster.drop_database("faces_clinic")
        cluster.drop_database("faces_empty")


# ---------------------------------------------------------------- the faces


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _web_form(kind: str, bad: Bad) -> tuple[str, dict[str, str]]:
    """The page's form path and the fields a clinician would submit, with ``bad.text`` in."""
    if kind == "patient":
        fields = {**patient_json(), bad.field: bad.text}
        return "/patients/new", fields
    started = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    needle = {"target": "upper_trapezius", "side": "right", "technique": "trigger_point_dn", "length": "30",
              "gauge": "0.25", "depth": "12"}  # fmt: skip
    if kind in ("session", "insertion"):
        session = {"started_at": started, "pain_pre": "6", "soap_s": "ok"}
        if kind == "session":  # the form writes the note as SOAP parts
            session["soap_s" if bad.field == "notes" else bad.field] = bad.text
        else:
            form_name = {"depth_mm": "depth", "needle_length_mm": "length", "target_id": "target", "side": "side"}
            needle[form_name[bad.field]] = bad.text
        return "/patients/{pid}/sessions/new", {**session, **{f"ins-0-{k}": v for k, v in needle.items()}}
    if kind == "drawing":
        region = json.dumps(drawing_region())[:-1] + f', "{bad.field}": {bad.text}}}'
        return "/patients/{pid}/chart", {"drawn_on": date.today().isoformat(), "regions_json": f"[{region}]"}
    instrument = bad.text if bad.field == "instrument_id" else "nprs"
    answer = "5" if bad.field == "instrument_id" else bad.text
    return "/patients/{pid}/measures", {
        "instrument": instrument,
        "item-pain": answer,
        "completed_on": date.today().isoformat(),
    }


def via_web(site: Site, kind: str, bad: Bad) -> None:
    path, fields = _web_form(kind, bad)
    path = path.format(pid=site.patient_id)
    page = site.client.get(path if "measures" not in path else f"{path}?instrument=nprs")
    assert page.status_code == 200
    r = site.client.post(path, data={**fields, "csrf_token": _form_token(page.text)}, follow_redirects=False)
    assert r.status_code == 422, r.text[:500]
    assert 'class="alert error"' in r.text or 'role="alert"' in r.text, "the form shows why"
    assert bad.named.search(r.text), r.text[:3000]


API_PATH = {
    "patient": "/api/patients",
    "session": "/api/patients/{pid}/sessions",
    "insertion": "/api/patients/{pid}/sessions",
    "drawing": "/api/patients/{pid}/drawings",
    "outcome": "/api/patients/{pid}/measures",
}


def via_api(site: Site, kind: str, bad: Bad) -> None:
    body = json.dumps(spoiled(kind, bad))  # NaN and Infinity as JavaScript writes them
    r = site.client.post(
        API_PATH[kind].format(pid=site.patient_id), content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text[:500]
    assert r.json()["code"] == "validation_failed"
    assert bad.named.search(json.dumps(r.json())), r.text[:500]


AMEND_ENTITY = {
    "patient": "patient",
    "session": "treatment_session",
    "drawing": "pain_drawing",
    "outcome": "outcome_response",
}


def _changes(kind: str, bad: Bad) -> dict[str, Any]:
    if kind == "drawing":
        return {"regions": [{**drawing_region(), bad.field: bad.value}]}
    return {bad.field: bad.value}


def via_amendment(site: Site, kind: str, bad: Bad) -> None:
    body = {
        "entity": AMEND_ENTITY[kind],
        "entity_id": site.record_ids[kind],
        "changes": _changes(kind, bad),
        "reason": "testing a refusal",
        "expected_version": 1,
    }
    r = site.client.post("/api/amendments", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text[:500]
    assert r.json()["code"] == "validation_failed"
    assert bad.named.search(json.dumps(r.json())), r.text[:500]


def _resource(bundle: dict[str, Any], kind: str, rid: str) -> dict[str, Any]:
    return next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind and e["resource"]["id"] == rid
    )


def _spoil_bundle(site: Site, kind: str, bad: Bad) -> dict[str, Any]:
    bundle = copy.deepcopy(site.bundle)
    ids = site.record_ids
    if kind == "patient":
        res = _resource(bundle, "Patient", str(ids["patient"]))
        if bad.field == "birth_date":
            res["birthDate"] = bad.value
        elif bad.field == "sex":
            res["gender"] = bad.value
        else:
            res["telecom"] = [{"system": "email", "value": bad.value}]
    elif kind == "session":
        if bad.field == "pain_pre":
            _resource(bundle, "Observation", f"pre{ids['session']}")["valueQuantity"]["value"] = bad.value
        else:
            proc = _resource(bundle, "Procedure", f"s{ids['session']}")
            next(n for n in proc["note"] if n["authorReference"]["reference"].startswith("Practitioner"))["text"] = (
                bad.value
            )
    elif kind == "insertion":
        needle = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("i"))
        detail = needle["extension"][0]["extension"]
        if bad.field in ("depth_mm", "needle_length_mm"):
            url = {"depth_mm": "depth", "needle_length_mm": "needleLength"}[bad.field]
            next(d for d in detail if d["url"] == url)["valueQuantity"]["value"] = bad.value
        elif bad.field == "target_id":
            needle["bodySite"][0]["coding"][-1]["code"] = bad.value
        else:
            needle["bodySite"][0]["extension"][0]["valueCodeableConcept"]["coding"][-1]["code"] = bad.value
    elif kind == "drawing":
        component = _resource(bundle, "Observation", f"d{ids['drawing']}")["component"][0]
        if bad.field == "intensity":
            component["valueQuantity"]["value"] = bad.value
        else:
            component["code"]["coding"][0]["code"] = bad.value
    else:
        qr = _resource(bundle, "QuestionnaireResponse", f"o{ids['outcome']}")
        if bad.field == "instrument_id":
            qr["questionnaire"] = qr["questionnaire"].rsplit("/", 1)[0] + "/" + bad.value
        else:
            answer = bad.value[0] if isinstance(bad.value, list) else bad.value
            qr["item"][0]["answer"] = [{"valueString": answer} if isinstance(answer, str) else {"valueDecimal": answer}]
    return json.loads(json.dumps(bundle))  # through JSON, as a file would carry it


def via_import(site: Site, kind: str, bad: Bad) -> None:
    bundle = _spoil_bundle(site, kind, bad)
    engine = make_engine(site.empty_url)
    try:
        with pytest.raises(ValidationFailed) as refused, transaction(session_factory(engine)) as s:
            importer.import_bundle(s, bundle)
    finally:
        engine.dispose()
    assert bad.named.search(str(refused.value)), str(refused.value)
    assert all(site.count(t, site.empty_url) == 0 for t in bulk.TABLE_ORDER), "the import wrote nothing"


def via_cli(site: Site, kind: str, bad: Bad) -> None:
    command = {"patient": "patient", "session": "session", "insertion": "session", "drawing": "drawing",
               "outcome": "outcome"}[kind]  # fmt: skip
    args = ["record", command, "--user", "faces-doc", "--db", site.url, "--json", json.dumps(spoiled(kind, bad))]
    if kind != "patient":
        args += ["--patient", str(site.patient_id)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output[:500]
    assert bad.named.search(result.output), result.output[:500]


FACE: dict[str, Callable[[Site, str, Bad], None]] = {
    "web": via_web,
    "api": via_api,
    "amendment": via_amendment,
    "import": via_import,
    "cli": via_cli,
}


@pytest.mark.parametrize(("kind", "cls", "face"), MATRIX)
def test_the_face_refuses_and_writes_nothing(site: Site, kind: str, cls: str, face: str) -> None:
    before = site.snapshot()
    FACE[face](site, kind, CASES[(kind, cls)])
    assert site.snapshot() == before


def test_the_matrix_is_complete() -> None:
    """Every kind, class and face is exercised unless named as not applicable, with a reason."""
    covered = {(k, c, f) for k, c, f in (p.values for p in MATRIX)}
    for kind in KINDS:
        for cls in CLASSES:
            for face in FACES:
                exempt = (kind, cls) in NOT_APPLICABLE or (kind, face) in NOT_APPLICABLE
                assert ((kind, cls, face) in covered) != exempt
    assert len(covered) == len(MATRIX) >= 100


def test_the_valid_records_are_accepted_on_every_face(site: Site) -> None:
    """The refusals above are about the one bad value: the same records, valid, are stored."""
    api = site.client.post(API_PATH["drawing"].format(pid=site.patient_id), json=drawing_json())
    assert api.status_code == 201, api.text
    cli_result = CliRunner().invoke(
        cli,
        ["record", "session", "--user", "faces-doc", "--db", site.url, "--patient", str(site.patient_id), "--json",
         json.dumps(session_json())],
    )  # fmt: skip
    assert cli_result.exit_code == 0, cli_result.output


def test_needles_cannot_be_amended(site: Site) -> None:
    body = {
        "entity": "insertion",
        "entity_id": 1,
        "changes": {"depth_mm": 5},
        "reason": "not a thing",
        "expected_version": 1,
    }
    r = site.client.post("/api/amendments", json=body)
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"
