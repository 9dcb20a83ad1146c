"""One first visit in a real browser on a tablet (1024x768, touch): log in, register, consent,
screen, paint, plan saved to an episode, record a session, enter measures, download the PDF
note; a screenshot of each page."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_world import LiveServer, point_inside
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).parents[1] / "fixtures" / "hrv"


def _shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=False)


def _login(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/patients")
    expect(page).to_have_url(f"{server.url}/login?next=/patients")
    page.get_by_label("Username").fill(server.clinician)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def test_clinic_visit(tablet: Page, live_server: LiveServer, shots_dir: Path) -> None:
    server, page = live_server, tablet
    page.goto(f"{server.url}/login")
    _shot(page, shots_dir, "login")
    _login(page, server)
    _shot(page, shots_dir, "patients")

    page.get_by_role("link", name="New patient").first.click()
    page.get_by_label("Given name").fill("Ines")
    page.get_by_label("Family name").fill("Browserova")
    page.get_by_label("Birth date").fill("1984-03-09")
    page.get_by_label("Sex (as registered)").select_option("female")  # no default: chosen on purpose
    page.get_by_role("button", name="Register patient").click()  # no MRN typed: the clinic numbers it
    expect(page.get_by_role("heading", name="Browserova, Ines")).to_be_visible()
    patient_url = page.url.split("?")[0]

    page.get_by_role("link", name="Consent", exact=True).click()
    for box in page.locator(".consent-form input[type=checkbox]").all():
        box.tap()
    page.get_by_role("button", name="Record consent and continue to screening").click()
    expect(page.get_by_role("heading", name="Screening", exact=True)).to_be_visible()
    expect(page.locator(".q-group.carried")).to_contain_text("From the consent of")

    for none in page.locator("input[data-none-of]").all():
        none.tap()  # each group's "none of the following", ticked on purpose
    page.locator("#q-anticoagulant").select_option("no")
    expect(page.locator('input[value="no"]:checked').first).to_be_attached()
    page.locator("#q-anticoagulant").scroll_into_view_if_needed()
    _shot(page, shots_dir, "screening")
    page.get_by_role("button", name="Screen and save").click()
    expect(page.locator('tr[data-techniques~="trigger_point_dn"] .decision')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    _shot(page, shots_dir, "screening-result")

    page.goto(patient_url + "/chart")
    temple = page.locator('#sheet-head path.region[data-region="right-temple-middle"]')
    expect(temple).to_be_attached()
    page.locator("#intensity").fill("8")
    neck = point_inside(page, '#sheet-body path.region[data-region="right-posterolateral-neck-upper"]')
    lower = point_inside(page, '#sheet-body path.region[data-region="right-lower-cervical-paraspinal"]')
    page.mouse.move(*neck)
    page.mouse.down()
    page.mouse.move(*lower, steps=6)
    page.mouse.up()
    first = page.locator("#match-list li.match").first
    expect(first).to_be_visible()
    painted = page.locator("#painted li").count()
    assert painted >= 2
    first.hover()
    expect(page.locator(".pattern-overlay path").first).to_be_attached()
    before = page.locator("#match-list").inner_text()
    page.get_by_label("Add a region by name").fill("Right temple (middle)")  # the keyboard path
    page.get_by_label("Add a region by name").press("Enter")
    expect(page.locator("#painted li")).to_have_count(painted + 1)
    expect(page.locator("#painted")).to_contain_text("Right temple (middle): 8/10")
    assert temple.get_attribute("fill") != "#f6efe7"
    expect(page.locator("#match-list")).not_to_have_text(before)
    page.locator("#match-list li.match").first.hover()
    page.wait_for_timeout(300)
    _shot(page, shots_dir, "chart")
    picked: set[str] = set()
    for box in page.locator('#match-list input[name="target"]').all():
        value = box.get_attribute("value") or ""
        if value not in picked and len(picked) < 2:
            box.check()
            picked.add(value)
    page.get_by_role("button", name="Save drawing and plan ticked targets").click()
    expect(page.get_by_role("heading", name="Treatment plan")).to_be_visible()
    page.get_by_label("Condition").select_option("myofascial_neck_shoulder")
    page.get_by_label("Side of the complaint").select_option("right")
    page.get_by_role("button", name="Build plan").click()
    expect(page.locator("#plan-status")).to_be_visible()
    assert page.locator("table.plan-targets tr.target").count() >= 1
    expect(page.locator("#reevaluate-on")).to_be_visible()
    assert "_" not in page.locator("table.plan-targets").inner_text()  # names, not ids
    _shot(page, shots_dir, "plan")
    page.locator("#save-plan").click()
    expect(page.locator("#plan-saved-note")).to_contain_text("Plan saved to the episode")

    page.locator("#record-from-plan").click()
    expect(page.get_by_role("heading", name="Record session")).to_be_visible()
    assert page.locator('input[name="started_at"]').input_value()  # now, on the clinic's clock
    expect(page.locator("#session-form[data-ready]")).to_have_count(1)  # its script is running
    cards = page.locator("li.needle-card")
    expect(cards).to_have_count(len(picked))  # the targets ticked on the chart, filled in from the plan
    chosen = {
        f"{card.locator('select.target').input_value()}:{card.locator('input[type=radio]:checked').get_attribute('value')}"
        for card in cards.all()
    }
    assert chosen == picked
    page.get_by_label("Pain before (0–10)").fill("7")
    page.get_by_label("Pain after (0–10)").fill("3")
    page.locator('input[name="ins-0-twitches"]').fill("2")
    page.locator('select[name="ae-0-event_type"]').select_option("bruising")
    page.locator('input[name="rr_file"]').set_input_files(str(FIXTURES / "rr_plain_ms.txt"))
    _shot(page, shots_dir, "session-form")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("heading", name="Session of")).to_be_visible()
    expect(page.get_by_text("bruising")).to_be_visible()
    expect(page.locator(".tachogram svg")).to_be_visible()
    _shot(page, shots_dir, "session")
    with page.expect_download() as download:
        page.get_by_role("link", name="Session note (PDF)").click()
    pdf = Path(download.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")

    for day, value in (("2026-01-05", "8"), ("2026-02-02", "6"), ("2026-03-02", "3")):
        page.goto(patient_url + "/measures?instrument=nprs")
        page.locator(f'input[name="item-pain"][value="{value}"]').check()
        page.locator('input[name="completed_on"]').fill(day)
        page.get_by_role("button", name="Score and save").click()
        expect(page.locator("#score-total")).to_have_text(value)
    page.goto(patient_url + "/measures?instrument=psfs")
    page.get_by_label("Activity 1 in the patient's words").fill("Reversing the car")
    page.locator('input[name="item-a1"][value="4"]').check()
    page.get_by_role("button", name="Score and save").click()
    expect(page.locator("#saved-score")).to_contain_text("Reversing the car: 4")
    expect(page.locator("figure.trend img")).to_have_count(2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.trend img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, shots_dir, "measures")

    page.goto(patient_url)
    _shot(page, shots_dir, "patient")
