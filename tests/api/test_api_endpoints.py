"""Happy paths through the clinical workflow, and clear 4xx answers to bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from api_world import World
from fastapi.testclient import TestClient

Clients = Callable[[str], TestClient]
INSERTION = {
    "target_id": "upper_trapezius",
    "side": "left",
    "technique": "trigger_point_dn",
    "needle_length_mm": 30.0,
    "needle_gauge_mm": 0.25,
    "depth_mm": 10.0,
}


def test_clinical_workflow(world: World, client_for: Clients) -> None:
    c = client_for("clinician_a")
    now = datetime.now(UTC).isoformat()
    today = now[:10]
    r = c.post(
        "/api/patients",
        json={"mrn": "WF-1", "given_name": "Mo", "family_name": "Flow", "birth_date": "1970-03-04", "sex": "other"},
    )
    assert r.status_code == 201, r.text
    pid = r.json()["data"]["id"]
    r = c.post(
        f"/api/patients/{pid}/sessions", json={"started_at": "2024-06-01T10:00:00+00:00", "insertions": [INSERTION]}
    )
    assert r.status_code == 409 and r.json()["code"] == "safety_block"  # no consent yet
    assert (
        c.post(f"/api/patients/{pid}/consents", json={"form_version": "v1", "consented_on": "2024-05-01"}).status_code
        == 201
    )
    r = c.post(
        f"/api/patients/{pid}/screenings",
        json={
            "intake": {"capacity_to_consent": "yes", "consents_to_needling": "yes", "anticoagulant": "no", "age": 54}
        },
    )
    assert r.status_code == 201 and "techniques" in r.json()["data"]["decision"]
    r = c.post(
        f"/api/patients/{pid}/episodes",
        json={"condition": "Neck pain", "icd10_codes": ["M54.2"], "opened_on": "2024-05-01"},
    )
    episode = r.json()["data"]["id"]
    r = c.post(
        f"/api/patients/{pid}/drawings",
        json={
            "drawn_on": "2024-05-01",
            "episode_id": episode,
            "regions": [{"region": "right-temple-middle", "intensity": 6}],
        },
    )
    assert r.status_code == 201
    session = {
        "started_at": datetime.now(UTC).isoformat(),
        "insertions": [INSERTION],
        "pain_pre": 6,
        "pain_post": 3,
        "episode_id": episode,
    }
    r = c.post(f"/api/patients/{pid}/sessions", json=session)
    assert r.status_code == 409 and r.json()["code"] == "safety_block", r.text
    # no BMI on this screening: the safe depth over the lung is the shallowest (4 mm)
    assert r.json()["details"][0].startswith("[depth_beyond_cap:1]"), r.text
    why = {"problem": "depth_beyond_cap:1", "reason": "the patient is muscular; I judged it safe"}
    r = c.post(f"/api/patients/{pid}/sessions", json=session | {"override_reasons": [why]})
    assert r.status_code == 409, r.text  # refused whatever the reason
    shallow = {**INSERTION, "depth_mm": 4.0}
    r = c.post(f"/api/patients/{pid}/sessions", json=session | {"insertions": [shallow]})
    assert r.status_code == 201, r.text
    session_id = r.json()["data"]["id"]
    r = c.post(
        f"/api/patients/{pid}/adverse-events",
        json={
            "occurred_on": today,
            "event_type": "bruising",
            "severity": "minor",
            "onset": "within_24h",
            "action_taken": "none",
            "causality": "probable",
            "session_id": session_id,
        },
    )
    assert r.status_code == 201
    r = c.post(
        f"/api/patients/{pid}/measures",
        json={
            "instrument_id": "ndi",
            "answers": [1, 2, 1, 0, 2, 1, 1, 0, 1, 2],
            "completed_on": today,
            "episode_id": episode,
        },
    )
    assert r.status_code == 201 and r.json()["data"]["score"]["total"] is not None
    timeline = c.get(f"/api/patients/{pid}/timeline").json()["data"]
    assert len(timeline["sessions"]) == 1 and len(timeline["outcomes"]) == 1
    r = c.post(
        "/api/amendments",
        json={
            "entity": "treatment_session",
            "entity_id": session_id,
            "changes": {"pain_post": 2},
            "reason": "typo at entry",
            "expected_version": 1,
        },
    )
    assert r.status_code == 201
    history = c.get(f"/api/amendments/treatment_session/{session_id}").json()["data"]
    assert history[0]["reason"] == "typo at entry"
    assert c.get("/api/dashboard").status_code == 200


def test_read_only_knowledge(client_for: Clients) -> None:
    c = client_for("assistant_a")
    assert len(c.get("/api/atlas/regions").json()["data"]) > 100
    svg = c.get("/api/atlas/chart.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    found = c.get("/api/kb/targets?q=trapezius").json()["data"]
    assert found and c.get(f"/api/kb/targets/{found[0]['id']}").status_code == 200
    conditions = c.get("/api/conditions").json()["data"]
    assert conditions and c.get(f"/api/conditions/{conditions[0]['id']}").status_code == 200
    assert c.get("/api/instruments/nprs").json()["data"]["id"] == "nprs"
    assert c.post("/api/measures/score", json={"instrument_id": "nprs", "answers": [4]}).json()["data"]["total"] == 4
    ranked = c.post("/api/match", json={"regions": [{"region": "right-temple-middle", "intensity": 7}]})
    assert ranked.json()["data"]["ranked"][0]["muscle_id"]
    assert "lateral_elbow_tendinopathy" in c.get("/api/handouts").json()["data"]
    assert c.get("/api/handouts/nope").status_code == 404
    md = c.get("/api/handouts/myofascial_neck_shoulder?technique=trigger_point_dn&near_chest=true").json()["data"]
    assert md["techniques"] == ["trigger_point_dn"] and "Needles near the chest" in md["markdown"]


def test_plan_for_a_patient(world: World, client_for: Clients) -> None:
    c = client_for("clinician_a")
    pid = world.patient["a"]
    r = c.post(f"/api/patients/{pid}/plans", json={"condition": "myofascial_neck_shoulder", "side": "right"})
    assert r.status_code == 200, r.text
    plan = r.json()["data"]
    assert plan["screened"] is True and plan["condition"] == "myofascial_neck_shoulder"
    assert plan["targets"] and plan["reevaluate_on"] and plan["evidence_grade"]
    lung = [t for t in plan["targets"] if t["needle"]["lung_adjacent"]]
    assert len({t["side"] for t in lung}) <= 1  # never both sides of the thorax


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [
        ("POST", "/api/patients", {"mrn": 7}, 422, "mrn"),
        (
            "POST",
            "/api/patients",
            {"mrn": "X", "given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "sex": "female", "shoe": 9},
            422,
            "shoe",
        ),
        (
            "POST",
            "/api/patients",
            {"mrn": "X", "given_name": "A", "family_name": "B", "birth_date": "01/02/1990", "sex": "female"},
            422,
            "birth_date",
        ),
        (
            "POST",
            "/api/patients",
            {"mrn": "X", "given_name": "A", "family_name": "B", "birth_date": "2999-01-01", "sex": "female"},
            422,
            "future",
        ),
        (
            "POST",
            "/api/patients",
            {"mrn": "MRN-a", "given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "sex": "female"},
            409,
            "MRN",
        ),
        ("GET", "/api/patients/abc", None, 422, "patient_id"),
        ("GET", "/api/patients/99999999999999999999", None, 422, "patient_id"),
        ("GET", "/api/patients?limit=0", None, 422, "limit"),
        ("POST", "/api/match", {"regions": [{"region": "left-moon", "intensity": 3}]}, 422, "left-moon"),
        ("POST", "/api/match", {"regions": [{"region": "right-temple-middle", "intensity": "7"}]}, 422, "intensity"),
        ("POST", "/api/measures/score", {"instrument_id": "nprs", "answers": [42]}, 422, ""),
        ("POST", "/api/measures/score", {"instrument_id": "nosuch", "answers": [1]}, 404, ""),
        ("GET", "/api/kb/targets/no_such_target", None, 404, "no_such_target"),
        ("POST", "/api/screening/evaluate", {"intake": {"pregnant": "maybe"}}, 422, "pregnant"),
        ("POST", "/api/patients/1/plans", {"condition": "nosuch"}, 422, "nosuch"),
        ("POST", "/api/patients/1/plans", {"condition": "shoulder_pain", "side": "up"}, 422, "side"),
        ("POST", "/api/patients/1/plans", {"condition": "shoulder_pain", "extra": 1}, 422, "extra"),
        ("POST", "/api/patients/1/plans", {"condition": "shoulder_pain", "drawing_id": 999999}, 422, "drawing"),
        ("GET", "/api/handouts/shoulder_pain?technique=acupuncture", None, 422, "technique"),
        ("GET", "/api/nowhere", None, 404, ""),
        ("DELETE", "/api/patients", None, 405, ""),
    ],
)
def test_bad_input_is_a_clear_4xx(
    client_for: Clients, method: str, path: str, body: object, status: int, fragment: str
) -> None:
    r = client_for("clinician_a").request(method, path, json=body)
    assert r.status_code == status, r.text
    payload = r.json()
    assert payload["ok"] is False and payload["code"] and payload["error"]
    assert fragment in payload["error"] + " ".join(payload["details"])


def test_malformed_json_is_422(client_for: Clients) -> None:
    r = client_for("clinician_a").post(
        "/api/patients", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"
