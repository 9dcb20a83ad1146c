"""Load the instrument definitions shipped in ``filiform/data/instruments`` and score answers.

This is the entry point the records, API and FHIR layers call::

    from filiform.core.outcomes import score
    result = score("ndi", [1, 2, 0, 3, 1, 2, 1, 0, 2, 1])

The YAML is read once by the located loader (:mod:`filiform.core.kb.yaml_source`) into
frozen models and cross-checked: every citation id used must be in the one citation
registry (:mod:`filiform.core.kb.citations`), where ``instruments/citations.yaml`` is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from filiform.core.kb.citations import defined_in, load_citations
from filiform.core.kb.yaml_source import Issue, load_document, raise_issues
from filiform.core.outcomes.answers import normalise
from filiform.core.outcomes.models import Citation, Instrument, ScoreResult, ScoringMethod
from filiform.core.outcomes.scoring import SCORERS as ARITHMETIC
from filiform.core.outcomes.scoring import check_method_fits
from filiform.core.outcomes.stratify import score_start_back
from filiform.errors import NotFound, ValidationFailed

CITATIONS_FILE = "citations.yaml"
# Every scoring method: arithmetic ones from ``scoring``, risk groups from ``stratify``
# (which builds on ``scoring``; neither imports the other back).
SCORERS = {**ARITHMETIC, ScoringMethod.START_BACK: score_start_back}


def _data_dir() -> Any:
    return resources.files("filiform").joinpath("data", "instruments")


def _citations() -> dict[str, Citation]:
    """The one citation registry (instrument sources are in it with every other source)."""
    return load_citations()


def _citation_ids(instrument: Instrument) -> set[str]:
    ids = set(instrument.citations) | set(instrument.scoring.citations)
    ids |= {t.citation for t in (*instrument.mcid, *instrument.mdc)}
    if instrument.transition is not None:
        ids.add(instrument.transition.citation)
    if instrument.licence.citation:
        ids.add(instrument.licence.citation)
    if instrument.scoring.missing_rule_source != "filiform_policy":
        ids.add(instrument.scoring.missing_rule_source)
    return ids


def _instrument(name: str, citations: Mapping[str, Citation], issues: list[Issue]) -> Instrument | None:
    """One instrument file, every problem located to its line (model, scoring fit, id, sources)."""
    file = f"instruments/{name}"
    instrument, found, doc = load_document(_data_dir().joinpath(name), file, Instrument, mode="python")
    issues += found
    if not isinstance(instrument, Instrument) or doc is None:
        return None
    try:
        if instrument.scorable:
            check_method_fits(instrument)
    except ValueError as exc:
        issues.append(Issue(file, doc.line_of(("scoring",)), str(exc)))
    if f"{instrument.id}.yaml" != name:
        issues.append(Issue(file, doc.line_of(("id",)), f"id {instrument.id!r} != file name"))
    unknown = sorted(_citation_ids(instrument) - citations.keys())
    if unknown:
        issues.append(Issue(file, 1, f"unknown citation id(s) {', '.join(unknown)}"))
    return instrument


@lru_cache(maxsize=1)
def _instruments() -> dict[str, Instrument]:
    citations = _citations()
    issues: list[Issue] = []
    out: dict[str, Instrument] = {}
    names = sorted(
        entry.name for entry in _data_dir().iterdir() if entry.name.endswith(".yaml") and entry.name != CITATIONS_FILE
    )
    for name in names:
        instrument = _instrument(name, citations, issues)
        if instrument is not None:
            out[instrument.id] = instrument
    raise_issues("the instrument files are invalid", issues)
    return out


def list_instruments(*, include_unscorable: bool = False) -> tuple[Instrument, ...]:
    """Every shipped instrument, by id; unscorable ones (licensed tables) only on request."""
    items = _instruments().values()
    return tuple(i for i in items if include_unscorable or i.scorable)


def get_instrument(instrument_id: str) -> Instrument:
    """The instrument with this id (scorable or not); NotFound for an unknown id."""
    try:
        return _instruments()[instrument_id]
    except KeyError:
        known = ", ".join(sorted(_instruments()))
        raise NotFound(f"unknown instrument {instrument_id!r}", details=[f"known: {known}"]) from None


def get_citation(citation_id: str) -> Citation:
    try:
        return _citations()[citation_id]
    except KeyError:
        raise NotFound(f"unknown citation {citation_id!r}") from None


def list_citations() -> tuple[Citation, ...]:
    """The sources written for the instruments (``instruments/citations.yaml``); every id
    they cite resolves in the one registry (:func:`get_citation`)."""
    return tuple(defined_in(f"instruments/{CITATIONS_FILE}"))


def score(instrument_id: str, answers: Any) -> ScoreResult:
    """Score one administration. ``answers``: a list in item order or a mapping by item id.

    Raises NotFound for an unknown instrument and ValidationFailed for answers that are
    out of range, of the wrong type, or too incomplete for the instrument's missing rule.

    >>> score("nprs", [6]).total
    6.0
    >>> score("nprs", [11])
    Traceback (most recent call last):
    ...
    filiform.errors.ValidationFailed: NPRS: 1 answer(s) not accepted
      - item pain (Pain intensity): 11 is out of range; allowed: whole numbers 0–10
    """
    instrument = get_instrument(instrument_id)
    if not instrument.scorable:
        raise ValidationFailed(
            f"{instrument.short_name} is not scored by Filiform",
            details=[instrument.unscorable_reason or ""],
        )
    values = normalise(instrument, answers)
    return SCORERS[instrument.scoring.method](instrument, values)


def with_item_wording(instrument: Instrument, wording: Mapping[str, str]) -> Instrument:
    """A copy of ``instrument`` carrying item wording a clinic holds a licence for.

    ``wording`` maps item id to text. Filiform ships no licensed wording; this is how a
    clinic adds its own. Unknown item ids are an error.
    """
    ids = {item.id for item in instrument.items}
    unknown = sorted(set(wording) - ids)
    if unknown:
        raise ValidationFailed(f"{instrument.short_name}: wording for unknown item(s) {', '.join(unknown)}")
    items = tuple(
        item.model_copy(update={"text": wording[item.id]}) if item.id in wording else item for item in instrument.items
    )
    return instrument.model_copy(update={"items": items})
