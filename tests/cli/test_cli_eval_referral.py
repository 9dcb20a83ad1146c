"""``filiform eval referral`` reports both case sets, with intervals and the split by kind."""

import json

from typer.testing import CliRunner

from filiform.cli.main import app

runner = CliRunner()
KINDS = {"experimental", "clinical", "case_report", "textbook"}


def test_json_reports_the_published_and_the_legacy_set_apart():
    result = runner.invoke(app, ["eval", "referral", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"published", "legacy"}
    assert data["legacy"]["cases"] == 58
    assert data["published"]["cases"] >= 53
    for summary in data.values():
        for k in (1, 3, 5):
            top = summary[f"top{k}"]
            low, high = top["ci95"]
            assert 0.0 <= low <= top["recall"] <= high <= 1.0
            assert top["hits"] <= summary["cases"]
        assert summary["top1"]["hits"] <= summary["top3"]["hits"] <= summary["top5"]["hits"]
        assert len(summary["misses_top3"]) == summary["cases"] - summary["top3"]["hits"]
    by_kind = data["published"]["by_kind"]
    assert set(by_kind) == KINDS
    assert sum(counts["top1"][1] for counts in by_kind.values()) == data["published"]["cases"]


def test_text_output_names_both_sets_and_the_kinds():
    result = runner.invoke(app, ["eval", "referral"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Published referral descriptions" in result.output
    assert "Legacy set (58 cases" in result.output
    assert all(f"{kind}: top-1" in result.output for kind in KINDS)
