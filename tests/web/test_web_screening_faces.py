"""No rule is reachable by only one face: the web form, the CLI and the API accept every
screening question (including site answers, dates and injuries) and give the same intake."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from web_world import form_token

from filiform.cli.plan import _intake as cli_intake
from filiform.core.safety.intake import DATED_LISTS, QUESTIONS, SITE_LISTS, Intake
from filiform.web.screening import fields, intake_from_form

FULL: dict[str, Any] = {
    **{name: "yes" for name in QUESTIONS if name not in ("inr", "bmi", "age", "pregnancy_trimester")},
    "anticoagulant": "vka",
    "epilepsy_controlled": "no",
    "inr": 2.5,
    "bmi": 22.5,
    "age": 15,
    "pregnancy_trimester": 2,
    "lymphoedema_sites": ["right:upper_limb"],
    "implant_sites": ["left:breast"],
    "joint_replacement_sites": ["left:knee_joint", "right:hip_joint"],
    "lesion_sites": ["left:foot"],
    "malignancy_sites": ["left:thigh"],
    "thrombosis_sites": ["right:leg"],
    "surgery_sites": ["right:knee_joint"],
    "spinal_surgery_sites": ["spine_l4"],
    "corticosteroid_injections": [{"site": "right:elbow_joint", "on": "2026-02-01"}],
    "muscle_injuries": [{"target": "gastrocnemius", "side": "left", "on": "2026-02-20"}],
}


def _text(name: str, value: Any) -> str:
    if name == "corticosteroid_injections":
        return ",".join(f"{v['site']}@{v['on']}" for v in value)
    if name == "muscle_injuries":
        return ",".join(f"{v['target']}:{v['side']}@{v['on']}" for v in value)
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def test_every_question_has_a_form_field_and_a_cli_key() -> None:
    names = {f["name"] for f in fields()} | {f["sites"] for f in fields() if f["sites"]}
    assert set(QUESTIONS) | set(SITE_LISTS) | set(DATED_LISTS) <= names
    assert set(Intake.model_fields) == set(QUESTIONS) | set(SITE_LISTS) | set(DATED_LISTS)


def test_web_cli_and_api_parse_every_answer_to_the_same_intake() -> None:
    api = Intake.from_data(FULL)  # what POST /api/screening/evaluate does with its "intake"
    web = intake_from_form({k: _text(k, v) for k, v in FULL.items()})
    cli = cli_intake(None, [f"{k}={_text(k, v)}" for k, v in FULL.items()], rest_clear=False)
    assert web == api == cli
    assert api.model_dump() != Intake().model_dump()


def test_the_form_refuses_contradictory_answers_naming_both(client_for: Callable[[str], TestClient]) -> None:
    c = client_for("clinician")
    pid = int(re.findall(r"/patients/(\d+)", c.get("/patients").text)[0])
    tok = form_token(c.get(f"/patients/{pid}/screening").text)
    r = c.post(
        f"/patients/{pid}/screening",
        data={"csrf_token": tok, "local_infection_or_lesion": "no", "lesion_sites": "left:foot"},
    )
    assert r.status_code == 422
    assert QUESTIONS["local_infection_or_lesion"] in r.text and "left:foot" in r.text
    assert "local_infection_or_lesion" not in r.text.split('role="alert"')[1].split("</div>")[0]  # words, not ids


def test_the_form_takes_the_new_questions_and_blocks_in_red(client_for: Callable[[str], TestClient]) -> None:
    c = client_for("clinician")
    pid = int(re.findall(r"/patients/(\d+)", c.get("/patients").text)[0])
    page = c.get(f"/patients/{pid}/screening").text
    for name in ("malignancy_at_site", "malignancy_sites", "corticosteroid_injections", "muscle_injuries", "bmi"):
        assert f'name="{name}"' in page
    assert 'id="site-vocabulary"' in page and 'value="left:knee_joint"' in page
    answers = {name: "no" for name in QUESTIONS if name not in ("inr", "bmi", "age", "pregnancy_trimester")}
    answers |= {"capacity_to_consent": "yes", "consents_to_needling": "yes", "anticoagulant": "no", "age": "44"}
    answers |= {"inr": "3.6"}  # a raised INR although no anticoagulant is listed
    r = c.post(f"/patients/{pid}/screening", data={"csrf_token": form_token(page), **answers})
    assert r.status_code == 200, r.text
    assert "Do not needle:" in r.text and "raised INR" in r.text
    assert 'class="decision d-do_not_needle"' in r.text
