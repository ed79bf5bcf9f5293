"""The SQLite schema of a trajectory file, versioned. Documented in docs/trajectory-schema.md."""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 14
# Version history: 1 = runs, agents, ticks, events, actions, thoughts, llm_calls;
# 2 = adds surveys and survey_scores; 3 = adds beliefs, and actions.value / actions.data;
# 4 = adds memories and interviews; 5 = adds ticks.n_thoughts / ticks.n_beliefs (the ticks row is
# written last in its transaction and its counts are checked on reopen, see store/integrity.py).
# 6 = adds segments (the settings of each stretch of ticks run with one model, server and seed).
# 7 = adds memories.importance_error, emotions_source and emotions_error (a failed score is NULL
# with its error; where emotions came from).
# 8 = adds ticks.state_delta: a tick's checkpoint is a full ``state`` every 100 ticks (and at the
#     first tick after a (re)start) and otherwise only a delta (sandbox/store/checkpoint.py).
# 9 = adds interviews.judged (end-of-run interviews, judged).
# 10 = adds metrics (per-tick model and agent metrics, what world.datacollector collects).
# 11 = adds audiences and events.audience_ref: an audience of many names (a crowded place) is
#      stored once in ``audiences`` and events refer to it (their ``audience`` is NULL); small
#      audiences stay inline. Readers expand it (``AUDIENCE_SQL``, ``RunReader.rows``).
# 12 = adds tom_items, tom_answers (theory of mind from inner speech) and trait_judgements (trait
#      expression in dialogue): role-play evaluation studies, written after the run's ticks.
# 13 = adds fidelity_critiques and fidelity_scores (character fidelity), persona_interview_items,
#      persona_interview_answers and persona_interview_scores (personality from interviews).
# 14 = no new table: a tick's checkpoint names its pending events and the agents' observations as
#      rows of ``events`` (``from_events``, sandbox/store/state_events.py) instead of repeating
#      them; an older sandbox would resume such a file without them, so it refuses version 14.
#      New files have no index on llm_calls.cache_key (unused; costly to keep at 10,000 calls).
# An older file is upgraded in place when it is reopened for writing.

# table -> (columns, primary key, indexes). Columns map to sqlite-utils column types.
TABLES: dict[str, tuple[dict[str, Any], str | None, list[list[str]]]] = {
    "meta": ({"key": str, "value": str}, "key", []),
    "runs": (
        {
            "id": str,
            "name": str,
            "world_file": str,
            "config": str,
            "seed": int,
            "model": str,
            "api_base": str,
            "ticks_planned": int,
            "last_tick": int,
            "status": str,
            "error": str,
            "created_at": str,
            "finished_at": str,
            "versions": str,
            "prompt_hashes": str,
            "settings": str,
        },
        "id",
        [],
    ),
    "agents": (
        {
            "name": str,
            "persona": str,
            "start_place": str,
            "openness": float,
            "conscientiousness": float,
            "extraversion": float,
            "agreeableness": float,
            "neuroticism": float,
        },
        "name",
        [],
    ),
    "ticks": (
        {
            "tick": int,
            "sim_time": str,
            "wall_s": float,
            "n_events": int,
            "n_actions": int,
            "n_calls": int,
            "n_thoughts": int,
            "n_beliefs": int,
            "state": str,
            "committed_at": str,
            "state_delta": str,
        },
        "tick",
        [],
    ),
    "events": (
        {
            "id": int,
            "tick": int,
            "seq": int,
            "kind": str,
            "source": str,
            "place": str,
            "visibility": str,
            "audience": str,
            "text": str,
            "data": str,
            "audience_ref": int,
        },
        "id",
        [["tick"], ["source"]],
    ),
    "actions": (
        {
            "id": int,
            "tick": int,
            "agent": str,
            "resolution_order": int,
            "kind": str,
            "target": str,
            "text": str,
            "status": str,
            "detail": str,
            "value": float,
            "data": str,
        },
        "id",
        [["tick"], ["agent"]],
    ),
    "thoughts": (
        {"id": int, "tick": int, "agent": str, "purpose": str, "text": str},
        "id",
        [["tick"], ["agent"]],
    ),
    "llm_calls": (
        {
            "id": int,
            "tick": int,
            "seq": int,
            "agent": str,
            "purpose": str,
            "model": str,
            "backend": str,
            "template": str,
            "cache_key": str,
            "cache_hit": int,
            "prompt_tokens": int,
            "completion_tokens": int,
            "cost_usd": float,
            "latency_s": float,
            "attempts": int,
            "error_type": str,
            "error": str,
            "messages": str,
            "response": str,
        },
        "id",
        # no index on cache_key (files before schema 14 have one): nothing looks a call up by its
        # key (replay reads them all), and a B-tree of random keys cost ~0.15 s of a 10,000-call
        # tick's commit
        [["tick"], ["purpose"]],
    ),
}

TABLES_ADDED_IN: dict[int, list[str]] = {
    2: ["surveys", "survey_scores"],
    3: ["beliefs"],
    4: ["memories", "interviews"],
    6: ["segments"],
    10: ["metrics"],
    11: ["audiences"],
    12: ["tom_items", "tom_answers", "trait_judgements"],
    13: [
        "fidelity_critiques",
        "fidelity_scores",
        "persona_interview_items",
        "persona_interview_answers",
        "persona_interview_scores",
    ],
}
COLUMNS_ADDED_IN: dict[int, dict[str, dict[str, Any]]] = {
    3: {"actions": {"value": float, "data": str}},
    5: {"ticks": {"n_thoughts": int, "n_beliefs": int}},
    7: {"memories": {"importance_error": str, "emotions_source": str, "emotions_error": str}},
    8: {"ticks": {"state_delta": str}},
    9: {"interviews": {"judged": str}},
    11: {"events": {"audience_ref": int}},
}

TABLES["beliefs"] = (
    {
        "id": int,
        "tick": int,
        "agent": str,
        "about": str,
        "level": str,
        "strategy": str,
        "question": str,
        "answer": str,
        "raw": str,
        "error": str,
    },
    "id",
    [["tick"], ["agent"], ["strategy"]],
)

TABLES["surveys"] = (
    {
        "id": int,
        "tick": int,
        "agent": str,
        "instrument": str,
        "mode": str,
        "item": int,
        "domain": str,
        "facet": int,
        "keyed": str,
        "answer": int,
        "raw": str,
        "error": str,
    },
    "id",
    [["agent"], ["instrument"]],
)
TABLES["survey_scores"] = (
    {
        "id": int,
        "tick": int,
        "agent": str,
        "instrument": str,
        "level": str,
        "code": str,
        "score": float,
        "mean": float,
        "normalized": float,
    },
    "id",
    [["agent"], ["instrument"]],
)

TABLES["memories"] = (
    {
        "id": int,
        "agent": str,
        "mem_id": int,
        "tick": int,
        "kind": str,
        "text": str,
        "importance": float,
        "emotions": str,
        "evidence": str,
        "importance_error": str,
        "emotions_source": str,
        "emotions_error": str,
        "embedding": bytes,
    },
    "id",
    [["agent"], ["tick"]],
)
TABLES["interviews"] = (
    {
        "id": int,
        "tick": int,
        "agent": str,
        "question": str,
        "answer": str,
        "memories": str,
        "asked_at": str,
        "judged": str,
    },
    "id",
    [["agent"]],
)

# Audiences of at least this many names are stored once (``audiences``) and referred to by
# number, not repeated on every event; smaller ones stay inline, as they always were. The world's
# state does the same with its pending events (sandbox/world/events.py).
COMPACT_FROM = 32

# An audience stored once: the names (JSON list, world order) that events.audience_ref points at.
TABLES["audiences"] = ({"id": int, "tick": int, "names": str}, "id", [])

# An event's audience as a JSON list, inline or stored once (for SELECTs from ``events``; only
# where the file has ``audiences``, i.e. schema version 11 or later).
AUDIENCE_SQL = (
    "COALESCE(events.audience, "
    "(SELECT names FROM audiences WHERE audiences.id = events.audience_ref))"
)

TABLES["segments"] = (
    {
        "segment": int,
        "from_tick": int,
        "model": str,
        "api_base": str,
        "judge_model": str,
        "judge_api_base": str,
        "seed": int,
        "started_at": str,
    },
    "segment",
    [],
)

TABLES["metrics"] = (
    {"id": int, "tick": int, "agent": str, "name": str, "value": float},
    "id",
    [["tick"], ["name"]],
)

# Role-play evaluation studies (schema 12), written after a run's ticks (runner/evaluations.py).
TABLES["tom_items"] = (
    {
        "item": int,
        "dyad": int,
        "thinker": str,
        "answerer": str,
        "tick": int,
        "turn": int,
        "mental_state": str,
        "tom_order": int,
        "false_belief": int,
        "utterance": str,
        "question": str,
        "options": str,
        "correct": str,
        "sources": str,
    },
    "item",
    [["answerer"]],
)
TABLES["tom_answers"] = (
    {
        "id": int,
        "item": int,
        "agent": str,
        "choice": str,
        "correct": int,
        "model": str,
        "raw": str,
        "error": str,
    },
    "id",
    [["item"], ["agent"]],
)
TABLES["trait_judgements"] = (
    {
        "id": int,
        "agent": str,
        "trait": str,
        "direction": str,
        "pole": str,
        "intensity": str,
        "wording": str,
        "topic": str,
        "lines": str,
        "judged_trait": str,
        "judged_direction": str,
        "trait_correct": int,
        "success": int,
        "reason": str,
        "judge": str,
        "raw": str,
        "error": str,
    },
    "id",
    [["agent"]],
)

# Role-play evaluations (schema 13), written after a run's last tick by the experiment: the judge's
# critique and 1-5 scores of each character (character fidelity), and the interview items, answers
# and judged Big Five scores of each agent (personality from interviews). ``judge`` is the model id
# the judging call was made under; a failed call leaves its value NULL with its ``error``.
TABLES["fidelity_critiques"] = (
    {"id": int, "tick": int, "agent": str, "judge": str, "critique": str, "raw": str, "error": str},
    "id",
    [["agent"]],
)
TABLES["fidelity_scores"] = (
    {
        "id": int,
        "tick": int,
        "agent": str,
        "judge": str,
        "dimension": str,
        "score": int,
        "error": str,
    },
    "id",
    [["agent"], ["dimension"]],
)
TABLES["persona_interview_items"] = (
    {
        "id": int,
        "agent": str,
        "item": int,
        "source": str,
        "number": int,
        "domain": str,
        "keyed": str,
        "question": str,
    },
    "id",
    [["agent"]],
)
TABLES["persona_interview_answers"] = (
    {
        "id": int,
        "tick": int,
        "agent": str,
        "item": int,
        "strategy": str,
        "memories": str,
        "answer": str,
        "raw": str,
        "error": str,
    },
    "id",
    [["agent"]],
)
TABLES["persona_interview_scores"] = (
    {
        "id": int,
        "tick": int,
        "agent": str,
        "judge": str,
        "domain": str,
        "score": float,
        "normalized": float,
        "rationale": str,
        "raw": str,
        "error": str,
    },
    "id",
    [["agent"], ["domain"]],
)

# Columns that make up the trajectory for identity checks (no ids, wall-clock or usage fields).
FINGERPRINT_COLUMNS: dict[str, list[str]] = {
    "events": ["tick", "seq", "kind", "source", "place", "visibility", "audience", "text", "data"],
    "actions": [
        "tick",
        "agent",
        "resolution_order",
        "kind",
        "target",
        "text",
        "status",
        "detail",
        "value",
        "data",
    ],
    "beliefs": ["tick", "agent", "about", "level", "strategy", "question", "answer", "error"],
    "thoughts": ["tick", "agent", "purpose", "text"],
    "surveys": ["tick", "agent", "instrument", "mode", "item", "answer", "error"],
    "memories": ["tick", "agent", "mem_id", "kind", "text", "evidence"],
}
