"""Nothing typed is lost and times read as the clinic's, in a real browser on a tablet
(1024x768, touch) and a phone (390x844): idle log-off with the draft back after signing in
again, a session at 20:30 in New York shown and printed on that date, and a second tap on
"save" of an outcome form that stores nothing more."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_world import LiveServer
from conftest import serve
from playwright.sync_api import Page, Response, Route, expect
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from filiform.core.concepts.clock import local_date, to_utc
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate
from filiform.services.access.context import Actor, Role
from filiform.services.operations.demo import DemoStats
from filiform.services.records import clinical, patients
from filiform.services.records.clinic_settings import settings_of
from filiform.storage.engine import session_factory, transaction
from filiform.storage.models import User

pytestmark = pytest.mark.browser
NEW_YORK = "America/New_York"


def _sign_in(page: Page, server: LiveServer, path: str) -> None:
    page.goto(f"{server.url}{path}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Username").fill(server.clinician)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}{path}")


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Sessions end after 20 s without a request (the warning shows 5 s before)."""
    yield from serve(tmp_path_factory.mktemp("idle"), idle=timedelta(seconds=20))


def _new_york_clinic(engine: Engine, stats: DemoStats) -> None:
    """The demo clinic in New York, with a consented patient screened three days ago."""
    with transaction(session_factory(engine)) as s:
        settings_of(s, stats.clinic_id).timezone = NEW_YORK
        doc = s.execute(sa.select(User).where(User.clinic_id == stats.clinic_id, User.role == "clinician")).scalars()
        user = next(iter(doc))
        actor = Actor(user_id=user.id, clinic_id=stats.clinic_id, role=Role.CLINICIAN, client="127.0.0.1")
        p = patients.register_patient(
            s,
            actor=actor,
            details={"mrn": "NY-2030", "given_name": "Eve", "family_name": "Evening", "birth_date": date(1975, 6, 1),
                     "sex": "female"},
        )  # fmt: skip
        clinical.record_consent(
            s, actor=actor, patient_id=p.id, details={"form_version": "v1", "consented_on": date.today() - timedelta(5)}
        )
        intake = Intake.from_data({**CLEAR_ANSWERS, "age": 50, "bmi": 26.0})  # complete: saving re-checks it
        clinical.record_screening(
            s, actor=actor, patient_id=p.id, answers=intake.model_dump(mode="json"), result=evaluate(intake),
            screened_at=datetime.now(UTC) - timedelta(days=3),
        )  # fmt: skip


@pytest.fixture(scope="module")
def new_york(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve(tmp_path_factory.mktemp("new-york"), setup=_new_york_clinic)


def test_idle_log_off_warns_then_restores_the_draft(tablet: Page, idle_server: LiveServer) -> None:
    """The page's clock is Playwright's: once the whole draft is saved the clock stops and
    moves on a second at a time until the warning shows, then past the deadline, so a slow
    machine cannot carry the page past the warning before the test looks (the server's 20 s
    idle time is real, and the page signs out itself at the end, before the server would)."""
    page, server = tablet, idle_server
    page.clock.install()
    form = "/patients/1/measures?instrument=psfs"
    _sign_in(page, server, form)
    whole = '"item-a1":"3"'
    with page.expect_response(lambda r: _saves(r, "/drafts/1/", "Carrying the shopping", whole), timeout=20_000):
        page.get_by_label("Activity 1 in the patient's words").fill("Carrying the shopping upstairs")
        page.locator('input[name="item-a1"][value="3"]').check()
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()
    # Pausing fast-forwards to a moment that must not have passed already: real time runs on
    # between reading the page's clock and the pause, so the pause is 3 s ahead (in seconds).
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 3)
    # 20 s sessions less 5 s of slack: the warning shows from 10 s after the page's last
    # request until 15 s.  The stopped clock moves a second at a time until it shows, so
    # however long the machine took before the pause (or a keep-alive the typing sent), the
    # test looks inside that window.
    for _ in range(20):
        if warning.is_visible() or "/login" in page.url:
            break
        page.clock.run_for(1_000)
    expect(warning).to_be_visible()  # a warning before the log-off, with a way to stay
    expect(page.get_by_role("button", name="Stay signed in")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/patients/1/measures"))  # not signed out yet
    page.clock.run_for(6_000)  # past the page's own deadline (15 s)
    page.clock.resume()
    expect(page).to_have_url(re.compile(r"/login\?next=.*reason=idle"), timeout=20_000)
    expect(page.locator("#signin-notice")).to_be_visible()
    page.get_by_label("Username").fill(server.clinician)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}{form}")  # back to the same form
    expect(page.get_by_label("Activity 1 in the patient's words")).to_have_value("Carrying the shopping upstairs")
    expect(page.locator('input[name="item-a1"][value="3"]')).to_be_checked()
    expect(page.locator(".draft-note")).to_be_visible()


def test_an_evening_session_in_new_york_keeps_its_date(tablet: Page, new_york: LiveServer) -> None:
    page, server = tablet, new_york
    _sign_in(page, server, "/patients")
    page.goto(f"{server.url}/patients?q=NY-2030")
    page.get_by_role("link", name=re.compile("Evening")).first.click()
    patient_url = page.url.split("?")[0]
    yesterday = local_date(datetime.now(UTC), NEW_YORK) - timedelta(days=1)
    utc_day = to_utc(datetime.combine(yesterday, datetime.min.time()).replace(hour=20, minute=30), NEW_YORK).date()
    assert utc_day != yesterday  # 20:30 in New York is already the next day in UTC
    page.goto(patient_url + "/sessions/new")
    expect(page.get_by_text(f"clinic time, {NEW_YORK}")).to_be_visible()
    page.locator('input[name="started_at"]').fill(f"{yesterday.isoformat()}T20:30")
    page.locator('select[name="ins-0-target"]').select_option("upper_trapezius")
    page.locator('label.seg:has(input[name="ins-0-side"][value="right"])').click()
    page.locator('input[name="ins-0-length"]').fill("30")
    page.locator('input[name="ins-0-gauge"]').fill("0.25")
    page.locator('input[name="ins-0-depth"]').fill("10")
    page.get_by_role("button", name="Save session").click()
    shown = yesterday.strftime("%d %b %Y") + ", 20:30"
    expect(page.get_by_role("heading", name=re.compile("Session of"))).to_contain_text(shown)
    with page.expect_download() as download:
        page.get_by_role("link", name="Session note (PDF)").click()
    data = Path(download.value.path()).read_bytes()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert shown in text and NEW_YORK in text
    assert utc_day.strftime("%d %b %Y") not in text  # never the UTC date
    page.goto(patient_url)
    expect(page.locator("body")).to_contain_text(f"{yesterday.isoformat()} 20:30")


@pytest.mark.parametrize("device", ["tablet", "phone"])
def test_a_second_tap_on_save_stores_one_score(
    device: str, request: pytest.FixtureRequest, live_server: LiveServer
) -> None:
    page: Page = request.getfixturevalue(device)
    server = live_server
    form = "/patients/2/measures?instrument=nprs"
    _sign_in(page, server, form)
    day = (date.today() - timedelta(days=10 if device == "tablet" else 11)).isoformat()
    page.locator('input[name="item-pain"][value="6"]').check()
    page.locator('input[name="completed_on"]').fill(day)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
    save = page.get_by_role("button", name="Score and save")
    save.dblclick()
    expect(page).to_have_url(re.compile(r"saved=\d+"))
    expect(page.locator("#score-total")).to_have_text("6")
    page.reload()  # a reload after saving shows the saved score; it does not post again
    rows = page.locator("table.list tbody tr", has_text=day)
    expect(rows).to_have_count(1)


def _saves(response: Response, path: str, *texts: str) -> bool:
    """The draft save (a PUT to ``path``) whose body holds every one of ``texts``: waiting
    for it, not for the first save or a fixed time, is what makes the draft's content known."""
    request = response.request
    body = request.post_data or ""
    return path in response.url and request.method == "PUT" and response.ok and all(t in body for t in texts)


def _no_draft(page: Page, server: LiveServer, form: str) -> None:
    """Start from no session draft (another test of this server may have left one), then
    open the form again."""
    discarded = page.evaluate(
        """() => fetch("/drafts/1/session", {method: "DELETE", credentials: "same-origin", headers:
            {"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}}).then(r => r.status)"""
    )
    assert discarded in (200, 204), discarded
    page.goto(f"{server.url}{form}")


def test_a_session_form_draft_comes_back_with_all_its_needle_cards(tablet: Page, idle_server: LiveServer) -> None:
    """A half-filled session form (two needle cards, a note) is still there when the page is
    opened again: the cards added by script are rebuilt before the fields are filled."""
    page, server = tablet, idle_server
    form = "/patients/1/sessions/new"
    _sign_in(page, server, form)
    _no_draft(page, server, form)
    page.locator('[name="ins-0-depth"]').fill("12")
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)
    page.get_by_role("button", name="Add needle").click()
    page.locator('[name="ins-1-depth"]').fill("21")
    whole = '"ins-1-depth":"21"'
    with page.expect_response(lambda r: _saves(r, "/drafts/1/session", "Neck pain worse", whole), timeout=20_000):
        page.locator('[name="soap_s"]').fill("Neck pain worse after long drives")
    page.goto(f"{server.url}/patients/1")
    page.goto(f"{server.url}{form}")
    expect(page.locator("li.needle-card")).to_have_count(2)
    expect(page.locator('[name="ins-0-depth"]')).to_have_value("12")
    expect(page.locator('[name="ins-1-depth"]')).to_have_value("21")
    expect(page.locator('[name="soap_s"]')).to_have_value("Neck pain worse after long drives")
    expect(page.locator(".draft-note")).to_be_visible()


def test_a_draft_waits_for_the_script_that_rebuilds_its_needle_cards(tablet: Page, idle_server: LiveServer) -> None:
    """The session form's own script (which adds the cards a draft holds) arrives after the
    saved draft does: the draft still comes back with every card.  Before, a fast draft
    answer and a slow script brought back one card and lost the second needle."""
    page, server = tablet, idle_server
    form = "/patients/1/sessions/new"
    _sign_in(page, server, form)
    _no_draft(page, server, form)
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)
    expect(page.locator("li.needle-card")).to_have_count(1)
    page.get_by_role("button", name="Add needle").click()
    page.locator('[name="ins-1-depth"]').fill("17")
    with page.expect_response(lambda r: _saves(r, "/drafts/1/session", '"ins-1-depth":"17"'), timeout=20_000):
        page.locator('[name="ins-0-depth"]').fill("9")

    def late_script(route: Route) -> None:
        time.sleep(0.6)  # the draft's own request is answered meanwhile
        route.continue_()

    page.goto(f"{server.url}/patients/1")
    page.route("**/static/session.js", late_script)
    try:
        page.goto(f"{server.url}{form}")
        expect(page.locator("#session-form[data-ready]")).to_have_count(1)
        expect(page.locator("li.needle-card")).to_have_count(2)
        expect(page.locator('[name="ins-1-depth"]')).to_have_value("17")
        expect(page.locator('[name="ins-0-depth"]')).to_have_value("9")
        expect(page.locator(".draft-note")).to_be_in_viewport()  # rebuilding the cards did not jump down the form
    finally:
        page.unroute("**/static/session.js")
