"""settings.public_goods_group is gone: a study that sets it is refused in one line that names
group_size; runs recorded with it (at its old default) still load."""

import pytest

from sandbox.errors import ConfigError
from sandbox.scenarios.game_theory import GameSettings
from sandbox.scenarios.games import GamesRules
from sandbox.scenarios.social_studies import load_social_study, social_worlds
from tests.conftest import ROOT


def study_file(tmp_path, settings):
    text = (ROOT / "experiments" / "games.yaml").read_text()
    text = text.replace("bank: ../personas/", f"bank: {ROOT}/personas/")
    text = text.replace("  pd_rounds: 5\n", f"  pd_rounds: 5\n{settings}")
    path = tmp_path / "games.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("size", [4, 6])
def test_a_study_that_sets_public_goods_group_is_refused(tmp_path, size):
    with pytest.raises(ConfigError, match=r"public_goods_group.*group_size") as err:
        load_social_study(study_file(tmp_path, f"  public_goods_group: {size}\n"))
    assert "\n" not in str(err.value).strip()


def test_group_size_sets_the_public_goods_groups(tmp_path):
    study = load_social_study(study_file(tmp_path, "")).model_copy(update={"group_size": 3})
    [(_, world)] = social_worlds(study)
    assert {len(g) for g in world.scenario["groups"]} == {3}
    assert "public_goods_group" not in world.scenario["settings"]


def test_a_recorded_games_run_with_the_old_default_still_loads(tmp_path):
    [(_, world)] = social_worlds(load_social_study(study_file(tmp_path, "")))
    spec = {**world.scenario, "settings": {**world.scenario["settings"], "public_goods_group": 4}}
    GamesRules.from_spec(spec)  # as recorded by versions that wrote the unused setting
    with pytest.raises(ValueError, match="group_size"):
        GameSettings.model_validate({"public_goods_group": 5})
