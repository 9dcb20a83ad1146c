"""The body chart on a tablet (1024x768) and a phone (390x844) with touch, in Debian's chromium:
paint with a finger, pinch-zoom, undo, paint by keyboard only, every control named (axe-core),
and a screenshot of every view."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_world import LiveServer, point_inside
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser
SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


@pytest.fixture(params=list(SIZES))
def chart(request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer) -> Iterator[tuple[Page, str]]:
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill(live_server.clinician)
    page.get_by_label("Password").fill(live_server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    hrefs = page.locator("a[href^='/patients/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    pid = next(m.group(1) for h in hrefs if (m := re.fullmatch(r"/patients/(\d+)", h)))
    page.goto(f"{live_server.url}/patients/{pid}/chart")
    expect(page.locator("#sheet-body svg")).to_be_visible()
    yield page, request.param
    context.close()


def _gesture(page: Page, frames: list[list[tuple[float, float]]]) -> None:
    """Touch points per frame, sent as real touch input (start, moves, end)."""
    cdp = page.context.new_cdp_session(page)
    for i, points in enumerate(frames):
        kind = "touchStart" if i == 0 else "touchMove"
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [{"x": x, "y": y, "id": j} for j, (x, y) in enumerate(points)]},
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _view_width(page: Page, sheet: str) -> float:
    return float(page.locator(f"#sheet-{sheet} svg").get_attribute("viewBox").split()[2])  # type: ignore[union-attr]


def _painted(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("JSON.parse(document.getElementById('regions-json').value)")


def test_a_finger_stroke_paints_the_regions_it_covers_in_proportion(chart: tuple[Page, str]) -> None:
    page, _ = chart
    page.get_by_text("Pins and needles").click()
    page.get_by_text("Deep", exact=True).click()
    page.locator("#sheet-body").scroll_into_view_if_needed()
    x0, y0 = point_inside(page, '#sheet-body path.region[data-region="right-upper-trapezius"]')
    x1, y1 = point_inside(page, '#sheet-body path.region[data-region="right-supraspinous-fossa-lateral"]')
    _gesture(page, [[(x0 + (x1 - x0) * i / 10, y0 + (y1 - y0) * i / 10)] for i in range(11)])
    expect(page.locator("#painted li").first).to_be_visible()
    drawn = {r["region"]: r for r in _painted(page)}
    assert "right-upper-trapezius" in drawn
    assert all(r["kind"] == "pins_and_needles" and r["depth"] == "deep" for r in drawn.values())
    assert any(0 < r.get("coverage", 1) < 1 for r in drawn.values())  # a stroke covers parts of regions
    expect(page.locator("#match-list li.match").first).to_be_visible()
    expect(page.locator('#sheet-body path.mark[data-region="right-upper-trapezius"]').first).to_be_attached()


def test_pinch_zoom_pan_and_44_pixel_targets(chart: tuple[Page, str]) -> None:
    page, _ = chart
    page.get_by_role("tab", name="Head").click()
    svg = page.locator("#sheet-head svg")
    expect(svg).to_be_visible()
    svg.scroll_into_view_if_needed()
    full = _view_width(page, "head")
    cx, cy = point_inside(page, '#sheet-head path.region[data-region="right-eyebrow-lateral"]')
    _gesture(page, [[(cx - 20 - 12 * i, cy), (cx + 20 + 12 * i, cy)] for i in range(9)])
    pinched = _view_width(page, "head")
    assert pinched < full / 2  # two fingers zoomed in
    assert _painted(page) == []  # and painted nothing
    for _ in range(6):
        page.get_by_role("button", name="Zoom in").click()
    cell = page.locator('#sheet-head path.region[data-region="right-eyebrow-lateral"]').first
    cell.scroll_into_view_if_needed()
    box = cell.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44, box
    page.get_by_role("button", name="Show the whole view").click()
    assert _view_width(page, "head") == pytest.approx(full)


def test_undo_takes_back_the_last_stroke(chart: tuple[Page, str]) -> None:
    page, _ = chart
    page.locator("#sheet-body").scroll_into_view_if_needed()
    x, y = point_inside(page, '#sheet-body path.region[data-region="right-lateral-deltoid"]')
    _gesture(page, [[(x, y)], [(x + 2, y + 6)]])
    expect(page.locator("#painted li").first).to_be_visible()
    assert _painted(page)
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#painted li")).to_have_count(0)
    assert _painted(page) == []


def test_keyboard_only_painting(chart: tuple[Page, str]) -> None:
    page, _ = chart
    page.get_by_role("tab", name="Hands").click()
    page.get_by_text("Numbness").click()  # the radio is then focused: continue by keyboard
    page.locator("#intensity").focus()
    page.keyboard.press("End")  # intensity 10
    first = page.locator("#sheet-hands path.region[tabindex='0']")
    first.focus()
    start = first.get_attribute("data-region")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.dataset.region")
    assert focused and focused != start
    page.keyboard.press("Enter")
    expect(page.locator("#painted li")).to_have_count(1)
    assert _painted(page) == [{"region": focused, "intensity": 10, "kind": "numbness"}]
    assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"
    page.keyboard.press("Delete")
    expect(page.locator("#painted li")).to_have_count(0)


def test_an_unknown_name_does_not_block_the_next_one(chart: tuple[Page, str]) -> None:
    page, _ = chart
    box = page.get_by_label("Add a region by name")
    box.fill("Right elbow of nowhere")
    box.press("Enter")
    expect(page.locator("#region-name-error")).to_contain_text("No region")
    box.fill("Right temple (middle)")
    box.press("Enter")
    expect(page.locator("#painted")).to_contain_text("Right temple (middle): 6/10")


def test_every_control_and_ranked_row_is_named(chart: tuple[Page, str]) -> None:
    page, _ = chart
    page.get_by_label("Add a region by name").fill("Right temple (middle)")
    page.get_by_label("Add a region by name").press("Enter")
    expect(page.locator("#match-list li.match").first).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    names = page.locator("#match-list input[name=target]").evaluate_all(
        "els => els.map(e => e.labels[0].innerText.trim())"
    )
    assert names and all(n.startswith("Plan ") and "(" in n for n in names)
    assert len(set(names)) == len(names)  # no two checkboxes announced alike


def test_screenshots_of_every_view(chart: tuple[Page, str], shots_dir: Path) -> None:
    page, size = chart
    page.get_by_label("Add a region by name").fill("Right temple (middle)")
    page.get_by_label("Add a region by name").press("Enter")
    expect(page.locator("#match-list li.match").first).to_be_visible()
    for tab in ("Body", "Sides", "Head", "Hands", "Feet"):
        page.get_by_role("tab", name=tab).click()
        page.locator(".sheet-tabs").scroll_into_view_if_needed()
        page.screenshot(path=str(shots_dir / f"chart-{size}-{tab.lower()}.png"))
