"""Which instruments a patient can fill in at home, and in which languages.

A patient needs the item wording; Filiform ships wording only where the instrument's
licence allows (``licence.wording_may_be_shipped``), in English in the instrument's own
file and in other languages in ``data/instruments/translations/<lang>.yaml``.  A
translation for an instrument whose licence does not allow shipped wording is refused on
load, so an instrument can never reach a patient in a language its licence does not allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from filiform.core.kb.yaml_source import load_data
from filiform.core.outcomes.models import Instrument
from filiform.core.outcomes.registry import get_instrument, list_instruments
from filiform.errors import KnowledgeBaseError

SOURCE_LANG = "en"


@dataclass(frozen=True)
class Wording:
    """Item texts and scale anchors of one instrument in one language."""

    instrument: Instrument
    lang: str
    items: dict[str, str]
    anchors: dict[str, dict[int, str]]


def _check(lang: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"translations/{lang}.yaml: expected a mapping of instrument ids")
    for iid, entry in data.items():
        inst = get_instrument(str(iid))
        where = f"translations/{lang}.yaml: {iid}"
        if not inst.licence.wording_may_be_shipped:
            raise KnowledgeBaseError(f"{where}: the licence does not allow shipping its wording in any language")
        if not isinstance(entry, dict) or not str(entry.get("licence_basis", "")).strip():
            raise KnowledgeBaseError(f"{where}: say on what licence basis the translation ships (licence_basis)")
        items = entry.get("items") or {}
        ids = {item.id for item in inst.items}
        if set(items) != ids:
            raise KnowledgeBaseError(f"{where}: translate every item ({', '.join(sorted(ids))})")
        for scale, anchors in (entry.get("anchors") or {}).items():
            if scale not in inst.scales or set(anchors) != set(inst.scales[scale].anchors):
                raise KnowledgeBaseError(f"{where}: anchors of scale '{scale}' must match the instrument's")
    return data


@lru_cache(maxsize=8)
def _translations(lang: str) -> dict[str, Any]:
    path = resources.files("filiform.data").joinpath(f"instruments/translations/{lang}.yaml")
    if not path.is_file():
        return {}
    return _check(lang, load_data(path, f"instruments/translations/{lang}.yaml") or {})


def wording(instrument_id: str, lang: str) -> Wording | None:
    """The wording a patient reads in ``lang``, or None when it may not (or cannot) be shown."""
    inst = get_instrument(instrument_id)
    if not inst.licence.wording_may_be_shipped:
        return None
    if lang == SOURCE_LANG:
        if not all(item.text for item in inst.items):
            return None
        texts = {item.id: str(item.text) for item in inst.items}
        anchors = {sid: dict(scale.anchors) for sid, scale in inst.scales.items()}
        return Wording(inst, lang, texts, anchors)
    entry = _translations(lang).get(instrument_id)
    if entry is None:
        return None
    anchors = {str(s): {int(k): str(v) for k, v in a.items()} for s, a in (entry.get("anchors") or {}).items()}
    return Wording(inst, lang, {str(k): str(v) for k, v in entry["items"].items()}, anchors)


def home_instruments(lang: str = SOURCE_LANG) -> list[Instrument]:
    """Instruments a patient can complete at home in ``lang``."""
    return [inst for inst in list_instruments() if wording(inst.id, lang) is not None]
