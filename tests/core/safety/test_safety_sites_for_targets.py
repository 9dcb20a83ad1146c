"""``sites_for_targets``: the screening's entry point for sites named by target id."""

from __future__ import annotations

import pytest

from filiform.core.kb.loader import load_kb
from filiform.core.safety.screening import sites_for_targets
from filiform.errors import NotFound

KB = load_kb()


def test_a_lung_adjacent_target_becomes_a_site_on_its_side() -> None:
    (site,) = sites_for_targets(KB, [("rhomboid_major", "left")])
    assert (site.key, site.label, site.side, site.sites) == (
        "rhomboid_major:left",
        "Rhomboid major, left",
        "left",
        ("left:upper_back",),
    )
    assert site.lung_adjacent and site.max_depth_mm == 15.0


def test_an_unknown_target_is_not_found() -> None:
    with pytest.raises(NotFound):
        sites_for_targets(KB, [("made_up_muscle", "left")])
