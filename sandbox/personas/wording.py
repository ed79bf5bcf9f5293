"""Persona -> prompt text, in three styles with calibrated trait wording.

``nine_level`` (after Serapio-García et al. 2023): each facet's score in [0, 1] maps to one of nine
levels, equal-width bins of 1/9 (``trait_level``), worded with the facet's adjective pair:

    level 1 "extremely <low>"   2 "very <low>"   3 "<low>"   4 "a bit <low>"
    level 5 "neither <low> nor <high>"
    level 6 "a bit <high>"      7 "<high>"       8 "very <high>"   9 "extremely <high>"

A facet without its own score takes its domain's. ``binary`` is PersonaLLM's sentence (Jiang et al.
2024): each domain high (score >= 0.5) or low. ``biography`` is prose: identity, bio, values,
demographics (without identifiers or analysis bands; see ``is_hidden_demographic``) and one
calibrated phrase per domain.
"""

from __future__ import annotations

from typing import Literal

from sandbox.personas.persona import BIG_FIVE_DOMAINS, DOMAIN_CODES, BigFive, Persona
from sandbox.quoting import PromptText, one_line, quote

WordingStyle = Literal["nine_level", "binary", "biography"]
WORDING_STYLES: tuple[str, ...] = ("nine_level", "binary", "biography")

# (low pole, high pole) per domain, for one phrase per domain.
DOMAIN_ADJECTIVES: dict[str, tuple[str, str]] = {
    "openness": ("conventional and uncurious", "curious and imaginative"),
    "conscientiousness": ("disorganised and careless", "organised and hardworking"),
    "extraversion": ("reserved and quiet", "outgoing and talkative"),
    "agreeableness": ("critical and blunt", "warm and cooperative"),
    "neuroticism": ("calm and emotionally stable", "anxious and easily upset"),
}

# (low pole, high pole) per facet, written for this project.
FACET_ADJECTIVES: dict[str, tuple[str, str]] = {
    "N1": ("relaxed", "tense"), "N2": ("even-tempered", "irritable"),
    "N3": ("contented", "gloomy"), "N4": ("self-assured", "self-conscious"),
    "N5": ("self-controlled", "impulsive"), "N6": ("resilient", "easily overwhelmed"),
    "E1": ("distant", "friendly"), "E2": ("solitary", "sociable"),
    "E3": ("submissive", "assertive"), "E4": ("leisurely", "energetic"),
    "E5": ("low-key", "thrill-seeking"), "E6": ("sombre", "cheerful"),
    "O1": ("down-to-earth", "imaginative"), "O2": ("uninterested in art", "artistic"),
    "O3": ("unemotional", "emotionally aware"), "O4": ("set in my ways", "adventurous"),
    "O5": ("incurious", "intellectual"), "O6": ("traditional", "progressive"),
    "A1": ("distrustful", "trusting"), "A2": ("calculating", "sincere"),
    "A3": ("self-serving", "generous"), "A4": ("combative", "cooperative"),
    "A5": ("boastful", "modest"), "A6": ("hard-hearted", "compassionate"),
    "C1": ("unsure of myself", "capable"), "C2": ("messy", "orderly"),
    "C3": ("unreliable", "dutiful"), "C4": ("unambitious", "ambitious"),
    "C5": ("lazy", "self-disciplined"), "C6": ("rash", "careful"),
}  # fmt: skip

# PersonaLLM's binary words: domain -> (low, high).
BINARY_WORDS: dict[str, tuple[str, str]] = {
    "extraversion": ("introverted", "extroverted"),
    "agreeableness": ("antagonistic", "agreeable"),
    "conscientiousness": ("unconscientious", "conscientious"),
    "neuroticism": ("emotionally stable", "neurotic"),
    "openness": ("closed to experience", "open to experience"),
}
_BINARY_ORDER = ("extraversion", "agreeableness", "conscientiousness", "neuroticism", "openness")

_QUALIFIERS = {1: "extremely ", 2: "very ", 3: "", 4: "a bit ", 6: "a bit ", 7: "", 8: "very ",
               9: "extremely "}  # fmt: skip


def trait_level(score: float) -> int:
    """The nine-level bin (1..9) of a score in [0, 1]: [0, 1/9) -> 1, ..., [8/9, 1] -> 9."""
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"trait score must be in [0, 1], got {score}")
    return min(9, int(score * 9) + 1)


def level_phrase(level: int, low: str, high: str) -> str:
    if level == 5:
        return f"neither {low} nor {high}"
    return _QUALIFIERS[level] + (low if level < 5 else high)


def trait_phrase(domain: str, score: float) -> str:
    low, high = DOMAIN_ADJECTIVES[domain]
    return level_phrase(trait_level(score), low, high)


def facet_phrases(big_five: BigFive, domain: str) -> list[str]:
    code = DOMAIN_CODES[domain]
    out = []
    for i in range(1, 7):
        facet = f"{code}{i}"
        low, high = FACET_ADJECTIVES[facet]
        out.append(level_phrase(trait_level(big_five.facet(facet)), low, high))
    return out


def binary_sentence(big_five: BigFive) -> str:
    words = []
    for domain in _BINARY_ORDER:
        low, high = BINARY_WORDS[domain]
        words.append(high if getattr(big_five, domain) >= 0.5 else low)
    return f"You are a character who is {', '.join(words[:-1])}, and {words[-1]}."


def _identity(persona: Persona) -> str:
    facts = []
    if persona.age is not None:
        facts.append(f"{persona.age} years old")
    if persona.occupation:
        facts.append(f"works as {persona.occupation}")
    return persona.name + (f" ({', '.join(facts)})" if facts else "")


def is_hidden_demographic(key: str) -> bool:
    """Keys a persona never sees about itself: record identifiers (``id``, ``gss_id``) and bands
    derived for analysis (``age_band``; the age itself is shown)."""
    return key == "id" or key.endswith(("_id", "_band"))


def shown_demographics(persona: Persona) -> list[tuple[str, object]]:
    """The demographics a prompt shows, sorted by key (so the wording does not depend on the
    order a file or a database stored them in)."""
    return sorted(
        (k, v)
        for k, v in persona.demographics.items()
        if v is not None and not is_hidden_demographic(k)
    )


def render(persona: Persona, style: WordingStyle = "biography") -> PromptText:
    """The persona as prompt text in one of ``WORDING_STYLES``: the bio quoted, every other free
    text field kept to its line (see ``sandbox.quoting``)."""
    if style == "binary":
        return PromptText(binary_sentence(persona.big_five))
    if style == "nine_level":
        phrases = [p for d in BIG_FIVE_DOMAINS for p in facet_phrases(persona.big_five, d)]
        head = f"{quote(persona.bio.strip())} " if persona.bio.strip() else ""
        return PromptText(f"{head}I'm {', '.join(phrases[:-1])}, and {phrases[-1]}.")
    if style != "biography":
        raise ValueError(f"unknown wording style {style!r}; choose one of {WORDING_STYLES}")
    lines = [f"Who you are: {_identity(persona)}."]
    if persona.bio.strip():
        lines.append(f"Your bio: {quote(persona.bio.strip())}")
    shown = shown_demographics(persona)
    if shown:
        lines.append(
            "About you: " + "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in shown) + "."
        )
    if persona.values:
        lines.append(f"What you value: {', '.join(persona.values)}.")
    if persona.traits:
        lines.append(f"People describe you as {', '.join(persona.traits)}.")
    traits = "; ".join(trait_phrase(d, getattr(persona.big_five, d)) for d in BIG_FIVE_DOMAINS)
    lines.append(f"Your personality: {traits}.")
    return PromptText("\n".join(one_line(line) for line in lines))


def describe(persona: Persona) -> str:
    """The default description used in agent prompts (the biography style)."""
    return render(persona, "biography")
