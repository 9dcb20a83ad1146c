"""A pain drawing on both sides of the neck: the plan keeps lung-adjacent targets on one
side and names the other side's as excluded for this session (bilateral pneumothorax).

Unlike a plan requested for one side, this one is offered both sides, so the check can fail.
"""

from __future__ import annotations

from datetime import date

from screened import ALL_CLEAR

from filiform.core.concepts.drawing import PainDrawing
from filiform.core.kb.loader import load_kb
from filiform.core.planning.plan import PlanRequest, build_plan
from filiform.core.safety.intake import Intake

KB = load_kb()
BOTH_SIDES = PainDrawing.model_validate(
    {
        "regions": [
            {"region": "right-posterolateral-neck-lower", "intensity": 7},
            {"region": "left-posterolateral-neck-lower", "intensity": 7},
        ]
    }
)


def test_lung_adjacent_targets_stay_on_one_side_and_the_other_side_is_named() -> None:
    plan = build_plan(
        PlanRequest(
            condition="myofascial_neck_shoulder",
            side=None,
            intake=Intake.model_validate(ALL_CLEAR),
            today=date(2026, 3, 2),
            drawing=BOTH_SIDES,
            max_targets=12,
        )
    )
    lung = [t for t in plan.targets if t.needle.lung_adjacent]
    assert len(lung) >= 3
    assert {t.side for t in lung} == {"left"}
    other = [e for e in plan.excluded if e.side == "right" and KB.targets[e.target].lung_adjacent]
    assert other, "the right side's lung-adjacent targets must be listed as excluded"
    assert all(
        e.why == "other side of the thorax: not in the same session (bilateral pneumothorax risk); "
        "plan it for the next session"
        for e in other
    )
