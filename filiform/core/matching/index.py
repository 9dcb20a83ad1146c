"""The matcher's precomputed index: every hypothesis as numbers, arranged by region.

A *hypothesis* is "this target, on this side, refers the pain": for a muscle, one of its
trigger points or several of them together (every combination, so a drawing that covers
two trigger points of one muscle is explained by that muscle, not by a broader pattern of
another); for a nerve target, its cutaneous territory. Each painted region touches only the
hypotheses whose zones contain it; the index stores, per region, those hypotheses' row
numbers, the evidence weight of the zone and its cost when unpainted, as numpy arrays, so a
query is a handful of vector additions.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from filiform.core.atlas.model import Atlas
from filiform.core.concepts import Side
from filiform.core.kb.loader import KnowledgeBase
from filiform.core.kb.models import Muscle
from filiform.core.kb.yaml_source import load_data
from filiform.errors import KnowledgeBaseError

# Probability that a region of each zone is painted when the target is the source, and that
# any region is painted by chance. Set once from the meaning of the zones for the 600-region
# atlas (a patient paints about half of an essential zone; spillover less often; the skin
# over the muscle sometimes; atlas 2 has twice atlas 1's regions, so the chance rate per
# region halves), before the published case set existed; not tuned to any case.
P_ZONE = {"essential": 0.5, "spillover": 0.2, "local": 0.3}
P_BACKGROUND = 0.01
ZONE_ORDER = ("local", "spillover", "essential")  # where zones overlap, the later one counts
GAIN = {k: math.log(p / P_BACKGROUND) for k, p in P_ZONE.items()}
COST = {k: math.log((1 - p) / (1 - P_BACKGROUND)) for k, p in P_ZONE.items()}
MULTI_TP = 0.5  # prior odds of each further active trigger point of the same muscle
MAX_COMBINED = 4  # muscles with more trigger points combine them in pairs at most
DEEP_MM = 15.0  # a muscle whose first approach starts this deep counts as a deep muscle

# Hypothesis classes, for the symptom-kind and depth weights: (family, depth) pairs.
SUPERFICIAL, DEEP, SUPERFICIAL_PERINEURAL, DEEP_PERINEURAL, NERVE, LOCAL = 0, 1, 2, 3, 4, 5
CLASSES = (("muscle", "superficial"), ("muscle", "deep"), ("perineural", "superficial"), ("perineural", "deep"),
           ("nerve", "nerve"), ("muscle", "superficial"))  # fmt: skip
CLASS_NAMES = (
    "superficial muscle",
    "deep muscle",
    "superficial peri-neural muscle",
    "deep peri-neural muscle",
    "nerve",
    "tendon, ligament or joint site",
)
NEURAL = frozenset({SUPERFICIAL_PERINEURAL, DEEP_PERINEURAL, NERVE})
# Tendons, ligaments and periarticular sites hurt where they are: tendinopathy is, by the
# ICON 2019 consensus definition, persistent pain *in the tendon* with loading (Scott 2020).
# So pain painted over such a target's own regions is evidence for it, weighed like a muscle's
# essential zone (symptom weights of the muscle family: an ache, not a nerve's numbness).
LOCAL_KINDS = frozenset({"tendon", "ligament", "periarticular"})


@dataclass(frozen=True)
class Hypothesis:
    target_id: str
    target_name: str
    kind: str  # muscle, nerve or local
    side: Side
    tps: tuple[str, ...]  # trigger points active together (empty for a nerve)
    labels: tuple[str, ...]
    cls: int
    zones: Mapping[str, str]  # region id -> essential / spillover / local
    weight_total: float  # sum of zone probabilities, for pattern coverage


def _constants(h: Hypothesis) -> tuple[str, str, Side, str, tuple[str, ...], str]:
    """The fields of a ranked row that depend on the hypothesis alone, built once: muscle id
    and name, side, best trigger point, trigger points, kind (explain.explain_rows)."""
    return (h.target_id, h.target_name, h.side, h.tps[0] if h.tps else h.target_id, h.tps, h.kind)


class RegionPart(NamedTuple):
    """A region's column as the query gathers it."""

    values: npt.NDArray[np.float64]  # rows: zone gain, zone cost when unpainted
    keys: npt.NDArray[np.intp]  # rows: hypothesis row, hypothesis class
    length: int


@dataclass(frozen=True)
class RegionColumn:
    rows: npt.NDArray[np.int64]
    gain: npt.NDArray[np.float64]
    cost: npt.NDArray[np.float64]  # log-odds of the zone staying unpainted (negative)
    cls: npt.NDArray[np.int64]


@lru_cache(maxsize=1)
def neural_data() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    data = load_data(resources.files("filiform.data").joinpath("matching/neural.yaml"), "matching/neural.yaml")
    territories = {str(k): tuple(str(b) for b in v) for k, v in data["territories"].items()}
    return territories, frozenset(str(m) for m in data["perineural"])


def _zones(parts: list[tuple[str, tuple[str, ...]]], atlas: Atlas, side: Side) -> dict[str, str]:
    zones: dict[str, str] = {}
    for kind in ZONE_ORDER:
        for zone_kind, refs in parts:
            if zone_kind == kind:
                for ref in refs:
                    zones[atlas.resolve(ref, side)] = kind
    return zones


def _muscle_class(muscle: Muscle, perineural: frozenset[str]) -> int:
    deep = muscle.needling[0].depth_mm.min_mm >= DEEP_MM
    if muscle.id in perineural:
        return DEEP_PERINEURAL if deep else SUPERFICIAL_PERINEURAL
    return DEEP if deep else SUPERFICIAL


def _subsets(n: int) -> list[tuple[int, ...]]:
    size = n if n <= MAX_COMBINED else 2
    return [c for k in range(1, size + 1) for c in itertools.combinations(range(n), k)]


class MatchIndex:
    """Hypotheses in rows; per region, the rows it touches (see the module docstring)."""

    def __init__(self, kb: KnowledgeBase, atlas: Atlas) -> None:
        territories, perineural = neural_data()
        unknown = [m for m in perineural if m not in kb.muscles] + [t for t in territories if t not in kb.targets]
        if unknown:
            raise KnowledgeBaseError(f"matching/neural.yaml names targets not in the base: {sorted(unknown)}")
        self.hyps: list[Hypothesis] = []
        base: list[float] = []
        self._add_muscles(kb, atlas, perineural, base)
        self._add_site_targets(kb, atlas, territories, base)
        self.base = np.array(
            [b + sum(COST[k] for k in h.zones.values()) for b, h in zip(base, self.hyps, strict=True)], dtype=np.float64
        )
        self.group_keys: list[tuple[str, Side]] = []
        group_of: dict[tuple[str, Side], int] = {}
        groups = []
        for h in self.hyps:
            key = (h.target_id, h.side)
            groups.append(group_of.setdefault(key, len(group_of)))
        self.group_keys = list(group_of)
        self.group_of = group_of
        self.group = np.array(groups, dtype=np.int64)
        # hypotheses of one target and side are consecutive rows: groups reduce with reduceat
        if np.any(np.diff(self.group) < 0) or np.any(np.diff(self.group) > 1):
            raise KnowledgeBaseError("matcher index: hypotheses of a target are not consecutive")
        self.starts = np.flatnonzero(np.r_[True, np.diff(self.group) != 0])
        keys = sorted(
            range(len(self.hyps)), key=lambda i: (self.hyps[i].target_id, self.hyps[i].side.value, self.hyps[i].tps)
        )
        self.order_key = np.empty(len(self.hyps), dtype=np.int64)
        self.order_key[keys] = np.arange(len(self.hyps))  # deterministic tie-break: target id, side, trigger points
        self.single = np.array([len(h.tps) == 1 for h in self.hyps], dtype=bool)
        self.rows = np.arange(len(self.hyps))
        self.columns = self._columns()
        self.parts = self._parts()
        self.constants = [_constants(h) for h in self.hyps]
        self.codes, self.code_column = self._codes()

    def _add_muscles(self, kb: KnowledgeBase, atlas: Atlas, perineural: frozenset[str], base: list[float]) -> None:
        """Each muscle, side and combination of its trigger points (prior: further points cost)."""
        for muscle in kb.muscles.values():
            cls = _muscle_class(muscle, perineural)
            tps = muscle.trigger_points
            for side in Side:
                for combo in _subsets(len(tps)):
                    parts = [("local", muscle.regions)]
                    for i in combo:
                        parts += [("spillover", tps[i].referral.spillover), ("essential", tps[i].referral.essential)]
                    chosen = tuple(tps[i].id for i in combo)
                    labels = tuple(tps[i].label for i in combo)
                    prior = (len(combo) - 1) * math.log(MULTI_TP)
                    self._add(muscle.id, muscle.name, "muscle", side, chosen, labels, cls, _zones(parts, atlas, side))
                    base.append(prior)

    def _add_site_targets(
        self, kb: KnowledgeBase, atlas: Atlas, territories: dict[str, tuple[str, ...]], base: list[float]
    ) -> None:
        """Nerves by their cutaneous territory; tendons, ligaments and periarticular sites by
        pain over themselves (:data:`LOCAL_KINDS`)."""
        for target_id, territory in territories.items():
            target = kb.targets[target_id]
            for side in Side:
                zones = _zones([("local", target.regions), ("essential", territory)], atlas, side)
                self._add(target.id, target.name, "nerve", side, (), ("cutaneous territory",), NERVE, zones)
                base.append(0.0)
        for target in kb.targets.values():
            if target.kind in LOCAL_KINDS and target.regions:
                for side in Side:
                    zones = _zones([("essential", target.regions)], atlas, side)
                    self._add(target.id, target.name, "local", side, (), ("pain over the structure",), LOCAL, zones)
                    base.append(0.0)

    def _add(
        self,
        target_id: str,
        name: str,
        kind: str,
        side: Side,
        tps: tuple[str, ...],
        labels: tuple[str, ...],
        cls: int,
        zones: dict[str, str],
    ) -> None:
        total = sum(P_ZONE[k] for k in zones.values())
        self.hyps.append(Hypothesis(target_id, name, kind, side, tps, labels, cls, zones, total))

    def _parts(self) -> dict[str, RegionPart]:
        """Each region's column as two small arrays made once, ready to be concatenated: a query
        then gathers its regions with one concatenation of each and adds them with one
        ``bincount``, a fixed number of vector operations whatever the number of regions, and
        converts nothing on the way."""
        return {
            rid: RegionPart(
                np.ascontiguousarray(np.stack([col.gain, col.cost])),
                np.ascontiguousarray(np.stack([col.rows, col.cls]).astype(np.intp)),
                len(col.rows),
            )
            for rid, col in self.columns.items()
        }

    def _codes(self) -> tuple[npt.NDArray[np.int8], dict[str, int]]:
        """Whether each hypothesis has a zone in each region, as a dense table (rows:
        hypotheses; columns: regions; 0 = no zone, else 1 + the zone's place in ZONE_ORDER),
        with each region's column; the last column, all zeros, stands for any other region.

        Why: the short list's explained and unexplained regions then come from one lookup of
        its rows and the painted columns instead of a dictionary lookup per row and region.
        One byte a cell: about 0.3 MB for the shipped base, 30 MB for the 100x benchmark base.
        """
        column = {rid: i for i, rid in enumerate(self.columns)}
        codes = np.zeros((len(self.hyps), len(column) + 1), dtype=np.int8)
        for row, h in enumerate(self.hyps):
            for rid, kind in h.zones.items():
                codes[row, column[rid]] = 1 + ZONE_ORDER.index(kind)
        return codes, column

    def _columns(self) -> dict[str, RegionColumn]:
        by_region: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
        for row, h in enumerate(self.hyps):
            for rid, kind in h.zones.items():
                by_region[rid].append((row, kind, h.cls))
        return {
            rid: RegionColumn(
                rows=np.array([r for r, _, _ in items], dtype=np.int64),
                gain=np.array([GAIN[k] for _, k, _ in items], dtype=np.float64),
                cost=np.array([COST[k] for _, k, _ in items], dtype=np.float64),
                cls=np.array([c for _, _, c in items], dtype=np.int64),
            )
            for rid, items in by_region.items()
        }
