"""Role-play evaluation experiment files -> the worlds they run, for the four studies: theory of
mind from inner speech and trait expression (``dialogue_studies``), character fidelity and
personality from interviews (``character_studies``)."""

from __future__ import annotations

from pathlib import Path

from sandbox.scenarios.character_studies import (
    CharacterFidelityStudy,
    PersonalityInterviewStudy,
)
from sandbox.scenarios.character_studies import load_role_play_study as load_character_study
from sandbox.scenarios.character_studies import role_play_worlds as character_worlds
from sandbox.scenarios.dialogue_studies import TomStudy, TraitStudy
from sandbox.scenarios.dialogue_studies import load_role_play_study as load_dialogue_study
from sandbox.scenarios.dialogue_studies import role_play_worlds as dialogue_worlds
from sandbox.validation import read_structured_file
from sandbox.world.config import WorldConfig

RolePlayStudy = TomStudy | TraitStudy | CharacterFidelityStudy | PersonalityInterviewStudy
DIALOGUE = ("tom_inner_speech", "trait_expression")


def load_role_play_study(path: str | Path) -> RolePlayStudy:
    """The study an experiment file of one of the four role-play experiments asks for."""
    data = read_structured_file(Path(path), what="experiment file")
    if data.get("experiment") in DIALOGUE:
        return load_dialogue_study(path)
    return load_character_study(path)


def role_play_worlds(study: RolePlayStudy) -> list[tuple[str, WorldConfig]]:
    if isinstance(study, TomStudy | TraitStudy):
        return dialogue_worlds(study)
    return character_worlds(study)


__all__ = ["RolePlayStudy", "load_role_play_study", "role_play_worlds"]
