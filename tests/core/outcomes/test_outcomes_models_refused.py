"""An instrument file that contradicts itself is refused when it loads: each case breaks one
thing in a shipped instrument (the NDI: ten sections scored 0-5; the KOOS: five subscales,
no total) and expects the refusal that names it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from filiform.core.outcomes import score
from filiform.core.outcomes.models import Instrument, ResponseScale, Threshold
from filiform.core.outcomes.registry import get_instrument


def ndi(**change: Any) -> dict[str, Any]:
    return {**get_instrument("ndi").model_dump(), **change}


def test_the_shipped_ndi_round_trips() -> None:
    assert Instrument.model_validate(ndi()) == get_instrument("ndi")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scorable": False, "unscorable_reason": None}, "ndi: an unscorable instrument needs a reason"),
        ({"item_count": 11}, "ndi: item_count is 11 but 10 items listed"),
        ({"items": [*ndi()["items"][:9], ndi()["items"][0]]}, "ndi: duplicate item ids"),
        ({"items": [{**ndi()["items"][0], "scale": "nowhere"}, *ndi()["items"][1:]]},
         "ndi: item s1 uses unknown scale 'nowhere'"),
        ({"items": [{**ndi()["items"][0], "subscale": "mood"}, *ndi()["items"][1:]]},
         "ndi: item s1 has unknown subscale"),
        ({"mdc": [{"value": 5, "scale": "mood", "citation": "vernon_ndi_note"}]},
         "ndi: threshold for unknown scale 'mood'"),
    ],
)  # fmt: skip
def test_a_contradictory_instrument_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Instrument.model_validate(ndi(**change))


def test_an_unscorable_instrument_with_a_reason_loads_without_items() -> None:
    loaded = Instrument.model_validate(ndi(scorable=False, unscorable_reason="Licence not granted", items=[]))
    assert loaded.scorable is False


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ({"kind": "integer", "min": 0}, "an integer scale needs min and max"),
        ({"kind": "choice"}, "a choice scale needs values"),
        ({"kind": "branch"}, "a branch scale needs branches"),
    ],
)
def test_a_response_scale_needs_its_values(scale: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ResponseScale.model_validate(scale)


def test_lookups_name_what_is_not_there() -> None:
    koos, nd = get_instrument("koos"), get_instrument("ndi")
    assert nd.item("s3").id == "s3"
    with pytest.raises(KeyError):
        nd.item("s99")
    assert koos.scale_ids() == ("symptoms", "pain", "adl", "sport", "qol")  # no total reported
    assert koos.scale_range("pain") == (0, 100)
    with pytest.raises(KeyError):
        koos.scale_range("mood")
    result = score("koos", [0] * 42)
    assert result.value("pain") == 100
    with pytest.raises(KeyError):
        result.value("total")  # the KOOS reports no total
    with pytest.raises(KeyError):
        result.value("mood")
    assert score("ndi", [1] * 10).value() == 20  # 10 / 50 x 100


def test_the_primary_mcid_falls_back_to_an_absolute_then_any_threshold() -> None:
    nd = get_instrument("ndi")
    percent = Threshold(value=30, kind="percent", citation="vernon_ndi_note")
    absolute = Threshold(value=7, kind="absolute", citation="vernon_ndi_note")
    assert nd.model_copy(update={"mcid": (percent, absolute)}).primary_mcid() == absolute
    assert nd.model_copy(update={"mcid": (percent,)}).primary_mcid() == percent
    assert nd.model_copy(update={"mcid": ()}).primary_mcid() is None
