"""The one located YAML loader: parsed once, file and line in every error, no repeated keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from filiform.core.atlas import build as atlas_build
from filiform.core.kb import yaml_source
from filiform.core.kb.yaml_source import Issue, YamlSyntaxError, load_data, load_document, parse
from filiform.core.matching.evaluation import load_cases
from filiform.core.planning.models import Condition
from filiform.errors import KnowledgeBaseError


def test_parsed_once_with_the_c_parser_when_libyaml_is_present() -> None:
    if hasattr(yaml, "CSafeLoader"):
        assert yaml_source._Loader is yaml.CSafeLoader
    doc = parse("a:\n  - 1\n  - {b: two}\n", "x.yaml")
    assert doc.data == {"a": [1, {"b": "two"}]}
    assert doc.line_of(("a", 1, "b")) == 3


def test_the_data_comes_from_the_same_node_tree_the_lines_come_from(monkeypatch: pytest.MonkeyPatch) -> None:
    """No second parse: ``yaml.safe_load``/``yaml.compose`` are never called."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("parsed twice")

    monkeypatch.setattr(yaml, "safe_load", refuse)
    monkeypatch.setattr(yaml, "compose", refuse)
    assert parse("x: 1\n", "x.yaml").data == {"x": 1}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("id: a\nname: b\nid: c\n", 3, "duplicate key 'id' (first at line 1)"),
        ("items:\n  - {x: 1, x: 2}\n", 2, "duplicate key 'x'"),
        ("a: [1, 2\nb: 3\n", 2, "YAML syntax"),
    ],
)
def test_repeated_keys_and_syntax_errors_are_located(text: str, line: int, words: str) -> None:
    with pytest.raises(YamlSyntaxError) as exc:
        parse(text, "data/x.yaml")
    assert exc.value.issue.file == "data/x.yaml" and exc.value.issue.line == line
    assert words in exc.value.issue.message


def test_merge_keys_are_not_repeated_keys() -> None:
    assert parse("base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n", "x.yaml").data["thing"] == {"x": 1, "y": 2}


def test_schema_errors_name_file_and_line() -> None:
    record, issues, _ = load_document("id: x\nname: 3\n", "conditions/x.yaml", Condition)
    assert record is None
    assert all(isinstance(i, Issue) and i.file == "conditions/x.yaml" for i in issues)
    assert any(i.line == 2 and i.message.startswith("name:") for i in issues)


def test_every_clinical_data_loader_reports_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "atlas.yaml"
    broken.write_text("views: {}\nviews: {}\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as exc:
        load_data(broken, "atlas.yaml")
    assert exc.value.details == ["atlas.yaml:2: duplicate key 'views' (first at line 1)"]
    with pytest.raises(KnowledgeBaseError) as exc:
        load_cases("cases:\n  - id: a\n    regions: right-temple\n")
    assert any(d.startswith("eval/published_cases.yaml:3: cases.0.regions") for d in exc.value.details)
    assert atlas_build.load_data is load_data  # the atlas reads through the same loader
