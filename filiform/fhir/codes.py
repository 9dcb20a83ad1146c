"""Code systems and code tables for the R4 mapping, read once from ``data/codes.json``.

The tables are data so that a coder can extend them (a newly confirmed SNOMED body
structure, a billable ICD-10-CM leaf) without touching the mapping code; only codes
confirmed in the research note are shipped, and never CPT descriptor text.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from filiform.core.kb.yaml_source import load_data

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_CAUSALITY = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"

DOC_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"

BASE = "https://filiform.org/fhir"
CS_TARGET = f"{BASE}/CodeSystem/target"
CS_TECHNIQUE = f"{BASE}/CodeSystem/technique"
CS_PROCEDURE = f"{BASE}/CodeSystem/procedure"
CS_OBSERVATION = f"{BASE}/CodeSystem/observation"
CS_REGION = f"{BASE}/CodeSystem/atlas-region"
CS_SIDE = f"{BASE}/CodeSystem/side"
CS_ROLE = f"{BASE}/CodeSystem/role"
CS_AE_TYPE = f"{BASE}/CodeSystem/adverse-event-type"
CS_CONSENT_FORM = f"{BASE}/CodeSystem/consent-form"
CS_DOCUMENT = f"{BASE}/CodeSystem/document"
CS_ENCOUNTER = f"{BASE}/CodeSystem/encounter-type"
NS_USERNAME = f"{BASE}/NamingSystem/username"
Q_SCREENING = f"{BASE}/Questionnaire/screening"
Q_INSTRUMENT = f"{BASE}/Questionnaire/"
SD = f"{BASE}/StructureDefinition/"

_DATA = Path(__file__).parent / "data" / "codes.json"


@lru_cache(maxsize=1)
def tables() -> dict[str, Any]:
    """The parsed code tables (cached; the file is small)."""
    data: dict[str, Any] = load_data(_DATA, "fhir/data/codes.json")  # JSON is YAML: one located loader
    return data


def mrn_system(clinic_id: int) -> str:
    """MRNs are unique per clinic, so the identifier system names the clinic."""
    return f"{BASE}/clinic/{clinic_id}/mrn"


def coding_table(name: str) -> dict[str, list[str]]:
    """A ``code -> [code, display]`` table from the data file."""
    table: dict[str, list[str]] = tables()[name]
    return table
