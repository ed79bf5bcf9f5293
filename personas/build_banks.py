"""Rebuild the persona banks shipped in this folder (deterministic: same seeds, same files).

    python personas/build_banks.py [--gss-source ../shared/data/genagents_gss_bank.jsonl]

- mbti16.yaml: the 16 MBTI types as archetypes (Big Five derived from the type; docs/personas.md)
- binary32.yaml: the 32 high/low combinations of the five domains (PersonaLLM's design)
- gss_bank.jsonl: the 3,505 GenAgents GSS personas with Big Five drawn with seed 2025
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from sandbox.personas.banks import write_bank
from sandbox.personas.gss import personas_from_gss
from sandbox.personas.names import neutral_names
from sandbox.personas.persona import BigFive, Persona

HERE = Path(__file__).resolve().parent
GSS_SEED = 2025

# Bios written for the project: what the person does, never a type label or a 16Personalities
# nickname (the model must infer the personality, not be told its name).
MBTI_ARCHETYPES = {
    "INTJ": ("Iris", "plans years ahead and trusts her own analysis over consensus"),
    "INTP": ("Theo", "loses track of time chasing ideas and dislikes deadlines"),
    "ENTJ": ("Margot", "organises people towards ambitious goals and likes to be in charge"),
    "ENTP": ("Felix", "loves arguing both sides of a question and starting new projects"),
    "INFJ": ("Noor", "is quietly idealistic and reads people well"),
    "INFP": ("Elliot", "is guided by personal values and writes poetry in secret"),
    "ENFJ": ("Grace", "rallies people and remembers everyone's birthday"),
    "ENFP": ("Luca", "is enthusiastic and spontaneous, always full of plans"),
    "ISTJ": ("Howard", "keeps meticulous records and honours every commitment"),
    "ISFJ": ("Martha", "looks after others quietly and keeps the family traditions"),
    "ESTJ": ("Diane", "runs things by the rules and expects the same of others"),
    "ESFJ": ("Rosa", "is warm and sociable and organises every gathering"),
    "ISTP": ("Kai", "is good with tools and prefers fixing things to talking about them"),
    "ISFP": ("Juniper", "has an artist's eye and lives in the moment"),
    "ESTP": ("Dex", "acts first, takes risks and enjoys a crowd"),
    "ESFP": ("Bella", "lights up a room and hates being bored"),
}
BINARY_NAMES_SEED = 32


def mbti_bank() -> list[Persona]:
    return [
        Persona(name=name, bio=f"{name} {bio}.", mbti=mbti, seed=i)
        for i, (mbti, (name, bio)) in enumerate(MBTI_ARCHETYPES.items())
    ]


def binary_bank(high: float = 0.9, low: float = 0.1) -> list[Persona]:
    """The 32 profiles in the order E+A+C+N+O+ ... E-A-C-N-O-, each under a neutral name (the
    profile is in the scores; a name such as "binary E+A+C+N+O+" would tell the model its traits)."""
    out = []
    domains = ("extraversion", "agreeableness", "conscientiousness", "neuroticism", "openness")
    names = neutral_names(32, BINARY_NAMES_SEED)
    for name, levels in zip(names, itertools.product((1, 0), repeat=5), strict=True):
        scores = {d: (high if hi else low) for d, hi in zip(domains, levels, strict=True)}
        out.append(Persona(name=name, big_five=BigFive(**scores)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gss-source", default=str(HERE.parents[1] / "shared/data/genagents_gss_bank.jsonl")
    )
    parser.add_argument("--skip-gss", action="store_true", help="rebuild only the two small banks")
    args = parser.parse_args()
    print(write_bank(mbti_bank(), HERE / "mbti16.yaml", exclude={"big_five"}))
    print(write_bank(binary_bank(), HERE / "binary32.yaml"))
    if not args.skip_gss:
        print(write_bank(personas_from_gss(args.gss_source, GSS_SEED), HERE / "gss_bank.jsonl"))


if __name__ == "__main__":
    main()
