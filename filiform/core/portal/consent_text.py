"""The e-consent text: what dry needling is, the planned techniques, and the risks in numbers.

The figures are the two prospective surveys of dry-needling adverse events in the
knowledge base's citations (abstract-level figures, checked against the published
abstracts):

* Brady et al. 2014 (``brady2014_adverse``, J Man Manip Ther 22(3):134-140): 39 Irish
  physiotherapists, 7,629 trigger-point dry-needling treatments; mild events after 19.18 %
  (bruising 7.55 %, bleeding 4.65 %, pain during 3.01 %, pain after 2.19 %, worse symptoms
  0.88 %, drowsiness 0.26 %, headache 0.14 %, nausea 0.13 %); no significant events, upper
  risk estimated at 0.04 % or less.
* Boyce et al. 2020 (``boyce2020_adverse``, Int J Sports Phys Ther 15(1):103-113): 420 US
  physical therapists, 20,464 sessions; a minor event in 36.7 % (bleeding 16 %, bruising
  7.7 %, pain during needling 5.9 %); 20 major events (pneumothorax, excessive bleeding,
  prolonged aggravation), under 0.1 %, about 1 in 1,024 treatments.

Where the two disagree the patient is shown both (the higher figure is never hidden).
The text's version changes whenever a word does; :func:`document` returns the text and
the SHA-256 that the signature is bound to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from filiform.core.concepts import Technique
from filiform.core.planning.loader import load_techniques
from filiform.locale import N_

CONSENT_VERSION = "dn-econsent-2026.1"
SOURCES: dict[str, str] = {
    "brady2014_adverse": "Brady et al. 2014, 7,629 treatments",
    "boyce2020_adverse": "Boyce et al. 2020, 20,464 treatments",
}


@dataclass(frozen=True)
class Risk:
    what: str
    figures: tuple[tuple[str, str], ...]  # (how often, source id)


RISKS: tuple[Risk, ...] = (
    Risk(
        N_("Any mild, short-lived effect (such as a bruise, a drop of blood or soreness)"),
        ((N_("about 1 in 5 treatments"), "brady2014_adverse"), (N_("about 1 in 3 treatments"), "boyce2020_adverse")),
    ),
    Risk(
        N_("Bleeding where a needle went in"),
        ((N_("about 1 in 20 treatments"), "brady2014_adverse"), (N_("about 1 in 6 treatments"), "boyce2020_adverse")),
    ),
    Risk(
        N_("A bruise"),
        ((N_("about 1 in 13 treatments"), "brady2014_adverse"), (N_("about 1 in 13 treatments"), "boyce2020_adverse")),
    ),
    Risk(
        N_("Pain while the needle is in"),
        ((N_("about 1 in 33 treatments"), "brady2014_adverse"), (N_("about 1 in 17 treatments"), "boyce2020_adverse")),
    ),
    Risk(N_("Soreness after treatment"), ((N_("about 1 in 45 treatments"), "brady2014_adverse"),)),
    Risk(N_("Your usual symptoms feel worse for a while"), ((N_("about 1 in 110 treatments"), "brady2014_adverse"),)),
    Risk(
        N_("Feeling drowsy, a headache or feeling sick"),
        ((N_("about 1 in 400 to 1 in 800 treatments each"), "brady2014_adverse"),),
    ),
    Risk(
        N_("A serious problem, such as a collapsed lung, heavy bleeding or a long flare-up of pain"),
        (
            (N_("about 1 in 1,000 treatments"), "boyce2020_adverse"),
            (N_("none in 7,629 treatments"), "brady2014_adverse"),
        ),
    ),
)

INTRO = N_(
    "Dry needling uses very thin, solid, sterile needles. Nothing is injected. Each needle is used once. "
    "Please read this page. You can ask us anything before you sign, and you can change your mind at any time."
)
RISK_INTRO = N_("How often problems happen. These numbers come from two large studies of dry needling:")
CHEST = N_(
    "Some needles may go near your chest. Rarely, a needle there can let air leak around a lung. This can start "
    "hours or a day or two later. If you get chest pain or feel short of breath, call emergency services at once."
)
ELECTRICAL = N_(
    "With electrical needling, a mild current is passed between two needles. Large studies have not counted its "
    "side effects on their own. You must not have it if you have a pacemaker or another implanted device."
)
CHOICE = N_(
    "Dry needling is one part of your care. You can say no, and we will offer other treatment. You can stop "
    "at any time, even during a session. You can withdraw this consent later through your link or by telling us."
)
AGREE = N_(
    "I have read this page. I understand what dry needling is, how often problems happen and that I can stop at "
    "any time. I agree to have the treatments listed above."
)


@dataclass(frozen=True)
class ConsentDocument:
    version: str
    techniques: tuple[str, ...]
    paragraphs: tuple[str, ...]
    technique_texts: tuple[tuple[str, str], ...]  # (technique name, plain explanation)
    risks: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (what, ((how often, source label), ...))
    chest: str | None
    electrical: str | None
    agree: str

    def plain_text(self) -> str:
        """Every word the patient saw, in order: what the signature and its hash are bound to."""
        lines = [self.version, *self.paragraphs[:1]]
        lines += [f"{name}: {text}" for name, text in self.technique_texts]
        lines.append(self.paragraphs[1])
        for what, figures in self.risks:
            lines.append(what + ": " + "; ".join(f"{often} ({source})" for often, source in figures))
        lines += [t for t in (self.chest, self.electrical) if t]
        lines += [*self.paragraphs[2:], self.agree]
        return "\n".join(lines)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.plain_text().encode("utf-8")).hexdigest()


def document(
    techniques: Sequence[Technique | str], *, near_chest: bool, gettext: Callable[[str], str]
) -> ConsentDocument:
    """The consent text for the planned techniques, translated by ``gettext``.

    An empty technique list is refused: a patient cannot agree to "whatever is planned".
    """
    chosen = tuple(dict.fromkeys(Technique(t).value for t in techniques))
    if not chosen:
        raise ValueError("a consent names at least one technique")
    specs = load_techniques()
    texts = tuple((gettext(specs[t].name), gettext(specs[t].patient_explanation)) for t in chosen)
    risks = tuple(
        (gettext(r.what), tuple((gettext(often), SOURCES[source]) for often, source in r.figures)) for r in RISKS
    )
    return ConsentDocument(
        version=CONSENT_VERSION,
        techniques=chosen,
        paragraphs=(gettext(INTRO), gettext(RISK_INTRO), gettext(CHOICE)),
        technique_texts=texts,
        risks=risks,
        chest=gettext(CHEST) if near_chest else None,
        electrical=gettext(ELECTRICAL) if Technique.ELECTRICAL.value in chosen else None,
        agree=gettext(AGREE),
    )
