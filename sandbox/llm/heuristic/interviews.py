"""The judge of end-of-run interviews (``interview.judge``) and query emotion scoring
(``memory.emotions``), offline.

It says "knows" when the answer names the subject (any of its content words) and does not start by
saying the person does not remember: a reading of the answer, not of the memory stream.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

_WORD = re.compile(r"[a-z']+")
_STOP = {"a", "an", "the", "of", "at", "in", "on", "to", "and", "s", "day", "day's"}


def judge_knowledge(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    answer = str(facts["answer"]).lower()
    words = {w for w in _WORD.findall(str(facts["subject"]).lower()) if w not in _STOP}
    denies = answer.startswith(("honestly, i don't remember", "i don't know", "no"))
    knows = bool(words & set(_WORD.findall(answer))) and not denies
    reason = "the answer mentions it" if knows else "the answer shows no knowledge of it"
    return {"knows": knows, "reason": reason}


def score_emotions(facts: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    """``memory.emotions`` offline: the word lexicon's vector, which the request carries in its
    facts (the same as ``emotion_source: lexicon``)."""
    return {"emotions": [int(e) for e in facts["lexicon"]]}
