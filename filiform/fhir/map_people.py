"""Clinic → Organization, user → Practitioner + PractitionerRole, patient → Patient.

Each ``to_*`` takes a row mapping (SQLAlchemy ``Row._mapping`` or a dict with the
table's columns) and returns an R4 resource dict; each ``from_*`` is its inverse and
returns the row again, so that an import reproduces the database without loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filiform.errors import ValidationFailed
from filiform.fhir.codes import CS_ROLE, NS_USERNAME, mrn_system
from filiform.fhir.common import concept, meta, read_recorded, read_updated, recorded, ref, ref_id

Row = Mapping[Any, Any]
MRN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
ROLE_NAMES = {
    "clinician": "Clinician (needles)",
    "assistant": "Clinical assistant",
    "front_desk": "Front desk",
    "admin": "Clinic administrator",
}


def to_organization(row: Row) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": str(row["id"]),
        "meta": meta(None, row["updated_at"]),
        "active": True,
        "name": row["name"],
        "extension": [recorded(None, row["created_at"])],
    }


def from_organization(res: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": int(res["id"]),
        "name": res["name"],
        "created_at": read_recorded(res)[1],
        "updated_at": read_updated(res),
    }


def to_practitioner(row: Row) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": str(row["id"]),
        "meta": meta(None, row["updated_at"]),
        "extension": [recorded(None, row["created_at"])],
        "identifier": [{"system": NS_USERNAME, "value": row["username"]}],
        "active": bool(row["active"]),
        "name": [{"text": row["display_name"]}],
    }


def to_practitioner_role(row: Row) -> dict[str, Any]:
    role = row["role"]
    return {
        "resourceType": "PractitionerRole",
        "id": str(row["id"]),
        "meta": meta(None, row["updated_at"]),
        "active": bool(row["active"]),
        "practitioner": ref("Practitioner", row["id"]),
        "organization": ref("Organization", row["clinic_id"]),
        "code": [concept(CS_ROLE, role, ROLE_NAMES.get(role))],
    }


def from_practitioner(res: dict[str, Any], role: dict[str, Any]) -> dict[str, Any]:
    """The user row; imported users get no usable password (an admin resets it)."""
    return {
        "id": int(res["id"]),
        "clinic_id": ref_id(role["organization"]),
        "username": res["identifier"][0]["value"],
        "display_name": res["name"][0]["text"],
        "role": role["code"][0]["coding"][0]["code"],
        "active": res["active"],
        "password_hash": "!imported: reset the password",
        "created_at": read_recorded(res)[1],
        "updated_at": read_updated(res),
    }


def _telecom(contact: dict[str, Any], phone: str | None, email: str | None) -> list[dict[str, Any]]:
    """Telecoms as received, with the first phone and e-mail showing the columns' values
    (an amendment of the columns wins); a column with no entry yet comes first."""
    out = [dict(t) for t in contact.get("telecom", ())]
    for system, value in (("email", email), ("phone", phone)):
        first = next((t for t in out if t.get("system") == system), None)
        if first is None and value:
            out.insert(0, {"system": system, "value": value})
        elif first is not None and value:
            first["value"] = value
        elif first is not None:
            out.remove(first)
    return out


def _names(contact: dict[str, Any], given: str, family: str) -> list[dict[str, Any]]:
    names = [dict(n) for n in contact.get("name", ())] or [{}]
    names[0]["family"] = family
    names[0]["given"] = [given, *names[0].get("given", [])[1:]]
    return names


def to_patient(row: Row) -> dict[str, Any]:
    contact = row["contact"] or {}
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(row["id"]),
        "meta": meta(row["version"], row["updated_at"]),
        "extension": [recorded(row["created_by"], row["created_at"])],
        "identifier": [
            {"use": "usual", "type": MRN_TYPE, "system": mrn_system(row["clinic_id"]), "value": row["mrn"]},
            *contact.get("identifier", ()),
        ],
        "name": _names(contact, row["given_name"], row["family_name"]),
        "gender": row["sex"],
        "birthDate": row["birth_date"].isoformat(),
        "managingOrganization": ref("Organization", row["clinic_id"]),
    }
    telecom = _telecom(contact, row["phone"], row["email"])
    if telecom:
        res["telecom"] = telecom
    if contact.get("address"):
        res["address"] = list(contact["address"])
    return res


def _plain_names(names: list[dict[str, Any]]) -> bool:
    return len(names) == 1 and set(names[0]) <= {"family", "given"} and len(names[0].get("given", ())) == 1


def _plain_telecom(telecom: list[dict[str, Any]]) -> bool:
    """Exactly what the columns alone export: at most a phone then an e-mail, nothing else."""
    systems = [str(t.get("system")) for t in telecom]
    plain = all(set(t) == {"system", "value"} for t in telecom)
    return plain and systems in ([], ["phone"], ["email"], ["phone", "email"])


def contact_of(res: dict[str, Any], mrn_identifier: dict[str, Any] | None) -> dict[str, Any]:
    """What the Patient says beyond the columns (empty when the columns say it all)."""
    names, telecom = list(res.get("name", ())), list(res.get("telecom", ()))
    out: dict[str, Any] = {}
    if not _plain_names(names):
        out["name"] = names
    if not _plain_telecom(telecom):
        out["telecom"] = telecom
    if res.get("address"):
        out["address"] = list(res["address"])
    others = [i for i in res.get("identifier", ()) if i is not mrn_identifier]
    if others:
        out["identifier"] = others
    return out


def from_patient(res: dict[str, Any]) -> dict[str, Any]:
    """The patient row of a Filiform export: the MRN is the identifier of the clinic's MRN
    system (never whichever comes first); every other detail is kept in ``contact``."""
    by, at = read_recorded(res)
    clinic = ref_id(res["managingOrganization"])
    system = mrn_system(int(clinic or 0))
    mrn = next((i for i in res.get("identifier", ()) if i.get("system") == system), None)
    if mrn is None:
        raise ValidationFailed(f"Patient/{res.get('id')}: no identifier of the MRN system {system}")
    name = res["name"][0]
    telecom = res.get("telecom", ())
    return {
        "id": int(res["id"]),
        "clinic_id": clinic,
        "mrn": mrn["value"],
        "given_name": name["given"][0],
        "family_name": name["family"],
        "birth_date": res["birthDate"],  # validated (and parsed) by Demographics on import
        "sex": res["gender"],
        "phone": next((t["value"] for t in telecom if t.get("system") == "phone"), None),
        "email": next((t["value"] for t in telecom if t.get("system") == "email"), None),
        "contact": contact_of(res, mrn),
        "version": int(res["meta"]["versionId"]),
        "created_by": by,
        "created_at": at,
        "updated_at": read_updated(res),
    }
