"""Emotional RAG: a named semantic-only baseline, and query and memory emotions from one source."""

import json

import numpy as np

from sandbox.agents.memory import MemoryStream, RetrievalConfig
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from tests.conftest import small_world


def _stream():
    s = MemoryStream(dim=2, minutes_per_tick=60)
    joy, fear = [10, 1, 1, 1, 1, 1, 1, 1], [1, 1, 10, 1, 1, 1, 1, 1]
    s.add("observation", "close-fearful", 0, np.array([1.0, 0.0]), importance=1, emotions=fear)
    s.add("observation", "mid-joyful", 0, np.array([0.8, 0.6]), importance=10, emotions=joy)
    return s, joy


def test_semantic_only_ignores_emotions_importance_and_recency():
    s, joy = _stream()
    q = np.array([1.0, 0.0])
    cfg = RetrievalConfig(strategy="semantic_only", k=1)
    got = s.retrieve(q, 50, cfg, query_emotions=joy, touch=False)
    assert [r.memory.text for r in got] == ["close-fearful"]
    ca = RetrievalConfig(strategy="emotional_ca", k=1)
    assert s.retrieve(q, 0, ca, query_emotions=joy, touch=False)[0].memory.text == "mid-joyful"
    # a query whose emotions could not be scored is retrieved on meaning alone, not on a made-up
    # vector
    assert s.retrieve(q, 0, ca, query_emotions=None, touch=False)[0].memory.text == "close-fearful"


def _run(tmp_path, source):
    cognition = {
        "retrieval": {"strategy": "emotional_ca", "k": 3, "emotion_source": source},
        "planning": False,
        "narrator": False,
    }
    world = small_world(cognition=cognition, ticks=3)
    run = Run.create(world, RunSettings(out=tmp_path), directory=tmp_path / source)
    run.run()
    run.close()
    with RunReader(run.directory) as reader:
        return reader.rows("llm_calls", "purpose = 'memory.emotions'")


def test_emotion_source_model_scores_queries_with_the_model(tmp_path):
    assert _run(tmp_path, "lexicon") == []
    calls = _run(tmp_path, "model")
    assert calls and all(json.loads(c["response"])["emotions"] for c in calls)
    assert RetrievalConfig(emotion_source="model").scoring_source() == "lexicon"  # GA: not needed
