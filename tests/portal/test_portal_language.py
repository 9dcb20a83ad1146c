"""Every patient-facing string goes through the catalogues; the Spanish catalogue is
complete; patients read at grade 8 or below (Flesch-Kincaid, measured with textstat)."""

from __future__ import annotations

import gettext
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
import textstat
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.testclient import TestClient
from portal_world import open_as_patient, send_link, token_in

import filiform.locale as locale
from filiform.core.portal import aftercare
from filiform.core.portal.consent_text import document
from filiform.core.portal.messages import TEMPLATES
from filiform.core.portal.plain_questions import PLAIN_QUESTIONS, SECTIONS
from filiform.core.safety.questions import QUESTIONS
from filiform.locale.catalog import extract_messages

PLACEHOLDER = re.compile(r"\{[a-z]+\}|%\([a-z]+\)s")


def _po(lang: str):  # type: ignore[no-untyped-def]
    with (locale.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def test_the_template_is_up_to_date_with_the_code() -> None:
    with (locale.LOCALE_DIR / "messages.pot").open("rb") as handle:
        pot = {m.id for m in read_po(handle) if m.id}
    assert {m.id for m in extract_messages() if m.id} == pot  # run python -m filiform.locale.catalog


@pytest.mark.parametrize("lang", [code for code in locale.LANGUAGES if code != "en"])
def test_every_language_translates_every_message_with_its_placeholders(lang: str) -> None:
    catalog = _po(lang)
    wanted = {m.id for m in extract_messages() if m.id}
    translated = {m.id: m.string for m in catalog if m.id}
    assert wanted <= set(translated)
    for msgid in wanted:
        assert translated[msgid], msgid
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(str(translated[msgid]))), msgid


def test_plain_questions_are_the_same_set_as_the_clinicians() -> None:
    assert set(PLAIN_QUESTIONS) == set(QUESTIONS)
    ordered = [q for _title, names in SECTIONS for q in names]
    assert sorted(ordered) == sorted(QUESTIONS) and len(ordered) == len(set(ordered))


def _grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(text))


@pytest.mark.parametrize("question", sorted(PLAIN_QUESTIONS))
def test_each_plain_question_reads_at_grade_8_or_below(question: str) -> None:
    assert _grade(PLAIN_QUESTIONS[question]) <= 8, PLAIN_QUESTIONS[question]


def test_consent_advice_and_emails_read_at_grade_8_or_below() -> None:
    doc = document(["trigger_point_dn", "electrical_dn"], near_chest=True, gettext=lambda s: s)
    texts = [*doc.paragraphs, doc.agree, doc.chest or "", doc.electrical or ""]
    texts += [k.advice for k in aftercare.KINDS] + [k.label for k in aftercare.KINDS]
    texts += [
        t.body.format(clinic="Harbour Clinic", link="", expires="Monday", contact="", time="Monday")
        for t in TEMPLATES.values()
    ]
    for text in texts:
        assert _grade(text) <= 8, text
    assert _grade(" ".join(PLAIN_QUESTIONS.values())) <= 6  # the whole questionnaire, read in one go


class _Text(HTMLParser):
    """Visible text of a page, outside the body chart, the handout and form values."""

    SKIP = frozenset({"svg", "script", "style", "title", "option", "article", "textarea"})

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in self.SKIP

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in self.SKIP and self.skip > 0

    def handle_data(self, data: str) -> None:
        if not self.skip and re.search(r"[A-Za-z]", data):
            self.chunks.append(data.strip())


class Pseudo(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"


def test_patient_pages_have_no_text_outside_the_catalogue(
    app: FastAPI, staff: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = send_link(
        staff("clinician"),
        1,
        ["intake", "drawing", "consent", "aftercare", "measure:nprs"],
        condition="myofascial_neck_shoulder",
    )
    phone = open_as_patient(app, path)
    monkeypatch.setattr(locale, "translations", lambda lang: Pseudo())
    pages = {
        p: phone.get(p, params={"lang": "es"}).text
        for p in ("/p/home", "/p/intake", "/p/drawing", "/p/consent", "/p/aftercare")
    }
    sent = phone.post(
        "/p/report",
        data={"kind": "chest_or_breathing", "started_on": "2026-03-02", "csrf_token": token_in(pages["/p/aftercare"])},
    )
    pages["advice"] = sent.text
    for name, html in pages.items():
        parser = _Text()
        parser.feed(html)
        loose = [
            c
            for c in parser.chunks
            if not c.startswith("⟦") and not re.fullmatch(r"[\d\s/:.,()-]+|Demo Physiotherapy \w+", c)
        ]
        # Allowed outside the catalogue: the clinic's own name and address, the consent text version id,
        # and the instrument's licensed wording (shipped per language by the instrument data).
        loose = [
            c
            for c in loose
            if "dn-econsent" not in c and "Rate your pain" not in c and "Brady" not in c and "Boyce" not in c
        ]
        assert not loose, (name, loose[:8])
    assert "⟦Call your local emergency number now" in pages["advice"]


def test_spanish_pages_and_mail(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    phone = open_as_patient(app, send_link(staff("clinician"), 2, ["intake", "measure:nprs"], lang="es"))
    assert "¿Está embarazada" in phone.get("/p/intake").text
    assert "Valore su dolor de 0" in phone.get("/p/measure/nprs").text  # licensed for shipping; translated
    assert json.loads(json.dumps(locale.gettext("Yes", "es"))) == "Sí"
