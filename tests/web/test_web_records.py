"""People and the record on the web: search by any part, registration checks in a
clinician's words, the signed-in name in the header, and the record's tools reachable."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from web_world import form_token

Client = Callable[[str], TestClient]


def _register(c: TestClient, **fields: str) -> TestClient | str:
    tok = form_token(c.get("/patients/new").text)
    data = {"csrf_token": tok, "given_name": "Zoë", "family_name": "Núñez-Ortega", "birth_date": "1979-11-03"}
    return c.post("/patients/new", data={**data, **fields}, follow_redirects=False)  # type: ignore[return-value]


def test_registration_numbers_the_patient_and_search_finds_any_part(client_for: Client) -> None:
    c = client_for("clinician")
    new = c.get("/patients/new").text
    assert re.search(r'<option value="" selected>Choose', new)  # no sex chosen for the clinician
    r = _register(c, sex="female")
    assert r.status_code == 303  # type: ignore[union-attr]
    pid = r.headers["location"].split("?")[0].rsplit("/", 1)[1]  # type: ignore[union-attr]
    page = c.get(f"/patients/{pid}").text
    mrn = re.search(r"MRN ([A-Z0-9-]+)", page)
    assert mrn is not None, "a generated MRN is shown"
    for query in ("nunez", "ortega", "zoe", mrn.group(1).lower(), "1979-11-03"):
        assert f'href="/patients/{pid}"' in c.get("/patients", params={"q": query}).text, query


def test_registration_errors_read_like_a_clinician_wrote_them(client_for: Client) -> None:
    c = client_for("clinician")
    r = _register(c, sex="", birth_date="1850-02-01", email="nobody-at-example", given_name="x" * 5000)
    assert r.status_code == 422  # type: ignore[union-attr]
    text = r.text  # type: ignore[union-attr]
    assert "birth date: is more than 125 years ago: check the year" in text
    assert "email: is not an e-mail address (write it as name@example.org)" in text
    assert "given name: is too long (at most 120 characters)" in text
    assert "Input should" not in text and "invalid demographics" not in text


def test_header_names_the_signed_in_user(client_for: Client) -> None:
    page = client_for("clinician").get("/patients").text
    who = re.search(r'<span class="who"[^>]*>([^<]+)</span>', page)
    assert who is not None and who.group(1).strip() not in ("", "clinician") and "#" not in who.group(1)


def test_the_record_tools_are_reachable_from_the_patient_page(client_for: Client) -> None:
    c = client_for("clinician")
    page = c.get("/patients/1").text
    for link in ("/patients/1/amendments", "/api/fhir/Patient/1/$everything"):
        assert f'href="{link}"' in page, link
    assert c.get("/patients/1/amendments").status_code == 200
    bundle = c.get("/api/fhir/Patient/1/$everything")
    assert bundle.status_code == 200 and json.loads(bundle.text)["resourceType"] == "Bundle"
    admin = client_for("admin")
    assert 'href="/patients/1/audit"' in admin.get("/patients/1").text
    trail = admin.get("/patients/1/audit")
    assert trail.status_code == 200 and "<td>" in trail.text
    exports = admin.get("/clinic/exports").text
    assert 'href="/clinic/billing.csv"' in exports and 'data-kickoff="/api/fhir/$export"' in exports
    billing = admin.get("/clinic/billing.csv")
    assert billing.status_code == 200 and billing.headers["content-type"].startswith("text/csv")
    assert len(next(csv.reader(io.StringIO(billing.text)))) > 2  # a header row
    assert c.get("/clinic/billing.csv").status_code == 403  # clinicians do not see the clinic's billing


def test_a_session_dated_next_year_is_refused_in_words(client_for: Client) -> None:
    c = client_for("clinician")
    tok = form_token(c.get("/patients/1/sessions/new").text)
    r = c.post(
        "/patients/1/sessions/new",
        data={
            "csrf_token": tok,
            "started_at": "2099-01-05T10:00",
            "ins-0-target": "upper_trapezius",
            "ins-0-side": "right",
            "ins-0-technique": "trigger_point_dn",
            "ins-0-length": "30",
            "ins-0-gauge": "0.25",
            "ins-0-depth": "10",
        },
    )
    assert r.status_code == 422
    assert re.search(r"start time: 2099-01-05 10:00 is in the future \(it is now \d{4}-\d\d-\d\d \d\d:\d\d, ", r.text)
    assert 'value="2099-01-05T10:00"' in r.text  # what was typed is kept, on the clinic's clock
