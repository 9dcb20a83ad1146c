"""Outcome forms on the web: redirect after save, no duplicate on a second click, PSFS
activities carried to the next visit, corrections stored as amendments, no future dates."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_world import form_token

from filiform.storage.models import OutcomeResponse

Client = Callable[[str], TestClient]
PATIENT = 2


def _count(app: FastAPI, instrument: str) -> int:
    with app.state.engine.connect() as conn:
        stmt = sa.select(sa.func.count()).where(
            OutcomeResponse.patient_id == PATIENT, OutcomeResponse.instrument_id == instrument
        )
        return int(conn.execute(stmt).scalar_one())


def _psfs(c: TestClient, day: str, activities: dict[str, str], ratings: dict[str, str]) -> dict[str, str]:
    tok = form_token(c.get(f"/patients/{PATIENT}/measures?instrument=psfs").text)
    data = {"csrf_token": tok, "instrument": "psfs", "completed_on": day}
    data |= {f"activity-{k}": v for k, v in activities.items()}
    data |= {f"item-{k}": v for k, v in ratings.items()}
    return data


def test_save_redirects_and_a_second_click_stores_nothing_more(client_for: Client, app: FastAPI) -> None:
    c = client_for("clinician")
    day = (date.today() - timedelta(days=3)).isoformat()
    data = _psfs(c, day, {"a1": "Climbing stairs", "a2": "Lifting my daughter"}, {"a1": "4", "a2": "6"})
    before = _count(app, "psfs")
    first = c.post(f"/patients/{PATIENT}/measures", data=data, follow_redirects=False)
    assert first.status_code == 303
    location = first.headers["location"]
    assert re.fullmatch(rf"/patients/{PATIENT}/measures\?instrument=psfs&saved=\d+", location)
    second = c.post(f"/patients/{PATIENT}/measures", data=data, follow_redirects=False)  # the second click
    assert second.status_code == 303 and second.headers["location"] == location
    assert _count(app, "psfs") == before + 1
    shown = c.get(location).text
    assert 'id="score-total">5<' in shown  # mean of 4 and 6
    assert "Climbing stairs: 4" in shown and "Lifting my daughter: 6" in shown


def test_psfs_activities_are_carried_to_the_next_visit(client_for: Client) -> None:
    c = client_for("clinician")
    day = (date.today() - timedelta(days=2)).isoformat()
    data = _psfs(c, day, {"a1": "Kneeling to garden"}, {"a1": "3"})
    assert c.post(f"/patients/{PATIENT}/measures", data=data, follow_redirects=False).status_code == 303
    page = c.get(f"/patients/{PATIENT}/measures?instrument=psfs").text
    assert 'name="activity-a1" value="Kneeling to garden"' in page
    assert "The activities the patient named last time are filled in" in page
    assert 'name="item-a1" value="3" checked' not in page  # the rating is asked again, not carried


def test_future_dates_and_activities_on_fixed_items_are_refused_in_words(client_for: Client) -> None:
    c = client_for("clinician")
    tok = form_token(c.get(f"/patients/{PATIENT}/measures?instrument=nprs").text)
    later = (date.today() + timedelta(days=400)).isoformat()
    r = c.post(
        f"/patients/{PATIENT}/measures",
        data={"csrf_token": tok, "instrument": "nprs", "completed_on": later, "item-pain": "5"},
    )
    assert r.status_code == 422
    assert f"completed on: {later} is in the future" in r.text
    assert "invalid outcome details" not in r.text  # the heading that says nothing is left out
    assert 'value="5" checked' in r.text  # what was tapped is kept


def test_a_correction_is_an_amendment_with_the_old_answers_kept(client_for: Client, app: FastAPI) -> None:
    c = client_for("clinician")
    day = (date.today() - timedelta(days=1)).isoformat()
    data = _psfs(c, day, {"a1": "Running 5 km"}, {"a1": "2"})
    location = c.post(f"/patients/{PATIENT}/measures", data=data, follow_redirects=False).headers["location"]
    oid = int(location.rsplit("=", 1)[1])
    form = c.get(f"/patients/{PATIENT}/measures/{oid}/correct").text
    assert 'name="item-a1" value="2" checked' in form
    tok = form_token(form)
    url = f"/patients/{PATIENT}/measures/{oid}/correct"
    refused = c.post(url, data={"csrf_token": tok, "version": "1", "item-a1": "7", "reason": ""})
    assert refused.status_code == 422  # a correction needs its reason
    done = c.post(
        url,
        data={"csrf_token": tok, "version": "1", "item-a1": "7", "reason": "rating misheard at the visit"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith(f"saved={oid}")
    shown = c.get(done.headers["location"]).text
    assert 'id="score-total">7<' in shown and "corrected" in shown
    with app.state.engine.connect() as conn:
        row = conn.execute(sa.select(OutcomeResponse).where(OutcomeResponse.id == oid)).one()
    assert row.total == 7 and row.version == 2
    trail = c.get(f"/patients/{PATIENT}/amendments").text
    assert "rating misheard at the visit" in trail
