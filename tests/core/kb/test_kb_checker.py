"""The checker must pass on the shipped base and fail loudly, with file and line, on broken data."""

import shutil
from pathlib import Path

import pytest

from filiform.core.kb.checks import check_kb
from filiform.core.kb.loader import load_kb, load_with_issues

DATA = Path(__file__).resolve().parents[3] / "filiform" / "data"


def issues_for(root: Path) -> list[str]:
    kb, issues = load_with_issues(root)
    return [str(i) for i in issues + check_kb(kb)]


def test_the_shipped_base_has_no_problems():
    assert issues_for(DATA) == []
    kb = load_kb()
    assert kb.targets and kb.citations


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    return root


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first occurrence; return its 1-based line."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_a_misspelt_key_is_an_error_with_its_line(data_copy):
    f = data_copy / "targets/muscles/temporalis.yaml"
    line = _edit(f, "innervation:", "inervation:")
    found = issues_for(data_copy)
    assert any(i.startswith(f"targets/muscles/temporalis.yaml:{line}:") and "inervation" in i for i in found), found


def test_a_number_written_as_text_is_not_coerced(data_copy):
    f = data_copy / "targets/muscles/temporalis.yaml"
    line = _edit(f, "length_mm: 25", 'length_mm: "25"')
    found = issues_for(data_copy)
    assert any(f"temporalis.yaml:{line}:" in i and "length_mm" in i for i in found), found


def test_unknown_region_and_citation_are_located(data_copy):
    f = data_copy / "targets/muscles/temporalis.yaml"
    text = f.read_text(encoding="utf-8").replace("essential: [eyebrow-medial,", "essential: [eyebrw,", 1)
    f.write_text(text, encoding="utf-8")
    line = _edit(f, "citations: [donnelly2019]\nneedling", "citations: [nobody2020]\nneedling")
    found = issues_for(data_copy)
    assert any("unknown atlas region 'eyebrw'" in i for i in found), found
    assert any(f"temporalis.yaml:{line}: unknown citation 'nobody2020'" in i for i in found), found


def test_duplicate_ids_and_a_lung_target_without_lung_rule(data_copy):
    src = data_copy / "targets/muscles/temporalis.yaml"
    (data_copy / "targets/muscles/copy").mkdir()
    shutil.copy(src, data_copy / "targets/muscles/copy/temporalis.yaml")
    # the copy sorts first, so it is the record kept; make it lie over the thorax
    _edit(
        data_copy / "targets/muscles/copy/temporalis.yaml",
        "regions: [temple-anterior, temple-middle, temple-posterior]",
        "regions: [temple-middle, interscapular-upper]",
    )
    found = issues_for(data_copy)
    assert any("duplicate id 'temporalis'" in i for i in found), found
    assert any("lies over the thorax" in i and "no lung/pleura danger rule" in i for i in found), found


def test_a_muscle_without_trigger_points_or_referral_fails(data_copy):
    f = data_copy / "targets/muscles/temporalis.yaml"
    text = f.read_text(encoding="utf-8")
    start = text.index("trigger_points:")
    end = text.index("needling:")
    f.write_text(text[:start] + "trigger_points: []\n" + text[end:], encoding="utf-8")
    found = issues_for(data_copy)
    assert any("trigger_points" in i and "temporalis.yaml" in i for i in found), found


def test_yaml_syntax_errors_are_located(data_copy):
    f = data_copy / "citations/core.yaml"
    f.write_text("- id: [unclosed\n", encoding="utf-8")
    found = issues_for(data_copy)
    assert any(i.startswith("citations/core.yaml:") and "YAML syntax" in i for i in found), found


def test_kb_check_cli_exits_non_zero_on_a_broken_copy(data_copy):
    from typer.testing import CliRunner

    from filiform.cli.main import app

    _edit(data_copy / "targets/muscles/temporalis.yaml", "body_area: head_jaw", "body_area: head")
    result = CliRunner().invoke(app, ["kb", "check", "--root", str(data_copy)])
    assert result.exit_code == 1
    assert "temporalis.yaml:" in result.output and "body_area" in result.output


def test_the_same_publication_under_two_ids_is_flagged(data_copy):
    f = data_copy / "citations/core.yaml"
    text = f.read_text(encoding="utf-8")
    start = text.index("- id: kearns2022_trapezius_pleura")
    end = text.index("- id:", start + 5)
    f.write_text(text + text[start:end].replace("kearns2022_trapezius_pleura", "kearns2022_copy"), encoding="utf-8")
    found = issues_for(data_copy)
    assert any("'kearns2022_copy' repeats the doi of 'kearns2022_trapezius_pleura'" in i for i in found), found


def test_a_needle_too_short_for_its_depth_is_flagged(data_copy):
    f = data_copy / "targets/muscles/temporalis.yaml"
    _edit(f, "length_mm: 25", "length_mm: 16")
    found = issues_for(data_copy)
    assert any("temporalis" in i and "16 mm needle" in i for i in found), found
