"""Offline policies of the trait-expression study: a lexical baseline, not a model.

``trait_expression.turn``: a message holds a cue sentence of the card's trait and pole with a
probability that grows with intensity (a bit .45, plain .65, very .80, extremely .95; two cue
sentences at "extremely"), else a neutral remark on the topic; with probability .25 it also holds
a cue of another trait or pole (noise). So the intensity gradient is built in.

``trait_expression.judge``: counts, for each trait and pole, the messages' words found in a cue
lexicon (``LEXICON``: the words of the cue sentences plus a few synonyms) and names the trait and
pole with the most; none found: ``undetermined``; ties: the seeded draw among the tied.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from sandbox.llm.heuristic import Policy

CUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("extraversion", "high"): (
        "I love meeting new people.",
        "Let's get everyone together, it would be so much fun!",
        "I could talk about this all night with a big group.",
    ),
    ("extraversion", "low"): (
        "I'd rather keep to myself.",
        "A quiet evening alone at home suits me better.",
        "I mostly listen; big crowds wear me out.",
    ),
    ("agreeableness", "high"): (
        "I completely understand how you feel.",
        "Let's find something that works for both of us.",
        "I'm always happy to help out.",
    ),
    ("agreeableness", "low"): (
        "Honestly, you're wrong about that.",
        "I don't really care what others think.",
        "People should sort out their own problems.",
    ),
    ("conscientiousness", "high"): (
        "I always make a careful plan first.",
        "I like to get things done on schedule.",
        "Let me organise the details and double-check them.",
    ),
    ("conscientiousness", "low"): (
        "I'll figure it out later, whatever.",
        "Plans are overrated; I just wing it.",
        "I forgot about the deadline again.",
    ),
    ("neuroticism", "high"): (
        "This really worries me.",
        "I get so anxious and tense about it.",
        "What if it all goes wrong? I can't stop stressing.",
    ),
    ("neuroticism", "low"): (
        "I'm not worried at all.",
        "It'll work out fine; I stay calm about these things.",
        "Nothing much stresses me, I'm relaxed.",
    ),
    ("openness", "high"): (
        "What a fascinating idea!",
        "I love trying something new and unusual.",
        "Imagine the possibilities; I'm curious about other views.",
    ),
    ("openness", "low"): (
        "I stick with what I know.",
        "The usual, traditional way is fine by me.",
        "I don't see the point of new ideas; keep it simple.",
    ),
}
PROBABILITY = {"a bit": 0.45, "plain": 0.65, "very": 0.80, "extremely": 0.95}
NOISE = 0.25
NEUTRAL = (
    "I see what you mean about {topic}.",
    "That's one way to look at {topic}.",
    "Hm, {topic} comes up a lot these days.",
)

_WORD = re.compile(r"[a-z']+")
_STOP = frozenset(
    [
        "i", "i'm", "i'd", "i'll", "a", "an", "the", "to", "of", "it", "and", "me", "my", "is",
        "be", "about", "what", "that", "this", "with", "at", "on", "so", "all", "let's", "for",
        "you", "you're", "it'll", "would", "could", "don't", "can't", "really", "just", "much",
        "things", "these", "them", "others", "own", "out", "up", "if", "go", "goes", "way",
        "again", "better", "first", "new", "big", "always", "think",
    ]
)  # fmt: skip
_SYNONYMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("extraversion", "high"): ("party", "friends", "exciting", "chat"),
    ("extraversion", "low"): ("quietly", "solitude", "alone"),
    ("agreeableness", "high"): ("kind", "sorry", "agree", "together"),
    ("agreeableness", "low"): ("stupid", "nonsense", "whatever"),
    ("conscientiousness", "high"): ("organised", "prepared", "responsible"),
    ("conscientiousness", "low"): ("lazy", "messy", "later"),
    ("neuroticism", "high"): ("nervous", "afraid", "upset", "scared"),
    ("neuroticism", "low"): ("fine", "relaxed", "calm", "easy"),
    ("openness", "high"): ("creative", "art", "explore", "curious"),
    ("openness", "low"): ("familiar", "traditional", "usual"),
}


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2]


LEXICON: dict[tuple[str, str], frozenset[str]] = {
    key: frozenset(w for s in sentences for w in _words(s)) | frozenset(_SYNONYMS[key])
    for key, sentences in CUES.items()
}


def turn(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    key = (facts["trait"], facts["direction"])
    parts = []
    if rng.random() < PROBABILITY[facts["intensity"]]:
        k = 2 if facts["intensity"] == "extremely" else 1
        parts.extend(rng.sample(CUES[key], k))
    else:
        parts.append(rng.choice(NEUTRAL).format(topic=facts["topic"].rstrip("?.").lower()))
    if rng.random() < NOISE:
        other = rng.choice([k for k in CUES if k != key])
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(CUES[other]))
    return {"message": " ".join(parts)}


def judge(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    words = [w for line in facts["lines"] for w in _words(line)]
    scores = {key: sum(w in lexicon for w in words) for key, lexicon in LEXICON.items()}
    best = max(scores.values())
    if best == 0:
        return {"trait": "undetermined", "direction": None, "reason": "no cue word"}
    tied = sorted(k for k, v in scores.items() if v == best)
    trait, direction = rng.choice(tied)
    return {"trait": trait, "direction": direction, "reason": f"{best} cue words"}


POLICIES: dict[str, Policy] = {"trait_expression.turn": turn, "trait_expression.judge": judge}
"""Registered through the scenario's ``SCENARIO`` entry when a world file names it."""
