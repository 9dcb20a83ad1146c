"""Does a rule's site or circuit filter apply here? (Pure functions used by the engine.)

Answers naming sites are matched by overlap (one site within the other, sides agreeing);
an answer of "yes" without any site applies everywhere, because the unknown place could be
any of them. Dated answers count from the day of screening or session (``on``); a date
after ``on`` is treated as recent (the stricter reading).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from filiform.core.concepts.site import SiteRef, parse_site, site_label, vocabulary

from .circuits import CircuitPath, path_kinds
from .intake import DatedSite, Intake
from .questions import DATED_LISTS, SITE_LISTS
from .rules import CircuitFilter, SiteFilter
from .sites import PlannedSite


def listed_refs(intake: Intake, name: str, on: date, within_days: int | None = None) -> tuple[SiteRef, ...]:
    """The sites an answer lists (dated entries only when within ``within_days`` of ``on``)."""
    entries = getattr(intake, name)
    refs: list[SiteRef] = []
    for entry in entries:
        if isinstance(entry, DatedSite):
            if within_days is not None and (on - entry.on).days > within_days:
                continue
            refs.append(parse_site(entry.site))
        else:
            refs.append(parse_site(entry))
    return tuple(refs)


def _parent(name: str) -> str:
    return {**SITE_LISTS, **DATED_LISTS}[name]


def _listed_match(intake: Intake, name: str, site: PlannedSite, on: date, days: int | None, near: bool) -> bool:
    if not getattr(intake, name):
        return bool(getattr(intake, _parent(name)) == "yes")  # yes, but where is not known: everywhere
    vocab = vocabulary()
    listed = listed_refs(intake, name, on, days)
    test = vocab.near if near else vocab.overlaps
    return any(test(ref, own) for ref in listed for own in site.refs())


def second_thorax_side(sites: Sequence[PlannedSite]) -> set[str]:
    """Keys of lung-adjacent sites on the other side from the first lung-adjacent one.

    A lung-adjacent site without a side, planned alongside a sided one, may be the second
    side and is included.
    """
    lung = [s for s in sites if s.lung_adjacent]
    first = next((s.side for s in lung if s.side is not None), None)
    if first is None:
        return set()
    return {s.key for s in lung if s.side != first}


def site_applies(
    f: SiteFilter, site: PlannedSite, intake: Intake, on: date, second_side: set[str], injured_ok: bool = True
) -> bool:
    """True when every key of the filter matches this planned site."""
    vocab = vocabulary()
    checks = [
        f.lung_adjacent is None or site.lung_adjacent == f.lung_adjacent,
        f.compressible is None or site.compressible == f.compressible,
        not f.deep_or_spinal or not site.compressible or "spine" in site.tags(),
        not f.tags or bool(set(f.tags) & site.tags()),
        not f.targets or site.target in f.targets,
        not f.kinds or site.kind in f.kinds,
        not f.thorax_second_side or site.key in second_side,
        not f.sites or any(vocab.overlaps(parse_site(s), own) for s in f.sites for own in site.refs()),
    ]
    if not all(checks):
        return False
    if f.sites_from is not None and not _listed_match(intake, f.sites_from, site, on, f.within_days, near=False):
        return False
    if f.near_sites_from is not None and not _listed_match(intake, f.near_sites_from, site, on, None, near=True):
        return False
    if f.injured_muscle_within_days is not None:
        return _injured(intake, site, on, f.injured_muscle_within_days)
    return True


def _injured(intake: Intake, site: PlannedSite, on: date, days: int) -> bool:
    if not intake.muscle_injuries:
        return intake.acute_muscle_injury == "yes"  # which muscle is not known: every target
    return any(
        inj.target == site.target and (site.side is None or inj.side == site.side) and (on - inj.on).days <= days
        for inj in intake.muscle_injuries
    )


def outside_taught_range(circuit: CircuitPath) -> list[str]:
    """Parameters outside the knowledge base's taught electrical settings (techniques.yaml)."""
    from filiform.core.planning.loader import load_techniques  # planning builds on safety: import late

    spec = load_techniques()["electrical_dn"].electrical
    if spec is None:
        return []
    out = []
    for value, rng, name in (
        (circuit.frequency_hz, spec.frequency_hz, "frequency (Hz)"),
        (circuit.pulse_width_us, spec.pulse_width_us, "pulse width (µs)"),
        (circuit.minutes, spec.duration_min, "duration (min)"),
    ):
        if value is not None and not rng.min <= value <= rng.max:
            out.append(f"{name} {value:g} outside {rng.min:g}-{rng.max:g}")
    return out


def circuit_applies(f: CircuitFilter, circuit: CircuitPath, intake: Intake) -> bool:
    if f.paths and not set(f.paths) & path_kinds(circuit):
        return False
    if f.outside_taught_range and not outside_taught_range(circuit):
        return False
    if f.near_sites_from is None:
        return True
    listed = getattr(intake, f.near_sites_from)
    if not listed:
        return bool(getattr(intake, _parent(f.near_sites_from)) == "yes")
    vocab = vocabulary()
    return any(vocab.near(parse_site(s), end) for s in listed for end in circuit.ends())


def unmatched_answers(intake: Intake, sites: Sequence[PlannedSite], circuits: Sequence[CircuitPath]) -> list[str]:
    """Plain warnings for answered sites, injuries and circuit ends that match no planned site."""
    if not sites:
        return []
    vocab = vocabulary()
    refs = [r for s in sites for r in s.refs()]
    out: list[str] = []
    for name in (*SITE_LISTS, "corticosteroid_injections"):
        for entry in getattr(intake, name):
            ref = parse_site(entry.site if isinstance(entry, DatedSite) else entry)
            if not any(vocab.overlaps(ref, own) for own in refs):
                question = name.replace("_", " ")
                out.append(f"The answer '{question}: {site_label(ref)}' matches no planned site; check the site.")
    for inj in intake.muscle_injuries:
        if not any(s.target == inj.target for s in sites):
            out.append(
                f"The injured muscle '{inj.target.replace('_', ' ')}' ({inj.side}) is not among the planned targets."
            )
    for c in circuits:
        for end in c.ends():
            if not any(vocab.overlaps(end, own) for own in refs):
                out.append(f"{c.plain}: the end at the {site_label(end)} matches no planned needle.")
    return out
