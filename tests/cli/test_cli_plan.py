"""`filiform plan` and `filiform screen`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from filiform.cli.main import app

runner = CliRunner()


def test_plan_warfarin_lateral_elbow_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    from filiform.cli import output

    monkeypatch.setattr(output.console, "width", 200)  # COLUMNS alone is not seen in xdist workers
    res = runner.invoke(
        app,
        [
            "plan",
            "lateral_elbow_tendinopathy",
            "--side",
            "right",
            "-a",
            "anticoagulant=vka",
            "-a",
            "inr=2.6",
            "--rest-clear",
            "--age",
            "60",
            "--today",
            "2026-03-02",
        ],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    for text in ("Extensor carpi radialis brevis", "trigger_point_dn", "mm x", "Compress", "Muñoz", "caution"):
        assert text in res.output


def test_plan_json() -> None:
    res = runner.invoke(
        app,
        [
            "plan",
            "knee_osteoarthritis",
            "--side",
            "left",
            "--rest-clear",
            "--age",
            "70",
            "--today",
            "2026-03-02",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["targets"] and data["reevaluate_on"] == "2026-03-30"


def test_plan_blocked_exits_non_zero() -> None:
    res = runner.invoke(app, ["plan", "knee_osteoarthritis", "--today", "2026-03-02"])
    assert res.exit_code == 1
    assert "do_not_needle" in res.output


def test_plan_handout_markdown() -> None:
    res = runner.invoke(app, ["plan", "plantar_heel_pain", "--rest-clear", "--age", "40", "--handout"])
    assert res.exit_code == 0 and res.output.startswith("# Dry needling for")


def test_screen_pacemaker_json() -> None:
    res = runner.invoke(
        app,
        [
            "screen",
            "--rest-clear",
            "-a",
            "implanted_electrical_device=yes",
            "-a",
            "age=50",
            "--target",
            "upper_trapezius:left",
            "--site",
            "right:arm",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    edn = next(t for t in data["techniques"] if t["technique"] == "electrical_dn")
    assert edn["decision"] == "do_not_needle"
    assert len(data["sites"]) == 2


def test_bad_input_is_a_clear_error() -> None:
    for args in (
        ["screen", "-a", "pregnant=maybe"],
        ["screen", "-a", "nonsense=1"],
        ["screen", "--site", "moon"],
        ["plan", "nope", "--rest-clear"],
        ["plan", "knee_osteoarthritis", "--side", "up"],
        ["screen", "--target", "no_such_muscle"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code != 0, args
        assert "Traceback" not in res.output
