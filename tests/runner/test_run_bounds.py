"""Long runs are announced with an estimate, absurd ones refused; a world file is parsed once."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.runner.estimate import estimate, long_run_warning
from tests.conftest import CAFE, small_world

runner = CliRunner()


def invoke(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_a_run_longer_than_warn_ticks_prints_an_estimate_first(tmp_path):
    world = tmp_path / "w.yaml"
    world.write_text(CAFE.read_text().replace("ticks: 18", "ticks: 18\nwarn_ticks: 2"))
    result = invoke("run", world, "--ticks", "3", "--out", tmp_path, "--no-feed")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "warning: a long run: 3 ticks x 6 agents: about 18 model calls" in text
    assert "warn_ticks is 2" in text
    assert text.index("warning") < text.index("completed")
    quiet = invoke("run", CAFE, "--ticks", "3", "--out", tmp_path, "--no-feed")
    assert "warning" not in quiet.output


def test_the_estimate_grows_with_ticks_agents_and_cognition():
    reactive = estimate(small_world(), 1000)
    assert reactive.calls == 3000 and reactive.bytes > 1_000_000
    generative = estimate(small_world(cognition={}), 1000)
    assert generative.calls > reactive.calls and generative.bytes > reactive.bytes
    assert long_run_warning(small_world(), 10_000) is None
    assert "model calls" in long_run_warning(small_world(), 10_001)


@pytest.mark.parametrize("where", ["option", "world file"])
def test_an_absurd_number_of_ticks_is_refused_in_one_line(tmp_path, where):
    if where == "option":
        result = invoke("run", CAFE, "--ticks", "100000000000", "--out", tmp_path)
    else:
        world = tmp_path / "w.yaml"
        world.write_text(CAFE.read_text().replace("ticks: 18", "ticks: 100000000000"))
        result = invoke("run", world, "--out", tmp_path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "ticks" in result.output and "1000000" in result.output
    assert not any(tmp_path.glob("*/trajectory.sqlite"))
    sweep = invoke("sweep", CAFE, "--ticks", "100000000000", "--out", tmp_path / "sweep")
    assert sweep.exit_code != 0 and "Traceback" not in sweep.output


def test_the_world_file_is_parsed_once(tmp_path, monkeypatch):
    import sandbox.runner.experiment as experiment
    import sandbox.validation as validation
    import sandbox.world.config as config

    parsed = []
    original = validation.read_structured_file

    def counting(path, *, what):  # type: ignore[no-untyped-def]
        parsed.append(str(path))
        return original(path, what=what)

    for module in (validation, config, experiment):
        monkeypatch.setattr(module, "read_structured_file", counting)
    result = invoke("run", CAFE, "--ticks", "1", "--out", tmp_path, "--no-feed")
    assert result.exit_code == 0, result.output
    assert parsed.count(str(CAFE)) == 1
