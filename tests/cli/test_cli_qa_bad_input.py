"""QA: hostile and mistaken input to the CLI ends in a clear error and a non-zero exit,
never a traceback, and never silently drops or guesses data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from filiform.cli.main import app

runner = CliRunner()
BINARY = bytes(range(256)) * 4


def _refused(args: list[str], *needles: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    flat = " ".join(result.output.split())  # Rich wraps long messages
    for needle in needles:
        assert needle in flat, result.output
    return flat


def test_renders_into_a_missing_folder_are_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    _refused(["atlas", "render", "--regions", "right-temple-middle", "-o", str(missing / "c.png")], "cannot write")
    _refused(["atlas", "render", "--regions", "right-temple-middle", "-o", str(missing / "c.svg")], "cannot write")
    _refused(["match", "-r", "right-temple-middle", "-o", str(missing / "c.png")], "cannot write")


def test_match_checks_the_render_suffix_before_printing_anything() -> None:
    out = _refused(["match", "-r", "right-temple-middle", "--json", "-o", "chart.txt"], "--render must end")
    assert "trigger_points" not in out


def test_match_refuses_regions_and_file_together(tmp_path: Path) -> None:
    drawing = tmp_path / "d.yaml"
    drawing.write_text("regions:\n  - {region: right-temple-middle, intensity: 7}\n", encoding="utf-8")
    _refused(["match", "-r", "left-heel-posterior", "-f", str(drawing)], "not both")


@pytest.mark.parametrize(
    "option",
    [
        ["match", "-f"],
        ["plan", "myofascial_low_back", "--drawing"],
        ["plan", "myofascial_low_back", "--intake"],
        ["screen", "--intake"],
    ],
)
def test_binary_input_files_are_refused(tmp_path: Path, option: list[str]) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(BINARY)
    _refused([*option, str(path)], "not UTF-8")


@pytest.mark.parametrize("text", ["right-temple-middle=", "right-temple-middle=\u00b2", "right-temple-middle=\u0667"])
def test_match_intensity_must_be_written_in_digits(text: str) -> None:
    _refused(["match", "-r", text], "whole number 0-10")


def test_match_unknown_condition_in_a_drawing_is_refused(tmp_path: Path) -> None:
    drawing = tmp_path / "d.yaml"
    drawing.write_text(
        "regions:\n  - {region: right-temple-middle, intensity: 7}\ncondition: tenis_elbow\n", encoding="utf-8"
    )
    _refused(["match", "-f", str(drawing)], "no condition 'tenis_elbow'")


def test_match_applies_the_drawing_condition_priors(tmp_path: Path) -> None:
    drawing = tmp_path / "d.yaml"
    drawing.write_text(
        "regions:\n  - {region: right-lateral-epicondyle, intensity: 7}\ncondition: lateral_elbow_tendinopathy\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["match", "-f", str(drawing), "--json"])
    assert result.exit_code == 0, result.output
    assert any("condition prior" in " ".join(t["reasons"]) for t in json.loads(result.output)["targets"])


def test_plan_accepts_a_valid_drawing_file(tmp_path: Path) -> None:
    drawing = tmp_path / "d.yaml"
    drawing.write_text("regions:\n  - {region: right-lateral-epicondyle, intensity: 7}\n", encoding="utf-8")
    result = runner.invoke(
        app, ["plan", "lateral_elbow_tendinopathy", "--rest-clear", "--drawing", str(drawing), "--json"]
    )
    assert result.exit_code == 3, result.output  # caution: the age was not given
    assert any("pain drawing" in t["source"] for t in json.loads(result.output)["targets"])


def test_plan_refuses_a_drawing_for_another_condition(tmp_path: Path) -> None:
    drawing = tmp_path / "d.yaml"
    drawing.write_text(
        "regions:\n  - {region: right-lateral-epicondyle, intensity: 7}\ncondition: plantar_heel_pain\n",
        encoding="utf-8",
    )
    _refused(["plan", "lateral_elbow_tendinopathy", "--rest-clear", "--drawing", str(drawing)], "plantar_heel_pain")


def test_screen_refuses_dates_and_impossible_dates_in_an_intake(tmp_path: Path) -> None:
    intake = tmp_path / "i.yaml"
    intake.write_text("age: 2020-01-01\n", encoding="utf-8")
    _refused(["screen", "--intake", str(intake)], "age")
    intake.write_text("age: 2026-13-01\n", encoding="utf-8")
    _refused(["screen", "--intake", str(intake)], "not valid JSON or YAML")


def test_screen_refuses_repeated_answers_and_malformed_targets() -> None:
    _refused(["screen", "--rest-clear", "-a", "age=30", "-a", "age=40"], "more than once", "age")
    _refused(["screen", "--rest-clear", "-t", "infraspinatus:left:x"], "id:side")


def test_measure_score_refuses_an_item_answered_twice() -> None:
    answers = "s1=1,s1=5," + ",".join(f"s{i}=1" for i in range(2, 11))
    _refused(["measure", "score", "ndi", "-a", answers], "answered twice")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("instrument: ndi\nscores:\n  - {date: 2026-01-05, value: abc}\n", "value must be a number"),
        ("instrument: ndi\nscores:\n  - {date: 2026-01-05, value: true}\n", "value must be a number"),
        ("instrument: ndi\nscores: 5\n", "must be a list"),
        ("instrument: ndi\nscores:\n  - {date: 2026-13-05, value: 4}\n", "not valid JSON/YAML"),
        ("instrument: ndi\nscores:\n  - {date: 20260105, value: 4}\n", "bad date"),
        ("instrument: ndi\nscores:\n  - {date: 2026-01-05T10:00:00, value: 4}\n", "bad date"),
        ("instrument: ndi\nscores:\n  - {date: 2026-01-05, value: 4, label: [1]}\n", "label must be text"),
        ("instrument: ndi\nscores:\n  - {date: 2026-01-05, value: 4, colour: red}\n", "unknown key"),
        ("instrument: ndi\nscores:\n  - {date: 2026-01-05, value: 4, answers: [1,1,1,1,1,1,1,1,1,1]}\n", "not both"),
    ],
)
def test_measure_plot_refuses_malformed_score_files(tmp_path: Path, body: str, needle: str) -> None:
    source = tmp_path / "scores.yaml"
    source.write_text(body, encoding="utf-8")
    _refused(["measure", "plot", str(source), "-o", str(tmp_path / "p.png")], needle)
    assert not (tmp_path / "p.png").exists()


def test_measure_plot_refuses_a_binary_file(tmp_path: Path) -> None:
    source = tmp_path / "scores.yaml"
    source.write_bytes(BINARY)
    _refused(["measure", "plot", str(source), "-o", str(tmp_path / "p.png")], "not UTF-8")


def test_hrv_plot_options_must_match_their_format(tmp_path: Path) -> None:
    rr = tmp_path / "rr.txt"
    rr.write_text("\n".join(str(800 + (i % 7) * 10) for i in range(600)), encoding="utf-8")
    _refused(["hrv", "analyse", str(rr), "-p", "baseline=0-300", "--png", str(tmp_path / "t.svg")], "--png")
    _refused(["hrv", "analyse", str(rr), "-p", "baseline=0-300", "--svg", str(tmp_path / "t.png")], "--svg")
    assert not (tmp_path / "t.svg").exists() and not (tmp_path / "t.png").exists()


def test_kb_check_refuses_a_folder_that_is_not_a_knowledge_base(tmp_path: Path) -> None:
    _refused(["kb", "check", "--root", str(tmp_path)], "not a Filiform data folder")
