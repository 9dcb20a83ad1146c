"""E-mail templates, one per message, as catalogue message ids.

Each body names only the clinic, a time and the link (plus how to reach the clinic): no
patient name, no condition, no appointment type, nothing clinical.  ``{link}`` becomes the
real link only when the outbox worker sends the message.
"""

from __future__ import annotations

from dataclasses import dataclass

from filiform.locale import N_


@dataclass(frozen=True)
class MailTemplate:
    subject: str
    body: str


TEMPLATES: dict[str, MailTemplate] = {
    "forms_link": MailTemplate(
        N_("{clinic}: forms for your visit"),
        N_(
            "Hello,\n\n{clinic} asks you to fill in a few forms before your visit. Please open this link:\n\n"
            "{link}\n\nThe link works once, until {expires}.\n\n{contact}"
        ),
    ),
    "measure_link": MailTemplate(
        N_("{clinic}: a short questionnaire"),
        N_(
            "Hello,\n\n{clinic} asks you to answer a short questionnaire about how you are doing. Please open "
            "this link:\n\n{link}\n\nThe link works once, until {expires}.\n\n{contact}"
        ),
    ),
    "aftercare_link": MailTemplate(
        N_("{clinic}: advice after your treatment"),
        N_(
            "Hello,\n\n{clinic} has sent you advice for after your treatment. If you get a problem later, you can "
            "tell the clinic through this link:\n\n{link}\n\nThe link works until {expires}.\n\n{contact}"
        ),
    ),
    "appointment_reminder": MailTemplate(
        N_("{clinic}: appointment reminder"),
        N_("Hello,\n\nYou have an appointment at {clinic} on {time}.\n\n{contact}"),
    ),
}

CONTACT = N_("To change anything, please contact {clinic}{phone}.")
PHONE = N_(" on {phone}")
