from sandbox.personas.attributes import attribute_label, describe_level, sentence_case
from sandbox.personas.banks import load_bank
from sandbox.personas.names import NEUTRAL_NAMES, neutral_names, with_neutral_names
from sandbox.personas.persona import Persona
from sandbox.personas.wording import render
from tests.conftest import ROOT


def test_neutral_names_are_seeded_distinct_and_extend_past_the_list():
    assert neutral_names(10, 1) == neutral_names(10, 1) != neutral_names(10, 2)
    many = neutral_names(len(NEUTRAL_NAMES) + 5, 3)
    assert len(set(many)) == len(many) and many[-1].endswith(".")


def test_a_renamed_persona_keeps_its_bank_name_hidden():
    person = Persona(name="Ethan Robinson", bio="Ethan Robinson is 25. Ethan likes maps.", age=25)
    [renamed] = with_neutral_names([person], seed=0)
    assert renamed.demographics["bank_id"] == "Ethan Robinson"
    assert "Ethan" not in renamed.bio and renamed.bio.startswith(renamed.name)
    assert "Ethan" not in render(renamed, "biography")


def test_shipped_banks_show_no_trait_code_as_a_name():
    for bank in ("binary32.yaml", "mbti16.yaml"):
        for persona in load_bank(ROOT / "personas" / bank):
            assert "+" not in persona.name and "binary" not in persona.name


def test_group_labels_keep_their_case():
    label = describe_level("political_views", "Liberal")
    assert sentence_case(label) == "People whose political views is 'Liberal'"
    assert attribute_label("age_band") == "age"
