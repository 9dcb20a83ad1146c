"""The session form and page through the real app: safety at saving, time zones, one save per
form, the record fixed in time, amend / void / withdraw by the author or by co-signature."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from session_world import actor, db, form_of, needle, new_patient, now_on_form, second_clinician, set_zone
from web_world import World, form_token, login

from filiform.services.operations import audit
from filiform.services.records import drawings

Client = Callable[[str], TestClient]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "hrv"
REASON = "Deeper than planned: the trigger point sat under a thick gluteal layer, confirmed by palpation."


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def _yesterday_patient(world: World, mrn: str, **answers: object) -> int:
    moment = datetime.now(UTC) - timedelta(days=2)
    return new_patient(world, mrn, consent_on=moment.date() - timedelta(days=1), screened_at=moment, **answers)


def _post(c: TestClient, pid: int, data: dict[str, str], **kw: object) -> object:
    return c.post(f"/patients/{pid}/sessions/new", data=data, follow_redirects=False, **kw)  # type: ignore[arg-type]


def test_form_shows_the_decision_and_only_the_chosen_targets(client_for: Client, world: World) -> None:
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-01")
    query = "?condition=myofascial_neck_shoulder&side=right&target=levator_scapulae:right"
    page, hidden = form_of(c, pid, query)
    assert 'data-needling="go"' in page and "np-go" in page  # go: green AND the word
    cards = re.findall(r'name="ins-(\d+)-target"', page)
    assert cards == ["0", "99"]  # one card (the chosen target) and the template card
    assert re.search(r'<option value="levator_scapulae" selected>Levator scapulae</option>', page)
    assert "plan " in page and "mm" in page  # the planned range beside the depth
    assert 'class="chip-add" data-target="upper_trapezius"' in page  # the plan's others: one tap away
    assert hidden["plan_condition"] == "myofascial_neck_shoulder" and len(hidden["form_key"]) >= 16


def test_a_do_not_needle_patient_is_red_in_the_header_and_on_the_form(client_for: Client, world: World) -> None:
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-02", consents_to_needling="no")
    page, _ = form_of(c, pid)
    assert page.count('data-needling="do_not_needle"') >= 2  # header pill and form banner
    assert "np-go" not in page and ">Record session</a>" not in page
    assert "Save session – do not needle: each problem is refused or needs a reason" in page
    summary = c.get(f"/patients/{pid}").text
    assert 'class="pill ok">Screened' not in summary and "Record session – do not needle" in summary


def test_over_depth_needs_a_reason_and_past_the_cap_is_refused(client_for: Client, world: World) -> None:
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-03")
    page, hidden = form_of(c, pid, "?condition=myofascial_neck_shoulder&side=right")
    start = now_on_form(page)
    base = {**hidden, "started_at": start}
    deep = base | needle(0, "gluteus_medius", "right", "90", length="100")
    r = _post(c, pid, deep)
    assert r.status_code == 409  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert 'data-problem="depth_beyond_plan:1"' in html and "Needs a written reason" in html
    assert 'name="reason::depth_beyond_plan:1"' in html and 'value="90"' in html  # nothing typed is lost
    short = _post(c, pid, deep | {"reason::depth_beyond_plan:1": "too short"})
    assert short.status_code == 409  # type: ignore[attr-defined]
    ok = _post(c, pid, deep | {"reason::depth_beyond_plan:1": REASON})
    assert ok.status_code == 303, ok.text[:3000]  # type: ignore[attr-defined]
    view = c.get(ok.headers["location"]).text  # type: ignore[attr-defined]
    assert "Safety overrides" in view and REASON in view and "Gluteus medius" in view
    sid = ok.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    note = _pdf_text(c.get(f"/patients/{pid}/sessions/{sid}/note.pdf").content)
    assert "Safety overrides" in note and "Deeper than planned" in note
    lung = base | needle(0, "rhomboid_major", "left", "30") | {"form_key": "another-form-key-1"}
    refused = _post(c, pid, lung | {"reason::depth_beyond_cap:1": REASON})
    assert refused.status_code == 409 and "Refused" in refused.text  # type: ignore[attr-defined]
    assert 'name="reason::depth_beyond_cap:1"' not in refused.text  # type: ignore[attr-defined]


def test_a_second_click_on_save_returns_the_first_session(client_for: Client, world: World) -> None:
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-04")
    page, hidden = form_of(c, pid)
    data = {**hidden, "started_at": now_on_form(page)} | needle(0, "extensor_digitorum", "left", "10")
    first, second = _post(c, pid, data), _post(c, pid, data)
    assert first.status_code == second.status_code == 303  # type: ignore[attr-defined]
    assert first.headers["location"] == second.headers["location"]  # type: ignore[attr-defined]
    summary = c.get(f"/patients/{pid}").text
    assert len(re.findall(rf"/patients/{pid}/sessions/\d+\"", summary)) == 1


def test_future_start_is_refused_and_the_screening_minute_is_accepted(client_for: Client, world: World) -> None:
    c = client_for("clinician")
    now = datetime.now(UTC).replace(second=40)
    pid = new_patient(world, "PC-05", consent_on=now.date() - timedelta(days=1), screened_at=now)
    page, hidden = form_of(c, pid)
    tomorrow = (datetime.fromisoformat(now_on_form(page)) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = hidden | needle(0, "extensor_digitorum", "left", "10")
    future = _post(c, pid, data | {"started_at": tomorrow})
    assert future.status_code == 422 and "is in the future" in future.text  # type: ignore[attr-defined]
    same_minute = _post(c, pid, data | {"started_at": now_on_form(page)})  # screened 40 s into this minute
    assert same_minute.status_code == 303, same_minute.text[:2000]  # type: ignore[attr-defined]


def test_new_york_evening_session_keeps_its_local_date(client_for: Client, world: World) -> None:
    set_zone(world, "America/New_York")
    try:
        c = client_for("clinician")
        day = datetime.now(ZoneInfo("America/New_York")).date() - timedelta(days=3)
        pid = new_patient(
            world, "PC-06", consent_on=day, screened_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        )
        page, hidden = form_of(c, pid)
        assert "(clinic time, America/New_York)" in page
        data = hidden | needle(0, "extensor_digitorum", "right", "10") | {"started_at": f"{day}T20:30"}
        r = _post(c, pid, data)
        assert r.status_code == 303, r.text[:2000]  # type: ignore[attr-defined]
        view = c.get(r.headers["location"]).text  # type: ignore[attr-defined]
        shown = f"{day:%d %b %Y}, 20:30"
        assert f"Session of {shown}" in view  # 00:30 or 01:30 UTC the next day: never shown
        note = _pdf_text(c.get(r.headers["location"] + "/note.pdf").content)  # type: ignore[attr-defined]
        assert f"{shown} (America/New_York)" in note and "1 Needle Lane" in note and "+1 555 0100" in note
        assert "Signature" in note and "Do not needle" not in note
    finally:
        set_zone(world, "UTC")


def test_the_note_shows_its_own_drawing_never_a_later_one(client_for: Client, world: World) -> None:
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-07")
    with db(world) as s:
        doc = actor(s, world.usernames["clinician"])
        first = drawings.record_drawing(
            s,
            actor=doc,
            patient_id=pid,
            details={"drawn_on": date.today(), "regions": [{"region": "right-temple-middle", "intensity": 4}]},
        )
    page, hidden = form_of(c, pid, f"?condition=headache_tension_cervicogenic&drawing={first.id}")
    r = _post(c, pid, {**hidden, "started_at": now_on_form(page)} | needle(0, "temporalis", "right", "8"))
    assert r.status_code == 303, r.text[:2000]  # type: ignore[attr-defined]
    with db(world) as s:
        drawings.record_drawing(
            s,
            actor=actor(s, world.usernames["clinician"]),
            patient_id=pid,
            details={"drawn_on": date.today(), "regions": [{"region": "left-temple-middle", "intensity": 9}]},
        )
    view = c.get(r.headers["location"]).text  # type: ignore[attr-defined]
    assert "1 region" in view and "1 regions" not in view
    pdf_svg = c.get(r.headers["location"] + "/note.pdf")  # type: ignore[attr-defined]
    assert pdf_svg.status_code == 200


def test_amend_and_void_by_the_author_and_by_co_signature(client_for: Client, world: World, app: FastAPI) -> None:
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-08")
    page, hidden = form_of(c, pid)
    data = {**hidden, "started_at": now_on_form(page), "soap_s": "neck pain"} | needle(
        0, "extensor_digitorum", "left", "10"
    )
    r = _post(c, pid, data)
    url = r.headers["location"]  # type: ignore[attr-defined]
    tok = form_token(c.get(url).text)
    amended = c.post(
        url + "/amend",
        data={
            "csrf_token": tok,
            "version": "1",
            "pain_pre": "6",
            "soap_s": "neck and shoulder pain",
            "reason": "Added the shoulder",
        },
        follow_redirects=False,
    )
    assert amended.status_code == 303
    view = c.get(url).text
    assert 'id="mark-amended"' in view and "S: neck and shoulder pain" in view and "Added the shoulder" in view
    other = login(TestClient(app), second_clinician(world, "doc-two"))
    tok2 = form_token(other.get(url).text)
    proposed = other.post(
        url + "/void",
        data={"csrf_token": tok2, "version": "2", "reason": "Wrong patient chosen"},
        follow_redirects=False,
    )
    assert proposed.status_code == 303
    view = c.get(url).text
    assert 'id="mark-void"' not in view and "Co-sign and apply" in view and "Wrong patient chosen" in view
    proposal = re.search(r"/proposals/(\d+)/cosign", view)
    assert proposal is not None
    refused = other.post(
        url + f"/proposals/{proposal.group(1)}/cosign", data={"csrf_token": tok2}, follow_redirects=False
    )
    assert refused.status_code == 422 and "someone other than" in refused.text  # the proposer cannot co-sign
    cosigned = c.post(url + f"/proposals/{proposal.group(1)}/cosign", data={"csrf_token": tok}, follow_redirects=False)
    assert cosigned.status_code == 303
    view = c.get(url).text
    assert 'id="mark-void"' in view and "co-signed by" in view and "Wrong patient chosen" in view
    note = _pdf_text(c.get(url + "/note.pdf").content)
    assert "VOID" in note and "AMENDED" in note and "Added the shoulder" in note
    assert re.search(r"Status signed → void Dr doc-two, co- ?signed by", note)
    with db(world) as s:
        assert audit.verify(s).ok


def test_another_clinicians_rewrite_of_a_note_is_refused(client_for: Client, world: World, app: FastAPI) -> None:
    """Issue 19.3 (failed before: 201 and the new text under the original author)."""
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-09")
    page, hidden = form_of(c, pid)
    r = _post(
        c,
        pid,
        {**hidden, "started_at": now_on_form(page), "soap_o": "original"}
        | needle(0, "extensor_digitorum", "left", "10"),
    )
    sid = int(r.headers["location"].rsplit("/", 1)[1])  # type: ignore[attr-defined]
    other = login(TestClient(app), second_clinician(world, "doc-three"))
    api = other.post(
        "/api/amendments",
        json={
            "entity": "treatment_session",
            "entity_id": sid,
            "changes": {"notes": "rewritten", "pain_post": 0},
            "reason": "mine now",
            "expected_version": 1,
        },
        headers={"X-CSRF-Token": other.cookies.get("filiform_csrf") or ""},
    )
    assert api.status_code == 403, api.text
    assert "O: original" in c.get(r.headers["location"]).text and "rewritten" not in c.get(r.headers["location"]).text  # type: ignore[attr-defined]


def test_the_session_handout_names_the_clinic_phone_the_day_and_the_clinician(client_for: Client, world: World) -> None:
    set_zone(world, "UTC")  # the clinic's settings: address and phone
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-10")
    page, hidden = form_of(c, pid, "?condition=myofascial_neck_shoulder&side=right&target=levator_scapulae:right")
    start = now_on_form(page)
    card = re.search(r'name="ins-0-depth"[^>]*value="([^"]+)"', page)  # the plan's shallow end, pre-filled
    assert card is not None
    data = {**hidden, "started_at": start} | needle(0, "levator_scapulae", "right", card.group(1), length="30")
    r = _post(c, pid, data)
    assert r.status_code == 303, r.text[:2000]  # type: ignore[attr-defined]
    url = r.headers["location"]  # type: ignore[attr-defined]
    clinician = re.search(r"Signed by <strong>([^<]+)</strong>", c.get(url).text)
    assert clinician is not None
    text = _pdf_text(c.get(url + "/handout.pdf").content)
    day = datetime.fromisoformat(start).strftime("%d %b %Y")
    assert "+1 555 0100" in text and day in text and clinician.group(1).strip() in text


def test_the_patient_page_counts_needles_in_one_muscle_and_regions_in_words(client_for: Client, world: World) -> None:
    """A session of three needles in temporalis and one in masseter reads "temporalis ×3,
    masseter" on the patient page, its start does not break inside the date, and a
    one-region drawing reads "1 region", not "1 regions"."""
    c = client_for("clinician")
    pid = _yesterday_patient(world, "PC-20")
    with db(world) as s:
        drawings.record_drawing(
            s,
            actor=actor(s, world.usernames["clinician"]),
            patient_id=pid,
            details={"drawn_on": date.today(), "regions": [{"region": "right-temple-middle", "intensity": 6}]},
        )
    page, hidden = form_of(c, pid)
    needles = (
        needle(0, "temporalis", "right", "8")
        | needle(1, "temporalis", "right", "9")
        | needle(2, "masseter", "right", "10")
        | needle(3, "temporalis", "left", "8")
    )
    started = now_on_form(page)  # "YYYY-MM-DDTHH:MM" on the clinic's clock
    r = _post(c, pid, {**hidden, "started_at": started} | needles)
    assert r.status_code == 303, r.text[:2000]  # type: ignore[attr-defined]
    summary = c.get(f"/patients/{pid}").text
    assert "<td>temporalis ×3, masseter</td>" in summary
    # on a phone the line may break between the date and the time, never inside the date
    assert f'<span class="nowrap">{started[:10]}</span> <span class="nowrap">{started[11:16]}</span>' in summary
    assert "1 region, worst 6/10" in summary and "1 regions" not in summary
