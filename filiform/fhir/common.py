"""Small builders shared by every mapper: references, dates, extensions, typed answers.

Mappers build plain dicts (no model library) because the exporter streams millions of
resources; these helpers keep the few fiddly conventions (UTC instants, ids per record
kind, the Filiform extensions that make the export lossless) in one place.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from filiform.fhir.codes import SD

EXT_RECORDED = SD + "recorded"
EXT_NOTE = SD + "note"
EXT_JSON = SD + "json-value"


def dt(value: datetime) -> str:
    """An R4 instant/dateTime: naive values are UTC (SQLite drops the offset)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def parse_dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def day(value: date) -> str:
    return value.isoformat()


def ref(kind: str, rid: object) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def ref_id(reference: dict[str, Any] | None) -> int | None:
    """The database id at the end of ``Kind/123`` (or ``Kind/x123``)."""
    if not reference:
        return None
    tail = str(reference["reference"]).rsplit("/", 1)[-1]
    return int(tail.lstrip("abcdefghijklmnopqrstuvwxyz-"))


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def recorded(by: int | None, at: datetime) -> dict[str, Any]:
    """Who entered the record and when: kept so that an import loses nothing."""
    parts: list[dict[str, Any]] = [{"url": "at", "valueDateTime": dt(at)}]
    if by is not None:
        parts.insert(0, {"url": "by", "valueReference": ref("Practitioner", by)})
    return {"url": EXT_RECORDED, "extension": parts}


def ext(resource: dict[str, Any], url: str) -> dict[str, Any] | None:
    for item in resource.get("extension", ()):
        if item["url"] == url:
            return item  # type: ignore[no-any-return]
    return None


def sub(extension: dict[str, Any] | None, url: str) -> Any:
    """The value of sub-extension ``url`` (whatever its value[x]), or None."""
    if not extension:
        return None
    for item in extension.get("extension", ()):
        if item["url"] == url:
            for key, value in item.items():
                if key.startswith("value"):
                    return value
    return None


def read_recorded(resource: dict[str, Any]) -> tuple[int | None, datetime]:
    found = ext(resource, EXT_RECORDED)
    return ref_id(sub(found, "by")), parse_dt(sub(found, "at"))


def meta(version: int | None, updated: datetime) -> dict[str, str]:
    """``meta`` with the record version (when it has one) and its last change (``_since``)."""
    out = {"lastUpdated": dt(updated)}
    if version is not None:
        out["versionId"] = str(version)
    return out


def read_updated(resource: dict[str, Any]) -> datetime:
    """``meta.lastUpdated`` as stored (the time of the record's last change)."""
    return parse_dt(resource["meta"]["lastUpdated"])


def answer(value: Any) -> dict[str, Any]:
    """A QuestionnaireResponse answer typed like the stored value (JSON for the rest)."""
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    if isinstance(value, str) and value:
        return {"valueString": value}
    return {"valueString": json.dumps(value, sort_keys=True), "extension": [{"url": EXT_JSON, "valueBoolean": True}]}


def from_answer(item: dict[str, Any]) -> Any:
    if "extension" in item:
        return json.loads(item["valueString"])
    for key, value in item.items():
        if key.startswith("value"):
            return value
    return None


def items(answers: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"linkId": key, "answer": [answer(value)]} for key, value in sorted(answers.items())]


def from_items(resource: dict[str, Any]) -> dict[str, Any]:
    return {i["linkId"]: from_answer(i["answer"][0]) for i in resource.get("item", ())}
