"""Types shared by the browser tests (outside conftest.py, so imports never clash with
another folder's conftest module)."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

from filiform.services.operations.demo import DEMO_PASSWORD


@dataclass
class LiveServer:
    url: str
    clinician: str
    password: str = DEMO_PASSWORD
    database: str = ""  # the server's database URL, for tests that set records up through the services


# The centre of a region's bounding box can fall on a neighbouring region (the shapes are
# not convex), so taps and strokes aim at a point the browser itself hit-tests to the region.
_POINT_INSIDE = """(el) => {
  const region = el.getAttribute("data-region");
  const r = el.getBoundingClientRect();
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  let best = null, bestDistance = Infinity;
  for (let i = 0; i < 11; i++) {
    for (let j = 0; j < 11; j++) {
      const x = r.left + r.width * (i + 0.5) / 11, y = r.top + r.height * (j + 0.5) / 11;
      const hit = document.elementFromPoint(x, y);
      const distance = (x - cx) ** 2 + (y - cy) ** 2;
      const same = hit && (el.contains(hit) || (region && hit.getAttribute("data-region") === region));
      if (same && distance < bestDistance) {
        best = [x, y]; bestDistance = distance;
      }
    }
  }
  return best;
}"""


def point_inside(page: Page, selector: str) -> tuple[float, float]:
    """A point on screen where the browser's own hit test finds what ``selector`` names (or its region)."""
    point = page.locator(selector).first.evaluate(_POINT_INSIDE)
    assert point, f"no visible point of {selector} is on top"
    return float(point[0]), float(point[1])
