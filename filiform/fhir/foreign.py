"""Records from another system: patients, and allergies and medicines as a proposed screening.

What is read, and how (never by position, never from an id's shape):

* **Patient** → a new patient of the acting user's clinic, registered through the same
  service as the web form. The MRN is the identifier whose system is ``mrn_system`` (or,
  without one, the identifier typed ``MR`` in v2-0203); a social security number
  (``us-ssn`` or type ``SS``/``SB``) is never taken. The columns show the official name
  (else the usual, else the first) and the first phone and e-mail; every name, telecom,
  address and other identifier is kept as sent (``contact``).
* **AllergyIntolerance**, **MedicationStatement** → one proposed screening per patient
  (:func:`filiform.services.portal.intake.propose_imported`) for a clinician to confirm:
  a metal allergy answers ``metal_allergy``; a current anticoagulant or antiplatelet drug
  answers ``anticoagulant`` / ``antiplatelet``; every allergy (latex, chlorhexidine...)
  and medicine is listed in the proposal's text. Nothing is answered "no".
* Anything else is listed and refuses the import, unless ``skip_unsupported``.

References may be relative (``Patient/abc``), absolute, or ``urn:uuid:`` fullUrls of a
transaction or collection Bundle; ids may be any FHIR id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from filiform.core.concepts import Demographics
from filiform.errors import FiliformError, ValidationFailed
from filiform.fhir.importer import MAX_LISTED, ImportReport
from filiform.services.access.context import Actor
from filiform.services.operations import audit
from filiform.services.portal import intake
from filiform.services.records import patients

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"
STORED = frozenset({"Patient", "AllergyIntolerance", "MedicationStatement"})
METALS = ("nickel", "chromium", "cobalt", "metal", "stainless steel")
VKA = ("warfarin", "acenocoumarol", "phenprocoumon", "fluindione")
DOAC = ("apixaban", "rivaroxaban", "edoxaban", "dabigatran")
HEPARIN = ("heparin", "enoxaparin", "dalteparin", "tinzaparin", "fondaparinux")
ANTIPLATELET = ("aspirin", "acetylsalicylic", "clopidogrel", "prasugrel", "ticagrelor", "dipyridamole", "cilostazol")
CURRENT = frozenset({"active", "intended", "on-hold", None})


def _types(identifier: dict[str, Any]) -> set[str]:
    codings = (identifier.get("type") or {}).get("coding", ())
    return {c.get("code", "") for c in codings if c.get("system") == V2_0203}


def mrn_of(res: dict[str, Any], mrn_system: str | None) -> dict[str, Any]:
    """The identifier that is the medical record number (by system or type, never position)."""
    ids = [i for i in res.get("identifier", ()) if isinstance(i, dict)]
    usable = [i for i in ids if i.get("system") != SSN_SYSTEM and not _types(i) & {"SS", "SB"}]
    found = [i for i in usable if (i.get("system") == mrn_system if mrn_system else "MR" in _types(i))]
    values = {i.get("value") for i in found}
    if len(values) == 1 and found[0].get("value"):
        return found[0]
    systems = ", ".join(sorted({str(i.get("system")) for i in ids})) or "none"
    if not found:
        raise ValidationFailed(
            f"Patient/{res['id']}: no medical record number (an identifier of type MR, or name its system"
            f" with --mrn-system; identifier systems here: {systems})"
        )
    raise ValidationFailed(f"Patient/{res['id']}: several different record numbers of that system")


def _primary_name(names: list[dict[str, Any]]) -> dict[str, Any]:
    for use in ("official", "usual"):
        found = next((n for n in names if n.get("use") == use), None)
        if found:
            return found
    return names[0] if names else {}


def demographics(res: dict[str, Any], mrn_system: str | None) -> Demographics:
    """The patient's demographics and everything else it said (kept in ``contact``)."""
    mrn = mrn_of(res, mrn_system)
    names = list(res.get("name", ()))
    name = _primary_name(names)
    if names and name is not names[0]:  # the shown name first, as the export writes it back
        names = [name, *[n for n in names if n is not name]]
    telecom = list(res.get("telecom", ()))
    first = {s: next((t.get("value") for t in telecom if t.get("system") == s), None) for s in ("phone", "email")}
    if not name.get("family") or not name.get("given"):
        raise ValidationFailed(f"Patient/{res['id']}: Filiform needs a family and a given name")
    contact = {
        "name": names,
        "telecom": telecom,
        "address": list(res.get("address", ())),
        "identifier": [i for i in res.get("identifier", ()) if i is not mrn],
    }
    return Demographics.parse(
        {
            "mrn": mrn["value"],
            "given_name": name["given"][0],
            "family_name": name["family"],
            "birth_date": res.get("birthDate"),
            "sex": res.get("gender") or "unknown",
            "phone": first["phone"],
            "email": first["email"],
            "contact": {k: v for k, v in contact.items() if v},
        }
    )


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    parts = [concept.get("text") or ""]
    parts += [
        f"{c.get('display') or ''} ({c.get('system', '')}|{c.get('code', '')})" for c in concept.get("coding", ())
    ]
    return "; ".join(p for p in parts if p)


def _has(text: str, words: Iterable[str]) -> bool:
    low = text.lower()
    return any(w in low for w in words)


def proposal(allergies: list[dict[str, Any]], medicines: list[dict[str, Any]]) -> tuple[dict[str, Any], str, str]:
    """(screening answers, allergy text, medicine text) for one patient; unknown stays unknown."""
    answers: dict[str, Any] = {}
    allergy_lines = []
    for a in allergies:
        what = _text(a.get("code"))
        status = _text(a.get("verificationStatus")) or "unverified"
        allergy_lines.append(f"{what} [{a.get('criticality') or 'criticality not given'}; {status}]")
        if _has(what, METALS) and "refuted" not in status and "entered-in-error" not in status:
            answers["metal_allergy"] = "yes"
    medicine_lines = []
    for m in medicines:
        what = _text(m.get("medicationCodeableConcept")) or str((m.get("medicationReference") or {}).get("display", ""))
        medicine_lines.append(f"{what} [{m.get('status') or 'status not given'}]")
        if m.get("status") not in CURRENT:
            continue
        for words, value in ((VKA, "vka"), (DOAC, "doac"), (HEPARIN, "heparin")):
            if _has(what, words):
                answers["anticoagulant"] = value
        if _has(what, ANTIPLATELET):
            answers["antiplatelet"] = "yes"
    return answers, "\n".join(allergy_lines), "\n".join(medicine_lines)


def _patient_ref(res: dict[str, Any]) -> str:
    ref = (res.get("patient") or res.get("subject") or {}).get("reference")
    if not isinstance(ref, str):
        raise ValidationFailed(f"{res['resourceType']}/{res['id']}: names no patient")
    return ref


def _collect(
    items: Iterable[tuple[str, dict[str, Any]]],
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, str], list[str]]:
    """(resources to store, reference aliases (fullUrl too), resources left out)."""
    kept: list[tuple[str, dict[str, Any]]] = []
    aliases: dict[str, str] = {}
    left_out: list[str] = []
    for where, res in items:
        ref = f"{res['resourceType']}/{res['id']}"
        full = res.pop("_fullUrl", None)
        if res["resourceType"] not in STORED:
            left_out.append(f"{ref} ({where}): type not stored by Filiform")
            continue
        aliases[ref] = ref
        if full:
            aliases[full] = ref
        kept.append((where, res))
    return kept, aliases, left_out


def _register(
    session: Session, actor: Actor, kept: list[tuple[str, dict[str, Any]]], mrn_system: str | None, problems: list[str]
) -> dict[str, int]:
    new_ids: dict[str, int] = {}
    for where, res in kept:
        if res["resourceType"] != "Patient":
            continue
        try:
            row = patients.register_patient(session, actor=actor, details=demographics(res, mrn_system))
            new_ids[f"Patient/{res['id']}"] = row.id
        except FiliformError as exc:
            problems.extend(f"Patient/{res['id']} ({where}): {d}" for d in [exc.message, *exc.details][:5])
    return new_ids


def import_foreign(
    session: Session,
    *,
    actor: Actor,
    items: Iterable[tuple[str, dict[str, Any]]],
    skip_unsupported: bool = False,
    mrn_system: str | None = None,
) -> ImportReport:
    """Add another system's patients (and proposed screenings) to the actor's clinic.

    Holds the resources it stores in memory (foreign exports to merge are per patient or a
    few hundred patients; whole-clinic restores use the streaming importer).
    """
    kept, aliases, left_out = _collect(items)
    if left_out and not skip_unsupported:
        raise ValidationFailed(
            f"{len(left_out)} resource(s) Filiform cannot store (import with --skip-unsupported to leave them out)",
            details=left_out[:MAX_LISTED],
        )
    problems: list[str] = []
    new_ids = _register(session, actor, kept, mrn_system, problems)
    grouped: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for where, res in kept:
        if res["resourceType"] == "Patient":
            continue
        target = new_ids.get(aliases.get(_patient_ref(res), ""))
        if target is None:
            problems.append(f"{res['resourceType']}/{res['id']} ({where}): its patient is not in this import")
            continue
        pair = grouped.setdefault(target, ([], []))
        pair[0 if res["resourceType"] == "AllergyIntolerance" else 1].append(res)
    if problems:
        raise ValidationFailed("records that cannot be imported", details=problems[:MAX_LISTED])
    for patient_id, (allergies, medicines) in grouped.items():
        answers, allergy_text, medicine_text = proposal(allergies, medicines)
        intake.propose_imported(
            session,
            actor=actor,
            patient_id=patient_id,
            answers=answers,
            allergies=allergy_text,
            medicines=medicine_text,
            source="FHIR import",
        )
    counts = {"patient": len(new_ids), "intake_proposal": len(grouped)}
    detail = {"rows": counts, "left_out": len(left_out)}
    audit.record(session, actor=actor, action="import", entity="fhir_foreign", detail=detail)
    return ImportReport(counts, left_out)
