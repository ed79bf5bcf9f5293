from statistics import NormalDist

import numpy as np
import pytest

from sandbox.errors import ConfigError, PersonaError
from sandbox.personas.banks import find_persona, load_bank, write_bank
from sandbox.personas.sampling import BIG_FIVE_CORRELATIONS, sample_big_five, stratified
from tests.conftest import ROOT

BANKS = ROOT / "personas"


def test_shipped_banks_load():
    assert len(load_bank(BANKS / "mbti16.yaml")) == 16
    binary = load_bank(BANKS / "binary32.yaml")
    assert len(binary) == 32
    combos = {
        tuple(
            getattr(p.big_five, d) > 0.5
            for d in (
                "openness",
                "extraversion",
                "agreeableness",
                "conscientiousness",
                "neuroticism",
            )
        )
        for p in binary
    }
    assert len(combos) == 32
    gss = load_bank(BANKS / "gss_bank.jsonl")
    assert len(gss) == 3505 and len({p.name for p in gss}) == 3505
    assert {"political_views", "religion", "age_band", "gss_id"} <= set(gss[0].demographics)
    assert (BANKS / "gss_bank.LICENSE").exists()


def test_mbti_bank_types_are_all_sixteen():
    types = {p.mbti for p in load_bank(BANKS / "mbti16.yaml")}
    assert len(types) == 16


def test_bad_bank_entries_are_named(tmp_path):
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text('{"name": "A"}\n{"name": "B", "big_five": {"openness": 3}}\n')
    with pytest.raises(PersonaError, match=r"b\.jsonl: line 2: big_five\.openness"):
        load_bank(jsonl)
    jsonl.write_text('{"name": "A"}\nnot json\n')
    with pytest.raises(PersonaError, match="line 2: invalid JSON"):
        load_bank(jsonl)
    yml = tmp_path / "b.yaml"
    yml.write_text("- name: A\n- name: A\n")
    with pytest.raises(PersonaError, match="'A' appears more than once"):
        load_bank(yml)
    yml.write_text("- name: A\n  colour: red\n")
    with pytest.raises(PersonaError, match=r"persona \[0\]: colour: unknown field"):
        load_bank(yml)
    with pytest.raises(PersonaError, match="no persona named 'Zed'"):
        find_persona(load_bank(BANKS / "mbti16.yaml"), "Zed")


def test_write_and_reload_round_trip(tmp_path):
    personas = load_bank(BANKS / "mbti16.yaml")[:3]
    for suffix in (".yaml", ".jsonl"):
        assert load_bank(write_bank(personas, tmp_path / f"x{suffix}")) == personas


def test_sampling_is_seeded_and_hits_its_targets():
    assert sample_big_five(5, 1) == sample_big_five(5, 1) != sample_big_five(5, 2)
    many = sample_big_five(3000, 7, means={"openness": 0.8})
    assert np.median([b.openness for b in many]) == pytest.approx(0.8, abs=0.03)
    assert np.median([b.neuroticism for b in many]) == pytest.approx(0.5, abs=0.03)


def test_correlated_sampling_reproduces_the_documented_matrix():
    many = sample_big_five(4000, 3, correlated=True)
    domains = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")
    z = np.array(
        [
            [NormalDist().inv_cdf(min(max(getattr(b, d), 1e-4), 1 - 1e-4)) for d in domains]
            for b in many
        ]
    )
    assert np.allclose(np.corrcoef(z.T), np.array(BIG_FIVE_CORRELATIONS), atol=0.06)
    independent = sample_big_five(4000, 3)
    zi = np.array(
        [
            [NormalDist().inv_cdf(min(max(getattr(b, d), 1e-4), 1 - 1e-4)) for d in domains]
            for b in independent
        ]
    )
    assert np.allclose(np.corrcoef(zi.T), np.eye(5), atol=0.06)


def test_stratified_design_balances_levels():
    gss = load_bank(BANKS / "gss_bank.jsonl")
    chosen = stratified(gss, "political_views", 3, seed=1)
    levels = [p.demographics["political_views"] for p in chosen]
    assert len(set(levels)) == 7 and all(levels.count(v) == 3 for v in set(levels))
    bands = [b for b in (stratified(gss, "openness", 4, seed=1))]
    assert len(bands) == 12
    assert stratified(gss, "age_band", 2, seed=5) == stratified(gss, "age_band", 2, seed=5)
    with pytest.raises(ConfigError, match="too few personas"):
        stratified(gss[:20], "political_views", 10, seed=1)
    with pytest.raises(ConfigError, match="no persona in the bank has attribute"):
        stratified(gss, "shoe_size", 1, seed=1)
