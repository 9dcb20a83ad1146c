from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "core" / "hrv"))

from hrv_synth import vasovagal_session

from filiform.cli.main import app

PHASES = "baseline=0-300,needling=300-900,rest=900-1200"
runner = CliRunner()


@pytest.fixture(scope="module")
def session_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hrv") / "session.csv"
    np.savetxt(path, vasovagal_session(), fmt="%.1f", header="RR [ms]", comments="")
    return path


def test_analyse_prints_phases_changes_and_the_warning(session_csv: Path, tmp_path: Path) -> None:
    png = tmp_path / "t.png"
    result = runner.invoke(app, ["hrv", "analyse", str(session_csv), "--phases", PHASES, "--png", str(png)])
    assert result.exit_code == 0, result.output
    for text in ("baseline", "needling", "rest", "Lipponen", "warning", "Descriptive only"):
        assert text in result.output
    assert png.read_bytes().startswith(b"\x89PNG")


def test_analyse_json(session_csv: Path) -> None:
    result = runner.invoke(app, ["hrv", "analyse", str(session_csv), "-p", PHASES, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {p["phase"]["name"] for p in data["phases"]} == {"baseline", "needling", "rest"}
    assert data["events"][0]["kind"] == "warning"


def test_short_phase_says_too_short(session_csv: Path) -> None:
    result = runner.invoke(app, ["hrv", "analyse", str(session_csv), "-p", "baseline=0-300,needling=300-340"])
    assert result.exit_code == 0, result.output
    assert "shorter than" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "baseline"], "name=start-end"),
        (["-p", PHASES, "--unit", "km"], "--unit"),
    ],
)
def test_bad_options_fail_cleanly(session_csv: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["hrv", "analyse", str(session_csv), *args])
    assert result.exit_code == 2
    assert message in result.output + (result.stderr or "")
    assert "Traceback" not in result.output


def test_bad_file_fails_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "hr.csv"
    bad.write_text("hr\n70\n71\n72\n")
    result = runner.invoke(app, ["hrv", "analyse", str(bad), "-p", "baseline=0-60"])
    assert result.exit_code == 2
    assert "beats/min" in result.output + (result.stderr or "")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_plot_command_writes_svg(session_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.svg"
    result = runner.invoke(app, ["hrv", "plot", str(session_csv), "-p", PHASES, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "<svg" in out.read_text()
