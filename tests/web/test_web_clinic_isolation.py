"""Web pages in a two-clinic world: another clinic's real records are a 404, never shown.

Two demo clinics share one database. Each probe first shows that the page works for the
clinician's own patient (200), then asks for the same page with the other clinic's real
patient id: a 404, so a missing route or a broken page cannot pass for isolation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_world import form_token, login

from filiform.app.factory import create_app
from filiform.services.operations.demo import generate
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade


@dataclass
class TwoClinics:
    url: str
    clinician: dict[str, str]  # clinic letter -> clinician username
    patients: dict[str, list[int]]  # clinic letter -> patient ids
    names: dict[str, set[str]]  # clinic letter -> family names


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> TwoClinics:
    url = f"sqlite:///{tmp_path_factory.mktemp('isolation') / 'filiform.db'}"
    engine = make_engine(url)
    upgrade(engine)
    found = TwoClinics(url, {}, {}, {})
    for letter, seed in (("a", 21), ("b", 22)):
        stats = generate(engine, patients=3, seed=seed)
        found.clinician[letter] = next(u for u in stats.usernames if u.startswith("demo-clinician-"))
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, family_name FROM patient WHERE clinic_id = :c ORDER BY id"), {"c": stats.clinic_id}
            ).all()
        found.patients[letter] = [int(r[0]) for r in rows]
        found.names[letter] = {str(r[1]) for r in rows}
    engine.dispose()
    assert len(found.patients["a"]) == len(found.patients["b"]) == 3
    assert not set(found.patients["a"]) & set(found.patients["b"])
    return found


@pytest.fixture(scope="module")
def clinician_a(two: TwoClinics) -> Iterator[TestClient]:
    app = create_app(two.url)
    with TestClient(app) as client:
        yield login(client, two.clinician["a"])
    app.state.engine.dispose()


PAGES = [
    "/patients/{p}",
    "/patients/{p}/chart",
    "/patients/{p}/measures",
    "/patients/{p}/consent",
    "/patients/{p}/portal",
    "/patients/{p}/plan?condition=myofascial_neck_shoulder",
]


@pytest.mark.parametrize("page", PAGES)
def test_own_patient_page_works_and_the_other_clinics_is_not_found(
    two: TwoClinics, clinician_a: TestClient, page: str
) -> None:
    own = clinician_a.get(page.format(p=two.patients["a"][0]))
    assert own.status_code == 200, own.text[:500]
    for pid in two.patients["b"]:
        other = clinician_a.get(page.format(p=pid))
        assert other.status_code == 404, (page, pid, other.status_code)
        assert not any(name in other.text for name in two.names["b"])


def test_patient_list_and_search_show_only_the_own_clinic(two: TwoClinics, clinician_a: TestClient) -> None:
    listing = clinician_a.get("/patients").text
    assert all(name in listing for name in two.names["a"])
    assert not any(name in listing for name in two.names["b"] - two.names["a"])
    for name in sorted(two.names["b"] - two.names["a"]):
        found = clinician_a.get("/patients", params={"q": name}).text
        assert not re.search(rf"/patients/({'|'.join(map(str, two.patients['b']))})\b", found)


def test_writing_to_the_other_clinics_patient_is_not_found_and_writes_nothing(
    two: TwoClinics, clinician_a: TestClient
) -> None:
    target = two.patients["b"][0]
    engine = sa.create_engine(two.url)
    count = "SELECT COUNT(*) FROM consent WHERE patient_id = :p"
    with engine.connect() as conn:
        before = conn.execute(sa.text(count), {"p": target}).scalar_one()
    token = form_token(clinician_a.get(f"/patients/{two.patients['a'][0]}/consent").text)
    r = clinician_a.post(
        f"/patients/{target}/consent",
        data={"csrf_token": token, "form_version": "v1", "consented_on": "2026-01-05"},
        follow_redirects=False,
    )
    assert r.status_code == 404
    with engine.connect() as conn:
        assert conn.execute(sa.text(count), {"p": target}).scalar_one() == before
    engine.dispose()
