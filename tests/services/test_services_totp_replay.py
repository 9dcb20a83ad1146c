"""A TOTP code is accepted once: the very code spent on confirmation or login is refused.

The clock is injected (``now=``), so the tests never depend on where the wall clock sits
inside a 30-second step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from services_world import World

from filiform.services.access import totp

T0 = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)  # 5 s into a step: +-1 step is unambiguous


def _enrol(world: World) -> pyotp.TOTP:
    uri = world.run(totp.enable_totp, actor=world.clinician)
    found = pyotp.parse_uri(uri)
    assert isinstance(found, pyotp.TOTP)
    return found


def _check(world: World, code: str, at: datetime) -> bool:
    return bool(world.run(totp.check_code, user_id=world.clinician.user_id, code=code, now=at))


def test_the_code_spent_on_confirmation_is_refused_at_login(world: World) -> None:
    gen = _enrol(world)
    spent = gen.at(T0)
    world.run(totp.confirm_totp, actor=world.clinician, code=spent, now=T0)
    assert not _check(world, spent, T0)  # the same code, the same instant
    assert not _check(world, spent, T0 + timedelta(seconds=30))  # still inside the +-1 step window
    assert _check(world, gen.at(T0 + timedelta(seconds=30)), T0 + timedelta(seconds=30))


def test_a_code_accepted_at_login_is_never_accepted_again(world: World) -> None:
    gen = _enrol(world)
    world.run(totp.confirm_totp, actor=world.clinician, code=gen.at(T0), now=T0)
    later = T0 + timedelta(minutes=5)
    code = gen.at(later)
    assert _check(world, code, later)
    assert not _check(world, code, later)
    assert not _check(world, code, later + timedelta(seconds=29))
    # an older step's code (before the spent one) is refused even inside the window
    assert not _check(world, gen.at(later - timedelta(seconds=30)), later)
    assert _check(world, gen.at(later + timedelta(seconds=30)), later + timedelta(seconds=30))


def test_codes_outside_the_window_and_wrong_codes_are_refused(world: World) -> None:
    gen = _enrol(world)
    world.run(totp.confirm_totp, actor=world.clinician, code=gen.at(T0), now=T0)
    later = T0 + timedelta(minutes=10)
    assert not _check(world, gen.at(later + timedelta(seconds=90)), later)  # two steps ahead
    assert not _check(world, gen.at(later - timedelta(seconds=90)), later)  # two steps back
    wrong = f"{(int(gen.at(later)) + 1) % 1_000_000:06d}"
    assert not _check(world, wrong, later)
    assert _check(world, gen.at(later), later)
