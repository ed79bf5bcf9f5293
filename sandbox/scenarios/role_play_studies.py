"""Role-play evaluation experiment files -> the worlds they run, for the four studies: theory of
mind from inner speech and trait expression (``dialogue_studies``), character fidelity and
personality from interviews (``character_studies``), each found by the ``Experiment`` its module
registers (``sandbox.scenarios.registry``)."""

from __future__ import annotations

from pathlib import Path

from sandbox.errors import ConfigError
from sandbox.scenarios.character_studies import (
    CharacterFidelityStudy,
    PersonalityInterviewStudy,
)
from sandbox.scenarios.dialogue_studies import TomStudy, TraitStudy
from sandbox.scenarios.registry import find_experiment
from sandbox.validation import read_structured_file
from sandbox.world.config import WorldConfig

RolePlayStudy = TomStudy | TraitStudy | CharacterFidelityStudy | PersonalityInterviewStudy


def load_role_play_study(path: str | Path) -> RolePlayStudy:
    """The study an experiment file of one of the four role-play experiments asks for."""
    data = read_structured_file(Path(path), what="experiment file")
    entry = find_experiment(str(data.get("experiment")))
    if entry is None:
        raise ConfigError(f"{path}: not a role-play experiment file ({data.get('experiment')!r})")
    return entry.load(Path(path))  # type: ignore[return-value]


def role_play_worlds(study: RolePlayStudy) -> list[tuple[str, WorldConfig]]:
    entry = find_experiment(study.experiment)
    assert entry is not None, study.experiment
    return entry.worlds(study)


__all__ = ["RolePlayStudy", "load_role_play_study", "role_play_worlds"]
