"""The screening questionnaire's wording, follow-ups and no-risk answers (one home for all faces).

Kept apart from the ``Intake`` model so forms, the CLI and the rules checker read the same
list: a question added here appears on every face and must get an unknown-answer rule.
"""

from __future__ import annotations

QUESTIONS: dict[str, str] = {
    "capacity_to_consent": "Can the patient understand the risks and give informed consent?",
    "consents_to_needling": "Has the patient agreed to dry needling after the risks were explained?",
    "guardian_consent": "Under 18: has a parent or guardian consented, and the young person agreed?",
    "needle_phobia": "Does the patient have a fear of needles that stops treatment?",
    "acute_illness": "Is there an acute or unstable illness, fever or medical emergency today?",
    "red_flags": "Are there undiagnosed red-flag signs (weight loss, night pain, progressive neurological loss...)?",
    "anticoagulant": "Does the patient take an anticoagulant (vka = warfarin-type, doac, heparin, other)?",
    "inr": "Most recent INR, if one was measured (whatever the drug list says)",
    "antiplatelet": "Does the patient take an antiplatelet drug (aspirin, clopidogrel...)?",
    "bleeding_disorder": "Is there a bleeding disorder or low platelet count?",
    "pregnant": "Is the patient pregnant or possibly pregnant?",
    "pregnancy_trimester": "Trimester of pregnancy (1, 2 or 3)",
    "lymphoedema": "Is there lymphoedema, or a limb at risk of it (e.g. after node removal)?",
    "implanted_electrical_device": "Pacemaker, defibrillator, nerve stimulator or drug pump?",
    "implants": "Other implants (breast, metal plates, screws) near treatment areas?",
    "joint_replacement": "A joint replacement (prosthesis)? Which joints?",
    "local_infection_or_lesion": "Infection, wound, skin lesion or inflamed skin at a treatment area?",
    "malignancy_at_site": "A known tumour or metastasis at or near a treatment area?",
    "thrombosis_at_site": "Deep vein thrombosis or thrombophlebitis at or near a treatment area?",
    "immunosuppressed": "Immunosuppression (chemotherapy, neutropenia, transplant drugs, untreated HIV)?",
    "heart_valve_disease": "Heart valve disease, prosthetic valve or previous endocarditis?",
    "diabetes": "Diabetes?",
    "impaired_sensation": "Reduced sensation, or difficulty communicating what is felt?",
    "epilepsy": "Epilepsy?",
    "epilepsy_controlled": "If epilepsy: is it well controlled?",
    "vasovagal_history": "Has the patient fainted with needles, blood tests or injections before?",
    "metal_allergy": "Allergy to nickel, chromium or other metals?",
    "keloid_tendency": "Keloid or hypertrophic scarring after previous wounds?",
    "recent_surgery": "Surgery in the last three months?",
    "spinal_surgery": "Previous spinal surgery (laminectomy, fusion, decompression)? At which levels?",
    "corticosteroid_injection": "A corticosteroid injection into a tendon or joint? Where, and when?",
    "fluoroquinolone": "A fluoroquinolone antibiotic (ciprofloxacin, levofloxacin...) now or in the last 6 months?",
    "acute_muscle_injury": "An acute muscle injury (strain, tear, bruise)? Which muscle, and when?",
    "lung_disease": "Emphysema, COPD, previous pneumothorax or other lung disease?",
    "bmi": "Body mass index (needed before needling near the chest wall)",
    "age": "Patient's age in years",
}
"""Plain questions for forms and for the ``missing_answers`` list."""

NUMBERS = frozenset({"inr", "age", "bmi", "pregnancy_trimester"})

SITE_LISTS: dict[str, str] = {
    "lymphoedema_sites": "lymphoedema",
    "implant_sites": "implants",
    "joint_replacement_sites": "joint_replacement",
    "lesion_sites": "local_infection_or_lesion",
    "malignancy_sites": "malignancy_at_site",
    "thrombosis_sites": "thrombosis_at_site",
    "surgery_sites": "recent_surgery",
    "spinal_surgery_sites": "spinal_surgery",
}
"""Which yes/no question each list of sites (``side:site``) qualifies."""

DATED_LISTS: dict[str, str] = {
    "corticosteroid_injections": "corticosteroid_injection",
    "muscle_injuries": "acute_muscle_injury",
}
"""Lists whose entries carry a date (and, for injuries, the muscle), with their question."""

FOLLOW_UPS: dict[str, tuple[str, object]] = {
    "inr": ("anticoagulant", "vka"),
    "pregnancy_trimester": ("pregnant", "yes"),
    "epilepsy_controlled": ("epilepsy", "yes"),
}
"""Questions asked only when another answer makes them relevant."""

YES_IS_CLEAR = frozenset({"capacity_to_consent", "consents_to_needling", "guardian_consent", "epilepsy_controlled"})

CLEAR_ANSWERS: dict[str, str] = {
    name: "yes" if name in YES_IS_CLEAR else "no" for name in QUESTIONS if name not in NUMBERS
}
"""The no-risk answer to each yes/no question (for a clinician who asked them all)."""

QUESTION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Consent", ("capacity_to_consent", "consents_to_needling", "guardian_consent")),
    ("Today", ("needle_phobia", "acute_illness", "red_flags")),
    ("Bleeding", ("anticoagulant", "inr", "antiplatelet", "bleeding_disorder")),
    ("Pregnancy", ("pregnant", "pregnancy_trimester")),
    ("Devices and implants", ("implanted_electrical_device", "implants", "joint_replacement")),
    (
        "At a treatment area",
        ("lymphoedema", "local_infection_or_lesion", "malignancy_at_site", "thrombosis_at_site"),
    ),
    ("Infection, healing and skin", ("immunosuppressed", "heart_valve_disease", "diabetes", "keloid_tendency")),
    ("Nerves and fainting", ("impaired_sensation", "epilepsy", "epilepsy_controlled", "vasovagal_history")),
    (
        "Recent treatment and medicines",
        ("recent_surgery", "spinal_surgery", "corticosteroid_injection", "fluoroquinolone", "acute_muscle_injury"),
    ),
    ("Allergy", ("metal_allergy",)),
    ("Chest and body", ("lung_disease", "bmi", "age")),
)
"""The questionnaire in groups, for forms that let the clinician answer "none of the following"
for a group at once (every question appears in exactly one group)."""

CONSENT_QUESTIONS = QUESTION_GROUPS[0][1]
"""Answered on the consent page, not asked again at screening (see ``consent_answers``)."""
