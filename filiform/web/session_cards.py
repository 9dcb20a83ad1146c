"""What the session form shows beside each needle: names, planned range, safe cap.

Why a module: the form is built for the minute between two patients on a tablet. Each
card names the muscle (never an id), and beside the depth it shows the plan's range and
the safe depth cap for this patient, so a deep insertion is seen before it is saved. The
same numbers go to the script as JSON, so a muscle changed on a card updates its hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from filiform.core.concepts import Technique
from filiform.core.kb.loader import load_kb
from filiform.core.planning.plan import Plan
from filiform.core.safety.intake import PatientBody
from filiform.core.safety.needle import needle_guidance

KIND_WORDS = {
    "muscle": "Muscles",
    "tendon": "Tendons",
    "ligament": "Ligaments",
    "nerve": "Nerves (peri-neural)",
    "periarticular": "Periarticular",
    "scar": "Scars",
}


def target_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Targets by kind, by name: the options of a card's muscle select."""
    kb = load_kb()
    out = []
    for kind, words in KIND_WORDS.items():
        items = sorted(((t.id, t.name) for t in kb.targets.values() if t.kind == kind), key=lambda x: x[1])
        if items:
            out.append((words, items))
    return out


def guides(body: PatientBody, plan: Plan | None) -> dict[str, Any]:
    """Per target (and ``target:side`` where the plan set a range): name, range, cap, needle."""
    kb = load_kb()
    out: dict[str, Any] = {}
    for tid, target in kb.targets.items():
        g = needle_guidance(target, body, kb)
        out[tid] = {
            "name": target.name,
            "range": list(g.insertion_mm),
            "cap": g.max_safe_depth_mm,
            "length": g.length_mm,
            "gauge": g.gauge_mm,
            "source": "usual",
        }
    for t in plan.targets if plan is not None else ():
        key = f"{t.target}:{t.side}" if t.side else t.target
        out[key] = {
            **out.get(t.target, {}),
            "range": list(t.needle.insertion_mm),
            "cap": t.needle.max_safe_depth_mm,
            "length": t.needle.length_mm,
            "gauge": t.needle.gauge_mm,
            "technique": t.technique.value,
            "source": "plan",
        }
    return out


def hint(guide: dict[str, Any] | None) -> str:
    """``plan 5-15 mm · safe cap 15 mm`` (the words beside a card's depth)."""
    if not guide:
        return ""
    low, high = guide["range"]
    text = f"{'plan' if guide.get('source') == 'plan' else 'usual'} {low:g}–{high:g} mm"
    if guide.get("cap") is not None:
        text += f" · safe cap {guide['cap']:g} mm"
    return text


def card_for(target: str, side: str, guide: dict[str, Any] | None, technique: str | None = None) -> dict[str, str]:
    """A card filled in for one chosen target: its needle and the shallow end of the range."""
    g = guide or {}
    return {
        "target": target,
        "side": side,
        "technique": technique or g.get("technique") or Technique.TRIGGER_POINT.value,
        "length": f"{g['length']:g}" if "length" in g else "",
        "gauge": f"{g['gauge']:g}" if "gauge" in g else "",
        "depth": f"{g['range'][0]:g}" if "range" in g else "",
    }


def chosen_cards(chosen: Iterable[tuple[str, str]], table: dict[str, Any]) -> list[dict[str, str]]:
    """Cards for the targets chosen on the chart or plan (and only those)."""
    return [card_for(tid, side, table.get(f"{tid}:{side}") or table.get(tid)) for tid, side in chosen]


def plan_chips(plan: Plan | None) -> list[dict[str, str]]:
    """The plan's targets, offered as one-tap additions (not pre-filled)."""
    out = []
    for t in plan.targets if plan is not None else ():
        out.append(
            {
                "target": t.target,
                "side": t.side or "",
                "technique": t.technique.value,
                "label": f"{t.name}{', ' + t.side if t.side else ' (side to confirm)'}",
            }
        )
    return out
