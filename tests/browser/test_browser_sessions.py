"""The session form and page in a real browser, on a tablet (1024x768, touch) and a phone
(390x844, touch): the needling decision in colour and words, the safety check at saving, the
form's fit at 768 px and its touch targets, one session per save, amend and void."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_patients import screened_patient
from browser_world import LiveServer
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

pytestmark = pytest.mark.browser
DEVICES = {
    "tablet": {"viewport": {"width": 1024, "height": 768}, "has_touch": True},
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
}
RED = "rgb(164, 22, 26)"  # status.css: .np-do_not_needle
REASON = "Deeper than planned: the trigger point lay under a thick gluteal layer, found by palpation."
TAPPABLE = (
    "#session-form button, #session-form select, #session-form textarea, #session-form label.seg, "
    "#session-form label.check, #session-form input:not([type=hidden]):not([type=radio]):not([type=checkbox])"
)
_count = iter(range(1, 10_000))


@pytest.fixture(params=sorted(DEVICES))
def device(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tab(browser: Browser, live_server: LiveServer, device: str) -> Iterator[Page]:
    """A signed-in page on the device."""
    context = browser.new_context(**DEVICES[device], accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill(live_server.clinician)
    page.get_by_label("Password").fill(live_server.password)
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    yield page
    context.close()


def _patient(server: LiveServer, device: str, **answers: Any) -> int:
    n = next(_count)
    return screened_patient(server, f"BS-{device[:2]}-{n}", f"Sessionova{n}", **answers)


def _background(page: Page, selector: str) -> str:
    return str(page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor"))


def _fill_needle(page: Page, n: int, target: str, side: str, length: str, depth: str) -> None:
    page.locator(f'select[name="ins-{n}-target"]').select_option(target)
    page.locator(f'label.seg:has(input[name="ins-{n}-side"][value="{side}"])').tap()
    page.locator(f'input[name="ins-{n}-length"]').fill(length)
    page.locator(f'input[name="ins-{n}-gauge"]').fill("0.3")
    page.locator(f'input[name="ins-{n}-depth"]').fill(depth)


def _sessions_listed(page: Page, server: LiveServer, pid: int) -> int:
    page.goto(f"{server.url}/patients/{pid}")
    hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return len({h for h in hrefs if re.fullmatch(rf"/patients/{pid}/sessions/\d+", h)})


def test_a_do_not_needle_patient_is_red_in_header_and_form(
    tab: Page, live_server: LiveServer, device: str, shots_dir: Path
) -> None:
    pid = _patient(live_server, device, consents_to_needling="no")
    tab.goto(f"{live_server.url}/patients/{pid}")
    pill = tab.get_by_role("navigation", name="Patient").locator('.np[data-needling="do_not_needle"]')
    expect(pill).to_be_visible()
    expect(pill).to_contain_text("not needle")  # words, not colour alone
    assert _background(tab, '.np[data-needling="do_not_needle"]') == RED
    assert tab.locator('[data-needling="go"], .np-go').count() == 0  # never a green pill

    tab.goto(f"{live_server.url}/patients/{pid}/sessions/new")
    expect(tab.get_by_role("heading", name="Record session")).to_be_visible()
    banner = tab.locator('.np-banner[data-needling="do_not_needle"]')
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("not needle")
    assert _background(tab, '.np-banner[data-needling="do_not_needle"]') == RED
    expect(pill).to_be_visible()  # the header, on the form too
    assert tab.locator('[data-needling="go"], .np-go').count() == 0
    expect(tab.locator("#save")).to_contain_text("do not needle")
    tab.screenshot(path=str(shots_dir / f"session-form-do-not-needle-{device}.png"))


def test_an_over_depth_needle_needs_a_written_reason(
    tab: Page, live_server: LiveServer, device: str, shots_dir: Path
) -> None:
    pid = _patient(live_server, device)
    tab.goto(
        f"{live_server.url}/patients/{pid}/sessions/new"
        "?condition=myofascial_neck_shoulder&side=right&target=levator_scapulae:right"
    )
    expect(tab.locator('.np-banner[data-needling="go"]')).to_contain_text("Go")
    expect(tab.locator("li.needle-card")).to_have_count(1)  # only the chosen target
    expect(tab.locator('select[name="ins-0-target"]')).to_have_value("levator_scapulae")
    tab.screenshot(path=str(shots_dir / f"session-form-{device}.png"), full_page=True)
    _fill_needle(tab, 0, "gluteus_medius", "right", "100", "90")
    tab.locator("#save").tap()

    problem = tab.locator('[data-problem="depth_beyond_plan:1"]')
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Needs a written reason")
    expect(tab.locator('input[name="ins-0-depth"]')).to_have_value("90")  # nothing typed is lost
    tab.screenshot(path=str(shots_dir / f"session-form-problem-{device}.png"))
    problem.locator("textarea").fill(REASON)
    tab.locator("#save").tap()

    expect(tab.get_by_role("heading", name=re.compile("Session of"))).to_be_visible()
    expect(tab.get_by_text("Safety overrides")).to_be_visible()
    expect(tab.get_by_text(REASON)).to_be_visible()
    assert _sessions_listed(tab, live_server, pid) == 1


def test_the_form_fits_768_px_with_44_px_targets_and_cards_reorder(
    tab: Page, live_server: LiveServer, device: str
) -> None:
    pid = _patient(live_server, device)
    tab.set_viewport_size({"width": 768, "height": 1024} if device == "tablet" else {"width": 390, "height": 844})
    tab.goto(f"{live_server.url}/patients/{pid}/sessions/new?condition=myofascial_neck_shoulder&side=right")
    for _ in range(2):
        expect(tab.locator("#session-form[data-ready]")).to_have_count(1)
        tab.locator("#add-needle").tap()
    cards = tab.locator("li.needle-card")
    count = cards.count()
    assert count >= 3
    tab.locator(f'select[name="ins-{count - 1}-target"]').select_option("gluteus_medius")
    last = cards.nth(count - 1)
    last.locator("button.move-up").tap()
    expect(cards.nth(count - 2).locator("select.target")).to_have_value("gluteus_medius")
    expect(cards.nth(count - 2).locator(".num")).to_have_text(str(count - 1))
    cards.nth(0).locator("button.remove").tap()
    expect(cards).to_have_count(count - 1)

    wide = tab.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"{wide} px of horizontal scroll"
    small = tab.locator(TAPPABLE).evaluate_all(
        """els => els.filter(e => e.offsetParent !== null)
            .map(e => [e.name || e.id || e.className || e.tagName, e.getBoundingClientRect().height])
            .filter(([_, h]) => h < 43.5)"""
    )
    assert small == [], small


def test_a_second_tap_on_save_saves_one_session(tab: Page, live_server: LiveServer, device: str) -> None:
    pid = _patient(live_server, device)
    tab.goto(f"{live_server.url}/patients/{pid}/sessions/new")
    _fill_needle(tab, 0, "extensor_digitorum", "left", "30", "10")
    tab.locator("#save").evaluate("b => { b.click(); b.click(); }")  # two taps before the page changes
    expect(tab.get_by_role("heading", name=re.compile("Session of"))).to_be_visible()
    assert _sessions_listed(tab, live_server, pid) == 1


def test_amend_then_void_on_the_page_and_in_the_note(tab: Page, live_server: LiveServer, device: str) -> None:
    pid = _patient(live_server, device)
    tab.goto(f"{live_server.url}/patients/{pid}/sessions/new")
    _fill_needle(tab, 0, "extensor_digitorum", "left", "30", "10")
    tab.locator('textarea[name="soap_s"]').fill("forearm pain")
    tab.locator("#save").tap()
    expect(tab.get_by_role("heading", name=re.compile("Session of"))).to_be_visible()
    url = tab.url

    tab.locator("#amend summary").tap()
    amend = tab.locator("#amend form")
    amend.locator('input[name="pain_pre"]').fill("6")
    amend.locator('textarea[name="soap_s"]').fill("forearm and wrist pain")
    amend.locator('textarea[name="reason"]').fill("Added the wrist")
    amend.get_by_role("button", name="Save amendment").tap()
    expect(tab.locator("#mark-amended")).to_be_visible()
    expect(tab.get_by_text("Added the wrist").first).to_be_visible()
    expect(tab.get_by_text("S: forearm and wrist pain").first).to_be_visible()

    tab.locator("#void summary").tap()
    void = tab.locator("#void form")
    void.locator('textarea[name="reason"]').fill("Recorded on the wrong day")
    void.get_by_role("button", name="Void session").tap()
    expect(tab.locator("#mark-void")).to_be_visible()
    expect(tab.locator("#mark-amended")).to_be_visible()
    expect(tab.get_by_text("Recorded on the wrong day").first).to_be_visible()
    expect(tab.locator("#amend")).to_have_count(0)  # a void session is not amended further

    pdf = tab.request.get(url + "/note.pdf")
    assert pdf.ok
    note = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages).split())
    assert "VOID" in note and "AMENDED" in note and "Added the wrist" in note and "Recorded on the wrong day" in note
