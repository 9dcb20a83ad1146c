"""The one key-file discipline shared by the TOTP/CSRF master key and the audit key ring."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from filiform.services.access import key_files, secrets
from filiform.services.operations import audit_keys


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(secrets.KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(audit_keys.KEY_FILE_ENV, raising=False)
    secrets.clear_cache()
    audit_keys.clear_cache()
    yield
    secrets.clear_cache()
    audit_keys.clear_cache()


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'clinic.db'}"


def test_both_keys_are_created_beside_the_database_with_mode_0600(tmp_path: Path) -> None:
    key = secrets.master_key(_url(tmp_path))
    ring = audit_keys.ring(_url(tmp_path))
    for path in (tmp_path / "secret.key", tmp_path / "audit.key"):
        assert path.stat().st_mode & 0o777 == 0o600
    assert base64.b64decode((tmp_path / "secret.key").read_bytes().strip()) == key
    assert ring.path == tmp_path / "audit.key" and ring.current == "k1"
    assert list(tmp_path.glob(".*.tmp")) == []


def test_rotation_keeps_mode_0600_and_the_old_key(tmp_path: Path) -> None:
    first = audit_keys.ring(_url(tmp_path))
    rotated = audit_keys.rotate(_url(tmp_path))
    assert rotated.current == "k2" and rotated.keys["k1"] == first.keys["k1"]
    assert (tmp_path / "audit.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("module", [secrets, audit_keys], ids=["secret", "audit"])
def test_a_named_file_that_is_missing_is_an_error_not_a_new_key(
    module: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "elsewhere" / "key"
    monkeypatch.setenv(module.KEY_FILE_ENV, str(missing))  # type: ignore[attr-defined]
    load = secrets.master_key if module is secrets else audit_keys.ring
    with pytest.raises(key_files.SecretKeyError, match="does not exist"):
        load(_url(tmp_path))
    assert not missing.exists()


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    """Eight threads each write a fresh key at once: one file wins and everyone reads it."""
    path = tmp_path / "race.key"
    barrier = threading.Barrier(8)
    seen: list[bytes] = []

    def first_use() -> None:
        barrier.wait()
        seen.append(key_files.read_or_create("FILIFORM_TEST_UNSET_KEY", path, secrets._fresh, "test key"))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and len(set(seen)) == 1
    assert path.read_bytes() == seen[0]


def test_a_key_others_can_read_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secrets.master_key(_url(tmp_path))
    secrets.clear_cache()
    (tmp_path / "secret.key").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger=key_files.__name__):
        secrets.master_key(_url(tmp_path))
    assert any("chmod 600" in r.getMessage() and "secret.key" in r.getMessage() for r in caplog.records)


def test_a_malformed_file_names_its_path_and_is_kept(tmp_path: Path) -> None:
    (tmp_path / "audit.key").write_text("k1 not-base64!\n")
    with pytest.raises(key_files.SecretKeyError, match=r"audit\.key is malformed at line 1"):
        audit_keys.ring(_url(tmp_path))
    assert (tmp_path / "audit.key").read_text() == "k1 not-base64!\n"
