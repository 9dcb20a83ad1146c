"""TOTP secrets are stored sealed (AES-GCM, key outside the database), legacy plain rows
still work and get sealed, and a bad key file stops the app with a clear message."""

from __future__ import annotations

import base64
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from api_world import PASSWORD, World, login
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from filiform.app.factory import create_app
from filiform.services.access import auth_sessions
from filiform.services.access import secrets as keys
from filiform.services.access.login_throttle import LoginThrottle
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.models_auth import UserTotp


@pytest.fixture
def db(world: World) -> Iterator[Session]:
    engine = make_engine(world.url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_enrolment_stores_a_sealed_secret_that_opens_to_the_plain_one(
    world: World,
    db: Session,
    tmp_path: Path,
) -> None:
    app = create_app(world.url, throttle=LoginThrottle())
    client = login(TestClient(app), "clinician_a")
    uri = client.post("/api/auth/totp", json={"password": PASSWORD}).json()["data"]["provisioning_uri"]
    plain = pyotp.parse_uri(uri).secret
    row = db.get(UserTotp, world.users["clinician_a"])
    assert row is not None
    assert row.secret != plain and plain not in row.secret
    assert row.secret.startswith("v1:") and len(row.secret) <= 64  # fits VARCHAR(64)
    assert auth_sessions._totp_secret(db, row) == plain
    # the key was created next to the database, readable by its owner only
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_bytes().strip())) == 32
    # a sealed secret copied into another user's row does not open there
    with pytest.raises(keys.SecretKeyError):
        keys.unseal(keys.subkey(keys.master_key(world.url), "totp-secret"), row.secret, context=b"user_totp:999")
    db.rollback()  # end the read so the app can write
    # and confirming with a code from it works end to end
    assert client.post("/api/auth/totp/confirm", json={"code": pyotp.TOTP(plain).now()}).status_code == 200
    app.state.engine.dispose()


def test_legacy_plain_row_still_verifies_and_is_sealed_on_success(world: World) -> None:
    engine = make_engine(world.url)
    factory = session_factory(engine)
    uid = world.users["clinician_a"]
    plain = pyotp.random_base32()
    t0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with transaction(factory) as s:
        s.add(UserTotp(user_id=uid, secret=plain, confirmed_at=t0, last_step=0))
    totp = pyotp.TOTP(plain)
    with transaction(factory) as s:
        wrong = auth_sessions.login(
            s,
            username="clinician_a",
            password=PASSWORD,
            totp="000000" if totp.at(t0) != "000000" else "111111",
            client="t",
            throttle=LoginThrottle(),
            now=t0,
        )
        assert not wrong.ok
    with transaction(factory) as s:
        assert s.get(UserTotp, uid).secret == plain  # type: ignore[union-attr]
    with transaction(factory) as s:
        ok = auth_sessions.login(
            s, username="clinician_a", password=PASSWORD, totp=totp.at(t0), client="t", throttle=LoginThrottle(), now=t0
        )
        assert ok.ok
    with transaction(factory) as s:
        row = s.get(UserTotp, uid)
        assert row is not None and row.secret.startswith("v1:") and plain not in row.secret
        assert auth_sessions._totp_secret(s, row) == plain
    later = t0 + timedelta(seconds=60)
    with transaction(factory) as s:  # the sealed row keeps working
        again = auth_sessions.login(
            s,
            username="clinician_a",
            password=PASSWORD,
            totp=totp.at(later),
            client="t",
            throttle=LoginThrottle(),
            now=later,
        )
        assert again.ok
    engine.dispose()


@pytest.mark.parametrize("content", [b"", b"not base64 at all!", b"c2hvcnQ=", base64.b64encode(b"x" * 33)])
def test_malformed_key_file_is_a_clear_error(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
) -> None:
    bad = tmp_path / "named.key"
    bad.write_bytes(content)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(bad))
    keys.clear_cache()
    with pytest.raises(keys.SecretKeyError, match="malformed") as info:
        keys.master_key(world.url)
    assert str(bad) in str(info.value)
    app = create_app(world.url)
    with pytest.raises(keys.SecretKeyError), TestClient(app):  # the app refuses to start
        pass
    app.state.engine.dispose()
    assert bad.read_bytes() == content  # never replaced by a fresh key


def test_named_key_file_must_exist_and_default_file_is_checked_too(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(tmp_path / "missing.key"))
    keys.clear_cache()
    with pytest.raises(keys.SecretKeyError, match="does not exist"):
        keys.master_key(world.url)
    assert not (tmp_path / "missing.key").exists()
    monkeypatch.delenv(keys.KEY_FILE_ENV)
    (tmp_path / "secret.key").write_text("garbage\n")
    with pytest.raises(keys.SecretKeyError, match=r"secret\.key is malformed"):
        keys.master_key(world.url)


def test_named_key_file_is_used(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = b"k" * 32
    named = tmp_path / "named.key"
    named.write_bytes(base64.b64encode(key) + b"\n")
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(named))
    keys.clear_cache()
    assert keys.master_key(world.url) == key
    assert not (tmp_path / "secret.key").exists()
    keys.clear_cache()
