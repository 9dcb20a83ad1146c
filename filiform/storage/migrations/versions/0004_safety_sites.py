"""screening: coarse body areas become anatomical sites; decision snapshots name sites in words

Stored intakes named sites as eight coarse areas (``left:arm``, ``hip_thigh``). The safety
engine now names anatomical sites (``left:upper_arm``). Each old area becomes every site it
covered, so a restriction keeps at least its old reach (the knee lay in ``hip_thigh`` and
in ``leg_foot``; both keep it). Decision snapshots keep their meaning: a reason's
``[target@side:area]`` prefix moves into the new ``site`` (plain words) and ``site_key``
fields, and each site decision gains its plain label. Rows in any other shape (demo rows,
hand-written JSON) are left as they are.

Revision ID: safety_sites
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "safety_sites"
down_revision = "0003"
branch_labels = None
depends_on = None

AREA_SITES: dict[str, tuple[str, ...]] = {
    "head_jaw": ("head",),
    "neck": ("neck",),
    "shoulder_girdle": ("shoulder_girdle", "shoulder_joint"),
    "arm": ("upper_arm", "elbow_joint"),
    "forearm_hand": ("elbow_joint", "forearm", "wrist_joint", "hand"),
    "trunk": ("thorax", "abdomen", "low_back", "pelvis"),
    "hip_thigh": ("buttock", "hip_joint", "groin", "thigh", "knee_joint"),
    "leg_foot": ("knee_joint", "leg", "ankle_joint", "foot"),
}
SITE_AREA = {
    "head": "head_jaw",
    "neck": "neck",
    "shoulder_girdle": "shoulder_girdle",
    "shoulder_joint": "shoulder_girdle",
    "upper_arm": "arm",
    "elbow_joint": "forearm_hand",
    "forearm": "forearm_hand",
    "wrist_joint": "forearm_hand",
    "hand": "forearm_hand",
    "thorax": "trunk",
    "abdomen": "trunk",
    "low_back": "trunk",
    "pelvis": "trunk",
    "buttock": "hip_thigh",
    "hip_joint": "hip_thigh",
    "groin": "hip_thigh",
    "thigh": "hip_thigh",
    "knee_joint": "hip_thigh",
    "leg": "leg_foot",
    "ankle_joint": "leg_foot",
    "foot": "leg_foot",
}
SITE_LISTS = ("lymphoedema_sites", "implant_sites", "lesion_sites", "surgery_sites")
NEW_KEYS = (
    "guardian_consent",
    "joint_replacement",
    "joint_replacement_sites",
    "malignancy_at_site",
    "malignancy_sites",
    "thrombosis_at_site",
    "thrombosis_sites",
    "keloid_tendency",
    "spinal_surgery",
    "spinal_surgery_sites",
    "corticosteroid_injection",
    "corticosteroid_injections",
    "fluoroquinolone",
    "acute_muscle_injury",
    "muscle_injuries",
    "bmi",
)
_OLD_SITE = re.compile(r"^((left|right):)?([a-z_]+)$")
_PREFIX = re.compile(r"^\[([^\]]+)\] (.*)$", re.S)


def convert_area(value: str) -> list[str]:
    """``left:arm`` -> ``[left:upper_arm, left:elbow_joint]``; anything else unchanged."""
    m = _OLD_SITE.match(value)
    if m is None or m.group(3) not in AREA_SITES:
        return [value]
    side = m.group(1) or ""
    return [side + site for site in AREA_SITES[m.group(3)]]


def _convert_intake(answers: dict[str, Any]) -> dict[str, Any]:
    out = dict(answers)
    for name in SITE_LISTS:
        listed = out.get(name)
        if isinstance(listed, list) and all(isinstance(x, str) for x in listed):
            out[name] = list(dict.fromkeys(s for x in listed for s in convert_area(x)))
    return out


def convert_answers(answers: Any) -> Any:
    """The intake in the new vocabulary (also inside the early API's ``{"intake": ...}`` wrapper)."""
    if not isinstance(answers, dict):
        return answers
    if isinstance(answers.get("intake"), dict):
        return {**answers, "intake": _convert_intake(answers["intake"])}
    return _convert_intake(answers)


def plain_label(old: str) -> str:
    """``quadratus_lumborum@left:trunk`` -> ``Quadratus lumborum, left``; ``left:arm`` -> ``left arm``."""
    target, at, where = old.partition("@")
    if not at:
        where, target = old, ""
    side, _, area = where.rpartition(":")
    if target:
        words = target.replace("_", " ").capitalize()
        return f"{words}, {side}" if side else words
    return f"{side} {area.replace('_', ' ')}".strip()


def _convert_reason(reason: Any) -> Any:
    if not isinstance(reason, dict) or not isinstance(reason.get("text"), str) or "site" in reason:
        return reason
    m = _PREFIX.match(reason["text"])
    if m is None:
        return reason
    return {**reason, "text": m.group(2), "site": plain_label(m.group(1)), "site_key": m.group(1)}


def _convert_technique(td: Any) -> Any:
    if isinstance(td, dict) and isinstance(td.get("reasons"), list):
        return {**td, "reasons": [_convert_reason(r) for r in td["reasons"]]}
    return td


def convert_decision(decision: Any) -> Any:
    """Reasons name their site in words; each site decision gains its label, target and side."""
    if not isinstance(decision, dict) or not isinstance(decision.get("techniques"), list):
        return decision
    out = {**decision, "techniques": [_convert_technique(t) for t in decision["techniques"]]}
    sites = []
    for sd in decision.get("sites") or []:
        if isinstance(sd, dict) and isinstance(sd.get("site"), str) and "label" not in sd:
            target, at, where = sd["site"].partition("@")
            side = where.rpartition(":")[0] if at else sd["site"].rpartition(":")[0]
            sd = {
                **sd,
                "label": plain_label(sd["site"]),
                "target": target if at else None,
                "side": side or None,
                "techniques": [_convert_technique(t) for t in sd.get("techniques", [])],
            }
        sites.append(sd)
    if "sites" in decision:
        out["sites"] = sites
    return out


def _back_answers(answers: Any) -> Any:
    if not isinstance(answers, dict):
        return answers
    if isinstance(answers.get("intake"), dict):
        return {**answers, "intake": _back_answers(answers["intake"])}
    out = {k: v for k, v in answers.items() if k not in NEW_KEYS}
    for name in SITE_LISTS:
        listed = out.get(name)
        if isinstance(listed, list):
            back = []
            for x in listed:
                side, sep, site = str(x).rpartition(":")
                area = SITE_AREA.get(site)
                if area is not None:
                    back.append(f"{side}:{area}" if sep else area)
            out[name] = list(dict.fromkeys(back))
    return out


def _rows() -> sa.TableClause:
    columns = (sa.column("id", sa.Integer), sa.column("answers", sa.JSON), sa.column("decision", sa.JSON))
    return sa.table("screening", *columns)


def _rewrite(answers_fn: Any, decision_fn: Any) -> None:
    bind = op.get_bind()
    table = _rows()
    for row in bind.execute(sa.select(table.c.id, table.c.answers, table.c.decision)).all():
        answers, decision = answers_fn(row.answers), decision_fn(row.decision)
        if answers != row.answers or decision != row.decision:
            bind.execute(table.update().where(table.c.id == row.id).values(answers=answers, decision=decision))


def upgrade() -> None:
    _rewrite(convert_answers, convert_decision)


def downgrade() -> None:
    """Back to coarse areas (each site to the area that held it); answers to new questions are dropped."""
    _rewrite(_back_answers, lambda d: d)
