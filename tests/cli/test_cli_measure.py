"""``filiform measure``: score, list, show and plot from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from filiform.cli.main import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["measure", *args])
    if "--json" in args and result.exit_code == 0:
        return result.exit_code, result.output
    return result.exit_code, " ".join(result.output.split())  # undo Rich's line wrapping


def test_score_text_and_json() -> None:
    code, out = run("score", "ndi", "--answers", "1,2,0,3,1,2,1,0,2,1")
    assert code == 0, out
    assert "NDI 26 %" in out
    code, out = run("score", "ndi", "--answers", "1,2,0,3,1,2,1,,2,1", "--json")
    data = json.loads(out)
    assert data["total"] == 28.8889
    assert data["prorated"] is True
    assert data["items_answered"] == 9
    assert data["higher_is_better"] is False


def test_score_by_item_id_and_branch() -> None:
    code, out = run("score", "visa_a", "-a", "q1=5,q2=5,q3=5,q4=5,q5=5,q6=5,q7=4,q8=B:10", "--json")
    assert code == 0, out
    assert json.loads(out)["total"] == 44


def test_score_with_baseline() -> None:
    code, out = run("score", "nprs", "-a", "3", "--baseline", "7", "--json")
    assert code == 0, out
    change = json.loads(out)["change"]
    assert change["classification"] == "improved"
    assert change["mcid"] == 2


def test_out_of_range_is_a_clear_error() -> None:
    code, out = run("score", "ndi", "--answers", "1,2,0,3,1,2,1,0,2,9")
    assert code == 2
    assert "item s10 (Recreation): 9 is out of range" in out
    assert "Traceback" not in out
    code, out = run("score", "nope", "--answers", "1")
    assert code == 2 and "unknown instrument" in out
    code, out = run("score", "hit_6", "--answers", "6,8,10,11,13")
    assert code == 2 and "5 answers given" in out


def test_list_and_show() -> None:
    code, out = run("list", "--json")
    assert code == 0
    ids = {row["id"] for row in json.loads(out)}
    assert {"ndi", "koos", "hit_6"} <= ids and "promis_pi" not in ids
    code, out = run("list", "--all", "--json")
    assert "promis_pi" in {row["id"] for row in json.loads(out)}
    code, out = run("show", "odi")
    assert code == 0
    assert "16 / 45" in out and "Mapi" in out
    code, out = run("show", "hit_6", "--json")
    assert json.loads(out)["licence"]["commercial_use"] == "licence_fee"


def test_plot_from_yaml(tmp_path: Path) -> None:
    source = tmp_path / "scores.yaml"
    source.write_text(
        "instrument: ndi\n"
        "scores:\n"
        "  - {date: 2026-01-05, value: 44}\n"
        "  - {date: 2026-01-19, answers: [2, 2, 1, 2, 3, 2, 2, 1, 3, 2]}\n"
        "  - {date: 2026-02-02, value: 24}\n",
        encoding="utf-8",
    )
    out_png = tmp_path / "ndi.png"
    code, out = run("plot", str(source), "-o", str(out_png), "--json")
    assert code == 0, out
    assert out_png.read_bytes().startswith(b"\x89PNG")
    trend = json.loads(out)
    assert trend["sessions"] == 3 and trend["trajectory"] == "improving"


def test_plot_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"instrument": "ndi", "scores": [{"value": 3}]}), encoding="utf-8")
    code, out = run("plot", str(bad), "-o", str(tmp_path / "x.png"))
    assert code == 2 and "needs a date" in out
    code, out = run("plot", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "x.png"))
    assert code == 2 and "cannot read" in out
