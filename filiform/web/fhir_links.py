"""Where the pages send a user for a FHIR export: the one place that knows the API's paths.

The FHIR endpoints live under ``/api/fhir`` (``filiform.api.fhir``); pages link to them
only through these functions, so a change of path is one edit here.
"""

from __future__ import annotations

API = "/api/fhir"


def patient_bundle(patient_id: int) -> str:
    """The patient's whole record as a FHIR R4 Bundle (JSON, an audited disclosure)."""
    return f"{API}/Patient/{patient_id}/$everything"


def clinic_export() -> str:
    """Kick-off URL of the clinic's Bulk Data export (POST; answers with a status URL)."""
    return f"{API}/$export"


def bundle_filename(patient_id: int) -> str:
    return f"patient-{patient_id}.fhir.json"
