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
from sandbox.personas.persona import BigFive, Persona

HERE = Path(__file__).resolve().parent
GSS_SEED = 2025

MBTI_ARCHETYPES = {
    "INTJ": (
        "Iris",
        "a strategist who plans years ahead and trusts her own analysis over consensus",
    ),
    "INTP": ("Theo", "a theorist who loses track of time chasing ideas and dislikes deadlines"),
    "ENTJ": ("Margot", "a commander who organises people towards ambitious goals"),
    "ENTP": ("Felix", "a debater who loves arguing both sides and starting new projects"),
    "INFJ": ("Noor", "an advocate, quietly idealistic, who reads people well"),
    "INFP": ("Elliot", "a mediator guided by personal values, who writes poetry in secret"),
    "ENFJ": ("Grace", "a protagonist who rallies people and remembers everyone's birthday"),
    "ENFP": ("Luca", "a campaigner, enthusiastic and spontaneous, full of plans"),
    "ISTJ": ("Howard", "a logistician who keeps meticulous records and honours commitments"),
    "ISFJ": ("Martha", "a defender who looks after others quietly and keeps traditions"),
    "ESTJ": ("Diane", "an executive who runs things by the rules and expects the same of others"),
    "ESFJ": ("Rosa", "a consul, warm and sociable, who organises every gathering"),
    "ISTP": ("Kai", "a virtuoso with tools who prefers fixing things to talking about them"),
    "ISFP": ("Juniper", "an adventurer with an artist's eye who lives in the moment"),
    "ESTP": ("Dex", "an entrepreneur who acts first, takes risks and enjoys a crowd"),
    "ESFP": ("Bella", "an entertainer who lights up a room and hates being bored"),
}


def mbti_bank() -> list[Persona]:
    return [
        Persona(name=name, bio=f"{name} is {bio}.", mbti=mbti, seed=i)
        for i, (mbti, (name, bio)) in enumerate(MBTI_ARCHETYPES.items())
    ]


def binary_bank(high: float = 0.9, low: float = 0.1) -> list[Persona]:
    out = []
    domains = ("extraversion", "agreeableness", "conscientiousness", "neuroticism", "openness")
    for levels in itertools.product((1, 0), repeat=5):
        code = "".join(
            f"{d[0].upper()}{'+' if hi else '-'}" for d, hi in zip(domains, levels, strict=True)
        )
        scores = {d: (high if hi else low) for d, hi in zip(domains, levels, strict=True)}
        out.append(Persona(name=f"binary {code}", big_five=BigFive(**scores)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gss-source", default=str(HERE.parents[1] / "shared/data/genagents_gss_bank.jsonl")
    )
    args = parser.parse_args()
    print(write_bank(mbti_bank(), HERE / "mbti16.yaml", exclude={"big_five"}))
    print(write_bank(binary_bank(), HERE / "binary32.yaml"))
    print(write_bank(personas_from_gss(args.gss_source, GSS_SEED), HERE / "gss_bank.jsonl"))


if __name__ == "__main__":
    main()
