"""The patient's consent, questionnaires and aftercare pages (``/p/...``), audited as the patient."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import local_date, show
from filiform.core.outcomes.models import ScaleKind
from filiform.core.outcomes.wording import SOURCE_LANG, Wording, wording
from filiform.core.planning.handout import render_handout
from filiform.core.portal import aftercare
from filiform.core.portal.consent_text import ConsentDocument, document
from filiform.core.portal.signature import check_strokes
from filiform.errors import FiliformError, ValidationFailed
from filiform.locale import current_lang, translator
from filiform.locale import gettext as _
from filiform.reports.consent_pdf import ClinicHead, consent_pdf
from filiform.reports.pdf import markdown_to_html
from filiform.services.portal import econsent, home, links, reports
from filiform.services.records.clinic_settings import letterhead
from filiform.storage.models import PortalLink

from .portal_render import clock_of, render_portal
from .portal_session import patient_page

router = APIRouter()


def _document(link: PortalLink) -> ConsentDocument:
    techniques = link.detail.get("techniques") or []
    return document(techniques, near_chest=bool(link.detail.get("near_chest")), gettext=translator(current_lang.get()))


@router.get("/p/consent", include_in_schema=False)
def consent_page(request: Request) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        if "consent" not in link.forms:
            raise ValidationFailed("not sent")
        links.audit_patient(s, link, "view", "e_consent", None, {"page": "consent"})
        return render_portal(
            request, "portal/consent.html", {"title": _("Consent"), "doc": _document(link), "form": {}}
        )

    return patient_page(request, body)


@router.post("/p/consent", include_in_schema=False)
async def consent_submit(request: Request) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, link: PortalLink) -> Any:
        doc, now = _document(link), clock_of(request).now()
        head = letterhead(s, link.clinic_id)
        errors: list[str] = []
        try:
            strokes = check_strokes(json.loads(form.get("signature_json") or "null"))
        except (ValueError, ValidationFailed):
            strokes = []
            errors.append(_("Please sign with your finger in the box."))
        name = " ".join(form.get("typed_name", "").split())
        if len(name) < 2:
            errors.append(_("Please type your full name."))
        if form.get("agree") != "yes":
            errors.append(_("Please tick the box to say you agree."))
        if not errors:
            labels = {
                "title": _("Consent to dry needling"),
                "techniques": _("What we plan to do"),
                "risks": _("Risks"),
                "name": _("Name"),
                "signed": _("Signed"),
                "version": _("Text version"),
            }
            pdf = consent_pdf(
                doc,
                head=ClinicHead(head.name, head.address, head.phone, head.email),
                typed_name=name,
                strokes=strokes,
                signed_at=show(now, head.timezone) + f" ({head.timezone})",
                labels=labels,
                lang=current_lang.get(),
            )
            try:
                with s.begin_nested():
                    econsent.sign(
                        s, link=link, document=doc, typed_name=name, strokes=strokes, agreed=True, pdf=pdf, now=now
                    )
            except ValidationFailed:
                errors.append(_("Please check the form and sign again."))
        if errors:
            return render_portal(
                request,
                "portal/consent.html",
                {"title": _("Consent"), "doc": doc, "form": form, "errors": errors},
                status_code=422,
            )
        return RedirectResponse("/p/home?done=consent", status_code=303)

    return patient_page(request, body)


@router.get("/p/withdraw", include_in_schema=False)
def withdraw_page(request: Request) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        links.audit_patient(s, link, "view", "consent", None, {"page": "withdraw"})
        return render_portal(request, "portal/withdraw.html", {"title": _("Withdraw your consent")})

    return patient_page(request, body)


@router.post("/p/withdraw", include_in_schema=False)
def withdraw_submit(request: Request) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        count = econsent.withdraw(s, link=link, now=clock_of(request).now())
        message = (
            _("Your consent is withdrawn. The clinic will not needle you unless you agree again.")
            if count
            else _("There was no consent to withdraw.")
        )
        return render_portal(request, "portal/message.html", {"title": _("Withdraw your consent"), "message": message})

    return patient_page(request, body)


def _wording(instrument: str) -> tuple[Wording, bool]:
    """The wording in the patient's language, else English (flagged), else refused."""
    found = wording(instrument, current_lang.get())
    if found is not None:
        return found, False
    english = wording(instrument, SOURCE_LANG)
    if english is None:
        raise ValidationFailed("no wording")
    return english, current_lang.get() != SOURCE_LANG


def _items(text: Wording) -> list[dict[str, Any]]:
    out = []
    for item in text.instrument.items:
        scale = text.instrument.scale_of(item)
        anchors = text.anchors.get(item.scale, {})
        if scale.kind is ScaleKind.INTEGER and scale.min is not None and scale.max is not None:
            values = list(range(scale.min, scale.max + 1))
        else:
            values = list(scale.values)
        options = [(str(v), anchors.get(v, "")) for v in values]
        out.append({"id": item.id, "text": text.items[item.id], "options": options})
    return out


@router.get("/p/measure/{instrument}", include_in_schema=False)
def measure_page(request: Request, instrument: str) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        if instrument not in home.instruments_of(link):
            raise ValidationFailed("not sent")
        text, english_only = _wording(instrument)
        links.audit_patient(s, link, "view", "outcome_response", None, {"instrument": instrument})
        context = {
            "title": _("Questionnaire"),
            "instrument": instrument,
            "items": _items(text),
            "english_only": english_only,
        }
        return render_portal(request, "portal/measure.html", context)

    return patient_page(request, body)


@router.post("/p/measure/{instrument}", include_in_schema=False)
async def measure_submit(request: Request, instrument: str) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, link: PortalLink) -> Any:
        text, english_only = _wording(instrument)
        answers = {i["id"]: form[f"item-{i['id']}"] for i in _items(text) if form.get(f"item-{i['id']}", "").strip()}
        try:
            with s.begin_nested():
                home.submit_measure(
                    s, link=link, instrument_id=instrument, answers=answers, now=clock_of(request).now()
                )
        except ValidationFailed:
            context = {
                "title": _("Questionnaire"),
                "instrument": instrument,
                "items": _items(text),
                "english_only": english_only,
                "errors": [_("Please answer every question.")],
            }
            return render_portal(request, "portal/measure.html", context, status_code=422)
        return RedirectResponse("/p/home?done=measure", status_code=303)

    return patient_page(request, body)


def _handout(link: PortalLink) -> Markup:
    markdown = render_handout(
        str(link.detail.get("condition")),
        list(link.detail.get("techniques") or []),
        near_chest=bool(link.detail.get("near_chest")),
        anticoagulated=bool(link.detail.get("anticoagulated")),
    )
    return Markup(markdown_to_html(markdown))


def _aftercare_context(link: PortalLink, **extra: Any) -> dict[str, Any]:
    return {
        "title": _("After your treatment"),
        "handout": _handout(link),
        "kinds": aftercare.KINDS,
        "english_only": current_lang.get() != SOURCE_LANG,
        **extra,
    }


@router.get("/p/aftercare", include_in_schema=False)
def aftercare_page(request: Request) -> Any:
    def body(s: Session, link: PortalLink) -> Any:
        if "aftercare" not in link.forms:
            raise ValidationFailed("not sent")
        now = clock_of(request).now()
        links.mark_done(s, link, "aftercare", now)
        links.audit_patient(s, link, "view", "handout", None, {"page": "aftercare"})
        today = local_date(now, letterhead(s, link.clinic_id).timezone)
        return render_portal(request, "portal/aftercare.html", _aftercare_context(link, today=today.isoformat()))

    return patient_page(request, body)


@router.post("/p/report", include_in_schema=False)
async def report_submit(request: Request) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, link: PortalLink) -> Any:
        now = clock_of(request).now()
        today = local_date(now, letterhead(s, link.clinic_id).timezone)
        kind, text = form.get("kind", ""), form.get("description", "")
        try:
            started = date.fromisoformat(form.get("started_on", "").strip())
            with s.begin_nested():
                reports.submit_report(
                    s, link=link, kind=kind, started_on=started, description=text, today=today, now=now
                )
        except (ValueError, FiliformError):
            errors = [_("Please choose what happened and when it started.")]
            context = _aftercare_context(link, today=today.isoformat(), errors=errors, form=form)
            return render_portal(request, "portal/aftercare.html", context, status_code=422)
        level = aftercare.level_of(kind, text)
        advice = _(aftercare.advice_for(kind, text))
        return render_portal(
            request,
            "portal/advice.html",
            {"title": _("Thank you for telling us"), "level": level.value, "advice": advice},
        )

    return patient_page(request, body)
