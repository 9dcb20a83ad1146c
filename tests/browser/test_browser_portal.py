"""The whole patient story on a phone (touch, 390 x 844): the front desk books and sends the
link; the patient opens it, answers the health questions, paints the drawing and signs;
the clinician confirms the proposed intake, plans and records the session; a week later
(an injected clock, no sleeping) a questionnaire link arrives by e-mail from the local SMTP
server, the patient answers it, and its score appears in the trend marked as home."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from aiosmtpd.controller import Controller
from browser_world import point_inside
from playwright.sync_api import Browser, BrowserContext, Page, expect

from filiform.app.factory import create_app
from filiform.core.concepts.clock import FixedClock, show
from filiform.services.operations import outbox
from filiform.services.operations.demo import DEMO_PASSWORD, generate
from filiform.services.operations.mailer import SmtpMailer, SmtpSettings
from filiform.services.portal.schedule import tick
from filiform.services.records.clinic_settings import server_timezone
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade
from filiform.storage.models import Patient, User

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class Portal:
    url: str
    app: Any
    clock: FixedClock
    inbox: _Inbox
    smtp_port: int
    users: dict[str, str]


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    base = tmp_path_factory.mktemp("portal-browser")
    db = f"sqlite:///{base / 'filiform.db'}"
    engine = make_engine(db)
    upgrade(engine)
    stats = generate(engine, patients=4, seed=7)
    engine.dispose()
    users = {
        role: next(u for u in stats.usernames if u.startswith(f"demo-{role}-")) for role in ("front_desk", "clinician")
    }
    app = create_app(db)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    app.state.clock = clock
    inbox, smtp_port = _Inbox(), _port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield Portal(f"http://127.0.0.1:{port}", app, clock, inbox, smtp_port, users)
    server.should_exit = True
    thread.join(timeout=10)
    smtp.stop()
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def shots(shots_dir: Path) -> Path:
    path = shots_dir / "portal"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=False)


def _login(page: Page, portal: Portal, role: str) -> None:
    page.goto(f"{portal.url}/login")
    page.get_by_label("Username").fill(portal.users[role])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def _drag(page: Page, points: list[tuple[float, float]]) -> None:
    """A finger drag through the page's touch input (Chromium's own touch pipeline)."""
    cdp = page.context.new_cdp_session(page)
    first, *rest = points
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": first[0], "y": first[1]}]})
    for x, y in rest:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _tap(page: Page, selector: str) -> None:
    page.locator(selector).first.scroll_into_view_if_needed()
    page.touchscreen.tap(*point_inside(page, selector))


def _patient(portal: Portal) -> tuple[Patient, int]:
    with portal.app.state.sessions() as s:
        patient = s.execute(sa.select(Patient).where(Patient.email.is_not(None)).order_by(Patient.id)).scalars().first()
        doc = s.scalar(sa.select(User.id).where(User.username == portal.users["clinician"]))
        s.expunge(patient)
    return patient, int(doc)


def _phone_answers(phone: Page) -> None:
    for fieldset in phone.locator("fieldset.p-q").all():
        radios = fieldset.locator('input[type="radio"]')
        if radios.count():
            name = radios.first.get_attribute("name") or ""
            value = "yes" if name in ("capacity_to_consent", "consents_to_needling") else "no"
            choice = fieldset.locator(f'input[value="{value}"]')
            if choice.count():
                choice.first.tap()
    phone.locator('input[name="height_cm"]').fill("168")
    phone.locator('input[name="weight_kg"]').fill("64")
    phone.locator('textarea[name="medicines"]').fill("ibuprofen when needed")


def test_the_patient_takes_part_from_their_phone(browser: Browser, portal: Portal, shots: Path) -> None:
    patient, doc_id = _patient(portal)
    today = portal.clock.now().date().isoformat()
    desk_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = desk_ctx.new_page()
    _login(desk, portal, "front_desk")
    desk.goto(f"{portal.url}/appointments?day={today}")
    desk.get_by_label("Patient").select_option(str(patient.id))
    desk.get_by_label("Clinician", exact=True).last.select_option(str(doc_id))
    desk.locator("#a-time").fill("16:30")
    desk.get_by_role("button", name="Book").click()
    row = desk.locator("tr.st-booked", has_text=patient.family_name)
    expect(row).to_be_visible()
    row.get_by_role("link", name="Send forms").click()
    desk.get_by_role("button", name="Create link").click()
    expect(desk.locator(".qr svg")).to_be_visible()
    _shot(desk, shots, "front-desk-link")
    link = desk.locator("#new-link-url").inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_-]{43}", link)

    phone_ctx: BrowserContext = browser.new_context(**PHONE)
    phone = phone_ctx.new_page()
    phone.goto(link)
    _shot(phone, shots, "phone-start")
    phone.get_by_role("button", name="Start").tap()
    expect(phone.get_by_role("heading", name="Your forms")).to_be_visible()
    _shot(phone, shots, "phone-forms")
    phone.get_by_role("link", name="Health questions").tap()
    expect(phone.get_by_role("heading", name="Health questions")).to_be_visible()
    _phone_answers(phone)
    phone.locator("#q-red_flags").scroll_into_view_if_needed()
    _shot(phone, shots, "phone-intake")
    phone.get_by_role("button", name="Save and continue").tap()
    expect(phone.get_by_role("heading", name="Where is your pain?")).to_be_visible()
    _tap(phone, 'path[data-region="right-upper-trapezius"]')
    _tap(phone, 'path[data-region="right-posterolateral-neck-upper"]')
    expect(phone.locator("#painted-count")).to_have_text("2")
    phone.locator('path[data-region="right-upper-trapezius"]').first.scroll_into_view_if_needed()
    _shot(phone, shots, "phone-drawing")
    phone.get_by_role("button", name="Save and continue").tap()
    expect(phone.get_by_role("heading", name="Consent to dry needling")).to_be_visible()
    _shot(phone, shots, "phone-consent-risks")
    phone.locator('input[name="agree"]').tap()
    phone.get_by_label("Type your full name").fill(f"{patient.given_name} {patient.family_name}")
    pad = phone.locator("#p-signature")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    _drag(
        phone,
        [
            (box["x"] + box["width"] * f, box["y"] + box["height"] * (0.5 + 0.3 * ((-1) ** i) * f))
            for i, f in enumerate([0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9])
        ],
    )
    _shot(phone, shots, "phone-signature")
    # Chromium's touch emulation swallows the first tap after a synthetic drag (as a phone
    # does to stop a fling): a tap on the plain label ends that gesture first.
    _tap(phone, "#sig-label")
    phone.get_by_role("button", name="Sign", exact=True).tap()
    expect(phone.locator(".p-alert.ok")).to_be_visible()
    _shot(phone, shots, "phone-done")

    doc_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    doc = doc_ctx.new_page()
    _login(doc, portal, "clinician")
    doc.get_by_role("link", name="Patient inbox").click()
    doc.get_by_role("link", name=re.compile("Intake of")).first.click()
    expect(doc.get_by_role("heading", name="Review proposed intake")).to_be_visible()
    expect(doc.locator("#proposal-status")).to_have_text("proposed")
    expect(doc.get_by_text("ibuprofen when needed")).to_be_visible()
    _shot(doc, shots, "clinician-review")
    doc.get_by_role("button", name="Confirm and screen").click()
    expect(doc.get_by_role("heading", name="Confirmed: screening saved")).to_be_visible()
    doc.goto(f"{portal.url}/patients/{patient.id}/plan")
    doc.get_by_label("Condition").select_option("myofascial_neck_shoulder")
    doc.get_by_label("Side of the complaint").select_option("right")
    doc.get_by_role("button", name="Build plan").click()
    expect(doc.locator("#reevaluate-on")).to_be_visible()
    doc.locator("#record-from-plan").click()
    started = show(portal.clock.now() + timedelta(minutes=1), server_timezone(), "%Y-%m-%dT%H:%M")  # clinic time
    doc.locator('input[name="started_at"]').fill(started)
    expect(doc.locator("#session-form[data-ready]")).to_have_count(1)  # its script is running
    doc.locator("button.chip-add").first.click()  # a plan target, with its side and needle
    doc.get_by_label("Pain before (0–10)").fill("6")
    doc.get_by_label("Pain after (0–10)").fill("3")
    doc.get_by_role("button", name="Save session").click()
    expect(doc.get_by_role("heading", name="Session of")).to_be_visible()
    doc.goto(f"{portal.url}/patients/{patient.id}/measures?instrument=nprs")
    doc.locator('input[name="item-pain"][value="6"]').check()
    doc.get_by_role("button", name="Score and save").click()
    doc.goto(f"{portal.url}/patients/{patient.id}/portal")
    week = (portal.clock.now() + timedelta(days=7)).date().isoformat()
    doc.get_by_label("Other dates (YYYY-MM-DD, comma separated)").fill(week)
    doc.get_by_role("button", name="Save schedule").click()
    expect(doc.get_by_text("Active: nprs")).to_be_visible()

    portal.clock.advance(timedelta(days=7, hours=1))  # a week later, without sleeping
    sessions = portal.app.state.sessions
    assert tick(sessions, portal.clock, base_url=portal.url).measure_links == 1
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", portal.smtp_port, "none", "clinic@example.org"))
    assert outbox.deliver_due(sessions, mailer, portal.clock).sent == 2  # the front desk's link, then this one
    subjects = [m["Subject"] for m in portal.inbox.messages]
    assert any("forms for your visit" in s for s in subjects)
    mail = next(m for m in portal.inbox.messages if "questionnaire" in m["Subject"])
    assert mail["To"] == patient.email
    text = mail.get_payload(decode=True).decode()
    assert patient.family_name not in text
    measure_link = re.search(r"http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_-]{43}", text)
    assert measure_link is not None
    phone.goto(measure_link.group(0))
    phone.get_by_role("button", name="Start").tap()
    phone.get_by_role("link", name="Questionnaire").tap()
    phone.locator('label.p-scale-option:has(input[value="3"])').tap()
    _shot(phone, shots, "phone-questionnaire")
    phone.get_by_role("button", name="Send").tap()
    expect(phone.locator(".p-alert.ok")).to_be_visible()

    doc.goto(f"{portal.url}/patients/{patient.id}/measures")
    expect(doc.locator('[data-source="home"]')).to_be_visible()
    doc.goto(f"{portal.url}/patients/{patient.id}/measures?instrument=nprs")
    trend = doc.locator('figure.trend img[src*="/nprs/"]')
    expect(trend).to_be_visible()
    doc.wait_for_function(
        "() => { const i = document.querySelector('figure.trend img'); return i.complete && i.naturalWidth > 0; }"
    )
    svg = doc.request.get(trend.get_attribute("src") and f"{portal.url}{trend.get_attribute('src')}")
    assert "answered at home" in svg.text() and "3 (home)" in svg.text()
    trend.scroll_into_view_if_needed()
    _shot(doc, shots, "clinician-trend")

    doc.goto(f"{portal.url}/patients/{patient.id}/portal")
    for form in ("intake", "drawing", "consent"):
        doc.locator(f'input[name="form"][value="{form}"]').uncheck()
    doc.locator('input[name="form"][value="aftercare"]').check()
    doc.get_by_label("Condition (for the aftercare handout)").select_option("myofascial_neck_shoulder")
    doc.locator('input[name="email"]').uncheck()
    doc.get_by_role("button", name="Create link").click()
    phone.goto(doc.locator("#new-link-url").inner_text())
    phone.get_by_role("button", name="Start").tap()
    phone.get_by_role("link", name="After your treatment").tap()
    expect(phone.get_by_role("heading", name="Tell us about a problem")).to_be_visible()
    _shot(phone, shots, "phone-aftercare")
    phone.locator('input[name="kind"][value="chest_or_breathing"]').tap()
    phone.get_by_role("button", name="Send to the clinic").tap()
    expect(phone.get_by_role("alert")).to_contain_text("Call your local emergency number now")
    _shot(phone, shots, "phone-urgent-advice")
    doc.goto(f"{portal.url}/portal/inbox")
    expect(doc.locator("tr.sev-major", has_text="chest or breathing")).to_be_visible()
    _shot(doc, shots, "clinician-inbox")
    for ctx in (desk_ctx, phone_ctx, doc_ctx):
        ctx.close()
