import hashlib
import sqlite3

import pytest

from sandbox.errors import ModelAnswerError, StoreError
from sandbox.llm.client import ModelClient
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from sandbox.store.schema import SCHEMA_VERSION
from sandbox.store.writer import TrajectoryWriter
from sandbox.world.config import load_world
from tests.conftest import CAFE, small_world


def test_run_records_config_versions_and_prompt_hashes(cafe, tmp_path):
    run = Run.create(cafe, RunSettings(ticks=2, out=tmp_path), world_file=CAFE)
    run.run()
    run.close()
    with RunReader(run.directory) as reader:
        meta = reader.run()
        assert meta["status"] == "completed" and meta["last_tick"] == 2
        assert meta["config"]["agents"][0]["persona"]["name"] == "Maya"
        assert meta["versions"]["mesa"] and meta["versions"]["python"]
        template = (CAFE.parents[1] / "sandbox/prompts/agent_decide.md").read_text()
        assert meta["prompt_hashes"] == {
            "agent_decide": hashlib.sha256(template.encode()).hexdigest()
        }
        assert reader.count("ticks") == 2
        assert reader.count("agents") == len(cafe.agents)
        assert {r["tick"] for r in reader.rows("llm_calls")} == {1, 2}
        assert reader.state_at(2)["tick"] == 2


def test_custom_prompt_directory_is_used_and_hashed(tmp_path):
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    custom = "=== user ===\nYou are $name at the $place. $others_here $places $observations $time $persona $place_description\n"
    (prompts / "agent_decide.md").write_text(custom)
    world_file = tmp_path / "w.yaml"
    world_file.write_text(CAFE.read_text() + "\nprompts_dir: prompts\n")
    run = Run.create(load_world(world_file), RunSettings(ticks=1, out=tmp_path))
    run.run()
    run.close()
    with RunReader(run.directory) as reader:
        assert (
            reader.run()["prompt_hashes"]["agent_decide"]
            == hashlib.sha256(custom.encode()).hexdigest()
        )
        first = reader.rows("llm_calls")[0]
        assert '"role":"user"' in first["messages"] and "You are" in first["messages"]
        assert '"role":"system"' not in first["messages"]


def test_abort_policy_stops_the_run_and_keeps_committed_ticks(tmp_path):
    config = small_world(on_model_error="abort")

    def broken_on_tick_3(facts, rng):
        if facts["ticks_here"] >= 2:
            return {"thought": "x", "action": "say", "target": None, "text": ""}  # invalid
        return {"thought": "x", "action": "wait", "target": None, "text": ""}

    client = ModelClient(HeuristicBackend(policies={"agent.decide": broken_on_tick_3}))
    run = Run.create(config, RunSettings(ticks=5, out=tmp_path), client=client)
    with pytest.raises(ModelAnswerError):
        run.run()
    run.close()
    with RunReader(run.directory) as reader:
        assert reader.last_tick() == 2
        assert reader.run()["status"] == "failed"
        failed = reader.rows("llm_calls", "error_type IS NOT NULL")
        assert failed and all(r["tick"] == 3 for r in failed)


def test_record_policy_logs_the_error_as_the_agents_act(tmp_path):
    def always_bad(facts, rng):
        return {"thought": "x", "action": "move", "target": None, "text": ""}

    client = ModelClient(HeuristicBackend(policies={"agent.decide": always_bad}), max_repairs=1)
    settings = RunSettings(ticks=1, out=tmp_path, max_error_rate=1.0)  # record, do not stop
    run = Run.create(small_world(), settings, client=client)
    run.run()
    run.close()
    with RunReader(run.directory) as reader:
        acts = reader.rows("actions")
        assert {a["kind"] for a in acts} == {"error"} and len(acts) == 3
        assert all("needs the place" in a["detail"] for a in acts)
        calls = reader.rows("llm_calls")
        assert all(c["attempts"] == 2 and c["error_type"] == "ModelAnswerError" for c in calls)


def test_foreign_schema_version_is_refused(tmp_path):
    path = tmp_path / "t.sqlite"
    TrajectoryWriter(path).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        TrajectoryWriter(path)
    with pytest.raises(StoreError, match="schema version 99"):
        RunReader(path)


def test_not_a_trajectory_file_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("this is not sqlite")
    with pytest.raises(StoreError, match="not a readable trajectory file"):
        RunReader(junk)


@pytest.mark.parametrize("version", [3, 4])
def test_older_files_get_the_memory_error_columns_when_reopened(tmp_path, version):
    path = tmp_path / "t.sqlite"
    TrajectoryWriter(path).close()
    conn = sqlite3.connect(path)
    with conn:  # make it look like a file written by an older sandbox
        if version == 3:
            conn.execute("DROP TABLE memories")
            conn.execute("DROP TABLE interviews")
        else:
            for column in ("importance_error", "emotions_source", "emotions_error"):
                conn.execute(f"ALTER TABLE memories DROP COLUMN {column}")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    conn.close()
    TrajectoryWriter(path).close()
    conn = sqlite3.connect(path)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(memories)")}
    assert {"importance_error", "emotions_source", "emotions_error"} <= columns
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
        SCHEMA_VERSION
    )
    conn.close()
