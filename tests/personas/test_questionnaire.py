import json

import pytest

from sandbox.errors import ConfigError
from sandbox.personas.questionnaire import keyed_score, load_instrument, score


@pytest.fixture(scope="module")
def ipip():
    return load_instrument("ipip-neo-120")


def test_the_instrument_has_120_items_in_30_facets(ipip):
    assert len(ipip.items) == 120
    facets = {i.facet_code for i in ipip.items}
    assert len(facets) == 30
    assert all(sum(i.facet_code == f for i in ipip.items) == 4 for f in facets)
    assert (ipip.scale_min, ipip.scale_max) == (1, 5)


def test_all_threes_give_12_per_facet_and_72_per_domain(ipip):
    s = score(ipip, {i.number: 3 for i in ipip.items})
    assert set(s.facets.values()) == {12} and len(s.facets) == 30
    assert s.domains == dict.fromkeys("NEOAC", 72)
    assert all(v == pytest.approx(0.5) for v in s.normalized.values())


def test_all_fives_follow_the_keys(ipip):
    s = score(ipip, {i.number: 5 for i in ipip.items})
    for code, value in s.facets.items():
        items = [i for i in ipip.items if i.facet_code == code]
        plus = sum(i.keyed == "plus" for i in items)
        assert value == 5 * plus + 1 * (4 - plus)
    assert s.facets["N1"] == 20  # the four anxiety items are all plus-keyed
    assert s.domains["A"] == 5 * 7 + 1 * 17  # 7 plus-keyed, 17 minus-keyed


def test_reverse_keying(ipip):
    minus = next(i for i in ipip.items if i.keyed == "minus")
    plus = next(i for i in ipip.items if i.keyed == "plus")
    assert [keyed_score(minus, a, ipip) for a in (1, 2, 3, 4, 5)] == [5, 4, 3, 2, 1]
    assert [keyed_score(plus, a, ipip) for a in (1, 5)] == [1, 5]
    with pytest.raises(ValueError, match=r"outside the scale 1\.\.5"):
        keyed_score(plus, 6, ipip)


def test_a_partial_sheet_scores_only_complete_facets(ipip):
    answers = {i.number: 4 for i in ipip.items if i.facet_code != "N1"}
    s = score(ipip, answers)
    assert "N1" not in s.facets and "N2" in s.facets
    assert "N" not in s.domains and "E" in s.domains
    assert s.answered == 116


def test_a_user_instrument_file_works(tmp_path):
    mini = {
        "instrument": "mini",
        "instructions": "Rate yourself.",
        "scale": {"1": "no", "2": "maybe", "3": "yes"},
        "domains": {"E": "Extraversion"},
        "items": [
            {
                "number": 1,
                "text": "Am the life of the party",
                "domain": "E",
                "facet": 1,
                "keyed": "plus",
            },
            {
                "number": 2,
                "text": "Keep in the background",
                "domain": "E",
                "facet": 1,
                "keyed": "minus",
            },
        ],
    }
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(mini))
    inst = load_instrument(path)
    s = score(inst, {1: 3, 2: 1})
    assert s.domains == {"E": 6} and s.normalized == {"extraversion": 1.0}


def test_bad_instrument_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match="no instrument 'nope'"):
        load_instrument("nope")
    bad = tmp_path / "bad.json"
    bad.write_text('{"instrument": "x"}')
    with pytest.raises(ConfigError, match=r"bad\.json: not a valid instrument file"):
        load_instrument(bad)
