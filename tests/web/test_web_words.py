"""The staff pages' small wording helpers (filiform.web.common: counted, plural)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from filiform.web.common import counted, plural, templates


def test_counted_keeps_first_order_and_counts_repeats() -> None:
    assert counted(["soleus", "soleus", "gastrocnemius", "soleus"]) == "soleus ×3, gastrocnemius"
    assert counted(["a", "b"]) == "a, b"
    assert counted([]) == ""


@given(st.lists(st.sampled_from(["soleus", "gastrocnemius", "tibialis anterior"]), max_size=12))
def test_counted_loses_no_needle(names: list[str]) -> None:
    total = 0
    for part in filter(None, counted(names).split(", ")):
        name, _, n = part.partition(" ×")
        assert name in names
        total += int(n) if n else 1
    assert total == len(names)


def test_plural_words() -> None:
    assert [plural(n, "region") for n in (0, 1, 2)] == ["0 regions", "1 region", "2 regions"]
    assert plural(2, "needle", "needles") == "2 needles" and plural(1, "child", "children") == "1 child"
    assert plural(3, "child", "children") == "3 children"


def test_the_filters_are_installed_for_the_templates() -> None:
    page = templates.env.from_string('{{ names|counted }} · {{ n|plural("region") }}')
    assert page.render(names=["a", "a"], n=1) == "a ×2 · 1 region"
