import math

import pytest
from pydantic import ValidationError

from sandbox.personas.mbti import MBTI_CORRELATIONS, expected_big_five
from sandbox.personas.persona import BigFive, Persona
from sandbox.personas.wording import binary_sentence, level_phrase, render, trait_level


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.0, 1),
        (1 / 9 - 1e-9, 1),
        (1 / 9, 2),
        (0.3, 3),
        (0.4, 4),
        (0.5, 5),
        (0.6, 6),
        (0.7, 7),
        (0.85, 8),
        (8 / 9, 9),
        (1.0, 9),
    ],
)
def test_nine_levels_are_equal_bins(score, level):
    assert trait_level(score) == level


def test_level_phrases():
    assert [level_phrase(k, "quiet", "talkative") for k in range(1, 10)] == [
        "extremely quiet",
        "very quiet",
        "quiet",
        "a bit quiet",
        "neither quiet nor talkative",
        "a bit talkative",
        "talkative",
        "very talkative",
        "extremely talkative",
    ]


def test_facets_override_their_domain_in_nine_level_wording():
    p = Persona(name="A", big_five={"extraversion": 0.95, "facets": {"E1": 0.05}})
    text = render(p, "nine_level")
    assert "extremely distant" in text and "extremely sociable" in text


def test_binary_sentence_is_personallms():
    b = BigFive(
        extraversion=0.9, agreeableness=0.1, conscientiousness=0.9, neuroticism=0.1, openness=0.9
    )
    assert binary_sentence(b) == (
        "You are a character who is extroverted, antagonistic, conscientious, emotionally stable, "
        "and open to experience."
    )


def test_biography_mentions_values_traits_and_demographics():
    p = Persona(
        name="Bo",
        age=40,
        occupation="nurse",
        values=["fairness"],
        traits=["punctual"],
        demographics={"religion": "None"},
    )
    text = render(p, "biography")
    for part in ("Bo (40 years old, works as nurse)", "fairness", "punctual", "religion: None"):
        assert part in text


def test_mbti_only_derives_big_five_from_published_correlations():
    p = Persona(name="X", mbti="entj", seed=1)
    assert p.mbti == "ENTJ"
    expected = expected_big_five("ENTJ")
    r_e = MBTI_CORRELATIONS["extraversion"][2]
    assert expected.extraversion == pytest.approx(
        0.5 * (1 + math.erf(r_e * math.sqrt(2 / math.pi) / math.sqrt(2))), abs=1e-4
    )
    assert p.big_five.extraversion == expected.extraversion > 0.7
    assert p.big_five.openness == expected.openness > 0.7  # N pole
    assert p.big_five.agreeableness == expected.agreeableness < 0.4  # T pole
    assert p.big_five.conscientiousness == expected.conscientiousness > 0.6  # J pole
    # Neuroticism is drawn from the prior with the persona's seed: same seed, same draw
    assert Persona(name="X", mbti="ENTJ", seed=1).big_five == p.big_five
    assert Persona(name="X", mbti="ENTJ", seed=2).big_five.neuroticism != p.big_five.neuroticism
    # explicit Big Five win over the type
    assert (
        Persona(name="X", mbti="ENTJ", big_five={"extraversion": 0.1}).big_five.extraversion == 0.1
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "X", "mbti": "XYZW"}, "mbti"),
        ({"name": "X", "big_five": {"openness": 2}}, "big_five.openness"),
        ({"name": "X", "big_five": {"facets": {"Q9": 0.5}}}, "big_five.facets"),
        ({"name": "X", "favourite_colour": "red"}, "favourite_colour"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_personas_name_the_field(data, field):
    with pytest.raises(ValidationError) as info:
        Persona.model_validate(data)
    assert field in str(info.value)
