"""The screening questionnaire in plain words for patients (reading grade 8 or below).

Keyed by the same ids as :data:`filiform.core.safety.questions.QUESTIONS`: a question added
there without a plain wording here fails the tests, so the patient's form and the
clinician's can never drift apart.  The patient's answers are only ever a *proposal*
(``filiform.services.portal.intake``) until a clinician confirms them.

Patients cannot name anatomical sites in the engine's vocabulary, so where a question
has a site or date list, the patient writes "where (and when)" in their own words and the
clinician turns that into sites on review.  Body mass index is asked as height and weight.
"""

from __future__ import annotations

from filiform.locale import N_

YES_NO_ANSWERS: dict[str, str] = {"yes": N_("Yes"), "no": N_("No"), "unknown": N_("Not sure")}

PLAIN_QUESTIONS: dict[str, str] = {
    "capacity_to_consent": N_("Do you feel able to understand the risks of this treatment and decide for yourself?"),
    "consents_to_needling": N_("After reading about the risks, do you want to have dry needling?"),
    "guardian_consent": N_("If you are under 18: has a parent or guardian said yes, and do you say yes too?"),
    "needle_phobia": N_("Are you so afraid of needles that you could not have this treatment?"),
    "acute_illness": N_("Are you ill today? For example, do you have a fever or an infection?"),
    "red_flags": N_(
        "Do you have any of these that a doctor has not checked yet? Weight loss you cannot explain. Pain at "
        "night that does not go away. New weakness or numbness that gets worse."
    ),
    "anticoagulant": N_("Do you take a medicine to thin your blood or to stop blood clots?"),
    "inr": N_("If you take warfarin: what was your last INR blood test result? Leave it empty if you do not know."),
    "antiplatelet": N_("Do you take aspirin or another pill that keeps your blood from clotting, such as clopidogrel?"),
    "bleeding_disorder": N_(
        "Do you bleed or bruise very easily, or has a doctor told you that you have a bleeding problem?"
    ),
    "pregnant": N_("Are you pregnant, or could you be pregnant?"),
    "pregnancy_trimester": N_("If you are pregnant: how far along are you?"),
    "lymphoedema": N_("Do you have long-term swelling in an arm or leg, or have you had lymph nodes taken out?"),
    "implanted_electrical_device": N_(
        "Is there a device in your body? "
        "For example a pacemaker, a heart shock device, a nerve stimulator or a drug pump."
    ),
    "implants": N_("Do you have any other implants, such as breast implants or metal plates or screws?"),
    "joint_replacement": N_("Have you had a joint replaced, such as a hip or a knee?"),
    "local_infection_or_lesion": N_("Do you have an infection, a cut, a rash or sore skin where you want treatment?"),
    "malignancy_at_site": N_("Do you have cancer or a growth in or near the part of your body that hurts?"),
    "thrombosis_at_site": N_("Have you had a blood clot in a vein in or near the part of your body that hurts?"),
    "immunosuppressed": N_(
        "Is your body less able to fight germs? For example, because of cancer treatment or drugs after a transplant?"
    ),
    "heart_valve_disease": N_(
        "Do you have a heart valve problem or a new heart valve, or have you had a heart infection?"
    ),
    "diabetes": N_("Do you have diabetes?"),
    "impaired_sensation": N_(
        "Is your skin less able to feel touch, or is it hard for you to tell others what you feel?"
    ),
    "epilepsy": N_("Do you have epilepsy or fits?"),
    "epilepsy_controlled": N_("If you have epilepsy: are your fits well controlled?"),
    "vasovagal_history": N_("Have you ever fainted when you had a blood test, a shot or another kind of needle?"),
    "metal_allergy": N_("Does metal, such as nickel in jewellery, give you a skin rash?"),
    "keloid_tendency": N_("Do your scars tend to grow thick, raised or lumpy?"),
    "recent_surgery": N_("Have you had an operation in the last three months?"),
    "spinal_surgery": N_("Have you ever had an operation on your back or neck bones?"),
    "corticosteroid_injection": N_("Have you had a steroid shot into a joint or a tendon?"),
    "fluoroquinolone": N_(
        "In the last six months, have you taken an antibiotic whose name ends in 'floxacin', such as cipro?"
    ),
    "acute_muscle_injury": N_("Have you pulled, torn or badly bruised a muscle in the last few weeks?"),
    "lung_disease": N_("Do you have a lung disease such as COPD, or has a lung ever collapsed?"),
    "bmi": N_("How tall are you, and how much do you weigh? This helps us choose the needle length."),
    "age": N_("How old are you?"),
}
"""Plain wording per question id, as message ids for the catalogues."""

WHERE_PROMPT = N_("Where on your body? Write it in your own words.")
WHERE_WHEN_PROMPT = N_("Where on your body, and when? Write it in your own words.")

ANTICOAGULANT_CHOICES: dict[str, str] = {
    "no": N_("No"),
    "vka": N_("Warfarin or a similar pill (you have INR blood tests)"),
    "doac": N_("A newer blood thinner, such as apixaban or rivaroxaban"),
    "heparin": N_("Heparin shots"),
    "other": N_("Another blood thinner"),
    "unknown": N_("Not sure"),
}

TRIMESTER_CHOICES: dict[str, str] = {
    "1": N_("Up to 3 months"),
    "2": N_("4 to 6 months"),
    "3": N_("7 months or more"),
}

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("About today"), ("acute_illness", "red_flags", "needle_phobia", "vasovagal_history")),
    (N_("Medicines and bleeding"), ("anticoagulant", "inr", "antiplatelet", "bleeding_disorder", "fluoroquinolone")),
    (N_("Pregnancy"), ("pregnant", "pregnancy_trimester")),
    (N_("Implants and devices"), ("implanted_electrical_device", "implants", "joint_replacement")),
    (
        N_("The part of your body to treat"),
        ("local_infection_or_lesion", "malignancy_at_site", "thrombosis_at_site", "lymphoedema"),
    ),
    (
        N_("Your health"),
        (
            "immunosuppressed",
            "heart_valve_disease",
            "diabetes",
            "impaired_sensation",
            "epilepsy",
            "epilepsy_controlled",
            "lung_disease",
            "metal_allergy",
            "keloid_tendency",
        ),
    ),
    (
        N_("Operations and injuries"),
        ("recent_surgery", "spinal_surgery", "corticosteroid_injection", "acute_muscle_injury"),
    ),
    (N_("About you"), ("age", "bmi")),
    (N_("Your choice"), ("capacity_to_consent", "consents_to_needling", "guardian_consent")),
)
"""The order a patient meets the questions in; every question appears exactly once."""

MEDICINES_PROMPT = N_("Which medicines do you take? Include pills you buy without a prescription.")
ALLERGIES_PROMPT = N_("Do you have any allergies? Which ones?")
