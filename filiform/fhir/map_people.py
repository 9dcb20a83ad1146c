"""Clinic → Organization, user → Practitioner + PractitionerRole, patient → Patient.

Each ``to_*`` takes a row mapping (SQLAlchemy ``Row._mapping`` or a dict with the
table's columns) and returns an R4 resource dict; each ``from_*`` is its inverse and
returns the row again, so that an import reproduces the database without loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from filiform.fhir.codes import CS_ROLE, NS_USERNAME, mrn_system
from filiform.fhir.common import concept, meta, read_recorded, recorded, ref, ref_id

Row = Mapping[Any, Any]
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
        "active": True,
        "name": row["name"],
        "extension": [recorded(None, row["created_at"])],
    }


def from_organization(res: dict[str, Any]) -> dict[str, Any]:
    return {"id": int(res["id"]), "name": res["name"], "created_at": read_recorded(res)[1]}


def to_practitioner(row: Row) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": str(row["id"]),
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
    }


def to_patient(row: Row) -> dict[str, Any]:
    telecom = []
    if row["phone"]:
        telecom.append({"system": "phone", "value": row["phone"]})
    if row["email"]:
        telecom.append({"system": "email", "value": row["email"]})
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(row["id"]),
        "meta": meta(row["version"]),
        "extension": [recorded(row["created_by"], row["created_at"])],
        "identifier": [{"use": "usual", "system": mrn_system(row["clinic_id"]), "value": row["mrn"]}],
        "name": [{"family": row["family_name"], "given": [row["given_name"]]}],
        "gender": row["sex"],
        "birthDate": row["birth_date"].isoformat(),
        "managingOrganization": ref("Organization", row["clinic_id"]),
    }
    if telecom:
        res["telecom"] = telecom
    return res


def from_patient(res: dict[str, Any]) -> dict[str, Any]:
    by, at = read_recorded(res)
    telecom = {t["system"]: t["value"] for t in res.get("telecom", ())}
    name = res["name"][0]
    return {
        "id": int(res["id"]),
        "clinic_id": ref_id(res["managingOrganization"]),
        "mrn": res["identifier"][0]["value"],
        "given_name": name["given"][0],
        "family_name": name["family"],
        "birth_date": res["birthDate"],  # validated (and parsed) by Demographics on import
        "sex": res["gender"],
        "phone": telecom.get("phone"),
        "email": telecom.get("email"),
        "version": int(res["meta"]["versionId"]),
        "created_by": by,
        "created_at": at,
    }
