import json

from typer.testing import CliRunner

from filiform.cli.main import app

runner = CliRunner()


def test_kb_check_passes_on_the_shipped_base():
    result = runner.invoke(app, ["kb", "check"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_kb_stats_json_counts_targets():
    result = runner.invoke(app, ["kb", "stats", "--json"])
    data = json.loads(result.output)
    assert data["targets"] >= 4 and data["by_kind"]["muscle"] >= 4


def test_kb_show_and_an_unknown_id():
    assert "Temporalis" in runner.invoke(app, ["kb", "show", "temporalis"]).output
    bad = runner.invoke(app, ["kb", "show", "temporalsi"])
    assert bad.exit_code == 2 and "temporalis" in bad.output


def test_atlas_render_writes_a_png(tmp_path):
    out = tmp_path / "chart.png"
    result = runner.invoke(
        app,
        [
            "atlas",
            "render",
            "--regions",
            "right-temple-middle,left-heel-posterior",
            "--pattern",
            "upper_trapezius",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_match_json_ranks_temporalis_and_explains(tmp_path):
    result = runner.invoke(
        app, ["match", "--regions", "right-temple-middle,right-upper-teeth-front,right eyebrow (lateral)", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    first = data["targets"][0]
    assert (first["target"], first["rank"], first["side"]) == ("temporalis", 1, "right")
    assert "right-temple-middle" in first["essential"] and first["trigger_points"]


def test_match_rejects_an_unknown_region_with_suggestions():
    result = runner.invoke(app, ["match", "--regions", "right-temple-midle"])
    assert result.exit_code == 2
    assert "right-temple-middle" in result.output


def test_match_reads_a_yaml_drawing(tmp_path):
    f = tmp_path / "d.yaml"
    f.write_text(
        "regions:\n  - {region: Right temple (middle), intensity: 7}\n"
        "  - {region: right-upper-teeth-front, intensity: 4}\n"
    )
    result = runner.invoke(app, ["match", "--file", str(f), "--json"])
    assert result.exit_code == 0, result.output
    f.write_text("regions:\n  - {region: right-temple-middle, intensity: '7'}\n")
    bad = runner.invoke(app, ["match", "--file", str(f)])
    assert bad.exit_code == 2 and "intensity" in bad.output
