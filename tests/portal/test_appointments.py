"""Appointments on the clinic's clock: day and week lists, booking across a clock change,
overlaps refused, move, cancel, no-show; the iCalendar feed with and without patient
names; clinic settings validated with the zone database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from portal_world import START, World, build_world, login, make_app, post

from filiform.core.concepts.clock import FixedClock
from filiform.storage.models import Appointment, ClinicSettings, Patient, User


# Each test books on a clinic of its own and builds the history it needs by running the
# earlier steps itself: no test depends on another having run first (random order).
@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(f"sqlite:///{tmp_path / 'filiform.db'}")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app(world: World, clock: FixedClock) -> Iterator[FastAPI]:
    application = make_app(world.url, clock)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def staff(app: FastAPI, world: World) -> Iterator[Callable[[str], TestClient]]:
    clients: dict[str, TestClient] = {}

    def get(role: str) -> TestClient:
        if role not in clients:
            clients[role] = login(TestClient(app), world.usernames[role])
        return clients[role]

    yield get
    for c in clients.values():
        c.close()


def _ids(app: FastAPI) -> tuple[int, int, list[Patient]]:
    with app.state.sessions() as s:
        doc = s.scalar(sa.select(User.id).where(User.role == "clinician").order_by(User.id))
        patients = list(s.execute(sa.select(Patient).order_by(Patient.id)).scalars())
        clinic = s.scalar(sa.select(User.clinic_id).where(User.id == doc))
    return int(doc), int(clinic), patients


def _book(client: TestClient, patient: int, doc: int, day: str, time: str, minutes: int = 30) -> object:
    data = {"patient_id": patient, "clinician_id": doc, "date": day, "time": time, "minutes": minutes}
    return post(client, "/appointments", data, page=f"/appointments?day={day}")


def test_settings_need_a_real_zone_and_valid_contacts(staff: Callable[[str], TestClient]) -> None:
    admin = staff("admin")
    bad = post(
        admin, "/clinic/settings", {"timezone": "CET+1", "email": "nobody", "link_hours": "0", "reminder_hours": "24"}
    )
    assert bad.status_code == 422
    for message in ("not an IANA time zone name", "not an e-mail address", "1 to 720 hours"):
        assert message in bad.text
    ok = post(
        admin,
        "/clinic/settings",
        {
            "timezone": "Europe/Dublin",
            "address": "1 Quay Street",
            "phone": "+353 1 555 0100",
            "email": "desk@example.org",
            "link_hours": "48",
            "reminder_hours": "24",
        },
    )
    assert ok.status_code == 303
    assert staff("front_desk").get("/clinic/settings").status_code == 403  # administrators only


def test_booking_is_on_the_clinics_clock_across_the_spring_change(
    app: FastAPI, staff: Callable[[str], TestClient]
) -> None:
    test_settings_need_a_real_zone_and_valid_contacts(staff)  # the clinic's zone first
    doc, _clinic, patients = _ids(app)
    desk = staff("front_desk")
    # Europe/Dublin goes from GMT to IST at 01:00 on 2026-03-29: 09:00 is 08:00 UTC that day, 09:00 UTC the day before
    assert _book(desk, patients[0].id, doc, "2026-03-28", "09:00").status_code == 303
    assert _book(desk, patients[1].id, doc, "2026-03-29", "09:00").status_code == 303
    skipped = _book(desk, patients[2].id, doc, "2026-03-29", "01:30")
    assert skipped.status_code == 422 and "does not exist in Europe/Dublin" in skipped.text
    with app.state.sessions() as s:
        starts = sorted(a.starts_at.replace(tzinfo=UTC) for a in s.execute(sa.select(Appointment)).scalars())
    assert starts == [datetime(2026, 3, 28, 9, tzinfo=UTC), datetime(2026, 3, 29, 8, tzinfo=UTC)]
    week = desk.get("/appointments", params={"day": "2026-03-28", "view": "week", "clinician": doc})
    assert week.text.count("09:00–09:30") == 2  # both shown at 09:00 on the clinic's clock


def test_a_clinician_is_never_double_booked(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    test_booking_is_on_the_clinics_clock_across_the_spring_change(app, staff)  # 09:00 on 29 March is taken
    doc, _clinic, patients = _ids(app)
    clash = _book(staff("front_desk"), patients[3].id, doc, "2026-03-29", "09:15")
    assert clash.status_code == 422 and "already has an appointment" in clash.text


def test_move_cancel_and_no_show(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    test_booking_is_on_the_clinics_clock_across_the_spring_change(app, staff)  # two bookings to change
    desk = staff("front_desk")
    with app.state.sessions() as s:
        first, second = s.execute(sa.select(Appointment).order_by(Appointment.starts_at)).scalars().all()[:2]
    page = "/appointments?day=2026-03-28"
    moved = post(
        desk,
        f"/appointments/{first.id}/move",
        {"date": "2026-03-28", "time": "14:00", "version": first.version},
        page=page,
    )
    assert moved.status_code == 303
    stale = post(desk, f"/appointments/{first.id}/cancel", {"version": first.version}, page=page)
    assert stale.status_code == 422 and "changed by someone else" in stale.text
    assert post(desk, f"/appointments/{first.id}/no_show", {}, page=page).status_code == 303
    assert post(desk, f"/appointments/{second.id}/cancel", {}, page=page).status_code == 303
    again = post(desk, f"/appointments/{second.id}/move", {"date": "2026-03-30", "time": "10:00"}, page=page)
    assert again.status_code == 422 and "can no longer change" in again.text
    with app.state.sessions() as s:
        assert s.get(Appointment, first.id).status == "no_show"
        assert s.get(Appointment, first.id).starts_at.replace(tzinfo=UTC) == datetime(2026, 3, 28, 14, tzinfo=UTC)
        assert s.get(Appointment, second.id).status == "cancelled"


def _feed_url(doc: TestClient) -> str:
    page = post(doc, "/appointments/feed", {})
    assert page.status_code == 200
    url = page.text.split('<code id="feed-url">', 1)[1].split("</code>", 1)[0]
    return "/" + url.split("/", 3)[3]


def _feed(app: FastAPI, doc: TestClient) -> Calendar:
    ics = TestClient(app).get(_feed_url(doc))  # no login: the address is the key
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(ics.content)


def test_the_feed_has_no_names_unless_the_clinic_allows_them(
    app: FastAPI, staff: Callable[[str], TestClient], clock: FixedClock
) -> None:
    test_move_cancel_and_no_show(app, staff)  # one moved (no-show), one cancelled
    clock.at = datetime(2026, 3, 20, 12, tzinfo=UTC)
    _doc_id, clinic, patients = _ids(app)
    doc = staff("clinician")
    calendar = _feed(app, doc)
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    assert {str(e["summary"]) for e in events} <= {"Appointment", "Appointment (did not attend)"}
    assert all(p.family_name not in calendar.to_ical().decode() for p in patients)
    assert {str(e["dtstart"].dt.tzinfo) for e in events} == {"Europe/Dublin"} and calendar.walk("VTIMEZONE")
    assert sorted(e["dtstart"].dt.strftime("%H:%M") for e in events) == ["09:00", "14:00"]  # the clinic's wall clock
    with app.state.sessions.begin() as s:
        s.get(ClinicSettings, clinic).calendar_names = True
    named = _feed(app, doc)
    assert any(patients[1].family_name in str(e["summary"]) for e in named.walk("VEVENT"))
    assert TestClient(app).get("/calendar/" + "x" * 43 + ".ics").status_code == 404


def test_an_old_feed_address_stops_working(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    doc = staff("clinician")
    first = _feed_url(doc)
    _feed_url(doc)
    assert TestClient(app).get(first).status_code == 404
    assert post(staff("front_desk"), "/appointments/feed", {}, page="/appointments/feed").status_code == 403


@pytest.mark.parametrize("role", ["assistant", "admin"])
def test_roles_without_demographic_writes_cannot_book(
    app: FastAPI, staff: Callable[[str], TestClient], role: str
) -> None:
    doc, _clinic, patients = _ids(app)
    assert _book(staff(role), patients[0].id, doc, "2026-04-01", "09:00").status_code == 422
