"""TOTP enrolment, the +-1 step window, sealing of legacy rows, turning it off, auditing.

Codes come from pyotp (an independent RFC 6238 implementation) at injected instants; the
30-second step numbers, the provisioning URI, the sealing context and the key purpose are
written out here from the module's documentation, never read back from the code.
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
import sqlalchemy as sa
from services_world import World

from filiform.errors import PermissionDenied, ValidationFailed
from filiform.services.access import secrets as keys
from filiform.services.access import totp
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.storage.models import AuditLog
from filiform.storage.models_auth import UserTotp

T0 = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)  # 5 s into a 30-second step
STEP0 = 1772442000 // 30  # 2026-03-02T09:00:00Z is 1772442000 s after the epoch


def _row(world: World) -> UserTotp:
    with world.factory() as s:
        row = s.get(UserTotp, world.clinician.user_id)
        assert row is not None
        s.expunge(row)
        return row


def _check(world: World, code: str, at: datetime) -> bool:
    return bool(world.run(totp.check_code, user_id=world.clinician.user_id, code=code, now=at))


def _enrol(world: World) -> pyotp.TOTP:
    found = pyotp.parse_uri(world.run(totp.enable_totp, actor=world.clinician))
    assert isinstance(found, pyotp.TOTP)
    return found


def _legacy(world: World, secret: str) -> pyotp.TOTP:
    """A confirmed row as written before secrets were sealed: the base32 text itself."""
    with world.factory() as s, s.begin():
        s.add(UserTotp(user_id=world.clinician.user_id, secret=secret, confirmed_at=T0, last_step=0))
    return pyotp.TOTP(secret)


def _opened(world: World, stored: str) -> bytes:
    """Open a sealed secret with the key and context the module documents."""
    with world.factory() as s:
        url = audit.database_url(s)
    key = keys.subkey(keys.master_key(url), "totp-secret")
    return keys.unseal(key, stored, context=f"user_totp:{world.clinician.user_id}".encode())


def _totp_audit(world: World) -> list[tuple[str, str, int | None, int | None, int]]:
    with world.factory() as s:
        rows = s.scalars(
            sa.select(AuditLog).where(AuditLog.action.like("totp_%")).order_by(AuditLog.chain, AuditLog.seq)
        ).all()
        return [(r.action, r.entity, r.entity_id, r.user_id, r.chain) for r in rows]


def test_the_step_numbers_used_here_are_right() -> None:
    assert int(T0.timestamp()) // 30 == STEP0
    assert pyotp.TOTP(pyotp.random_base32()).timecode(T0) == STEP0


def test_enrolment_gives_a_uri_for_the_user_seals_the_secret_and_is_audited(world: World) -> None:
    uri = world.run(totp.enable_totp, actor=world.clinician)
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, unquote(parts.path)) == ("otpauth", "totp", "/Filiform:clinician-n")
    assert query["issuer"] == ["Filiform"] and len(query["secret"][0]) == 32
    row = _row(world)
    assert row.secret.startswith("v1:") and len(row.secret) <= 64
    assert query["secret"][0] not in row.secret
    assert _opened(world, row.secret) == base64.b32decode(query["secret"][0])
    assert (row.confirmed_at, row.last_step) == (None, 0)
    assert not world.run(totp.totp_enabled, user_id=world.clinician.user_id)
    c = world.clinician
    assert _totp_audit(world) == [("totp_enrol", "user", c.user_id, c.user_id, c.clinic_id)]


def test_an_unknown_user_cannot_enrol(world: World) -> None:
    ghost = Actor(user_id=987654, clinic_id=world.clinician.clinic_id, role=Role.CLINICIAN)
    with pytest.raises(PermissionDenied) as err:
        world.run(totp.enable_totp, actor=ghost)
    assert err.value.message == "unknown user"


def test_confirmation_needs_an_enrolment_and_a_right_code(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        world.run(totp.confirm_totp, actor=world.clinician, code="123456", now=T0)
    assert err.value.message == "start TOTP enrolment first"
    gen = _enrol(world)
    # a pending enrolment is not yet a second factor: check_code refuses even a right code
    assert not _check(world, gen.at(T0), T0)
    assert _row(world).last_step == 0
    wrong = f"{(int(gen.at(T0)) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationFailed) as err:
        world.run(totp.confirm_totp, actor=world.clinician, code=wrong, now=T0)
    assert err.value.message == "wrong or reused code"
    world.run(totp.confirm_totp, actor=world.clinician, code=gen.at(T0), now=T0)
    row = _row(world)
    assert row.confirmed_at is not None and row.confirmed_at.replace(tzinfo=UTC) == T0
    assert row.last_step == STEP0
    assert world.run(totp.totp_enabled, user_id=world.clinician.user_id)
    c = world.clinician
    assert [a[0] for a in _totp_audit(world)] == ["totp_enrol", "totp_confirm"]
    assert _totp_audit(world)[1] == ("totp_confirm", "user", c.user_id, c.user_id, c.clinic_id)


def test_the_window_is_one_step_either_side_and_never_goes_back(world: World) -> None:
    gen = _enrol(world)
    world.run(
        totp.confirm_totp,
        actor=world.clinician,
        code=gen.at(T0 - timedelta(minutes=10)),
        now=T0 - timedelta(minutes=10),
    )
    now = T0
    assert not _check(world, gen.at(now - timedelta(seconds=60)), now)  # two steps back
    assert not _check(world, gen.at(now + timedelta(seconds=60)), now)  # two steps ahead
    assert _check(world, gen.at(now - timedelta(seconds=30)), now)  # one step back
    assert _row(world).last_step == STEP0 - 1
    assert _check(world, gen.at(now + timedelta(seconds=30)), now)  # one step ahead
    assert _row(world).last_step == STEP0 + 1
    # the current step's code is older than the one just spent: refused
    assert not _check(world, gen.at(now), now)
    assert not _check(world, gen.at(now + timedelta(seconds=30)), now + timedelta(seconds=30))
    assert _row(world).last_step == STEP0 + 1


def test_a_code_typed_with_spaces_is_accepted(world: World) -> None:
    gen = _enrol(world)
    code = gen.at(T0)
    world.run(totp.confirm_totp, actor=world.clinician, code=f" {code[:3]} {code[3:]} ", now=T0)
    assert _row(world).last_step == STEP0


def test_restarting_enrolment_replaces_the_secret_and_needs_a_new_confirmation(world: World) -> None:
    first = _enrol(world)
    world.run(totp.confirm_totp, actor=world.clinician, code=first.at(T0), now=T0)
    second = _enrol(world)
    assert second.secret != first.secret
    row = _row(world)
    assert (row.confirmed_at, row.last_step) == (None, 0)
    assert _opened(world, row.secret) == base64.b32decode(second.secret)
    assert not world.run(totp.totp_enabled, user_id=world.clinician.user_id)
    # the step spent with the old secret does not block the new one
    world.run(totp.confirm_totp, actor=world.clinician, code=second.at(T0), now=T0)
    assert world.run(totp.totp_enabled, user_id=world.clinician.user_id)


def test_turning_it_off_removes_the_enrolment_and_is_audited(world: World) -> None:
    c = world.clinician
    world.run(totp.disable_totp, actor=c)  # nothing enrolled: still audited
    gen = _enrol(world)
    world.run(totp.confirm_totp, actor=c, code=gen.at(T0), now=T0)
    world.run(totp.disable_totp, actor=c)
    with world.factory() as s:
        assert s.get(UserTotp, c.user_id) is None
    assert not world.run(totp.totp_enabled, user_id=c.user_id)
    assert not _check(world, gen.at(T0 + timedelta(seconds=30)), T0 + timedelta(seconds=30))
    assert _totp_audit(world) == [
        ("totp_disable", "user", c.user_id, c.user_id, c.clinic_id),
        ("totp_enrol", "user", c.user_id, c.user_id, c.clinic_id),
        ("totp_confirm", "user", c.user_id, c.user_id, c.clinic_id),
        ("totp_disable", "user", c.user_id, c.user_id, c.clinic_id),
    ]


@pytest.mark.parametrize(
    "raw, text",
    [
        (bytes(range(16)), base64.b32encode(bytes(range(16))).decode().rstrip("=")),  # 26 characters: padding needed
        (bytes(range(100, 120)), base64.b32encode(bytes(range(100, 120))).decode().lower()),  # lower case
    ],
    ids=["short", "lowercase"],
)
def test_a_legacy_plain_row_is_sealed_by_its_first_good_code(world: World, raw: bytes, text: str) -> None:
    gen = _legacy(world, text)
    assert not _check(world, "000000" if gen.at(T0) != "000000" else "111111", T0)
    assert _row(world).secret == text  # a wrong code leaves it as it was
    assert _check(world, gen.at(T0), T0)
    row = _row(world)
    assert row.secret.startswith("v1:") and row.last_step == STEP0
    assert _opened(world, row.secret) == raw
    with world.factory() as s:
        assert totp._totp_secret(s, row) == text.upper()
    assert _check(world, gen.at(T0 + timedelta(seconds=30)), T0 + timedelta(seconds=30))


def test_a_legacy_secret_too_long_to_seal_stays_plain_and_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    text = base64.b32encode(bytes(range(21))).decode().rstrip("=")  # 21 bytes seal to 65 characters
    gen = _legacy(world, text)
    with caplog.at_level(logging.WARNING, logger="filiform.auth"):
        assert _check(world, gen.at(T0), T0)
    assert _row(world).secret == text and _row(world).last_step == STEP0
    assert [r.getMessage() for r in caplog.records if r.name == "filiform.auth"] == [
        f"TOTP secret of user {world.clinician.user_id} left unsealed: longer than the column allows; "
        "re-enrol to seal it"
    ]
    assert not _check(world, gen.at(T0), T0)  # and its replay guard still works


def test_confirmation_without_a_given_time_stores_utc(world: World, far_zone: None) -> None:
    gen = _enrol(world)
    world.run(totp.confirm_totp, actor=world.clinician, code=gen.now())
    confirmed = _row(world).confirmed_at
    assert confirmed is not None
    assert abs((confirmed.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()) < 60
