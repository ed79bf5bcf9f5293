"""Bad input ends in one line that says what was wrong, never in a traceback (issue 11)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.errors import SandboxError, UnknownAgentError, UnknownPlaceError
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.world.world import World
from tests.conftest import CAFE, ROOT, small_world

runner = CliRunner()


def one_line_error(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "error:" in result.output
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good")
    run = Run.create(small_world(), RunSettings(ticks=3, out=out, use_cache=False))
    run.run()
    run.close()
    return run.directory


def _damaged(kind: str, good: Path, where: Path) -> Path:
    """A file named like a trajectory that is not a usable one."""
    path = where / "trajectory.sqlite"
    data = (good / "trajectory.sqlite").read_bytes()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "not-a-database":
        path.write_bytes(b"name: not a database\n" * 300)
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif kind == "corrupt":  # the run record readable, the pages of its ticks and events garbage
        page = int.from_bytes(data[16:18], "big")
        with sqlite3.connect(good / "trajectory.sqlite") as conn:
            roots = [
                r[0]
                for r in conn.execute(
                    "SELECT rootpage FROM sqlite_master WHERE tbl_name IN ('ticks', 'events')"
                )
            ]
        damaged = bytearray(data)
        for root in roots:
            start = (root - 1) * page
            damaged[start : start + page] = bytes([0xA5]) * page
        path.write_bytes(bytes(damaged))
    return path


COMMANDS = {
    "inspect": ["inspect", "{run}"],
    "replay": ["replay", "{run}"],
    "resume": ["run", "--resume", "{run}", "--no-feed"],
    "tui-resume": ["tui", "--resume", "{run}"],
    "interview": ["interview", "{run}", "Ann", "How are you?"],
    "export": ["export", "{run}"],
}


@pytest.mark.parametrize("kind", ["empty", "not-a-database", "truncated", "corrupt"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_that_reads_a_run_refuses_a_damaged_file_in_one_line(
    tmp_path, good_run, kind, command
):
    damaged = _damaged(kind, good_run, tmp_path)
    before = damaged.read_bytes()
    args = [a.replace("{run}", str(tmp_path)) for a in COMMANDS[command]]
    message = one_line_error(*args)
    assert "trajectory" in message and str(tmp_path) in message
    assert damaged.read_bytes() == before  # nothing was written into it


def test_a_folder_of_runs_with_a_damaged_one_is_one_line(tmp_path, good_run):
    (tmp_path / "r1").mkdir()
    _damaged("corrupt", good_run, tmp_path / "r1")
    for command in ("inspect", "export"):
        assert "r1" in one_line_error(command, tmp_path)


def test_a_world_file_that_is_not_utf8_is_one_line(tmp_path):
    world = tmp_path / "latin1.yaml"
    world.write_bytes(CAFE.read_text().replace("Corner Cafe", "Corner Café").encode("latin-1"))
    message = one_line_error("run", world, "--out", tmp_path)
    assert "not UTF-8" in message and "latin1.yaml" in message


@pytest.mark.parametrize("seed", ["-1", "12345678901234567890"])
def test_a_seed_out_of_range_is_one_line(tmp_path, seed):
    message = one_line_error("run", CAFE, "--seed", seed, "--ticks", "1", "--out", tmp_path)
    assert "--seed" in message
    world = tmp_path / "w.yaml"
    world.write_text(CAFE.read_text().replace("seed: 7", f"seed: {seed}"))
    assert "seed" in one_line_error("run", world, "--ticks", "1", "--out", tmp_path)
    assert "seed" in one_line_error("sweep", CAFE, "--seeds", f"{seed},3", "--out", tmp_path)


def test_a_seed_at_the_top_of_the_range_runs(tmp_path):
    result = runner.invoke(
        app, ["run", str(CAFE), "--seed", str(2**63 - 1), "--ticks", "1", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output


# --- read-only places ------------------------------------------------------------------------


def _as_another_user(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI as an unprivileged user (root ignores file permissions)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(cwd)}
    cmd = [sys.executable, "-m", "sandbox", *map(str, args)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tested")
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def read_only_dir(good_run):
    base = Path(tempfile.mkdtemp(prefix="sandbox-ro-"))
    shutil.copytree(good_run, base / "run")
    (base / "out").mkdir()
    for p in [base / "run" / "trajectory.sqlite", base / "run", base / "out"]:
        p.chmod(0o444 if p.is_file() else 0o555)
    base.chmod(0o755)
    try:
        yield base
    finally:
        for p in [base / "run", base / "out"]:
            p.chmod(0o755)
        shutil.rmtree(base)


def test_a_read_only_run_can_be_inspected(read_only_dir):
    done = _as_another_user("inspect", read_only_dir / "run", cwd=read_only_dir)
    assert done.returncode == 0, done.stderr
    assert "Two Rooms" in done.stdout


def test_a_read_only_out_is_one_line(read_only_dir):
    for extra in ([], ["--no-cache"]):
        done = _as_another_user(
            "run", CAFE, "--ticks", "1", "--out", read_only_dir / "out", *extra, cwd=read_only_dir
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and "error:" in done.stderr
        assert "--out" in done.stderr
    resumed = _as_another_user("run", "--resume", read_only_dir / "run", cwd=read_only_dir)
    assert resumed.returncode == 1 and "Traceback" not in resumed.stderr
    assert "cannot write" in resumed.stderr


# --- names the world does not have -------------------------------------------------------------


def test_unknown_agent_and_place_are_typed_and_list_the_valid_names():
    world = World(small_world())
    with pytest.raises(UnknownAgentError) as agent_error:
        world.agent("Zed")
    assert isinstance(agent_error.value, SandboxError | KeyError)
    assert str(agent_error.value) == "no agent named 'Zed' (agents: Ann, Bo, Cy)"
    with pytest.raises(UnknownAgentError):
        world.inject("psst", to="Zed")
    with pytest.raises(UnknownPlaceError) as place_error:
        world.inject("hello", place="attic")
    assert isinstance(place_error.value, KeyError)
    assert "kitchen, garden" in str(place_error.value)
    world.close()


def test_a_check_of_the_whole_world_file_says_what_without_dumping_it(tmp_path):
    world = tmp_path / "twice.yaml"
    world.write_text(CAFE.read_text().replace("name: Tomas", "name: Maya"))
    message = one_line_error("run", world, "--out", tmp_path)
    assert "agent names must be unique; repeated: 'Maya'" in message
    assert "(got" not in message and "Value error" not in message


def test_an_out_that_is_a_file_is_one_line_naming_it(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    message = one_line_error("run", CAFE, "--ticks", "1", "--out", taken)
    assert f"--out {taken} is a file" in message
    assert taken.read_text() == "not a folder"
