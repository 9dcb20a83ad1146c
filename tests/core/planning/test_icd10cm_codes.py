"""Condition codes against the ICD-10-CM tabular entries shipped with the package."""

from __future__ import annotations

import pytest

from filiform.core.planning.checks import _code_problem
from filiform.core.planning.codes import coding_candidates, load_icd10cm
from filiform.core.planning.loader import load_conditions

CONDITIONS = sorted(load_conditions())


def test_the_tabular_names_its_source_and_version() -> None:
    tab = load_icd10cm()
    assert "ICD-10-CM" in tab.source and "2026" in tab.source and tab.version.startswith("FY2026")
    assert tab.how_confirmed


@pytest.mark.parametrize("cid", CONDITIONS)
def test_every_condition_code_is_a_billable_leaf_in_the_shipped_tabular(cid: str) -> None:
    tab = load_icd10cm()
    for code in load_conditions()[cid].icd10cm:
        entry = tab.entry(code)
        assert entry is not None, f"{cid}: {code} is not in the shipped tabular"
        assert entry.billable, f"{cid}: {code} is not a billable leaf"
        assert tab.header(code) is None
        assert tab.header(entry.parent) is not None or tab.entry(entry.parent) is None


def test_headers_are_never_billable_and_are_refused_by_the_checker() -> None:
    tab = load_icd10cm()
    assert all(not h.billable for h in tab.headers)
    assert _code_problem(tab, "G57.0") == "ICD-10-CM 'G57.0' is a header, not billable"
    assert "not in" in (_code_problem(tab, "M54.99") or "")
    assert _code_problem(tab, "G57.01") is None


def test_deep_gluteal_sciatica_is_coded_as_a_sciatic_nerve_lesion() -> None:
    tab = load_icd10cm()
    codes = load_conditions()["sciatica_deep_gluteal"].icd10cm
    assert set(codes) == {"G57.00", "G57.01", "G57.02", "G57.03"}
    assert not any(c.startswith("M54.3") for c in codes)
    header = tab.header("G57.0")
    assert header is not None and any("M54.3" in note for note in header.excludes1)


def test_cervicogenic_headache_has_its_own_code() -> None:
    assert "G44.86" in load_conditions()["headache_tension_cervicogenic"].icd10cm
    entry = load_icd10cm().entry("G44.86")
    assert entry is not None and entry.title == "Cervicogenic headache"


def test_tmj_arthralgia_codes_exist() -> None:
    tab = load_icd10cm()
    assert all(tab.entry(c) for c in ("M26.621", "M26.622", "M26.623", "M26.629"))


@pytest.mark.parametrize("cid", CONDITIONS)
def test_each_candidate_states_laterality_so_one_code_can_be_chosen(cid: str) -> None:
    cands = coding_candidates(load_conditions()[cid])
    assert [c.code for c in cands] == list(load_conditions()[cid].icd10cm)
    for c in cands:
        assert c.laterality in ("right", "left", "bilateral", "unspecified", "not_applicable")
        if "right" in c.title.lower().split(", ")[-1]:
            assert c.laterality == "right"


def test_sided_conditions_offer_right_and_left() -> None:
    for cid in ("lateral_elbow_tendinopathy", "sciatica_deep_gluteal", "patellofemoral_pain", "tarsal_tunnel_syndrome"):
        sides = {c.laterality for c in coding_candidates(load_conditions()[cid])}
        assert {"right", "left"} <= sides, cid


def test_injury_codes_carry_the_encounter() -> None:
    enc = {c.code: c.encounter for c in coding_candidates(load_conditions()["whiplash_associated_disorder"])}
    assert enc["S13.4XXA"] == "initial" and enc["S13.4XXD"] == "subsequent" and enc["S13.4XXS"] == "sequela"
