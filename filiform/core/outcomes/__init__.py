"""Outcome measures: exact scoring, interpretation against MCIDs, and trends.

The public API used by the records, API and FHIR layers:

* :func:`score` – score one administration of an instrument into a :class:`ScoreResult`;
* :func:`get_instrument` / :func:`list_instruments` – the instrument metadata (items,
  response scales, range, direction, MCID/MDC, licence, LOINC, citations);
* :func:`interpret_change` – change from baseline, MCID reached, responder class;
* :func:`summarise_trend` – a trend summary across sessions.

Pure domain code: no I/O beyond reading the package's own YAML data.
"""

from filiform.core.outcomes.interpret import (
    ChangeInterpretation,
    Classification,
    interpret_change,
)
from filiform.core.outcomes.models import (
    Citation,
    Instrument,
    Item,
    ResponseScale,
    ScoreResult,
    SubscaleScore,
    Threshold,
)
from filiform.core.outcomes.registry import (
    get_citation,
    get_instrument,
    list_citations,
    list_instruments,
    score,
    with_item_wording,
)
from filiform.core.outcomes.trend import DatedScore, TrendSummary, summarise_trend

__all__ = [
    "ChangeInterpretation",
    "Citation",
    "Classification",
    "DatedScore",
    "Instrument",
    "Item",
    "ResponseScale",
    "ScoreResult",
    "SubscaleScore",
    "Threshold",
    "TrendSummary",
    "get_citation",
    "get_instrument",
    "interpret_change",
    "list_citations",
    "list_instruments",
    "score",
    "summarise_trend",
    "with_item_wording",
]
