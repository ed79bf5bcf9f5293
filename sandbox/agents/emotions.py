"""Emotion vectors over Plutchik's eight basic emotions (after Emotional RAG).

Each memory carries e in [1, 10]^8. A language model scores them with importance (same call); the
heuristic backend and query texts use the small lexicon below: 1 + 3 per matching word, capped at 10.
"""

from __future__ import annotations

import re

import numpy as np

EMOTIONS = ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation")

LEXICON: dict[str, tuple[str, ...]] = {
    "joy": (
        "happy",
        "glad",
        "love",
        "lovely",
        "fun",
        "party",
        "celebrate",
        "laugh",
        "enjoy",
        "great",
    ),
    "trust": ("trust", "friend", "agree", "help", "thanks", "kind", "together", "reliable"),
    "fear": ("worry", "afraid", "scared", "nervous", "danger", "anxious", "storm", "risk"),
    "surprise": ("surprise", "sudden", "unexpected", "wow", "news", "announce", "heard"),
    "sadness": ("sad", "alone", "lonely", "miss", "tired", "gloomy", "drizzle", "rain", "lost"),
    "disgust": ("gross", "disgusting", "awful", "dirty", "rude"),
    "anger": ("angry", "annoyed", "unfair", "furious", "argue", "differently", "not so sure"),
    "anticipation": ("plan", "tomorrow", "soon", "will", "going", "invite", "expect", "later"),
}
_WORD = re.compile(r"[a-z']+")


def lexicon_emotions(text: str) -> list[float]:
    words = text.lower()
    tokens = set(_WORD.findall(words))
    out = []
    for emotion in EMOTIONS:
        hits = sum(1 for w in LEXICON[emotion] if (w in tokens if " " not in w else w in words))
        out.append(float(min(10, 1 + 3 * hits)))
    return out


def emotion_distance(query: np.ndarray, memories: np.ndarray) -> np.ndarray:
    """1 - cosine similarity between a query's emotion vector and each memory's."""
    q = query / (np.linalg.norm(query) or 1.0)
    norms = np.linalg.norm(memories, axis=1)
    norms[norms == 0] = 1.0
    return 1.0 - (memories @ q) / norms
