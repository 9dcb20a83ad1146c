"""A delayed reaction the patient reports from home, and the advice shown at once.

The advice follows the clinic handout (``filiform/data/handouts/handout.md``: "When to
call the clinic" and the chest warning) and the adverse-event research note: symptoms of
a pneumothorax can start hours to days after needling near the chest (chest pain,
breathlessness, dry cough), so chest or breathing symptoms always get the emergency
advice, whatever else the patient writes.  The stricter level wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from filiform.locale import N_


class Level(StrEnum):
    EMERGENCY = "emergency"  # call emergency services now
    TODAY = "today"  # contact the clinic or a doctor today
    ROUTINE = "routine"  # the clinic will get back to you


@dataclass(frozen=True)
class ReportKind:
    id: str
    label: str
    level: Level
    advice: str


EMERGENCY_ADVICE = N_(
    "Call your local emergency number now (such as 112, 911 or 999). Say that you had dry needling, and where. "
    "Do not wait for the clinic to reply."
)

KINDS: tuple[ReportKind, ...] = (
    ReportKind(
        "chest_or_breathing",
        N_("Chest pain, feeling short of breath, or a dry cough"),
        Level.EMERGENCY,
        EMERGENCY_ADVICE,
    ),
    ReportKind(
        "dizziness_or_fainting",
        N_("Feeling dizzy or faint, or you fainted"),
        Level.TODAY,
        N_(
            "Lie down with your legs raised until it passes. Do not drive. Call the clinic today. If you fainted and "
            "hurt yourself, or it keeps happening, call your local emergency number."
        ),
    ),
    ReportKind(
        "numbness_or_weakness",
        N_("New numbness, tingling or weakness"),
        Level.TODAY,
        N_(
            "Call the clinic today. If your face droops, an arm or leg suddenly goes weak, or you cannot speak "
            "clearly, call your local emergency number now."
        ),
    ),
    ReportKind(
        "redness_swelling_fever",
        N_("Redness, warmth, swelling or pus where a needle went in, or a fever"),
        Level.TODAY,
        N_(
            "This could be an infection. Call the clinic or your doctor today. "
            "If you feel very unwell, get urgent care."
        ),
    ),
    ReportKind(
        "soreness_beyond_48h",
        N_("Soreness that is getting worse after two days, or lasts more than three days"),
        Level.ROUTINE,
        N_("Keep gently active and use heat or a cool pack. The clinic will contact you."),
    ),
    ReportKind(
        "bruising",
        N_("A large bruise, or one that keeps growing"),
        Level.ROUTINE,
        N_(
            "Press on it and use a cool pack. The clinic will contact you. If you take a blood thinner and the bruise "
            "keeps growing, call the clinic today."
        ),
    ),
    ReportKind("other", N_("Something else"), Level.ROUTINE, N_("The clinic will read your message and contact you.")),
)
BY_ID = {k.id: k for k in KINDS}
CHEST_WORDS = ("chest", "breath", "cough", "pecho", "respir", "tos")


def level_of(kind: str, description: str = "") -> Level:
    """The report's level; chest or breathing words in the text raise it to an emergency."""
    if kind not in BY_ID:
        raise ValueError(f"unknown report kind '{kind[:40]}'")
    text = description.lower()
    if any(word in text for word in CHEST_WORDS):
        return Level.EMERGENCY
    return BY_ID[kind].level


def advice_for(kind: str, description: str = "") -> str:
    """The message id of the advice to show at once."""
    level = level_of(kind, description)
    return EMERGENCY_ADVICE if level is Level.EMERGENCY else BY_ID[kind].advice
