"""The screening API takes the new questions, planned targets, sites and circuits (real app, real login)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from api_world import World
from fastapi.testclient import TestClient

from filiform.core.safety.intake import CLEAR_ANSWERS
from filiform.services.records.clinic_settings import settings_of
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.models import User

Clients = Callable[[str], TestClient]
CLEAR = {**CLEAR_ANSWERS, "age": 40, "bmi": 24.0}


def test_evaluate_with_targets_sites_and_circuits(world: World, client_for: Clients) -> None:
    c = client_for("clinician_a")
    body = {
        "intake": {**CLEAR, "joint_replacement": "yes", "joint_replacement_sites": ["left:knee"]},
        "targets": [
            {"target": "knee_periarticular_medial", "side": "left"},
            {"target": "rhomboid_major", "side": "left"},
        ],
        "sites": ["right:orbit"],
        "circuits": [{"label": "c1", "a": "left:forearm", "b": "right:forearm"}],
        "on": "2026-03-02",
    }
    r = c.post("/api/screening/evaluate", json=body)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    labels = {s["label"]: s for s in data["sites"]}
    assert set(labels) == {
        "Medial knee periarticular and periosteal sites, left",
        "Rhomboid major, left",
        "right eye socket (orbit)",
    }
    knee = labels["Medial knee periarticular and periosteal sites, left"]
    periarticular = next(t for t in knee["techniques"] if t["technique"] == "periarticular")
    assert periarticular["decision"] == "do_not_needle"
    assert data["circuits"][0]["decision"] == "do_not_needle"
    assert any("matches no planned needle" in w for w in data["warnings"])


def test_bad_screening_input_is_a_422_naming_the_problem(world: World, client_for: Clients) -> None:
    c = client_for("clinician_a")
    for body, text in (
        ({"intake": {**CLEAR, "pregnant": "no", "pregnancy_trimester": 2}}, "pregnancy_trimester=2"),
        ({"intake": {**CLEAR, "lymphoedema": "yes", "lymphoedema_sites": ["left:wing"]}}, "unknown site"),
        ({"intake": CLEAR, "sites": ["moon"]}, "unknown site"),
        (
            {"intake": CLEAR, "circuits": [{"label": "c", "a": "left:hand", "b": "left:forearm", "frequency_hz": 999}]},
            "250",
        ),
        ({"intake": CLEAR, "targets": [{"target": "no_such", "side": "left"}]}, "no_such"),
    ):
        r = c.post("/api/screening/evaluate", json=body)
        assert r.status_code in (404, 422), (body, r.text)
        assert text in r.text, r.text


def test_a_recorded_screening_keeps_site_answers_in_the_new_vocabulary(world: World, client_for: Clients) -> None:
    c = client_for("clinician_a")
    r = c.post(
        "/api/patients",
        json={"mrn": "SCR-1", "given_name": "Sam", "family_name": "Site", "birth_date": "1980-01-02", "sex": "other"},
    )
    pid = r.json()["data"]["id"]
    body = {
        "intake": {**CLEAR, "lymphoedema": "yes", "lymphoedema_sites": ["right:arm"]},
        "targets": [{"target": "supinator", "side": "right"}],
    }
    r = c.post(f"/api/patients/{pid}/screenings", json=body)
    assert r.status_code == 201, r.text
    sites = r.json()["data"]["decision"]["sites"]
    assert sites[0]["label"] == "Supinator, right" and sites[0]["techniques"][0]["decision"] == "do_not_needle"


def _set_zone(world: World, zone: str) -> str:
    with transaction(session_factory(make_engine(world.url))) as s:
        clinic = s.get(User, world.users["admin_a"]).clinic_id  # type: ignore[union-attr]
        row = settings_of(s, clinic)
        before, row.timezone = row.timezone, zone
        return before


def test_without_a_date_the_decision_is_for_the_clinics_today(world: World, client_for: Clients) -> None:
    """A clinic far from the server's zone: "today" is the clinic's calendar day, so an
    injection given on the clinic's today is accepted and one on its tomorrow refused."""
    now = datetime.now(UTC)
    # one of the two is always on another day: 14 h ahead from 10:00 UTC, 11 h behind before
    # (Etc/GMT+12 is refused as a clinic zone: its sign reads backwards)
    zone = "Pacific/Kiritimati" if now.hour >= 10 else "Pacific/Pago_Pago"
    clinic_day = now.astimezone(ZoneInfo(zone)).date()
    assert clinic_day != now.date()
    before = _set_zone(world, zone)
    try:
        c = client_for("clinician_a")

        def injected(day: date) -> dict[str, object]:
            shot = {"site": "right:elbow_joint", "on": day.isoformat()}
            return {"intake": {**CLEAR, "corticosteroid_injection": "yes", "corticosteroid_injections": [shot]}}

        accepted = c.post("/api/screening/evaluate", json=injected(clinic_day))
        assert accepted.status_code == 200, accepted.text
        tomorrow = clinic_day + timedelta(days=1)
        refused = c.post("/api/screening/evaluate", json=injected(tomorrow))
        assert refused.status_code == 422, refused.text
        assert f"dates after the day of screening ({clinic_day.isoformat()}): {tomorrow.isoformat()}" in refused.text
    finally:
        _set_zone(world, before)
