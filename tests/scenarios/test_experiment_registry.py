"""Experiment kinds register themselves (issue #12): the runner finds a study's loader, worlds and
evaluation through ``EXPERIMENTS`` in its module, with no list or if/elif of kinds to edit."""

from pathlib import Path

import pytest

from sandbox.errors import ConfigError
from sandbox.runner.experiment import kinds, load_experiment, plan_worlds
from sandbox.scenarios.registry import find_experiment, registered_experiments

ROOT = Path(__file__).resolve().parents[2]
ROLE_PLAY = ["tom_inner_speech", "trait_expression", "character_fidelity", "personality_interview"]


def test_the_role_play_studies_are_registered_with_their_tables():
    found = registered_experiments()
    assert sorted(found) == sorted(ROLE_PLAY)
    assert found["tom_inner_speech"].tables == ("tom_items", "tom_answers")
    assert found["trait_expression"].resumable and not found["character_fidelity"].resumable
    assert all(e.evaluate is not None for e in found.values())
    assert set(ROLE_PLAY) <= set(kinds()) and "trust" in kinds()


@pytest.mark.parametrize("kind", ROLE_PLAY)
def test_an_experiment_file_is_loaded_and_planned_by_its_registered_entry(kind):
    entry = find_experiment(kind)
    assert entry is not None
    plan = load_experiment(ROOT / "experiments" / f"{kind}.yaml")
    assert plan.kind == kind and isinstance(plan.study, entry.study)
    worlds = plan_worlds(plan)
    assert worlds and worlds == entry.worlds(plan.study)


def test_a_kind_nobody_registered_is_refused_with_the_known_ones(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("experiment: telepathy\nmodels: [heuristic]\n")
    with pytest.raises(ConfigError, match=r"unknown experiment 'telepathy'.*personality_interview"):
        load_experiment(path)
    assert find_experiment("telepathy") is None
