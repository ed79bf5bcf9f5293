import pytest

from sandbox.errors import ConfigError
from sandbox.world.config import load_world

GOOD = """
name: Tiny
places:
  - {name: hall}
agents:
  - start: hall
    persona: {name: Ann, big_five: {openness: 0.4}}
"""


def write(tmp_path, text, name="world.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_minimal_world_loads_with_defaults(tmp_path):
    config = load_world(write(tmp_path, GOOD))
    assert config.minutes_per_tick == 10 and config.personas[0].big_five.openness == 0.4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("name: Tiny", "name: Tiny\nticks_per_day: 3"),
            "ticks_per_day: unknown field",
        ),
        (
            GOOD.replace("openness: 0.4", "openness: 1.4"),
            "agents[0].persona.big_five.openness: Input should be less than or equal to 1 (got 1.4)",
        ),
        (GOOD.replace("start: hall", "start: roof"), "'roof', which is not a place"),
        (GOOD.replace("{name: Ann,", "{nme: Ann,"), "agents[0].persona.nme: unknown field"),
        (GOOD + "  - start: hall\n    persona: {name: Ann}\n", "agent names must be unique"),
        ("name: [unclosed", "invalid YAML"),
        ("- just a list", "must be a mapping"),
    ],
)
def test_bad_world_files_name_file_field_and_expectation(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_world(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_persona_files_are_inlined_relative_to_the_world(tmp_path):
    (tmp_path / "people").mkdir()
    (tmp_path / "people" / "ann.yaml").write_text("name: Ann\nage: 30\nbio: Likes tea.\n")
    text = GOOD.replace(
        "persona: {name: Ann, big_five: {openness: 0.4}}", "persona_file: people/ann.yaml"
    )
    config = load_world(write(tmp_path, text))
    assert config.personas[0].age == 30


def test_missing_persona_file_is_named(tmp_path):
    text = GOOD.replace(
        "persona: {name: Ann, big_five: {openness: 0.4}}", "persona_file: people/nobody.yaml"
    )
    with pytest.raises(ConfigError, match=r"persona file not found: .*people/nobody.yaml"):
        load_world(write(tmp_path, text))


def test_missing_world_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="world file not found"):
        load_world(tmp_path / "nope.yaml")
