"""`filiform plan` and `filiform screen`: exit codes, blocking reasons first, nothing misread."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from filiform.cli.main import app

runner = CliRunner()
GO, CAUTION, DO_NOT_NEEDLE, BAD_INPUT = 0, 3, 4, 2


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    from filiform.cli import output

    monkeypatch.setattr(output.console, "width", 200)  # COLUMNS alone is not seen in xdist workers


def _screen(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["screen", "--rest-clear", "-a", "age=40", "--on", "2026-03-02", *args])
    return res.exit_code, res.output


def test_plan_warfarin_lateral_elbow_readable() -> None:
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
    )
    assert res.exit_code == CAUTION, res.output
    for text in ("Extensor carpi radialis brevis", "Trigger-point dry", "Compress", "Muñoz", "CAUTION"):
        assert text in res.output
    assert re.search(r"\b\d+ x 0\.\d+ mm\b", res.output)  # needle: length x gauge
    assert "times a week" in res.output or "once" in res.output  # the dose in words
    assert "–" not in res.output.split("Dose:")[1].split("\n")[0]


def test_plan_fits_80_columns_with_safety_notes_below_the_table_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Danger rules and precautions are printed once under the table, not squeezed into a column."""
    from filiform.cli import output

    monkeypatch.setattr(output.console, "width", 80)
    args = ["plan", "myofascial_neck_shoulder", "--side", "right", "--rest-clear", "--age", "44"]
    res = runner.invoke(app, [*args, "-a", "anticoagulant=vka", "-a", "inr=2.6"])
    lines = res.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    table_end = max(i for i, line in enumerate(lines) if line.startswith("└"))
    assert "Safety at each target:" in "\n".join(lines[table_end:])
    assert "Lung and parietal pleura" not in "\n".join(lines[:table_end])  # not squeezed into a cell
    precautions = res.output.split("Precautions:")[1]
    first = precautions.splitlines()[1]
    assert res.output.count(first) == 1  # each precaution printed once
    assert "Measure with:" in res.output and "NDI (Neck Disability Index)" in res.output


def test_plan_json_keeps_needle_fields_and_danger_rules() -> None:
    res = runner.invoke(
        app,
        [
            "plan",
            "sciatica_deep_gluteal",
            "--side",
            "right",
            "--rest-clear",
            "--age",
            "50",
            "--today",
            "2026-03-02",
            "--json",
        ],
    )
    assert res.exit_code in (GO, CAUTION), res.output
    data = json.loads(res.output)
    by_target = {t["target"]: t for t in data["targets"]}
    piriformis = by_target["piriformis"]
    assert {"insertion_mm", "max_safe_depth_mm", "depth_basis"} <= set(piriformis["needle"])
    assert any("medial third" in d["rule"] for d in piriformis["danger"])  # the target's own rule reaches the plan
    assert piriformis["condition_note"] and "midpoint" in piriformis["condition_note"]
    sciatic = by_target["sciatic_nerve_deep_gluteal"]
    assert sciatic["ultrasound_only"] is True and sciatic["decision"] == "caution"


def test_plan_blocked_exits_do_not_needle_and_says_so() -> None:
    res = runner.invoke(app, ["plan", "knee_osteoarthritis", "--today", "2026-03-02"])
    assert res.exit_code == DO_NOT_NEEDLE
    assert "DO NOT NEEDLE" in res.output
    assert res.output.index("DO NOT NEEDLE") < res.output.index("Dose:")  # blocking reasons come first


def test_plan_handout_markdown() -> None:
    res = runner.invoke(app, ["plan", "plantar_heel_pain", "--rest-clear", "--age", "40", "--handout"])
    assert res.exit_code in (GO, CAUTION) and res.output.startswith("# Dry needling for")


def test_screen_exit_codes_go_caution_do_not_needle() -> None:
    assert _screen("-s", "left:forearm")[0] == GO
    assert _screen("-a", "vasovagal_history=yes", "-s", "left:forearm")[0] == CAUTION
    code, out = _screen("-a", "needle_phobia=yes")
    assert code == DO_NOT_NEEDLE and "DO NOT NEEDLE" in out and "Needle phobia" in out


def test_screen_prints_every_do_not_needle_reason_before_the_table() -> None:
    code, out = _screen(
        "-a",
        "capacity_to_consent=no",
        "-a",
        "lymphoedema=yes",
        "-a",
        "lymphoedema_sites=right:arm",
        "-t",
        "extensor_digitorum:right",
        "-s",
        "left:orbit",
        "-c",
        "c1=left:forearm+right:forearm",
    )
    assert code == DO_NOT_NEEDLE
    panel = out[: out.index("Screening per technique")]
    for text in ("cannot give informed consent", "lymphoedema", "never needled", "cross the chest"):
        assert text in panel, text
    assert "Extensor digitorum, right" in panel and "left eye socket (orbit)" in panel
    assert "@" not in panel and "extensor_digitorum" not in panel  # plain words, no raw ids


def test_screen_labels_are_not_eaten_as_markup(tmp_path: Path) -> None:
    code, out = _screen("-c", "[bold]x=left:forearm+right:forearm")
    assert code == DO_NOT_NEEDLE
    assert "[bold]x" in out  # shown literally


def test_screen_pacemaker_json() -> None:
    code, out = _screen(
        "-a", "implanted_electrical_device=yes", "-t", "upper_trapezius:left", "-s", "right:arm", "--json"
    )
    assert code == DO_NOT_NEEDLE, out
    data = json.loads(out)
    edn = next(t for t in data["techniques"] if t["technique"] == "electrical_dn")
    assert edn["decision"] == "do_not_needle"
    assert [s["label"] for s in data["sites"]] == ["Upper trapezius, left", "right arm"]


def test_an_answer_given_twice_must_agree(tmp_path: Path) -> None:
    intake = tmp_path / "i.yaml"
    intake.write_text("pregnant: 'no'\nage: 30\n", encoding="utf-8")
    res = runner.invoke(app, ["screen", "--intake", str(intake), "-a", "pregnant=yes"])
    assert res.exit_code == BAD_INPUT
    assert "pregnant" in res.output and "'no'" in res.output and "'yes'" in res.output
    same = runner.invoke(app, ["screen", "--intake", str(intake), "-a", "pregnant=no", "--json"])
    assert same.exit_code != BAD_INPUT, same.output


def test_a_key_written_twice_in_an_intake_file_is_refused(tmp_path: Path) -> None:
    intake = tmp_path / "i.yaml"
    intake.write_text("pregnant: 'no'\nage: 30\npregnant: 'yes'\n", encoding="utf-8")
    res = runner.invoke(app, ["screen", "--intake", str(intake)])
    assert res.exit_code == BAD_INPUT and "duplicate key 'pregnant'" in res.output


def test_contradictory_answers_are_refused_naming_both() -> None:
    res = runner.invoke(app, ["screen", "-a", "pregnant=no", "-a", "pregnancy_trimester=2"])
    assert res.exit_code == BAD_INPUT
    assert "pregnancy_trimester=2" in res.output and "pregnant=no" in res.output


def test_bad_input_is_a_clear_error() -> None:
    for args in (
        ["screen", "-a", "pregnant=maybe"],
        ["screen", "-a", "nonsense=1"],
        ["screen", "--site", "moon"],
        ["screen", "--circuit", "c1=left:forearm"],
        ["screen", "--circuit", "c1=left:forearm+left:hand,9000hz"],
        ["screen", "-a", "corticosteroid_injections=left:elbow_joint"],
        ["plan", "nope", "--rest-clear"],
        ["plan", "knee_osteoarthritis", "--side", "up"],
        ["screen", "--target", "no_such_muscle"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == BAD_INPUT, (args, res.output)
        assert "Traceback" not in res.output
