"""Route tests: the real app on a demo clinic, every page through its services."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from web_world import World, form_token

Client = Callable[[str], TestClient]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "hrv"


def _new_patient(c: TestClient, mrn: str, family: str = "Quill") -> int:
    tok = form_token(c.get("/patients/new").text)
    r = c.post(
        "/patients/new",
        data={
            "csrf_token": tok,
            "given_name": "Ada",
            "family_name": family,
            "birth_date": "1980-04-02",
            "sex": "female",
            "mrn": mrn,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])


def _consent_and_screen(c: TestClient, pid: int, **answers: str) -> str:
    tok = form_token(c.get(f"/patients/{pid}/consent").text)
    r = c.post(
        f"/patients/{pid}/consent",
        data={
            "csrf_token": tok,
            "form_version": "v1",
            "consented_on": date.today().isoformat(),
            "explained": "yes",
            "capacity": "yes",
            "agreed": "yes",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    form = {
        "csrf_token": tok,
        **{q: "no" for q in QUESTIONS_NO},
        "anticoagulant": "no",
        "age": "45",
        "capacity_to_consent": "yes",
        "consents_to_needling": "yes",
        **answers,
    }
    r = c.post(f"/patients/{pid}/screening", data=form)
    assert r.status_code == 200, r.text
    return r.text


QUESTIONS_NO = (
    "needle_phobia",
    "acute_illness",
    "red_flags",
    "antiplatelet",
    "bleeding_disorder",
    "pregnant",
    "lymphoedema",
    "implanted_electrical_device",
    "implants",
    "local_infection_or_lesion",
    "immunosuppressed",
    "heart_valve_disease",
    "diabetes",
    "impaired_sensation",
    "epilepsy",
    "vasovagal_history",
    "metal_allergy",
    "recent_surgery",
    "lung_disease",
)


def test_pages_need_login_and_come_back(app: FastAPI) -> None:
    with TestClient(app) as anon:
        r = anon.get("/patients/1/chart?drawing=2", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=/patients/1/chart%3Fdrawing%3D2"
        page = anon.get("/login?next=//evil.example")
        assert 'name="next" value="/patients"' in page.text  # no open redirect


def test_wrong_password_is_refused(app: FastAPI, world: World) -> None:
    with TestClient(app) as anon:
        tok = form_token(anon.get("/login").text)
        r = anon.post(
            "/login",
            data={"csrf_token": tok, "username": world.usernames["clinician"], "password": "wrong-password-123"},
        )
        assert r.status_code == 401
        assert "unknown user or wrong password" in r.text
        assert anon.get("/patients", follow_redirects=False).status_code == 303


def test_post_without_csrf_is_rejected(client_for: Client) -> None:
    r = client_for("clinician").post("/patients/new", data={"given_name": "X"})
    assert r.status_code == 403


def test_create_search_and_view_patient(client_for: Client) -> None:
    c = client_for("clinician")
    pid = _new_patient(c, "WEB-001", family="Zephyrine")
    listing = c.get("/patients?q=Zeph")
    assert f'href="/patients/{pid}"' in listing.text and "WEB-001" in listing.text
    page = c.get(f"/patients/{pid}")
    assert "No valid consent" in page.text and "Not screened: do not needle" in page.text
    tok = form_token(page.text)
    dup = c.post(
        "/patients/new",
        data={
            "csrf_token": tok,
            "given_name": "B",
            "family_name": "C",
            "birth_date": "1990-01-01",
            "sex": "male",
            "mrn": "WEB-001",
        },
    )
    assert dup.status_code == 422 and "already used" in dup.text
    assert 'value="C"' in dup.text  # the form keeps what was typed


def test_screening_shows_decision_per_technique(client_for: Client) -> None:
    c = client_for("clinician")
    pid = _new_patient(c, "WEB-002")
    html = _consent_and_screen(c, pid, implanted_electrical_device="yes")
    found = re.findall(r'data-techniques="([a-z_ ]+)".*?class="decision d-([a-z_]+)"', html, re.S)
    rows = {tid: decision for ids, decision in found for tid in ids.split()}
    assert set(rows) >= {"trigger_point_dn", "electrical_dn"}
    order = ["go", "caution", "do_not_needle"]
    assert rows["electrical_dn"] in ("caution", "do_not_needle")
    assert order.index(rows["electrical_dn"]) >= order.index(rows["trigger_point_dn"])
    assert rows["trigger_point_dn"] != "do_not_needle"
    header = c.get(f"/patients/{pid}").text  # the header says it in colour and words, never a green pill
    assert 'data-needling="do_not_needle"' in header and "Do not needle: Electrical dry needling" in header
    assert "np-go" not in header and "Record session – do not needle: read why first" in header


def test_unanswered_screening_is_never_a_go(client_for: Client) -> None:
    c = client_for("clinician")
    pid = _new_patient(c, "WEB-003")
    form = c.get(f"/patients/{pid}/screening").text
    # "none of the following" answers each open question with its no-risk answer (marked for the script)
    assert 'name="needle_phobia" value="no" data-clear="1"' in form
    assert 'name="needle_phobia" value="yes" data-clear="0"' in form
    tok = form_token(form)
    html = c.post(f"/patients/{pid}/screening", data={"csrf_token": tok}).text
    assert "Not asked" in html and "never counted as “no”" in html
    assert 'class="decision d-go"' not in html


def test_match_fragment_ranks_and_carries_patterns(client_for: Client) -> None:
    c = client_for("clinician")
    tok = form_token(c.get("/patients").text)
    r = c.post(
        "/chart/match",
        json={
            "regions": [
                {"region": "right-temple-middle", "intensity": 8},
                {"region": "right-upper-teeth-front", "intensity": 4},
            ]
        },
        headers={"X-CSRF-Token": tok},
    )
    assert r.status_code == 200
    first = re.search(
        r'<li class="match"[^>]*data-target="([^"]+)" data-side="([a-z]+)" data-rank="(\d+)"\s+'
        r'aria-label="([^"]+)"\s+data-essential="([^"]*)"',
        r.text,
    )
    assert first is not None
    assert first.group(1) == "temporalis" and first.group(2) == "right" and first.group(3) == "1"
    assert first.group(4).startswith("Rank 1: Temporalis (right), score")
    assert "right-temple-middle" in first.group(5).split()
    assert '<span class="sr-only">Plan Temporalis (right)</span>' in r.text  # every checkbox says which target
    kinds = c.post(
        "/chart/match",
        json={
            "regions": [{"region": "right-palmar-index-distal", "intensity": 5, "kind": "numbness", "depth": "deep"}]
        },
        headers={"X-CSRF-Token": tok},
    )
    assert kinds.status_code == 200 and "neural causes" in kinds.text
    wrong = c.post(
        "/chart/match",
        json={"regions": [{"region": "right-temple-middle", "intensity": 5, "kind": "tingly"}]},
        headers={"X-CSRF-Token": tok},
    )
    assert wrong.status_code == 422 and "kind" in wrong.text
    bad = c.post(
        "/chart/match", json={"regions": [{"region": "nowhere", "intensity": 3}]}, headers={"X-CSRF-Token": tok}
    )
    assert bad.status_code == 422
    empty = c.post("/chart/match", json={"regions": []}, headers={"X-CSRF-Token": tok})
    assert "Paint the chart" in empty.text


def test_save_drawing_then_plan_with_targets(client_for: Client) -> None:
    c = client_for("clinician")
    pid = _new_patient(c, "WEB-004")
    _consent_and_screen(c, pid)
    tok = form_token(c.get(f"/patients/{pid}/chart").text)
    r = c.post(
        f"/patients/{pid}/chart",
        data={
            "csrf_token": tok,
            "drawn_on": date.today().isoformat(),
            "regions_json": '[{"region": "right-posterolateral-neck-upper", "intensity": 6}, '
            '{"region": "right-temple-middle", "intensity": 7}]',
            "target": ["upper_trapezius:right", "temporalis:right"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:2000]
    location = r.headers["location"]
    assert "target=upper_trapezius:right" in location
    pick = c.get(location)
    assert pick.status_code == 200 and "condition=myofascial_neck_shoulder" in pick.text  # suggested
    drawing = re.search(r"drawing=(\d+)", location).group(1)  # type: ignore[union-attr]
    plan = c.get(f"{location}&condition=myofascial_neck_shoulder&finding=upper_trapezius:right:taut_band")
    assert plan.status_code == 200, plan.text[:2000]
    assert 'id="t-upper_trapezius-right"' in plan.text
    assert "Near the lung." in plan.text and 'class="decision d-' in plan.text
    assert 'id="reevaluate-on"' in plan.text and 'id="evidence-grade"' in plan.text
    assert 'value="upper_trapezius:right:taut_band" checked' in plan.text
    link = re.search(r'id="record-from-plan" href="([^"]+)"', plan.text)
    assert link is not None and "condition=myofascial_neck_shoulder" in link.group(1)
    form = c.get(link.group(1).replace("&amp;", "&"))
    assert 'id="from-plan"' in form.text
    selects = re.findall(r'<select name="ins-\d+-target"[^>]*>(.*?)</select>', form.text, re.S)
    targets = [m.group(1) for x in selects if (m := re.search(r'<option value="([a-z_]+)" selected>', x))]
    assert targets == ["upper_trapezius", "temporalis"]  # one card per target ticked on the chart
    saved = c.post(
        f"/patients/{pid}/plan/save",
        data={
            "csrf_token": form_token(plan.text),
            "condition": "myofascial_neck_shoulder",
            "drawing": drawing,
            "target": ["upper_trapezius:right", "temporalis:right"],
        },
    )
    assert saved.status_code == 200 and "Plan saved" in saved.text, saved.text[:1500]
    link = re.search(r'id="record-from-plan" href="([^"]+)"', saved.text)
    assert link is not None and link.group(1).count("&amp;target=") == 2  # the saved plan's link keeps them
    refused = c.post(
        f"/patients/{pid}/plan/save",
        data={"csrf_token": form_token(plan.text), "condition": "myofascial_neck_shoulder", "target": "moon:left"},
    )
    assert refused.status_code == 422 and "does not know" in refused.text
    handout = c.get(f"/patients/{pid}/handout.pdf?condition=myofascial_neck_shoulder&drawing={drawing}")
    assert handout.status_code == 200 and handout.content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(handout.content)).pages)
    assert "Needles near the chest" in text and "What is dry needling?" in text  # planning's Markdown
    assert "right-temple-middle" in c.get(f"/patients/{pid}/chart?drawing={drawing}").text


def test_plan_keeps_lung_adjacent_targets_to_one_side(client_for: Client) -> None:
    c = client_for("clinician")
    pid = _new_patient(c, "WEB-008")
    _consent_and_screen(c, pid)
    tok = form_token(c.get(f"/patients/{pid}/chart").text)
    both = [
        {"region": f"{s}-posterolateral-neck-{h}", "intensity": 7}
        for s in ("left", "right")
        for h in ("upper", "lower")
    ]
    r = c.post(
        f"/patients/{pid}/chart",
        data={"csrf_token": tok, "drawn_on": date.today().isoformat(), "regions_json": json.dumps(both)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    html = c.get(f"/patients/{pid}/plan?condition=myofascial_neck_shoulder").text
    sides = set(re.findall(r'id="t-upper_trapezius-(left|right)"', html))
    assert len(sides) == 1 and "other side of the thorax" in html.lower()
    assert c.get(f"/patients/{pid}/plan?condition=nope").status_code == 404
    assert c.get(f"/patients/{pid}/plan?condition=shoulder_pain&finding=bad").status_code == 422
    assert c.get(f"/patients/{pid}/plan?condition=shoulder_pain&drawing=999999").status_code == 422


def test_measure_entry_scores_and_plots(client_for: Client) -> None:
    c = client_for("clinician")
    pid = _new_patient(c, "WEB-007")
    page = c.get(f"/patients/{pid}/measures?instrument=nprs")
    item = re.search(r'name="item-([a-z0-9_]+)"', page.text)
    assert item is not None
    tok = form_token(page.text)
    for day, value in (("2026-01-05", "8"), ("2026-02-05", "5")):
        r = c.post(
            f"/patients/{pid}/measures",
            data={"csrf_token": tok, "instrument": "nprs", f"item-{item.group(1)}": value, "completed_on": day},
        )
        assert r.status_code == 200, r.text
        assert f'id="score-total">{value}<' in r.text
    plot = c.get(f"/patients/{pid}/measures/nprs/plot.svg")
    assert plot.status_code == 200 and plot.headers["content-type"].startswith("image/svg+xml")
    bad = c.post(
        f"/patients/{pid}/measures",
        data={"csrf_token": tok, "instrument": "nprs", f"item-{item.group(1)}": "11", "completed_on": "2026-02-06"},
    )
    assert bad.status_code == 422


def test_handout_pdf(client_for: Client) -> None:
    c = client_for("clinician")
    r = c.get("/patients/1/handout.pdf?condition=lateral_elbow_tendinopathy&side=right")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert c.get("/patients/1/handout.pdf").status_code == 422


def test_front_desk_sees_demographics_not_clinical(client_for: Client) -> None:
    c = client_for("front_desk")
    assert c.get("/patients").status_code == 200
    page = c.get("/patients/1")
    assert page.status_code == 200 and "Sessions" not in page.text
    assert c.get("/patients/1/chart").status_code == 403
    assert c.get("/patients/1/measures").status_code == 403


def test_other_clinic_patient_is_not_found(client_for: Client) -> None:
    assert client_for("clinician").get("/patients/999999").status_code == 404


def test_logout_ends_the_session(app: FastAPI, world: World) -> None:
    from web_world import login

    with TestClient(app) as c:
        login(c, world.usernames["assistant"])
        tok = form_token(c.get("/patients").text)
        r = c.post("/logout", data={"csrf_token": tok}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert c.get("/patients", follow_redirects=False).status_code == 303


def _audit_rows(app: FastAPI) -> list[tuple[str, str, int | None]]:
    import sqlalchemy as sa

    from filiform.storage.models import AuditLog

    with app.state.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(AuditLog.action, AuditLog.entity, AuditLog.entity_id))]


def test_each_page_reads_what_it_shows_once(client_for: Client, app: FastAPI) -> None:
    """One audited read per part of the record a page shows; none read twice, none read whole."""
    c = client_for("clinician")
    pid = 1
    drawing = re.search(r"/chart\?drawing=(\d+)", c.get(f"/patients/{pid}").text)
    assert drawing is not None
    pages = {
        f"/patients/{pid}/sessions/new?condition=myofascial_neck_shoulder": {
            "patient",
            "planning_inputs",
            "episodes",
            "needling_status",
        },
        f"/patients/{pid}/chart?drawing={drawing.group(1)}": {"patient", "pain_drawing", "needling_status"},
        f"/patients/{pid}/measures": {"patient", "outcome_responses", "needling_status"},
        f"/patients/{pid}": {"patient", "timeline", "needling_status", "episode_plan"},
    }
    for path, expected in pages.items():
        before = len(_audit_rows(app))
        assert c.get(path).status_code == 200, path
        written = _audit_rows(app)[before:]
        reads = sorted(entity for action, entity, _ in written if action == "read")
        assert reads == sorted(expected), (path, written)  # each part exactly once
