"""Patient list and search, registration, and the patient's summary (timeline).

Search takes any part of the MRN, the given or family name (accents and case ignored) or
a birth date (:func:`filiform.services.records.patients.search_patients`). Registration
leaves the MRN to the clinic's sequence unless one is typed, and has no default sex: the
clinician chooses it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from filiform.core.concepts import Demographics, Sex
from filiform.core.concepts.values import filled
from filiform.core.outcomes import get_instrument
from filiform.errors import FiliformError
from filiform.services.access.context import Actor, Perm, require
from filiform.services.records import clinical, drafts, page_cache, patients, reads, saved_plans
from filiform.services.records.needling_status import needling_status
from filiform.services.records.views import ConsentView, PatientView

from . import fhir_links
from .common import attempt, build_page, reads_inline, render, run_page, templates

router = APIRouter()
SEX_WORDS = {Sex.FEMALE.value: "Female", Sex.MALE.value: "Male", Sex.OTHER.value: "Other", Sex.UNKNOWN.value: "Unknown"}


def instrument_name(instrument_id: str) -> str:
    """An instrument's short name for lists ("NDI", not "ndi"); an unknown id as written."""
    try:
        return get_instrument(instrument_id).short_name
    except FiliformError:
        return instrument_id


@router.get("/", include_in_schema=False)
def home() -> Any:
    return RedirectResponse("/patients", status_code=303)


@router.get("/patients", include_in_schema=False)
def patient_list(request: Request, q: str = "") -> Any:
    def body(s: Session, actor: Actor) -> Any:
        rows = patients.search_patients(s, actor=actor, query=q.strip(), limit=50)
        unsaved = drafts.drafts_of(s, actor=actor) if actor.can(Perm.READ_CLINICAL) else []
        context = {"title": "Patients", "rows": rows, "q": q, "sex_words": SEX_WORDS, "unsaved": len(unsaved)}
        return render(request, "patients.html", context)

    return run_page(request, body)


def _new_form(request: Request, form: dict[str, str], errors: list[str] | None = None, status: int = 200) -> Any:
    context = {"title": "New patient", "form": form, "sexes": SEX_WORDS, "errors": errors or []}
    return render(request, "patient_new.html", context, status_code=status)


@router.get("/patients/new", include_in_schema=False)
def new_patient_form(request: Request) -> Any:
    return run_page(request, lambda s, a: _new_form(request, {}))


@router.post("/patients/new", include_in_schema=False)
async def new_patient(request: Request) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []
        fields = filled({k: form.get(k, "") for k in Demographics.model_fields})
        patient = attempt(s, errors, lambda: patients.register_patient(s, actor=actor, details=fields, lax=True))
        if patient is None:
            return _new_form(request, form, errors, 422)
        return RedirectResponse(f"/patients/{patient.id}?saved=patient", status_code=303)

    return run_page(request, body)


def _summary(s: Session, actor: Actor, st: page_cache.Stamp) -> dict[str, Any]:
    """Everything the cached part of the patient page shows, read and rendered once per key.

    Reads exactly what the uncached page read (each through its one audited service
    function); the key (:func:`page_cache.Stamp.key`) covers everything it depends on.
    """
    patient_id = st.patient_id
    patient = PatientView.model_validate(patients.get_patient(s, actor=actor, patient_id=patient_id))
    clinical_view = actor.can(Perm.READ_CLINICAL)
    timeline = reads.timeline(s, actor=actor, patient_id=patient_id) if clinical_view else None
    plans = saved_plans.saved_plans(s, actor=actor, patient_id=patient_id) if clinical_view else []
    needling = needling_status(s, actor=actor, patient_id=patient_id, now=st.now) if clinical_view else None
    consent = clinical.valid_consent(s, patient_id, st.today)
    context = {
        "patient": patient,
        "timeline": timeline,
        "consent": ConsentView.model_validate(consent) if consent is not None else None,
        "needling": needling,
        "episode_plans": saved_plans.latest_per_episode(plans),
        "instrument_name": instrument_name,
        "sex_words": SEX_WORDS,
        "tz": st.zone,
        "perms": {p.value for p in Perm if actor.can(p)},
        "fhir_bundle": fhir_links.patient_bundle(patient_id),
        "fhir_file": fhir_links.bundle_filename(patient_id),
    }
    html = Markup(templates.get_template("_patient_summary.html").render(context))
    return {"patient": patient, "needling": needling, "summary": html}


@router.get("/patients/{patient_id}", include_in_schema=False)
async def patient_detail(request: Request, patient_id: int) -> Any:
    """The patient page: from the page cache on the event loop when it can (SQLite, a
    version already built), else built in a worker thread (``build_page``: a bounded
    number at once).

    Why two places: a cached view costs a few indexed reads and the layout around the
    cached part; handing it to a worker thread and back cost about as much again, and
    under load the hand-over waits for the interpreter.  SQLite reads of a local file do
    not block the loop for longer than they take (the session look-up does the same).  A
    view that must be built (tens of reads, rendering) never runs on the loop.
    """

    def body(s: Session, actor: Actor, *, only_cached: bool = False) -> Any:
        require(actor, Perm.READ_DEMOGRAPHICS)
        st = page_cache.stamp(s, actor=actor, patient_id=patient_id)
        key = st.key("patient", actor)
        part = page_cache.cached_read(
            s, actor=actor, key=key, build=lambda: _summary(s, actor, st), only_cached=only_cached
        )
        patient = part["patient"]
        context = {
            **part,
            "title": f"{patient.family_name}, {patient.given_name}",
            "saved": request.query_params.get("saved", ""),
        }
        return render(request, "patient.html", context)

    if reads_inline(request):
        try:
            return run_page(request, lambda s, actor: body(s, actor, only_cached=True))
        except page_cache.NotCached:
            pass  # rolled back: nothing read was recorded; build it where building belongs
    return await build_page(request, body)
