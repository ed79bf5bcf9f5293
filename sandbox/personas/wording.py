"""Persona -> prompt text, with calibrated trait wording.

Each Big Five score in [0, 1] maps to one of nine levels (equal-width bins of 1/9), worded after
Serapio-García et al. (2023): 1 "extremely <low>", 2 "very <low>", 3 "<low>", 4 "a bit <low>",
5 "neither <low> nor <high>", 6 "a bit <high>", 7 "<high>", 8 "very <high>", 9 "extremely <high>".
"""

from __future__ import annotations

from sandbox.personas.persona import BIG_FIVE_DOMAINS, Persona

DOMAIN_ADJECTIVES: dict[str, tuple[str, str]] = {
    "openness": ("conventional and uncurious", "curious and imaginative"),
    "conscientiousness": ("disorganised and careless", "organised and hardworking"),
    "extraversion": ("reserved and quiet", "outgoing and talkative"),
    "agreeableness": ("critical and blunt", "warm and cooperative"),
    "neuroticism": ("calm and emotionally stable", "anxious and easily upset"),
}

_QUALIFIERS = {
    1: "extremely ",
    2: "very ",
    3: "",
    4: "a bit ",
    6: "a bit ",
    7: "",
    8: "very ",
    9: "extremely ",
}


def trait_level(score: float) -> int:
    """The nine-level bin (1..9) of a score in [0, 1]."""
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"trait score must be in [0, 1], got {score}")
    return min(9, int(score * 9) + 1)


def trait_phrase(domain: str, score: float) -> str:
    low, high = DOMAIN_ADJECTIVES[domain]
    level = trait_level(score)
    if level == 5:
        return f"neither {low} nor {high}"
    return _QUALIFIERS[level] + (low if level < 5 else high)


def describe(persona: Persona) -> str:
    """A short second-person description of the persona for a system prompt."""
    who = persona.name
    facts = []
    if persona.age is not None:
        facts.append(f"{persona.age} years old")
    if persona.occupation:
        facts.append(f"works as {persona.occupation}")
    head = f"{who}" + (f" ({', '.join(facts)})" if facts else "")
    traits = "; ".join(trait_phrase(d, getattr(persona.big_five, d)) for d in BIG_FIVE_DOMAINS)
    lines = [f"Who you are: {head}."]
    if persona.bio:
        lines.append(persona.bio.strip())
    lines.append(f"Your personality: {traits}.")
    return "\n".join(lines)
