"""QA: bad input to the FHIR and records commands is a clear message and a non-zero exit,
never a traceback, a Python exception name, silent acceptance or a database nobody asked for."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from filiform.cli.main import app
from filiform.services.operations import demo
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade

runner = CliRunner()
RAW_NAMES = ("Error:", "Traceback", "Exception")


def _refused(args: list[str], *needles: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    flat = " ".join(result.output.split())  # Rich wraps long messages
    dense = "".join(result.output.split())  # ... and may break a long path mid-word
    for needle in needles:
        assert needle in flat or "".join(needle.split()) in dense, result.output
    for raw in RAW_NAMES:
        assert raw not in flat, result.output
    return flat


@pytest.fixture(scope="module")
def clinic_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('qa') / 'r.db'}"
    engine = make_engine(url)
    upgrade(engine)
    demo.generate(engine, patients=2, seed=5)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def patient_bundle(clinic_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("qa-export") / "p1.json"
    result = runner.invoke(app, ["export", "fhir", "--patient", "1", "--out", str(out), "--db", clinic_url])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _empty_db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "e.db"
    url = f"sqlite:///{path}"
    result = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    return url, path


def _row_count(path: Path, table: str) -> int:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as c:
            return int(c.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[]", "not a FHIR Bundle (a JSON array)"),
        ("42", "not a FHIR Bundle (a JSON number)"),
        ('{"resourceType": "Patient"}', "not a FHIR Bundle"),
        ('{"resourceType": "Bundle"}', "no entries"),
        ('{"resourceType": "Bundle", "entry": []}', "no entries"),
        ('{"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}', "entry 1 has no resource"),
        ('{"resourceType": "Bundle", "entry": [{"resource": {"id": "1"}}]}', "needs a resourceType and an id"),
    ],
)
def test_import_refuses_json_that_is_not_a_bundle(tmp_path: Path, text: str, needle: str) -> None:
    url, _ = _empty_db(tmp_path)
    source = tmp_path / "a.json"
    source.write_text(text, encoding="utf-8")
    _refused(["import", "fhir", str(source), "--db", url], needle)


def test_import_refuses_a_duplicated_entry_and_writes_nothing(tmp_path: Path, patient_bundle: dict[str, Any]) -> None:
    url, path = _empty_db(tmp_path)
    bundle = copy.deepcopy(patient_bundle)
    bundle["entry"].append(bundle["entry"][1])
    source = tmp_path / "dup.json"
    source.write_text(json.dumps(bundle), encoding="utf-8")
    res = bundle["entry"][1]["resource"]
    _refused(["import", "fhir", str(source), "--db", url], f"{res['resourceType']}/{res['id']} appears more than once")
    assert _row_count(path, "clinic") == 0 and _row_count(path, "patient") == 0


def test_import_with_broken_references_is_one_transaction(tmp_path: Path, patient_bundle: dict[str, Any]) -> None:
    url, path = _empty_db(tmp_path)
    bundle = copy.deepcopy(patient_bundle)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"]
    source = tmp_path / "orphans.json"
    source.write_text(json.dumps(bundle), encoding="utf-8")
    _refused(["import", "fhir", str(source), "--db", url], "do not fit")
    assert _row_count(path, "clinic") == 0 and _row_count(path, "app_user") == 0


def test_import_of_a_valid_bundle_still_works(tmp_path: Path, patient_bundle: dict[str, Any]) -> None:
    url, _ = _empty_db(tmp_path)
    source = tmp_path / "p.json"
    source.write_text(json.dumps(patient_bundle), encoding="utf-8")
    result = runner.invoke(app, ["import", "fhir", str(source), "--db", url])
    assert result.exit_code == 0 and "1 patient" in result.output, result.output


def test_unreadable_import_files_get_plain_messages(tmp_path: Path) -> None:
    url, _ = _empty_db(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    _refused(["import", "fhir", str(binary), "--db", url], "is not UTF-8 text")
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType":\n', encoding="utf-8")
    _refused(["import", "fhir", str(bad), "--db", url], "is not valid JSON: line 2 column 1")
    _refused(["import", "fhir", str(tmp_path / "nofile.json"), "--db", url], "no such file:")
    _refused(["import", "fhir", str(tmp_path), "--db", url], "is a folder")


def test_outputs_into_a_missing_folder_are_refused(tmp_path: Path, clinic_url: str) -> None:
    missing = tmp_path / "nodir"
    _refused(
        ["export", "fhir", "--patient", "1", "--out", str(missing / "p.json"), "--db", clinic_url],
        "cannot write to",
        "does not exist",
    )
    _refused(["billing", "csv", "--out", str(missing / "b.csv"), "--db", clinic_url], "does not exist")
    _refused(["backup", str(missing / "b.fbk"), "--db", clinic_url], "does not exist")
    assert not missing.exists()


def test_outputs_onto_the_wrong_kind_of_path_are_refused(tmp_path: Path, clinic_url: str) -> None:
    existing = tmp_path / "existing"
    existing.write_text("keep me", encoding="utf-8")
    _refused(["export", "bulk", "--out", str(existing), "--db", clinic_url], "exists and is not a folder")
    assert existing.read_text(encoding="utf-8") == "keep me"
    _refused(["export", "fhir", "--patient", "1", "--out", str(tmp_path), "--db", clinic_url], "is a folder")
    _refused(["backup", str(tmp_path), "--db", clinic_url], "is a folder")


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "verify"],
        ["export", "fhir", "--patient", "1"],
        ["export", "bulk", "--out", "bulk-out"],
        ["billing", "csv", "--out", "b.csv"],
        ["backup", "b.fbk"],
        ["audit", "report", "--from", "2026-01-01", "--to", "2026-01-02", "--user", "admin"],
    ],
)
def test_reading_commands_refuse_a_missing_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "sub" / "missing.db"
    _refused([*args, "--db", f"sqlite:///{missing}"], f"no database at {missing}", "filiform db upgrade")
    assert not missing.exists() and not missing.parent.exists()


def test_import_refuses_a_missing_sqlite_file(tmp_path: Path, patient_bundle: dict[str, Any]) -> None:
    source = tmp_path / "p.json"
    source.write_text(json.dumps(patient_bundle), encoding="utf-8")
    missing = tmp_path / "missing.db"
    _refused(["import", "fhir", str(source), "--db", f"sqlite:///{missing}"], "no database at")
    assert not missing.exists()


@pytest.mark.parametrize(
    "args", [["audit", "verify"], ["db", "upgrade"], ["demo", "--patients", "1"], ["export", "fhir", "--patient", "1"]]
)
def test_an_empty_db_option_is_an_error_not_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FILIFORM_DATABASE_URL", raising=False)
    _refused([*args, "--db", ""], "database URL is empty")
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("a b://x", "not a database URL"),
        ("postgresql://u@h:port/db", "not a database URL"),
        ("nonsense://x", "unsupported database"),
    ],
)
def test_a_malformed_db_url_is_a_plain_message(url: str, needle: str) -> None:
    _refused(["audit", "verify", "--db", url], needle)


@pytest.mark.parametrize("option", [["--channel", "3"], ["--kind", "ecg"]])
def test_hrv_refuses_signal_options_on_an_rr_list(tmp_path: Path, option: list[str]) -> None:
    rr = tmp_path / "rr.txt"
    rr.write_text("\n".join(["800", "810", "790"] * 50) + "\n", encoding="utf-8")
    _refused(["hrv", "analyse", str(rr), "-p", "baseline=0-60", *option], "rr.txt is an RR list")
    _refused(
        ["hrv", "plot", str(rr), "-p", "baseline=0-60", "-o", str(tmp_path / "t.png"), "--kind", "ppg"],
        "rr.txt is an RR list",
    )


def test_hrv_refuses_rr_options_on_a_signal_recording(tmp_path: Path) -> None:
    edf = tmp_path / "r.edf"
    edf.write_bytes(b"0" * 256)
    _refused(["hrv", "analyse", str(edf), "-p", "baseline=0-60", "--column", "2"], "raw signal recording")
    _refused(["hrv", "analyse", str(edf), "-p", "baseline=0-60", "--unit", "ms"], "raw signal recording")
